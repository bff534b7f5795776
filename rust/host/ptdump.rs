// SPDX-License-Identifier: GPL-2.0

//! The linear-map section of `/sys/kernel/debug/kernel_page_tables`, in the
//! exact format of 7.3's `arch/arm64/mm/ptdump.c` (`note_page()`,
//! `dump_prot()`), so that host goldens and in-kernel dumps compare byte
//! for byte.

use core::fmt::{
    self,
    Write, //
};

use crate::addr::VirtAddr;
use crate::desc::{
    Format,
    MT_DEVICE_NGNRE,
    MT_DEVICE_NGNRNE,
    MT_NORMAL,
    MT_NORMAL_NC,
    MT_NORMAL_TAGGED,
    PMD_TYPE_SECT,
    PTE_AF,
    PTE_ATTRINDX_MASK,
    PTE_CONT,
    PTE_GP,
    PTE_NG,
    PTE_PXN,
    PTE_RDONLY,
    PTE_SHARED,
    PTE_TYPE_MASK,
    PTE_USER,
    PTE_UXN,
    PTE_VALID, //
};
use crate::geometry::Level;
use crate::hw::TableRead;
use crate::walk::{
    Next,
    PageTables, //
};

struct ProtBit {
    mask: u64,
    val: u64,
    set: &'static str,
    clear: Option<&'static str>,
}

const fn bit(mask: u64, set: &'static str, clear: &'static str) -> ProtBit {
    ProtBit {
        mask,
        val: mask,
        set,
        clear: Some(clear),
    }
}

const fn memtype(mt: u64, set: &'static str) -> ProtBit {
    ProtBit {
        mask: PTE_ATTRINDX_MASK,
        val: mt << 2,
        set,
        clear: None,
    }
}

/// `pte_bits[]`, in order.
const PTE_BITS: [ProtBit; 16] = [
    bit(PTE_VALID, " ", "F"),
    bit(PTE_USER, "USR", "   "),
    bit(PTE_RDONLY, "ro", "RW"),
    bit(PTE_PXN, "NX", "x "),
    bit(PTE_SHARED, "SHD", "   "),
    bit(PTE_AF, "AF", "  "),
    bit(PTE_NG, "NG", "  "),
    bit(PTE_CONT, "CON", "   "),
    ProtBit {
        mask: PTE_TYPE_MASK,
        val: PMD_TYPE_SECT,
        set: "BLK",
        clear: Some("   "),
    },
    bit(PTE_UXN, "UXN", "   "),
    bit(PTE_GP, "GP", "  "),
    memtype(MT_DEVICE_NGNRNE, "DEVICE/nGnRnE"),
    memtype(MT_DEVICE_NGNRE, "DEVICE/nGnRE"),
    memtype(MT_NORMAL_NC, "MEM/NORMAL-NC"),
    memtype(MT_NORMAL, "MEM/NORMAL"),
    memtype(MT_NORMAL_TAGGED, "MEM/NORMAL-TAGGED"),
];

/// `kernel_pg_levels[].mask`: the union of the bits above.
const fn prot_mask() -> u64 {
    let mut m = 0;
    let mut i = 0;
    while i < PTE_BITS.len() {
        m |= PTE_BITS[i].mask;
        i += 1;
    }
    m
}

struct State<'a, W: Write> {
    out: &'a mut W,
    fmt: &'a Format,
    end: u64,
    /// (ptdump level index, name) of the open range; `None` before the first note.
    level: Option<(i8, &'static str)>,
    prot: u64,
    start: u64,
    done: bool,
}

impl<W: Write> State<'_, W> {
    fn note(&mut self, addr: u64, level: Level, val: u64) -> fmt::Result {
        if self.done {
            return Ok(());
        }
        let g = &self.fmt.geometry;
        // ptdump's level index (0 = pgd ... 4 = pte), with a folded P4D or
        // PUD reported as level 0.
        let idx = if level == g.start_level() && level <= Level::Pud {
            0
        } else {
            level.number() + 1
        };
        let cur = (idx, g.level_name(level));
        let prot = val & prot_mask();
        let Some(open) = self.level else {
            self.level = Some(cur);
            self.prot = prot;
            self.start = addr;
            return writeln!(self.out, "---[ Linear Mapping start ]---");
        };
        if prot != self.prot || cur.0 != open.0 || addr >= self.end {
            self.flush_line(addr, open.1)?;
            if addr >= self.end {
                self.done = true;
                return writeln!(self.out, "---[ Linear Mapping end ]---");
            }
            self.start = addr;
            self.prot = prot;
            self.level = Some(cur);
        }
        Ok(())
    }

    fn flush_line(&mut self, addr: u64, name: &str) -> fmt::Result {
        const UNITS: &[u8] = b"KMGTPE";
        write!(self.out, "0x{:016x}-0x{:016x}   ", self.start, addr)?;
        let mut delta = addr.wrapping_sub(self.start) >> 10;
        let mut unit = 0;
        while delta & 1023 == 0 && unit + 1 < UNITS.len() {
            delta >>= 10;
            unit += 1;
        }
        write!(self.out, "{:9}{} {}", delta, UNITS[unit] as char, name)?;
        if self.prot != 0 {
            for b in &PTE_BITS {
                let s = if self.prot & b.mask == b.val {
                    Some(b.set)
                } else {
                    b.clear
                };
                if let Some(s) = s {
                    write!(self.out, " {s}")?;
                }
            }
        }
        writeln!(self.out)
    }
}

/// Writes the linear-map section (from `PAGE_OFFSET` to `_PAGE_END(VA_BITS_MIN)`)
/// of the tables rooted at `pgd`, markers included.
pub fn dump_linear_map<H: TableRead, W: Write>(
    pt: &mut PageTables<'_, H>,
    out: &mut W,
) -> fmt::Result {
    let fmt = pt.fmt();
    let g = fmt.geometry;
    let mut st = State {
        out,
        fmt,
        end: g.page_end(),
        level: None,
        prot: 0,
        start: 0,
        done: false,
    };
    pt.walk(
        VirtAddr(g.page_offset()),
        VirtAddr(u64::MAX),
        |_, slot, d| {
            if st.done {
                return Ok(Next::Over);
            }
            if slot.below().is_some() {
                return Ok(Next::Descend);
            }
            st.note(slot.va().0, slot.level(), d.bits())?;
            Ok(Next::Over)
        },
    )?;
    if !st.done {
        // The last entries were one hole that runs past the end marker. In
        // the kernel this cannot happen (the kernel image lives in the top
        // table's last entry, so a table boundary falls on the marker); a
        // model without it ends the section at the marker.
        if let Some(open) = st.level {
            st.flush_line(st.end, open.1)?;
        }
        writeln!(st.out, "---[ Linear Mapping end ]---")?;
    }
    Ok(())
}
