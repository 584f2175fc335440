//! Little-endian file layouts for inputs and results moved through virtio-fs.
//!
//! Every file starts with a 32-byte header, then the payload:
//!
//! ```text
//! offset size field
//!      0    8 magic    "STRANDWL"
//!      8    4 kind     1 edge list, 2 CSR, 3 triples, 4 u32 array, 5 packet stream
//!     12    4 version  1
//!     16    8 count    number of items (see below)
//!     24    8 aux      kind-specific
//! ```
//!
//! | kind | count | aux | payload |
//! |------|-------|-----|---------|
//! | 1 edge list | edges | `scale | edge_factor << 32` | `count` x (`u32` u, `u32` v) |
//! | 2 CSR | adjacency entries | vertices `n` | `n + 1` x `u64` offsets, `count` x `u32` targets |
//! | 3 triples | triples | entity count | `count` x (`u32` s, `u32` p, `u32` o) |
//! | 4 u32 array | elements | caller's tag | `count` x `u32` (roots, parent arrays) |
//! | 5 packet stream | packets | caller's tag (frame) | `count` x (`u16` length, bytes) |
//!
//! The payload starts 8-byte aligned, so a CSR loaded at an 8-byte-aligned address can be used
//! in place (offsets at +32, targets right after).

use alloc::vec::Vec;
use core::fmt;

use crate::graph500::{Csr, Edge};
use crate::kg::Triple;

/// File magic.
pub const MAGIC: [u8; 8] = *b"STRANDWL";
/// Layout version.
pub const VERSION: u32 = 1;
/// Header bytes.
pub const HEADER_LEN: usize = 32;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Kind {
    /// Graph500 edge list.
    Edges = 1,
    /// CSR graph.
    Csr = 2,
    /// Knowledge-graph triples.
    Triples = 3,
    /// An array of `u32`.
    U32s = 4,
    /// Compositor packets.
    Packets = 5,
}

/// Why a file did not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// Not a Strand workload file.
    BadMagic,
    /// Another kind of file.
    WrongKind {
        /// Kind wanted.
        expected: u32,
        /// Kind found.
        found: u32,
    },
    /// Unknown layout version.
    BadVersion(u32),
    /// The file is shorter than its header says (or longer).
    BadLength,
    /// The contents are inconsistent (e.g. CSR offsets not ascending).
    Invalid,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::BadMagic => f.write_str("not a STRANDWL file"),
            WireError::WrongKind { expected, found } => {
                write!(f, "file kind {found}, expected {expected}")
            }
            WireError::BadVersion(v) => write!(f, "layout version {v}"),
            WireError::BadLength => f.write_str("file length does not match its header"),
            WireError::Invalid => f.write_str("inconsistent contents"),
        }
    }
}

impl core::error::Error for WireError {}

fn header(kind: Kind, count: u64, aux: u64, payload: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEADER_LEN + payload);
    v.extend_from_slice(&MAGIC);
    v.extend_from_slice(&(kind as u32).to_le_bytes());
    v.extend_from_slice(&VERSION.to_le_bytes());
    v.extend_from_slice(&count.to_le_bytes());
    v.extend_from_slice(&aux.to_le_bytes());
    v
}

#[inline]
fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[inline]
fn le64(b: &[u8], at: usize) -> u64 {
    u64::from(le32(b, at)) | u64::from(le32(b, at + 4)) << 32
}

/// Parses and checks the header; returns `(count, aux, payload)`.
pub fn parse_header(bytes: &[u8], kind: Kind) -> Result<(u64, u64, &[u8]), WireError> {
    if bytes.len() < HEADER_LEN || bytes[..8] != MAGIC {
        return Err(WireError::BadMagic);
    }
    let found = le32(bytes, 8);
    if found != kind as u32 {
        return Err(WireError::WrongKind {
            expected: kind as u32,
            found,
        });
    }
    let version = le32(bytes, 12);
    if version != VERSION {
        return Err(WireError::BadVersion(version));
    }
    Ok((le64(bytes, 16), le64(bytes, 24), &bytes[HEADER_LEN..]))
}

