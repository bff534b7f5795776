// SPDX-License-Identifier: GPL-2.0

//! Exceptions the emulator injects into the realm, as TF-RMM does
//! (`runtime/core/inject_exp.c`): a synchronous external abort for an
//! access to a protected IPA whose RIPAS is EMPTY, an undefined-instruction
//! exception for an HVC. The values EL1's registers and EL2's return state
//! take are computed here, from what the CPU saved when the realm trapped;
//! `el2.rs` reads and writes the registers.

/// `ESR_ELx.EC` of an instruction abort from a lower EL.
pub const EC_IABT_LOW: u64 = 0x20;
/// `ESR_ELx.EC` of a data abort from a lower EL.
pub const EC_DABT_LOW: u64 = 0x24;
/// The fault status code of a synchronous external abort, not on a
/// translation table walk.
pub const FSC_SEA: u64 = 0x10;

const EC_SHIFT: u32 = 26;
const EC_MASK: u64 = 0x3f << EC_SHIFT;
const IL: u64 = 1 << 25;
const FSC_MASK: u64 = 0x3f;
const EA: u64 = 1 << 9;
const FNV: u64 = 1 << 10;
const S1PTW: u64 = 1 << 7;

const MODE_MASK: u64 = 0xf;
const MODE_EL0T: u64 = 0x0;
const MODE_EL1T: u64 = 0x4;
const MODE_EL1H: u64 = 0x5;
const DAIF: u64 = 0xf << 6;
const SSBS: u64 = 1 << 12;
const ALLINT: u64 = 1 << 13;
const PAN: u64 = 1 << 22;
const DIT: u64 = 1 << 24;
const TCO: u64 = 1 << 25;
const NZCV: u64 = 0xf << 28;
const EXLOCK: u64 = 1 << 34;

const SCTLR_SPAN: u64 = 1 << 23;
const SCTLR_DSSBS: u64 = 1 << 44;
const SCTLR_SPINTMASK: u64 = 1 << 62;
const GCSCR_EXLOCKEN: u64 = 1 << 6;

/// The CPU features that decide bits of the new PSTATE.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// FEAT_SSBS: PSTATE.SSBS comes from SCTLR_EL1.DSSBS.
    pub ssbs: bool,
    /// FEAT_NMI: PSTATE.ALLINT comes from !SCTLR_EL1.SPINTMASK.
    pub nmi: bool,
    /// FEAT_MTE2: PSTATE.TCO is set.
    pub mte2: bool,
    /// FEAT_GCS: PSTATE.EXLOCK comes from GCSCR_EL1.EXLOCKEN.
    pub gcs: bool,
}

impl Features {
    /// The features, from `ID_AA64PFR1_EL1`.
    pub fn from_pfr1(pfr1: u64) -> Self {
        let field = |shift: u32| (pfr1 >> shift) & 0xf;
        Features {
            ssbs: field(4) != 0,
            mte2: field(8) >= 2,
            nmi: field(36) != 0,
            gcs: field(44) != 0,
        }
    }
}

/// What the realm's EL1 was doing when it trapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trapped {
    /// `ESR_EL2`.
    pub esr: u64,
    /// `ELR_EL2`: the faulting instruction (an abort) or the one after
    /// (an HVC).
    pub elr: u64,
    /// `SPSR_EL2`: the realm's PSTATE.
    pub spsr: u64,
    /// `VBAR_EL1`.
    pub vbar: u64,
    /// `SCTLR_EL1`.
    pub sctlr: u64,
    /// `GCSCR_EL1` (0 without FEAT_GCS).
    pub gcscr: u64,
}

/// EL1's exception registers and EL2's return state for the injection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Injection {
    /// `ESR_EL1`.
    pub esr_el1: u64,
    /// `ELR_EL1` (`ELR_EL2` as it was).
    pub elr_el1: u64,
    /// `SPSR_EL1` (`SPSR_EL2` as it was).
    pub spsr_el1: u64,
    /// The new `ELR_EL2`: the vector entry.
    pub elr_el2: u64,
    /// The new `SPSR_EL2`: EL1h, exceptions masked.
    pub spsr_el2: u64,
}

/// The vector EL1 takes a synchronous exception at, from the mode in
/// `spsr`; `None` for a mode the emulator never runs the realm in (AArch32,
/// EL2).
fn vector(vbar: u64, spsr: u64) -> Option<u64> {
    if spsr & (1 << 4) != 0 {
        return None;
    }
    let offset = match spsr & MODE_MASK {
        MODE_EL1H => 0x200,
        MODE_EL1T => 0x000,
        MODE_EL0T => 0x400,
        _ => return None,
    };
    Some(vbar + offset)
}

/// PSTATE on taking an exception to EL1 (the Arm ARM's
/// AArch64.TakeException, as TF-RMM's `calc_spsr()`).
fn new_pstate(t: &Trapped, f: Features) -> u64 {
    let mut spsr = MODE_EL1H | DAIF;
    if f.ssbs && t.sctlr & SCTLR_DSSBS != 0 {
        spsr |= SSBS;
    }
    if f.nmi && t.sctlr & SCTLR_SPINTMASK == 0 {
        spsr |= ALLINT;
    }
    if t.sctlr & SCTLR_SPAN == 0 {
        spsr |= PAN;
    }
    spsr |= t.spsr & (DIT | NZCV);
    if f.mte2 {
        spsr |= TCO;
    }
    if f.gcs && t.gcscr & GCSCR_EXLOCKEN != 0 {
        spsr |= EXLOCK;
    }
    spsr
}

