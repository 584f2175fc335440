//! The LUBM-like (UBA-style) generator.

use alloc::vec::Vec;

use super::Triple;
use crate::rng::{Rng, Xoshiro256};

/// Predicates (ids `0..NUM_PREDICATES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum Predicate {
    /// `rdf:type`: entity → class id.
    Type = 0,
    /// Department → University, ResearchGroup → Department.
    SubOrganizationOf = 1,
    /// Faculty → Department.
    WorksFor = 2,
    /// Student → Department.
    MemberOf = 3,
    /// FullProfessor → Department (one per department).
    HeadOf = 4,
    /// Faculty → Course or GraduateCourse.
    TeacherOf = 5,
    /// Student → Course (undergraduates) or GraduateCourse (graduates).
    TakesCourse = 6,
    /// Student → professor (every graduate student, one undergraduate in five).
    Advisor = 7,
    /// GraduateStudent → Course (one graduate student in four).
    TeachingAssistantOf = 8,
    /// Faculty or GraduateStudent → University.
    UndergraduateDegreeFrom = 9,
    /// Faculty → University.
    MastersDegreeFrom = 10,
    /// Faculty → University.
    DoctoralDegreeFrom = 11,
    /// Publication → author (faculty or graduate student).
    PublicationAuthor = 12,
}

/// Number of predicates.
pub const NUM_PREDICATES: usize = 13;

impl Predicate {
    /// Every predicate, by id.
    pub const ALL: [Predicate; NUM_PREDICATES] = [
        Predicate::Type,
        Predicate::SubOrganizationOf,
        Predicate::WorksFor,
        Predicate::MemberOf,
        Predicate::HeadOf,
        Predicate::TeacherOf,
        Predicate::TakesCourse,
        Predicate::Advisor,
        Predicate::TeachingAssistantOf,
        Predicate::UndergraduateDegreeFrom,
        Predicate::MastersDegreeFrom,
        Predicate::DoctoralDegreeFrom,
        Predicate::PublicationAuthor,
    ];

    /// The predicate with id `id`.
    pub fn from_id(id: u32) -> Option<Self> {
        Self::ALL.get(id as usize).copied()
    }

    /// The LUBM (univ-bench) local name.
    pub fn name(self) -> &'static str {
        match self {
            Predicate::Type => "type",
            Predicate::SubOrganizationOf => "subOrganizationOf",
            Predicate::WorksFor => "worksFor",
            Predicate::MemberOf => "memberOf",
            Predicate::HeadOf => "headOf",
            Predicate::TeacherOf => "teacherOf",
            Predicate::TakesCourse => "takesCourse",
            Predicate::Advisor => "advisor",
            Predicate::TeachingAssistantOf => "teachingAssistantOf",
            Predicate::UndergraduateDegreeFrom => "undergraduateDegreeFrom",
            Predicate::MastersDegreeFrom => "mastersDegreeFrom",
            Predicate::DoctoralDegreeFrom => "doctoralDegreeFrom",
            Predicate::PublicationAuthor => "publicationAuthor",
        }
    }
}

/// Classes; class `c` is entity id `c as u32` (the object of `type` triples).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum Class {
    /// A university (generated in detail, or an external one that only grants degrees).
    University = 0,
    /// A department of a university.
    Department = 1,
    /// Faculty rank.
    FullProfessor = 2,
    /// Faculty rank.
    AssociateProfessor = 3,
    /// Faculty rank.
    AssistantProfessor = 4,
    /// Faculty rank (teaches, advises nobody).
    Lecturer = 5,
    /// Student.
    UndergraduateStudent = 6,
    /// Student.
    GraduateStudent = 7,
    /// Undergraduate course.
    Course = 8,
    /// Graduate course.
    GraduateCourse = 9,
    /// A research group of a department.
    ResearchGroup = 10,
    /// A publication.
    Publication = 11,
}

/// Number of classes (entity ids below this are classes).
pub const NUM_CLASSES: u32 = 12;