fn check_len(payload: &[u8], count: u64, item: u64, extra: u64) -> Result<(), WireError> {
    let want = count.checked_mul(item).and_then(|n| n.checked_add(extra));
    if want != Some(payload.len() as u64) {
        return Err(WireError::BadLength);
    }
    Ok(())
}

/// An edge list file; `aux = scale | edge_factor << 32`.
pub fn write_edges(scale: u32, edge_factor: u32, edges: &[Edge]) -> Vec<u8> {
    let aux = u64::from(scale) | u64::from(edge_factor) << 32;
    let mut v = header(Kind::Edges, edges.len() as u64, aux, edges.len() * 8);
    for e in edges {
        v.extend_from_slice(&e.u.to_le_bytes());
        v.extend_from_slice(&e.v.to_le_bytes());
    }
    v
}

/// Reads an edge list file: `(scale, edge_factor, edges)`.
pub fn read_edges(bytes: &[u8]) -> Result<(u32, u32, Vec<Edge>), WireError> {
    let (count, aux, p) = parse_header(bytes, Kind::Edges)?;
    check_len(p, count, 8, 0)?;
    let edges = p
        .chunks_exact(8)
        .map(|c| Edge::new(le32(c, 0), le32(c, 4)))
        .collect();
    Ok((aux as u32, (aux >> 32) as u32, edges))
}

/// A CSR file.
pub fn write_csr(csr: &Csr) -> Vec<u8> {
    let n = csr.num_vertices();
    let mut v = header(
        Kind::Csr,
        csr.targets.len() as u64,
        n as u64,
        (n + 1) * 8 + csr.targets.len() * 4,
    );
    for &o in &csr.offsets {
        v.extend_from_slice(&o.to_le_bytes());
    }
    for &t in &csr.targets {
        v.extend_from_slice(&t.to_le_bytes());
    }
    v
}

/// Reads a CSR file (offsets must ascend from 0 to `count`, targets must be vertices).
pub fn read_csr(bytes: &[u8]) -> Result<Csr, WireError> {
    let (count, n, p) = parse_header(bytes, Kind::Csr)?;
    let extra = n
        .checked_add(1)
        .and_then(|x| x.checked_mul(8))
        .ok_or(WireError::BadLength)?;
    check_len(p, count, 4, extra)?;
    let split = extra as usize;
    let offsets: Vec<u64> = p[..split].chunks_exact(8).map(|c| le64(c, 0)).collect();
    let targets: Vec<u32> = p[split..].chunks_exact(4).map(|c| le32(c, 0)).collect();
    if offsets[0] != 0
        || offsets[n as usize] != count
        || offsets.windows(2).any(|w| w[0] > w[1])
        || targets.iter().any(|&t| u64::from(t) >= n)
    {
        return Err(WireError::Invalid);
    }
    Ok(Csr { offsets, targets })
}

/// A triple file; `aux` = entity count.
pub fn write_triples(num_entities: u32, triples: &[Triple]) -> Vec<u8> {
    let mut v = header(
        Kind::Triples,
        triples.len() as u64,
        num_entities.into(),
        triples.len() * 12,
    );
    for t in triples {
        v.extend_from_slice(&t.s.to_le_bytes());
        v.extend_from_slice(&t.p.to_le_bytes());
        v.extend_from_slice(&t.o.to_le_bytes());
    }
    v
}

/// Reads a triple file: `(num_entities, triples)`.
pub fn read_triples(bytes: &[u8]) -> Result<(u32, Vec<Triple>), WireError> {
    let (count, aux, p) = parse_header(bytes, Kind::Triples)?;
    check_len(p, count, 12, 0)?;
    let t = p
        .chunks_exact(12)
        .map(|c| Triple {
            s: le32(c, 0),
            p: le32(c, 4),
            o: le32(c, 8),
        })
        .collect();
    Ok((aux as u32, t))
}

/// A `u32` array file with a caller-chosen `tag` (e.g. the root of a parent array).
pub fn write_u32s(tag: u64, values: &[u32]) -> Vec<u8> {
    let mut v = header(Kind::U32s, values.len() as u64, tag, values.len() * 4);
    for &x in values {
        v.extend_from_slice(&x.to_le_bytes());
    }
    v
}

