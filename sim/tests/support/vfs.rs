//! What the virtio-fs tests (`virtiofs_qemu.rs` against QEMU + virtiofsd, `virtiofs_strand.rs`
//! against Strand's own device) expect of a share, in one place so both peers are held to the
//! same result: a fresh share with a planted `keep.txt`, a file planted next to it (outside) that
//! must never change, and the exact tree `vfs-selftest` and `vfs-stress` leave behind.

use super::RunResult;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const OUTSIDE: &[u8] = b"outside the share: must never change\n";
const KEEP: &[u8] = b"planted in the share before the run\n";

/// A fresh share folder `target/<suite>/<case>/share` with `keep.txt` in it, and
/// `outside.txt` next to it.
pub struct Share {
    /// The case's scratch folder (logs go here).
    pub dir: PathBuf,
    /// The shared folder.
    pub path: PathBuf,
    outside: PathBuf,
    before: SystemTime,
}

impl Share {
    /// Create the folders and planted files.
    pub fn new(suite: &str, case: &str) -> Share {
        let dir = super::case_dir(suite, case);
        let path = dir.join("share");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("keep.txt"), KEEP).unwrap();
        let outside = dir.join("outside.txt");
        std::fs::write(&outside, OUTSIDE).unwrap();
        let before = std::fs::metadata(&outside).unwrap().modified().unwrap();
        Share {
            dir,
            path,
            outside,
            before,
        }
    }

    /// Check a finished run: exit 0, the `pass` line on the console, both planted files intact.
    /// Returns the console text.
    pub fn check_run(&self, case: &str, r: &RunResult, pass: &str) -> String {
        let out = std::fs::read_to_string(&r.stdout).unwrap_or_default();
        eprintln!("{case}: {:.2} s", r.elapsed.as_secs_f64());
        assert!(
            r.success(),
            "{case}: exit {:?} after {:.1} s\n{}",
            r.status.and_then(|s| s.code()),
            r.elapsed.as_secs_f64(),
            r.tail(3000)
        );
        assert!(
            out.contains(pass),
            "{case}: no `{pass}` line\n{}",
            r.tail(3000)
        );
        assert_eq!(
            std::fs::read(&self.outside).unwrap(),
            OUTSIDE,
            "{case}: outside file changed"
        );
        assert_eq!(
            std::fs::metadata(&self.outside)
                .unwrap()
                .modified()
                .unwrap(),
            self.before,
            "{case}: outside file touched"
        );
        assert_eq!(
            std::fs::read(self.path.join("keep.txt")).unwrap(),
            KEEP,
            "{case}: keep.txt changed"
        );
        out
    }

    /// `vfs-selftest` printed every check in `checks` and left exactly its known files.
    pub fn check_selftest(&self, out: &str, checks: &[&str]) {
        for check in checks {
            assert!(
                out.contains(&format!("vfs-selftest: ok   {check}")),
                "check `{check}` missing:\n{out}"
            );
        }
        let big: Vec<u8> = (0..200_000u32)
            .map(|i| ((31 * i + 7) % 251) as u8)
            .collect();
        let expect: BTreeMap<String, Option<Vec<u8>>> = [
            ("keep.txt", Some(KEEP.to_vec())),
            ("selftest", None),
            ("selftest/big.bin", Some(big)),
            ("selftest/hello.txt", Some(b"hello, virtio-fs\n".to_vec())),
            ("selftest/renamed.txt", Some(b"moved\n".to_vec())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let got = tree(&self.path);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expect.keys().collect::<Vec<_>>(),
            "files in the share"
        );
        assert!(got == expect, "file contents in the share differ");
        let mode = std::fs::metadata(self.path.join("selftest/hello.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o600, "SETATTR mode did not reach the host");
    }

    /// `vfs-stress` printed one ok line per hart and left only the planted file.
    pub fn check_stress(&self, out: &str, harts: usize, ok_line: &str) {
        assert_eq!(
            out.matches(ok_line).count(),
            harts,
            "one ok line per hart:\n{out}"
        );
        assert_eq!(
            tree(&self.path).keys().collect::<Vec<_>>(),
            vec!["keep.txt"],
            "stress must leave only the planted file"
        );
    }
}

/// Every path under `dir` (relative, `/`-separated) with its contents (`None` for a directory).
pub fn tree(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                out.insert(rel, None);
                walk(root, &p, out);
            } else {
                out.insert(rel, Some(std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