/// Generator parameters. Ranges are inclusive; the defaults follow LUBM's UBA generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LubmConfig {
    /// Universities generated in detail.
    pub universities: u32,
    /// Extra universities that only appear as degree granters.
    pub external_universities: u32,
    /// Departments per university (LUBM: 15..=25).
    pub departments: (u32, u32),
    /// Publications per faculty member are scaled by `publication_percent / 100`.
    pub publication_percent: u32,
    /// Seed of every random choice.
    pub seed: u64,
}

impl LubmConfig {
    /// LUBM-sized: `universities` universities of 15..=25 departments (~80k triples each),
    /// 10 external universities, all publications.
    pub fn lubm(universities: u32, seed: u64) -> Self {
        Self {
            universities,
            external_universities: 10,
            departments: (15, 25),
            publication_percent: 100,
            seed,
        }
    }

    /// A small graph for tests: one university of 2..=3 departments, 2 external universities,
    /// a quarter of the publications (~6-9k triples).
    pub fn small(seed: u64) -> Self {
        Self {
            universities: 1,
            external_universities: 2,
            departments: (2, 3),
            publication_percent: 25,
            seed,
        }
    }
}

const TAG_LUBM: u64 = 0x4C55_424D_4B47_454E; // "LUBMKGEN"

struct Gen {
    rng: Xoshiro256,
    next: u32,
    triples: Vec<Triple>,
}

impl Gen {
    fn entity(&mut self, class: Class) -> u32 {
        let id = self.next;
        self.next += 1;
        self.triples
            .push(Triple::new(id, Predicate::Type, class as u32));
        id
    }

    fn add(&mut self, s: u32, p: Predicate, o: u32) {
        self.triples.push(Triple::new(s, p, o));
    }

    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        self.rng.range_u32(lo, hi)
    }

    fn pick(&mut self, from: &[u32]) -> u32 {
        from[self.rng.below(from.len() as u64) as usize]
    }

    /// `k` distinct elements of `from` (all of them when `k >= from.len()`), in draw order.
    fn pick_distinct(&mut self, from: &[u32], k: u32, out: &mut Vec<u32>) {
        out.clear();
        if k as usize >= from.len() {
            out.extend_from_slice(from);
            return;
        }
        while out.len() < k as usize {
            let x = self.pick(from);
            if !out.contains(&x) {
                out.push(x);
            }
        }
    }
}