/// Reads a `u32` array file: `(tag, values)`.
pub fn read_u32s(bytes: &[u8]) -> Result<(u64, Vec<u32>), WireError> {
    let (count, tag, p) = parse_header(bytes, Kind::U32s)?;
    check_len(p, count, 4, 0)?;
    Ok((tag, p.chunks_exact(4).map(|c| le32(c, 0)).collect()))
}

/// A packet stream file with a caller-chosen `tag` (e.g. the frame number).
///
/// # Panics
/// If a packet is longer than 65535 bytes.
pub fn write_packets<P: AsRef<[u8]>>(tag: u64, packets: &[P]) -> Vec<u8> {
    let payload: usize = packets.iter().map(|p| 2 + p.as_ref().len()).sum();
    let mut v = header(Kind::Packets, packets.len() as u64, tag, payload);
    for p in packets {
        let p = p.as_ref();
        v.extend_from_slice(
            &u16::try_from(p.len())
                .expect("packet <= 65535 bytes")
                .to_le_bytes(),
        );
        v.extend_from_slice(p);
    }
    v
}

/// Reads a packet stream file: `(tag, packets)`.
pub fn read_packets(bytes: &[u8]) -> Result<(u64, Vec<Vec<u8>>), WireError> {
    let (count, tag, mut p) = parse_header(bytes, Kind::Packets)?;
    let mut out = Vec::new();
    for _ in 0..count {
        if p.len() < 2 {
            return Err(WireError::BadLength);
        }
        let len = usize::from(u16::from_le_bytes([p[0], p[1]]));
        let body = p.get(2..2 + len).ok_or(WireError::BadLength)?;
        out.push(body.to_vec());
        p = &p[2 + len..];
    }
    if !p.is_empty() {
        return Err(WireError::BadLength);
    }
    Ok((tag, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph500::{generate_edges, KroneckerParams};
    use crate::kg::{KnowledgeGraph, LubmConfig};

    #[test]
    fn roundtrips() {
        let p = KroneckerParams::new(8, 2);
        let edges = generate_edges(&p);
        let f = write_edges(8, 16, &edges);
        assert_eq!(f.len(), HEADER_LEN + edges.len() * 8);
        assert_eq!(read_edges(&f).unwrap(), (8, 16, edges.clone()));
        let csr = Csr::from_edges(256, &edges);
        assert_eq!(read_csr(&write_csr(&csr)).unwrap(), csr);
        let kg = KnowledgeGraph::generate(&LubmConfig::small(3));
        assert_eq!(
            read_triples(&write_triples(kg.num_entities, &kg.triples)).unwrap(),
            (kg.num_entities, kg.triples.clone())
        );
        assert_eq!(
            read_u32s(&write_u32s(7, &[1, 2, 3])).unwrap(),
            (7, alloc::vec![1, 2, 3])
        );
        let pk: Vec<Vec<u8>> = alloc::vec![alloc::vec![1, 2], alloc::vec![], alloc::vec![9; 1400]];
        assert_eq!(read_packets(&write_packets(5, &pk)).unwrap(), (5, pk));
    }

    #[test]
    fn rejects_bad_files() {
        let f = write_u32s(1, &[1, 2]);
        assert_eq!(
            read_edges(&f),
            Err(WireError::WrongKind {
                expected: 1,
                found: 4
            })
        );
        assert_eq!(read_u32s(&f[..f.len() - 1]), Err(WireError::BadLength));
        assert_eq!(read_u32s(&f[1..]), Err(WireError::BadMagic));
        let mut g = f.clone();
        g[12] = 2;
        assert_eq!(read_u32s(&g), Err(WireError::BadVersion(2)));
        let csr = Csr {
            offsets: alloc::vec![0, 2, 1],
            targets: alloc::vec![1],
        };
        assert_eq!(read_csr(&write_csr(&csr)), Err(WireError::Invalid));
    }
}
