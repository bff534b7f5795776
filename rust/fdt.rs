// SPDX-License-Identifier: GPL-2.0

//! A bounds-checked reader of flattened device trees (DTSpec v0.4, "the
//! FDT"), for code that runs before the kernel has unflattened the tree:
//! linmap's early realm probe, and the realm emulator (which also patches
//! property values in place).
//!
//! Every offset and length read from the blob is checked against the blob;
//! a malformed tree gives an [`FdtError`] or "not found", never a panic.

/// `FDT_MAGIC`.
pub const FDT_MAGIC: u32 = 0xd00d_feed;

const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;

/// Nesting deeper than this is treated as malformed.
const MAX_DEPTH: usize = 64;

/// Why a blob is not a usable FDT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdtError {
    /// Shorter than its header, or than the `totalsize` it claims.
    Truncated,
    /// No `FDT_MAGIC`.
    BadMagic,
    /// A version this reader does not understand (it needs 16 or 17).
    BadVersion,
    /// A block or token lies outside the blob, or the structure is broken.
    BadStructure,
}

fn be32(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn align4(off: usize) -> Option<usize> {
    off.checked_add(3).map(|o| o & !3)
}

/// A checked view of an FDT blob.
#[derive(Clone, Copy, Debug)]
pub struct Fdt<'a> {
    blob: &'a [u8],
    structs: (usize, usize),
    strings: (usize, usize),
}

/// A node: the offset of its `FDT_BEGIN_NODE` token in the blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node(usize);

/// A property of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Property<'a> {
    /// Its name.
    pub name: &'a [u8],
    /// Its value.
    pub value: &'a [u8],
    /// The offset of the value in the blob (for in-place patching).
    pub offset: usize,
}

