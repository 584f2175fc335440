//! Bundles: named groups of ports with a direction per member (Amaranth `wiring` style).
//!
//! A [`Bundle`] lists members, each flowing [`Flow::Forward`] (with the data, e.g. `valid`,
//! `data`) or [`Flow::Backward`] (against it, e.g. `ready`). A module declares a bundle port as a
//! [`Role::Source`] (it drives the forward members) or a [`Role::Sink`] (it receives them):
//!
//! ```text
//!        Source "out"                       Sink "in"
//!   ┌──────────────────┐              ┌──────────────────┐
//!   │   out_valid  ────┼──► forward ──┼──► in_valid      │
//!   │   out_data   ────┼──► forward ──┼──► in_data       │
//!   │   out_ready  ◄───┼── backward ◄─┼─── in_ready      │
//!   └──────────────────┘              └──────────────────┘
//! ```
//!
//! [`crate::rtl::ModuleBuilder::connect`] wires two bundles member by member and refuses, with a
//! message naming the member, bundles whose members, widths or flows differ, or a connection
//! whose direction is backwards.

use std::fmt;

use super::module::Sig;

/// Which way a member flows relative to the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flow {
    /// From the source to the sink (valid, data).
    Forward,
    /// From the sink to the source (ready, credit returns).
    Backward,
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Flow::Forward => "forward",
            Flow::Backward => "backward",
        })
    }
}

/// The side a module takes on a bundle port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Drives the forward members.
    Source,
    /// Receives the forward members.
    Sink,
}

/// One member of a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Member {
    /// Suffix of the port name (`<prefix>_<name>`).
    pub name: String,
    /// Width in bits.
    pub width: u32,
    /// Direction relative to the data.
    pub flow: Flow,
}

/// A bundle type: a kind name (for messages) and its members in port order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Bundle {
    /// What kind of bundle this is (e.g. `stream`).
    pub kind: String,
    /// Members in port order.
    pub members: Vec<Member>,
}

impl Bundle {
    /// An empty bundle of kind `kind`; add members with [`Bundle::forward`] and
    /// [`Bundle::backward`].
    pub fn new(kind: &str) -> Bundle {
        Bundle {
            kind: kind.to_string(),
            members: Vec::new(),
        }
    }

    /// Adds a forward member.
    pub fn forward(mut self, name: &str, width: u32) -> Bundle {
        self.members.push(Member {
            name: name.to_string(),
            width,
            flow: Flow::Forward,
        });
        self
    }

    /// Adds a backward member.
    pub fn backward(mut self, name: &str, width: u32) -> Bundle {
        self.members.push(Member {
            name: name.to_string(),
            width,
            flow: Flow::Backward,
        });
        self
    }

    /// A valid/ready stream carrying `width` bits: `valid` (forward), `ready` (backward), `data`
    /// (forward). A transfer happens in a cycle where both `valid` and `ready` are set.
    pub fn stream(width: u32) -> Bundle {
        Bundle::new("stream")
            .forward("valid", 1)
            .backward("ready", 1)
            .forward("data", width)
    }
}

/// The signals of one bundle as seen from the module being built: its own bundle port, or an
/// instance's (see [`crate::rtl::Inst::bundle`]).
#[derive(Clone, Debug)]
pub struct BundleSigs {
    pub(crate) label: String,
    pub(crate) bundle: Bundle,
    pub(crate) members: Vec<Sig>,
    /// True if the module being built drives the forward members (and reads the backward ones).
    pub(crate) drives_forward: bool,
    pub(crate) error: Option<String>,
}

impl BundleSigs {
    pub(crate) fn new(
        label: String,
        bundle: Bundle,
        members: Vec<Sig>,
        drives_forward: bool,
    ) -> BundleSigs {
        BundleSigs {
            label,
            bundle,
            members,
            drives_forward,
            error: None,
        }
    }

    pub(crate) fn poisoned(label: String, why: String) -> BundleSigs {
        BundleSigs {
            label,
            bundle: Bundle::new("invalid"),
            members: Vec::new(),
            drives_forward: false,
            error: Some(why),
        }
    }

    /// The name used in messages (`in`, or `u_fifo.in` for an instance's bundle).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The bundle type.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The signal of member `member` (an invalid signal, reported when used, if there is none).
    pub fn sig(&self, member: &str) -> Sig {
        match self.bundle.members.iter().position(|m| m.name == member) {
            Some(i) => self.members[i].clone(),
            None => Sig {
                expr: super::expr::poisoned(match &self.error {
                    Some(e) => e.clone(),
                    None => format!(
                        "bundle '{}' ({}) has no member '{member}'",
                        self.label, self.bundle.kind
                    ),
                }),
            },
        }
    }
}

/// The assignments `(destination, source)` that connect `from` to `to`, or why they cannot be
/// connected.
pub(crate) fn plan(from: &BundleSigs, to: &BundleSigs) -> Result<Vec<(Sig, Sig)>, String> {
    for b in [from, to] {
        if let Some(e) = &b.error {
            return Err(e.clone());
        }
    }
    let (fl, tl) = (&from.label, &to.label);
    for m in &from.bundle.members {
        let Some(n) = to.bundle.members.iter().find(|n| n.name == m.name) else {
            return Err(format!(
                "member '{}' exists on '{fl}' but not on '{tl}'",
                m.name
            ));
        };
        if m.width != n.width {
            return Err(format!(
                "member '{}' is {} bits on '{fl}' but {} bits on '{tl}'",
                m.name, m.width, n.width
            ));
        }
        if m.flow != n.flow {
            return Err(format!(
                "member '{}' flows {} on '{fl}' but {} on '{tl}'",
                m.name, m.flow, n.flow
            ));
        }
    }
    if let Some(n) = to
        .bundle
        .members
        .iter()
        .find(|n| !from.bundle.members.iter().any(|m| m.name == n.name))
    {
        return Err(format!(
            "member '{}' exists on '{tl}' but not on '{fl}'",
            n.name
        ));
    }
    if from.drives_forward {
        return Err(format!(
            "'{fl}' is driven by this module (an output bundle of this module or an input bundle \
             of an instance), so data cannot flow out of it; swap the arguments"
        ));
    }
    if !to.drives_forward {
        return Err(format!(
            "'{tl}' is read by this module (an input bundle of this module or an output bundle \
             of an instance), so data cannot flow into it; swap the arguments"
        ));
    }
    let mut pairs = Vec::new();
    for (i, m) in from.bundle.members.iter().enumerate() {
        let j = to
            .bundle
            .members
            .iter()
            .position(|n| n.name == m.name)
            .expect("checked above");
        let (a, b) = (from.members[i].clone(), to.members[j].clone());
        match m.flow {
            Flow::Forward => pairs.push((b, a)),
            Flow::Backward => pairs.push((a, b)),
        }
    }
    Ok(pairs)
}