/// Generates the triples of `config` and the number of entity ids used (classes included).
///
/// Per department (UBA's numbers): 7-10 full, 10-14 associate, 8-11 assistant professors and
/// 5-7 lecturers (`worksFor`, three degrees each; the first full professor is `headOf`); every
/// faculty member teaches 1-2 courses and 1-2 graduate courses; 10-20 research groups;
/// 8-14 undergraduates and 3-4 graduate students per faculty member (`memberOf`); undergraduates
/// take 2-4 of the department's courses and one in five has a professor as `advisor`; graduates
/// take 1-3 graduate courses, all have an advisor, one in four is a teaching assistant of a
/// course; publications: 15-20 per full, 10-18 per associate, 5-10 per assistant professor, 0-5
/// per lecturer (scaled by `publication_percent`), each with its faculty author and, one in
/// three, a graduate-student co-author (for a professor with advisees: one of them half of the
/// time, else any graduate student of the department). The generator never emits a duplicate
/// triple.
pub fn generate(config: &LubmConfig) -> (u32, Vec<Triple>) {
    let mut g = Gen {
        rng: Xoshiro256::from_stream(config.seed, TAG_LUBM),
        next: NUM_CLASSES,
        triples: Vec::new(),
    };
    let total_unis = config.universities + config.external_universities;
    let universities: Vec<u32> = (0..total_unis)
        .map(|_| g.entity(Class::University))
        .collect();
    let mut scratch = Vec::new();
    for u in 0..config.universities as usize {
        let univ = universities[u];
        let ndept = g.range(config.departments.0, config.departments.1);
        for _ in 0..ndept {
            let dept = g.entity(Class::Department);
            g.add(dept, Predicate::SubOrganizationOf, univ);

            // Faculty, by rank.
            let ranks = [
                (Class::FullProfessor, 7, 10, 15, 20),
                (Class::AssociateProfessor, 10, 14, 10, 18),
                (Class::AssistantProfessor, 8, 11, 5, 10),
                (Class::Lecturer, 5, 7, 0, 5),
            ];
            let mut faculty: Vec<(u32, u32, u32)> = Vec::new(); // (id, pubs lo, pubs hi)
            let mut professors: Vec<u32> = Vec::new();
            for &(class, lo, hi, plo, phi) in &ranks {
                for _ in 0..g.range(lo, hi) {
                    let f = g.entity(class);
                    g.add(f, Predicate::WorksFor, dept);
                    for p in [
                        Predicate::UndergraduateDegreeFrom,
                        Predicate::MastersDegreeFrom,
                        Predicate::DoctoralDegreeFrom,
                    ] {
                        let from = g.pick(&universities);
                        g.add(f, p, from);
                    }
                    faculty.push((f, plo, phi));
                    if class != Class::Lecturer {
                        professors.push(f);
                    }
                }
            }
            g.add(faculty[0].0, Predicate::HeadOf, dept);

            // Courses.
            let mut courses = Vec::new();
            let mut grad_courses = Vec::new();
            for &(f, _, _) in &faculty {
                for _ in 0..g.range(1, 2) {
                    let c = g.entity(Class::Course);
                    g.add(f, Predicate::TeacherOf, c);
                    courses.push(c);
                }
                for _ in 0..g.range(1, 2) {
                    let c = g.entity(Class::GraduateCourse);
                    g.add(f, Predicate::TeacherOf, c);
                    grad_courses.push(c);
                }
            }

            for _ in 0..g.range(10, 20) {
                let rg = g.entity(Class::ResearchGroup);
                g.add(rg, Predicate::SubOrganizationOf, dept);
            }

            // Students.
            let nfac = faculty.len() as u32;
            let n_ug = (0..nfac).map(|_| g.range(8, 14)).sum::<u32>();
            for _ in 0..n_ug {
                let s = g.entity(Class::UndergraduateStudent);
                g.add(s, Predicate::MemberOf, dept);
                let k = g.range(2, 4);
                g.pick_distinct(&courses, k, &mut scratch);
                for &c in &scratch {
                    g.add(s, Predicate::TakesCourse, c);
                }
                if g.rng.chance(1, 5) {
                    let a = g.pick(&professors);
                    g.add(s, Predicate::Advisor, a);
                }
            }
            let n_grad = (0..nfac).map(|_| g.range(3, 4)).sum::<u32>();
            let mut grads = Vec::with_capacity(n_grad as usize);
            let mut advisees: Vec<Vec<u32>> = professors.iter().map(|_| Vec::new()).collect();
            for _ in 0..n_grad {
                let s = g.entity(Class::GraduateStudent);
                g.add(s, Predicate::MemberOf, dept);
                let from = g.pick(&universities);
                g.add(s, Predicate::UndergraduateDegreeFrom, from);
                let k = g.range(1, 3);
                g.pick_distinct(&grad_courses, k, &mut scratch);
                for &c in &scratch {
                    g.add(s, Predicate::TakesCourse, c);
                }
                let ai = g.rng.below(professors.len() as u64) as usize;
                g.add(s, Predicate::Advisor, professors[ai]);
                advisees[ai].push(s);
                if g.rng.chance(1, 4) {
                    let c = g.pick(&courses);
                    g.add(s, Predicate::TeachingAssistantOf, c);
                }
                grads.push(s);
            }

            // Publications.
            for (fi, &(f, plo, phi)) in faculty.iter().enumerate() {
                // Professors come first in `faculty`, in the order of `professors`.
                let own: &[u32] = advisees.get(fi).map_or(&[], |a| a.as_slice());
                let n = g.range(plo, phi) * config.publication_percent / 100;
                for _ in 0..n {
                    let p = g.entity(Class::Publication);
                    g.add(p, Predicate::PublicationAuthor, f);
                    if g.rng.chance(1, 3) {
                        let s = if !own.is_empty() && g.rng.chance(1, 2) {
                            g.pick(own)
                        } else {
                            g.pick(&grads)
                        };
                        g.add(p, Predicate::PublicationAuthor, s);
                    }
                }
            }
        }
    }
    (g.next, g.triples)
}