/// One token of the structure block.
enum Token<'a> {
    Begin(&'a [u8]),
    End,
    Prop(Property<'a>),
}

impl<'a> Fdt<'a> {
    /// Checks the header of `blob` (which may be longer than the tree).
    pub fn new(blob: &'a [u8]) -> Result<Self, FdtError> {
        let h = |i: usize| be32(blob, 4 * i).ok_or(FdtError::Truncated);
        if h(0)? != FDT_MAGIC {
            return Err(FdtError::BadMagic);
        }
        let total = h(1)? as usize;
        if total < 40 || total > blob.len() {
            return Err(FdtError::Truncated);
        }
        let (version, last_comp) = (h(5)?, h(6)?);
        if version < 16 || last_comp > 17 {
            return Err(FdtError::BadVersion);
        }
        let blob = &blob[..total];
        let block = |off: u32, size: u32| {
            let (off, size) = (off as usize, size as usize);
            match off.checked_add(size) {
                Some(end) if end <= total && off >= 40 => Ok((off, size)),
                _ => Err(FdtError::BadStructure),
            }
        };
        Ok(Fdt {
            blob,
            structs: block(h(2)?, h(9)?)?,
            strings: block(h(3)?, h(8)?)?,
        })
    }

    /// The blob, as long as its `totalsize`.
    pub fn blob(&self) -> &'a [u8] {
        self.blob
    }

    /// The token at `off` and the offset after it; `None` when malformed.
    fn token(&self, off: usize) -> Option<(Token<'a>, usize)> {
        let (base, size) = self.structs;
        let end = base + size;
        let mut off = off;
        loop {
            if off < base || off + 4 > end {
                return None;
            }
            let tag = be32(self.blob, off)?;
            off += 4;
            match tag {
                FDT_NOP => continue,
                FDT_BEGIN_NODE => {
                    let rest = self.blob.get(off..end)?;
                    let len = rest.iter().position(|&c| c == 0)?;
                    return Some((Token::Begin(&rest[..len]), align4(off + len + 1)?));
                }
                FDT_END_NODE => return Some((Token::End, off)),
                FDT_PROP => {
                    let len = be32(self.blob, off)? as usize;
                    let nameoff = be32(self.blob, off + 4)? as usize;
                    let value_off = off + 8;
                    let value_end = value_off.checked_add(len)?;
                    if value_end > end {
                        return None;
                    }
                    let (sbase, ssize) = self.strings;
                    if nameoff >= ssize {
                        return None;
                    }
                    let strs = &self.blob[sbase + nameoff..sbase + ssize];
                    let name = &strs[..strs.iter().position(|&c| c == 0)?];
                    let p = Property {
                        name,
                        value: &self.blob[value_off..value_end],
                        offset: value_off,
                    };
                    return Some((Token::Prop(p), align4(value_end)?));
                }
                // The end of the structure block, or garbage.
                FDT_END => return None,
                _ => return None,
            }
        }
    }

    /// The root node.
    pub fn root(&self) -> Option<Node> {
        match self.token(self.structs.0)? {
            (Token::Begin(_), _) => Some(Node(self.structs.0)),
            _ => None,
        }
    }

    /// The offset just after `node`'s `FDT_END_NODE`, and its name.
    fn skip(&self, node: Node) -> Option<usize> {
        let (Token::Begin(_), mut off) = self.token(node.0)? else {
            return None;
        };
        let mut depth = 1usize;
        while depth > 0 {
            let (t, next) = self.token(off)?;
            match t {
                Token::Begin(_) => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return None;
                    }
                }
                Token::End => depth -= 1,
                Token::Prop(_) => {}
            }
            off = next;
        }
        Some(off)
    }

    /// The name of `node` (with its unit address).
    pub fn name(&self, node: Node) -> Option<&'a [u8]> {
        match self.token(node.0)? {
            (Token::Begin(n), _) => Some(n),
            _ => None,
        }
    }

    /// Calls `f` on each property of `node` until it returns `false`.
    /// Returns `None` if the node is malformed.
    pub fn for_each_property(
        &self,
        node: Node,
        mut f: impl FnMut(Property<'a>) -> bool,
    ) -> Option<()> {
        let (Token::Begin(_), mut off) = self.token(node.0)? else {
            return None;
        };
        loop {
            match self.token(off)? {
                (Token::Prop(p), next) => {
                    if !f(p) {
                        return Some(());
                    }
                    off = next;
                }
                _ => return Some(()),
            }
        }
    }

    /// Calls `f` on each child of `node` until it returns `false`.
    pub fn for_each_child(&self, node: Node, mut f: impl FnMut(Node) -> bool) -> Option<()> {
        let (Token::Begin(_), mut off) = self.token(node.0)? else {
            return None;
        };
        loop {
            match self.token(off)? {
                (Token::Prop(_), next) => off = next,
                (Token::Begin(_), _) => {
                    let child = Node(off);
                    let next = self.skip(child)?;
                    if !f(child) {
                        return Some(());
                    }
                    off = next;
                }
                (Token::End, _) => return Some(()),
            }
        }
    }

    /// The property `name` of `node`.
    pub fn property(&self, node: Node, name: &[u8]) -> Option<Property<'a>> {
        let mut found = None;
        self.for_each_property(node, |p| {
            if p.name == name {
                found = Some(p);
                false
            } else {
                true
            }
        })?;
        found
    }

    /// The first child of `node` whose name is `name` or `name@<unit>`.
    pub fn child(&self, node: Node, name: &[u8]) -> Option<Node> {
        let mut found = None;
        self.for_each_child(node, |c| {
            let n = self.name(c).unwrap_or(&[]);
            let base = n.split(|&b| b == b'@').next().unwrap_or(&[]);
            if base == name {
                found = Some(c);
                false
            } else {
                true
            }
        })?;
        found
    }

    /// The node at an absolute path such as `/psci` or `/cpus/cpu@0`.
    pub fn find(&self, path: &[u8]) -> Option<Node> {
        let mut node = self.root()?;
        for part in path.split(|&b| b == b'/').filter(|p| !p.is_empty()) {
            node = if part.contains(&b'@') {
                let mut found = None;
                self.for_each_child(node, |c| {
                    if self.name(c) == Some(part) {
                        found = Some(c);
                        false
                    } else {
                        true
                    }
                })?;
                found?
            } else {
                self.child(node, part)?
            };
        }
        Some(node)
    }

    /// A `u32` cell property (`#address-cells` and the like).
    pub fn u32_property(&self, node: Node, name: &[u8]) -> Option<u32> {
        let p = self.property(node, name)?;
        if p.value.len() != 4 {
            return None;
        }
        be32(p.value, 0)
    }
}