fn inject(t: &Trapped, f: Features, esr_el1: u64) -> Option<Injection> {
    Some(Injection {
        esr_el1,
        elr_el1: t.elr,
        spsr_el1: t.spsr,
        elr_el2: vector(t.vbar, t.spsr)?,
        spsr_el2: new_pstate(t, f),
    })
}

/// A synchronous external abort for the instruction or data abort in
/// `t.esr`: the syndrome is kept but for the class (from the current EL
/// when the realm was at EL1), the fault status (SEA), FnV and S1PTW
/// (clear) and EA (set).
pub fn sea(t: &Trapped, f: Features) -> Option<Injection> {
    let ec = (t.esr & EC_MASK) >> EC_SHIFT;
    if ec != EC_IABT_LOW && ec != EC_DABT_LOW {
        return None;
    }
    let ec = if t.spsr & MODE_MASK == MODE_EL0T {
        ec
    } else {
        ec + 1
    };
    let esr = (t.esr & !(EC_MASK | FSC_MASK | FNV | S1PTW)) | (ec << EC_SHIFT) | FSC_SEA | EA;
    inject(t, f, esr)
}

/// An undefined-instruction exception (EC 0, IL set).
pub fn undef(t: &Trapped, f: Features) -> Option<Injection> {
    inject(t, f, IL)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trapped(esr: u64, spsr: u64) -> Trapped {
        Trapped {
            esr,
            elr: 0xffff_8000_1234_5678,
            spsr,
            vbar: 0xffff_8000_8001_0800,
            sctlr: 0,
            gcscr: 0,
        }
    }

    #[test]
    fn data_abort_from_el1_becomes_a_current_el_sea() {
        // A write, ISV and WnR set, translation fault level 3, from EL1h
        // with N and PAN set.
        let esr = (EC_DABT_LOW << 26) | IL | (1 << 24) | (1 << 6) | 0x7;
        let t = trapped(esr | FNV | S1PTW, 0x8040_03c5);
        let i = sea(&t, Features::default()).unwrap();
        assert_eq!(
            i.esr_el1,
            (0x25 << 26) | IL | (1 << 24) | (1 << 6) | EA | FSC_SEA
        );
        assert_eq!((i.elr_el1, i.spsr_el1), (t.elr, t.spsr));
        assert_eq!(i.elr_el2, t.vbar + 0x200);
        // EL1h, DAIF masked, N kept, PAN set (SCTLR_EL1.SPAN clear).
        assert_eq!(i.spsr_el2, 0x8040_03c5);
    }

    #[test]
    fn from_el0_the_class_stays_lower_el() {
        let t = trapped((EC_DABT_LOW << 26) | IL | 0x7, 0x2000_0000);
        let i = sea(&t, Features::default()).unwrap();
        assert_eq!(i.esr_el1 >> 26, EC_DABT_LOW);
        assert_eq!(i.elr_el2, t.vbar + 0x400);
        assert_eq!(i.spsr_el2, 0x2040_03c5);
        let t = trapped((EC_IABT_LOW << 26) | IL | 0x7, 0x4);
        let i = sea(&t, Features::default()).unwrap();
        assert_eq!(i.esr_el1, (0x21 << 26) | IL | EA | FSC_SEA);
        assert_eq!(i.elr_el2, t.vbar);
    }

    #[test]
    fn pstate_follows_the_features() {
        let mut t = trapped((EC_DABT_LOW << 26) | 0x7, 0x5 | DIT);
        t.sctlr = SCTLR_SPAN | SCTLR_DSSBS;
        t.gcscr = GCSCR_EXLOCKEN;
        let none = sea(&t, Features::default()).unwrap().spsr_el2;
        assert_eq!(none, 0x3c5 | DIT);
        let all = Features::from_pfr1((1 << 4) | (2 << 8) | (1 << 36) | (1 << 44));
        assert_eq!(
            all,
            Features {
                ssbs: true,
                nmi: true,
                mte2: true,
                gcs: true
            }
        );
        let i = sea(&t, all).unwrap();
        assert_eq!(i.spsr_el2, 0x3c5 | DIT | SSBS | ALLINT | TCO | EXLOCK);
        t.sctlr |= SCTLR_SPINTMASK;
        assert_eq!(sea(&t, all).unwrap().spsr_el2 & ALLINT, 0);
        assert!(!Features::from_pfr1(1 << 8).mte2);
    }

    #[test]
    fn only_aborts_and_aarch64_el0_el1() {
        assert_eq!(sea(&trapped(0x17 << 26, 0x5), Features::default()), None);
        assert_eq!(
            sea(&trapped(EC_DABT_LOW << 26, 0x10), Features::default()),
            None
        );
        assert_eq!(
            sea(&trapped(EC_DABT_LOW << 26, 0x9), Features::default()),
            None
        );
    }

    #[test]
    fn hvc_becomes_undefined() {
        let t = trapped((0x16 << 26) | IL, 0x3c5);
        let i = undef(&t, Features::default()).unwrap();
        assert_eq!(i.esr_el1, IL);
        assert_eq!((i.elr_el1, i.elr_el2), (t.elr, t.vbar + 0x200));
    }
}