/// Whether the string list `value` (NUL-separated) contains `s`.
pub fn stringlist_contains(value: &[u8], s: &[u8]) -> bool {
    value.split(|&b| b == 0).any(|item| item == s)
}

/// The value of a string property without its terminating NUL; `None` if
/// it is not NUL-terminated.
pub fn string(value: &[u8]) -> Option<&[u8]> {
    match value.split_last() {
        Some((0, s)) if !s.contains(&0) => Some(s),
        _ => None,
    }
}

/// Reads a number of `cells` 32-bit cells (1 or 2) at `off` in `value`.
pub fn read_cells(value: &[u8], off: usize, cells: u32) -> Option<u64> {
    match cells {
        1 => be32(value, off).map(u64::from),
        2 => Some((u64::from(be32(value, off)?) << 32) | u64::from(be32(value, off + 4)?)),
        _ => None,
    }
}

/// Test support: a minimal FDT writer (host only).
#[cfg(all(not(kernel), not(target_os = "none")))]
pub mod build {
    extern crate std;
    use std::vec::Vec;

    /// Builds an FDT blob token by token.
    #[derive(Default)]
    pub struct Builder {
        structs: Vec<u8>,
        strings: Vec<u8>,
    }

    impl Builder {
        /// An empty tree.
        pub fn new() -> Self {
            Self::default()
        }

        fn word(&mut self, w: u32) {
            self.structs.extend_from_slice(&w.to_be_bytes());
        }

        fn pad(&mut self) {
            while self.structs.len() % 4 != 0 {
                self.structs.push(0);
            }
        }

        /// `FDT_BEGIN_NODE`.
        pub fn begin(&mut self, name: &str) -> &mut Self {
            self.word(super::FDT_BEGIN_NODE);
            self.structs.extend_from_slice(name.as_bytes());
            self.structs.push(0);
            self.pad();
            self
        }

        /// `FDT_END_NODE`.
        pub fn end(&mut self) -> &mut Self {
            self.word(super::FDT_END_NODE);
            self
        }

        /// `FDT_PROP` with raw bytes.
        pub fn prop(&mut self, name: &str, value: &[u8]) -> &mut Self {
            let nameoff = self.strings.len() as u32;
            self.strings.extend_from_slice(name.as_bytes());
            self.strings.push(0);
            self.word(super::FDT_PROP);
            self.word(value.len() as u32);
            self.word(nameoff);
            self.structs.extend_from_slice(value);
            self.pad();
            self
        }

        /// A string property.
        pub fn prop_str(&mut self, name: &str, value: &str) -> &mut Self {
            let mut v = value.as_bytes().to_vec();
            v.push(0);
            self.prop(name, &v)
        }

        /// A property of 32-bit cells.
        pub fn prop_cells(&mut self, name: &str, cells: &[u32]) -> &mut Self {
            let v: Vec<u8> = cells.iter().flat_map(|c| c.to_be_bytes()).collect();
            self.prop(name, &v)
        }

        /// The blob (header, empty reserve map, structure, strings).
        pub fn finish(&mut self) -> Vec<u8> {
            self.word(super::FDT_END);
            let off_rsv = 40u32;
            let off_struct = off_rsv + 16;
            let off_strings = off_struct + self.structs.len() as u32;
            let total = off_strings + self.strings.len() as u32;
            let mut b = Vec::new();
            for w in [
                super::FDT_MAGIC,
                total,
                off_struct,
                off_strings,
                off_rsv,
                17,
                16,
                0,
                self.strings.len() as u32,
                self.structs.len() as u32,
            ] {
                b.extend_from_slice(&w.to_be_bytes());
            }
            b.extend_from_slice(&[0; 16]);
            b.extend_from_slice(&self.structs);
            b.extend_from_slice(&self.strings);
            b
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::build::Builder;
    use super::*;

    fn sample() -> std::vec::Vec<u8> {
        Builder::new()
            .begin("")
            .prop_cells("#address-cells", &[2])
            .prop_cells("#size-cells", &[2])
            .begin("psci")
            .prop("compatible", b"arm,psci-1.0\0arm,psci-0.2\0arm,psci\0")
            .prop_str("method", "smc")
            .end()
            .begin("memory@40000000")
            .prop_str("device_type", "memory")
            .prop_cells("reg", &[0, 0x4000_0000, 1, 0])
            .end()
            .begin("chosen")
            .prop_str("bootargs", "console=ttyAMA0")
            .end()
            .end()
            .finish()
    }

    #[test]
    fn reads_nodes_and_properties() {
        let blob = sample();
        let f = Fdt::new(&blob).unwrap();
        let psci = f.find(b"/psci").unwrap();
        let m = f.property(psci, b"method").unwrap();
        assert_eq!(string(m.value), Some(&b"smc"[..]));
        let c = f.property(psci, b"compatible").unwrap();
        assert!(stringlist_contains(c.value, b"arm,psci-0.2"));
        assert!(!stringlist_contains(c.value, b"arm,psci-0"));
        let root = f.root().unwrap();
        assert_eq!(f.u32_property(root, b"#address-cells"), Some(2));
        let mem = f.find(b"/memory").unwrap();
        assert_eq!(f.find(b"/memory@40000000"), Some(mem));
        let reg = f.property(mem, b"reg").unwrap();
        assert_eq!(read_cells(reg.value, 0, 2), Some(0x4000_0000));
        assert_eq!(read_cells(reg.value, 8, 2), Some(1 << 32));
        assert_eq!(read_cells(reg.value, 16, 2), None);
        assert_eq!(&blob[reg.offset..reg.offset + 4], &[0, 0, 0, 0]);
        assert_eq!(f.find(b"/nothing"), None);
        assert_eq!(f.find(b"/psci/deeper"), None);
    }

    #[test]
    fn malformed_headers_are_errors() {
        let blob = sample();
        assert_eq!(Fdt::new(&blob[..20]).unwrap_err(), FdtError::Truncated);
        assert_eq!(
            Fdt::new(&blob[..blob.len() - 1]).unwrap_err(),
            FdtError::Truncated
        );
        let mut b = blob.clone();
        b[0] = 0;
        assert_eq!(Fdt::new(&b).unwrap_err(), FdtError::BadMagic);
        let mut b = blob.clone();
        b[23] = 15; // version
        assert_eq!(Fdt::new(&b).unwrap_err(), FdtError::BadVersion);
        let mut b = blob.clone();
        b[8..12].copy_from_slice(&0xffff_fff0u32.to_be_bytes()); // off_dt_struct
        assert_eq!(Fdt::new(&b).unwrap_err(), FdtError::BadStructure);
    }

    /// Every truncation and every single-byte corruption of the structure
    /// block: lookups answer or say "not found", never panic.
    #[test]
    fn corrupt_blobs_never_panic() {
        let blob = sample();
        let look = |b: &[u8]| {
            if let Ok(f) = Fdt::new(b) {
                if let Some(n) = f.find(b"/psci") {
                    let _ = f.property(n, b"method").map(|p| string(p.value));
                }
                if let Some(n) = f.find(b"/memory") {
                    let _ = f.property(n, b"reg");
                }
                if let Some(r) = f.root() {
                    let _ = f.for_each_child(r, |_| true);
                }
            }
        };
        for len in 0..blob.len() {
            let mut b = blob[..len].to_vec();
            // Keep the header's size consistent so the body is parsed.
            if len >= 8 {
                b[4..8].copy_from_slice(&(len as u32).to_be_bytes());
            }
            look(&b);
        }
        for i in 40..blob.len() {
            for v in [0u8, 1, 2, 3, 4, 9, 0x7f, 0xff] {
                let mut b = blob.clone();
                b[i] = v;
                look(&b);
            }
        }
    }
}
