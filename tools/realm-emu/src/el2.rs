// SPDX-License-Identifier: GPL-2.0

//! The hardware side of the emulator, for `aarch64-unknown-none-softfloat`:
//! the arm64 Image header and entry code, the EL2 exception vectors, the
//! per-CPU EL2 setup, stage 2, the console, and the SMC dispatch that the
//! host-tested modules decide.
//!
//! EL2 runs with its MMU off, so its data accesses are Device accesses:
//! the target is `+strict-align` and the emulator never makes an unaligned
//! access. QEMU (TCG) implements the exclusives the lock uses on any memory
//! type; this firmware is for QEMU only.

use core::arch::{
    asm,
    global_asm, //
};
use core::cell::UnsafeCell;
use core::fmt::{
    self,
    Write, //
};
use core::sync::atomic::{
    AtomicBool,
    AtomicU64,
    Ordering, //
};

use crate::fdt::{
    self,
    Fdt, //
};
use crate::inject::{
    self,
    Features,
    Injection,
    Trapped, //
};
use crate::layout::{
    self,
    Layout,
    Stage2,
    Table,
    GIB,
    L2_TABLES,
    RAM_BLOCKS,
    SHARED, //
};
use crate::options::{
    Options,
    Strict, //
};
use crate::rsi::{
    self,
    Host,
    Realm,
    Ripas, //
};
use crate::smccc::{
    self,
    Route, //
};

/// Where QEMU loads the emulator: RAM + 2 MiB (it keeps the first 2 MiB
/// for its boot stub when the Image's `text_offset` is 0).
const LOAD_ADDR: u64 = 0x4020_0000;
/// Where the harness loads Linux (`-device loader,addr=...`): the first
/// byte of the guest's RAM; everything below is the emulator's.
const LINUX_ADDR: u64 = 0x4100_0000;
/// CPUs the emulator can start (one stack each).
const MAX_CPUS: usize = 8;
/// Each CPU's EL2 stack.
const STACK_SIZE: usize = 16 * 1024;
/// The PL011 UART of QEMU `virt`, at its physical address.
const UART: usize = 0x0900_0000;
/// Granules of protected RAM the RIPAS bitmap can track: 3 GiB.
const RIPAS_WORDS: usize = (3 * GIB / rsi::GRANULE / 64) as usize;

/// `PSCI_RET_INVALID_ADDRESS`.
const PSCI_INVALID_ADDRESS: u64 = (-9i64) as u64;

global_asm!(
    r#"
    .section .text.head, "ax"
    .global _start
_start:
    b       1f
    .long   0
    .quad   0                       // text_offset
    .quad   __emu_size              // image_size
    .quad   0xa                     // flags: LE, 4K, anywhere
    .quad   0, 0, 0
    .ascii  "ARM\x64"
    .long   0
1:
    mov     x19, x0                 // the DTB
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
2:  cmp     x1, x2
    b.hs    3f
    str     xzr, [x1], #8
    b       2b
3:  mov     x0, #0
    bl      {set_sp}
    mov     x0, x19
    adr     x1, _start
    bl      {primary}
    b       .

    .global realm_emu_secondary_entry
realm_emu_secondary_entry:
    mov     x19, x0                 // the slot (PSCI context_id)
    bl      {set_sp}
    mov     x0, x19
    bl      {secondary}
    b       .
    "#,
    set_sp = sym realm_emu_set_sp,
    primary = sym primary_main,
    secondary = sym secondary_main,
);

// The vectors: every entry saves x0-x30, ELR and SPSR, and calls Rust with
// the frame and the vector's number.
global_asm!(
    r#"
    .macro  ventry n
    .balign 0x80
    sub     sp, sp, #(34 * 8)
    stp     x0, x1, [sp, #(0 * 8)]
    mov     x0, #\n
    b       realm_emu_vector_common
    .endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global realm_emu_vectors
realm_emu_vectors:
    .irp    n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    ventry  \n
    .endr

realm_emu_vector_common:
    stp     x2, x3, [sp, #(2 * 8)]
    stp     x4, x5, [sp, #(4 * 8)]
    stp     x6, x7, [sp, #(6 * 8)]
    stp     x8, x9, [sp, #(8 * 8)]
    stp     x10, x11, [sp, #(10 * 8)]
    stp     x12, x13, [sp, #(12 * 8)]
    stp     x14, x15, [sp, #(14 * 8)]
    stp     x16, x17, [sp, #(16 * 8)]
    stp     x18, x19, [sp, #(18 * 8)]
    stp     x20, x21, [sp, #(20 * 8)]
    stp     x22, x23, [sp, #(22 * 8)]
    stp     x24, x25, [sp, #(24 * 8)]
    stp     x26, x27, [sp, #(26 * 8)]
    stp     x28, x29, [sp, #(28 * 8)]
    mrs     x1, elr_el2
    mrs     x2, spsr_el2
    stp     x30, x1, [sp, #(30 * 8)]
    str     x2, [sp, #(32 * 8)]
    // x0 holds the vector number; x0's own value is in the frame.
    mov     x1, x0
    mov     x0, sp
    bl      {handler}
    ldp     x30, x1, [sp, #(30 * 8)]
    ldr     x2, [sp, #(32 * 8)]
    msr     elr_el2, x1
    msr     spsr_el2, x2
    ldp     x0, x1, [sp, #(0 * 8)]
    ldp     x2, x3, [sp, #(2 * 8)]
    ldp     x4, x5, [sp, #(4 * 8)]
    ldp     x6, x7, [sp, #(6 * 8)]
    ldp     x8, x9, [sp, #(8 * 8)]
    ldp     x10, x11, [sp, #(10 * 8)]
    ldp     x12, x13, [sp, #(12 * 8)]
    ldp     x14, x15, [sp, #(14 * 8)]
    ldp     x16, x17, [sp, #(16 * 8)]
    ldp     x18, x19, [sp, #(18 * 8)]
    ldp     x20, x21, [sp, #(20 * 8)]
    ldp     x22, x23, [sp, #(22 * 8)]
    ldp     x24, x25, [sp, #(24 * 8)]
    ldp     x26, x27, [sp, #(26 * 8)]
    ldp     x28, x29, [sp, #(28 * 8)]
    add     sp, sp, #(34 * 8)
    eret
    "#,
    handler = sym realm_emu_exception,
);

// What `core` calls: byte loops, so that every access is aligned.
global_asm!(
    r#"
    .section .text.mem, "ax"
    .global memcpy
    .global memmove
memcpy:
memmove:
    mov     x3, x0
    cmp     x1, x0
    b.lo    2f
1:  cbz     x2, 4f
    ldrb    w4, [x1], #1
    strb    w4, [x3], #1
    sub     x2, x2, #1
    b       1b
2:  add     x1, x1, x2
    add     x3, x3, x2
3:  cbz     x2, 4f
    ldrb    w4, [x1, #-1]!
    strb    w4, [x3, #-1]!
    sub     x2, x2, #1
    b       3b
4:  ret

    .global memset
memset:
    mov     x3, x0
1:  cbz     x2, 2f
    strb    w1, [x3], #1
    sub     x2, x2, #1
    b       1b
2:  ret

    .global memcmp
    .global bcmp
memcmp:
bcmp:
1:  cbz     x2, 2f
    ldrb    w3, [x0], #1
    ldrb    w4, [x1], #1
    subs    w3, w3, w4
    b.ne    3f
    sub     x2, x2, #1
    b       1b
2:  mov     w0, #0
    ret
3:  mov     w0, w3
    ret
    "#
);

unsafe extern "C" {
    static realm_emu_vectors: u8;
    static __emu_end: u8;
    fn realm_emu_secondary_entry();
}

/// x0: a CPU slot. Sets SP to the top of that slot's stack; clobbers x1
/// and x2. Called from the entry code only, before any Rust code runs.
#[unsafe(no_mangle)]
#[unsafe(naked)]
extern "C" fn realm_emu_set_sp() {
    core::arch::naked_asm!(
        "adrp x1, __stacks_start",
        "add x1, x1, :lo12:__stacks_start",
        "mov x2, #{stack}",
        "madd x1, x0, x2, x1",
        "add sp, x1, x2",
        "ret",
        stack = const STACK_SIZE,
    )
}

/// A value shared between CPUs behind a spinlock.
struct SpinLock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: Access to `value` is serialized by `locked`.
unsafe impl<T> Sync for SpinLock<T> {}

impl<T> SpinLock<T> {
    const fn new(value: T) -> Self {
        SpinLock {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        while self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        // SAFETY: The lock is held, so this is the only reference.
        let r = f(unsafe { &mut *self.value.get() });
        self.locked.store(false, Ordering::Release);
        r
    }
}

/// The PL011 data and flag registers.
struct Uart;

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                put(b'\r');
            }
            put(b);
        }
        Ok(())
    }
}

fn put(b: u8) {
    // SAFETY: The PL011 of QEMU virt is at `UART`; FR (0x18) bit 5 is
    // TXFF, DR (0x0) takes a byte. 32-bit aligned accesses.
    unsafe {
        while core::ptr::read_volatile((UART + 0x18) as *const u32) & (1 << 5) != 0 {}
        core::ptr::write_volatile(UART as *mut u32, u32::from(b));
    }
}

static CONSOLE: SpinLock<()> = SpinLock::new(());

/// Prints one line, prefixed `realm-emu: `.
fn log(args: fmt::Arguments<'_>) {
    CONSOLE.with(|_| {
        let _ = Uart.write_str("realm-emu: ");
        let _ = Uart.write_fmt(args);
        let _ = Uart.write_str("\n");
    });
}

macro_rules! log {
    ($($t:tt)*) => { log(format_args!($($t)*)) };
}

/// Conversions a call has made, to complete after its TLB invalidation.
const MAX_PENDING: usize = 512;

/// Everything the emulator keeps.
struct State {
    realm: Option<Realm<'static>>,
    stage2: Option<Stage2<'static>>,
    options: Options,
    /// Synchronous external aborts injected.
    seas: u64,
    /// [`El2Host`]'s conversions to complete (IPA | RIPAS value).
    pending: [u64; MAX_PENDING],
}

static STATE: SpinLock<State> = SpinLock::new(State {
    realm: None,
    stage2: None,
    pending: [0; MAX_PENDING],
    options: Options {
        inject: crate::options::Inject::None,
        lenient: false,
        strict: Strict::Off,
        destroy: [0; crate::options::MAX_DESTROY],
        host_destroy: false,
    },
    seas: 0,
});

/// The stage-2 tables: a level-3 table for each 2 MiB of RAM and of its
/// shared alias (12 MiB), lent to the `Stage2` once.
struct Stage2Tables {
    l1: UnsafeCell<Table>,
    l2: UnsafeCell<[Table; L2_TABLES]>,
    l3: UnsafeCell<[Table; 2 * RAM_BLOCKS]>,
}

// SAFETY: Borrowed mutably once, by `primary_main()`, into `STATE`; the
// MMU reads them.
unsafe impl Sync for Stage2Tables {}

static STAGE2: Stage2Tables = Stage2Tables {
    l1: UnsafeCell::new(Table::EMPTY),
    l2: UnsafeCell::new([Table::EMPTY; L2_TABLES]),
    l3: UnsafeCell::new([Table::EMPTY; 2 * RAM_BLOCKS]),
};

/// The VTTBR_EL2 value every CPU loads, set once by the boot CPU.
static VTTBR: AtomicU64 = AtomicU64::new(0);

/// The RIPAS bitmaps (RAM, DESTROYED), lent to the `Realm` once.
struct RipasBits(UnsafeCell<[[u64; RIPAS_WORDS]; 2]>);

// SAFETY: Borrowed mutably once, by `primary_main()`, into `STATE`.
unsafe impl Sync for RipasBits {}

static RIPAS: RipasBits = RipasBits(UnsafeCell::new([[0; RIPAS_WORDS]; 2]));

/// How many changes to RIPAS EMPTY, rejections and injected aborts are logged
/// (after that, only counted).
const MAX_LOGGED: u64 = 64;
static SHARED_LOGGED: AtomicU64 = AtomicU64::new(0);
static SEA_LOGGED: AtomicU64 = AtomicU64::new(0);
static REJECT_LOGGED: AtomicU64 = AtomicU64::new(0);

/// Per-CPU (entry, context) mailboxes for `CPU_ON`.
static MAILBOX: [(AtomicU64, AtomicU64); MAX_CPUS] =
    [const { (AtomicU64::new(0), AtomicU64::new(0)) }; MAX_CPUS];

/// The host: guest memory at its physical address (protected IPA = PA)
/// and stage 2. A conversion unmaps both views of the granule at once;
/// after the TLB invalidation that makes it unreachable through them, the
/// strict view fills the view it reveals, and only then is that mapped.
struct El2Host<'a> {
    stage2: &'a mut Stage2<'static>,
    strict: Strict,
    pending: &'a mut [u64; MAX_PENDING],
    npending: usize,
    stale: bool,
}

impl<'a> El2Host<'a> {
    fn new(
        stage2: &'a mut Stage2<'static>,
        strict: Strict,
        pending: &'a mut [u64; MAX_PENDING],
    ) -> Self {
        El2Host {
            stage2,
            strict,
            pending,
            npending: 0,
            stale: false,
        }
    }

    fn fill(pa: u64, strict: Strict) {
        let val = match strict {
            Strict::Poison => 0xa5a5_a5a5_a5a5_a5a5,
            _ => 0,
        };
        let mut off = 0;
        while off < rsi::GRANULE {
            // SAFETY: `pa` is a granule of guest RAM (protected, or the
            // shared RAM of the separate layout), never the emulator's.
            unsafe { core::ptr::write_volatile((pa + off) as *mut u64, val) };
            off += 8;
        }
    }
}

impl Host for El2Host<'_> {
    fn write_u64(&mut self, ipa: u64, val: u64) {
        // SAFETY: `Realm` writes only 8-byte-aligned granules of protected
        // RAM, which is identity-mapped and not the emulator's memory.
        unsafe { core::ptr::write_volatile(ipa as *mut u64, val) }
    }

    fn read_u64(&mut self, ipa: u64) -> u64 {
        // SAFETY: As `write_u64`.
        unsafe { core::ptr::read_volatile(ipa as *const u64) }
    }

    fn ripas_changed(&mut self, ipa: u64, from: Ripas, to: Ripas) {
        if self.npending == MAX_PENDING {
            self.sync();
        }
        self.stage2.unmap(ipa);
        self.stale = true;
        // The old RIPAS in bits 2..3, the new one in 0..1 (IPAs are granule
        // aligned).
        self.pending[self.npending] = ipa | (from.value() << 2) | to.value();
        self.npending += 1;
    }

    fn sync(&mut self) {
        if self.stale {
            // SAFETY: Stage-2 entries were cleared: drop every TLB entry of
            // the realm's VMID (stage 1 and 2, all CPUs) before the granules
            // are filled or mapped again.
            unsafe { asm!("dsb ishst", "tlbi vmalls12e1is", "dsb ish", "isb") };
            self.stale = false;
        }
        let ripas = |v: u64| match v & 3 {
            rsi::RIPAS_RAM => Ripas::Ram,
            rsi::RIPAS_DESTROYED => Ripas::Destroyed,
            _ => Ripas::Empty,
        };
        for i in 0..self.npending {
            let e = self.pending[i];
            let (ipa, from, to) = (e & !(rsi::GRANULE - 1), ripas(e >> 2), ripas(e));
            if let Some(pa) = self.stage2.layout().revealed(ipa, from, to) {
                Self::fill(pa, self.strict);
            }
            self.stage2.set_ripas(ipa, to);
        }
        if self.npending > 0 {
            // SAFETY: Makes the new entries visible to every CPU's walks
            // (an invalid entry made valid needs no invalidation).
            unsafe { asm!("dsb ishst", "isb") };
        }
        self.npending = 0;
    }
}

/// Issues an SMC at EL2 (handled by QEMU's PSCI); returns x0..x3.
fn smc(x: [u64; 4]) -> [u64; 4] {
    let (mut a0, mut a1, mut a2, mut a3) = (x[0], x[1], x[2], x[3]);
    // SAFETY: An SMC to QEMU's PSCI clobbers at most x0-x17 (SMCCC 1.1).
    unsafe {
        asm!("smc #0",
            inout("x0") a0, inout("x1") a1, inout("x2") a2, inout("x3") a3,
            out("x4") _, out("x5") _, out("x6") _, out("x7") _,
            out("x8") _, out("x9") _, out("x10") _, out("x11") _,
            out("x12") _, out("x13") _, out("x14") _, out("x15") _,
            out("x16") _, out("x17") _);
    }
    [a0, a1, a2, a3]
}

fn system_off() -> ! {
    smc([u64::from(smccc::PSCI_SYSTEM_OFF), 0, 0, 0]);
    loop {
        // SAFETY: Waiting for an interrupt has no precondition.
        unsafe { asm!("wfi") };
    }
}

macro_rules! sysreg {
    (read $r:literal) => {{
        let v: u64;
        // SAFETY: Reading a system register at EL2.
        unsafe { asm!(concat!("mrs {}, ", $r), out(reg) v) };
        v
    }};
    (write $r:literal, $v:expr) => {{
        let v: u64 = $v;
        // SAFETY: The caller sets up EL2 for the guest; see `el2_setup`.
        unsafe { asm!(concat!("msr ", $r, ", {}"), in(reg) v) };
    }};
}

/// An ID register field.
fn id_field(reg: u64, shift: u32) -> u64 {
    (reg >> shift) & 0xf
}

/// Programs this CPU's EL2 for the guest (booting.rst's list for a kernel
/// entered at EL1, for the features this CPU has) and enters the guest at
/// `entry` with x0 = `x0`.
fn enter_guest(entry: u64, x0: u64) -> ! {
    let vbar = &raw const realm_emu_vectors as u64;
    let pfr0 = sysreg!(read "id_aa64pfr0_el1");
    let pfr1 = sysreg!(read "id_aa64pfr1_el1");
    let mmfr0 = sysreg!(read "id_aa64mmfr0_el1");
    let mmfr1 = sysreg!(read "id_aa64mmfr1_el1");
    let isar1 = sysreg!(read "id_aa64isar1_el1");
    let isar2 = sysreg!(read "S3_0_C0_C6_2");
    let sve = id_field(pfr0, 32) != 0;
    let sme = id_field(pfr1, 24) != 0;
    sysreg!(write "vbar_el2", vbar);
    // RW: EL1 is AArch64; TSC: trap SMC; VM: stage 2 on. IMO/FMO/AMO are
    // clear, so interrupts go straight to EL1.
    let mut hcr = (1 << 31) | (1 << 19) | 1;
    // Pointer authentication (APA, API, GPA, GPI, APA3): APK and API, so
    // that EL1's keys and instructions do not trap.
    if [4, 8, 24, 28].iter().any(|&f| id_field(isar1, f) != 0) || id_field(isar2, 12) != 0 {
        hcr |= (1 << 41) | (1 << 40);
    }
    // MTE2: allocation tags accessible (ATA).
    if id_field(pfr1, 8) >= 2 {
        hcr |= 1 << 56;
    }
    sysreg!(write "hcr_el2", hcr);
    sysreg!(write "vtcr_el2", layout::VTCR_EL2);
    sysreg!(write "vttbr_el2", VTTBR.load(Ordering::Acquire));
    // No FP/SIMD/SVE/SME traps (TFP, TZ, TSM clear); the RES1 bits.
    sysreg!(write "cptr_el2", 0x22ff);
    // SAFETY: Synchronizes CPTR_EL2 before the SVE/SME registers.
    unsafe { asm!("isb") };
    if sve {
        // ZCR_EL2.LEN: the largest vector length to EL1.
        sysreg!(write "S3_4_C1_C2_0", 0xf);
    }
    if sme {
        // SMCR_EL2: FA64 where implemented, EZT0 with SME2, the largest
        // length.
        let smfr0 = sysreg!(read "S3_0_C0_C4_5");
        let ezt0 = if id_field(smfr0, 56) != 0 { 1 << 30 } else { 0 };
        sysreg!(write "S3_4_C1_C2_6", ((smfr0 & (1 << 63)) >> 32) | ezt0 | 0xf);
    }
    // FEAT_HCX: what booting.rst asks of HCRX_EL2 for each feature there
    // is: MSCEn (memcpy's CPY* and SET* at EL1; MCE2 stays clear, so their
    // exceptions go to EL1, which handles them), TCR2En, SCTLR2En, GCSEn,
    // EnFPM, EnALS/EnAS0/EnASR (LS64).
    if id_field(mmfr1, 40) != 0 {
        let mmfr3 = sysreg!(read "S3_0_C0_C7_3");
        let pfr2 = sysreg!(read "S3_0_C0_C4_2");
        let ls64 = id_field(isar1, 60);
        let mut hcrx = 0;
        for (present, bits) in [
            (id_field(isar2, 16) != 0, 1 << 11),
            (id_field(mmfr3, 0) != 0, 1 << 14),
            (id_field(mmfr3, 4) != 0, 1 << 15),
            (id_field(pfr1, 44) != 0, 1 << 22),
            (id_field(pfr2, 32) != 0, 1 << 23),
            (ls64 >= 1, 1 << 1),
            (ls64 >= 2, 1 << 2),
            (ls64 >= 3, 1 << 0),
        ] {
            if present {
                hcrx |= bits;
            }
        }
        sysreg!(write "S3_4_C1_C2_2", hcrx);
    }
    // FEAT_FGT: no fine-grained trap, the negative-polarity bits set
    // (they trap when clear): HFGRTR/HFGWTR, HFGITR, HDFGRTR, HDFGWTR.
    if id_field(mmfr0, 56) != 0 {
        sysreg!(write "S3_4_C1_C1_4", 0xfff4_0000_0000_0000);
        sysreg!(write "S3_4_C1_C1_5", 0xfff4_0000_0000_0000);
        sysreg!(write "S3_4_C1_C1_6", 0x0f80_0000_0000_0000);
        sysreg!(write "S3_4_C3_C1_4", 0x7800_0000_0000_0000);
        sysreg!(write "S3_4_C3_C1_5", 0x7000_0000_0000_0000);
    }
    // EL1 may use the physical counter and timer; no virtual offset.
    sysreg!(write "cnthctl_el2", 3);
    sysreg!(write "cntvoff_el2", 0);
    // ICC_SRE_EL2: SRE | Enable; ICH_HCR_EL2 = 0.
    sysreg!(write "S3_4_C12_C9_5", 0x9);
    // SAFETY: Synchronizes the SRE write.
    unsafe { asm!("isb") };
    sysreg!(write "S3_4_C12_C11_0", 0);
    sysreg!(write "vpidr_el2", sysreg!(read "midr_el1"));
    sysreg!(write "vmpidr_el2", sysreg!(read "mpidr_el1"));
    // MDCR_EL2.HPMN = PMCR_EL0.N: every counter to EL1.
    sysreg!(write "mdcr_el2", (sysreg!(read "pmcr_el0") >> 11) & 0x1f);
    // EL1 starts with its MMU and caches off (RES1 bits only).
    sysreg!(write "sctlr_el1", 0x30d0_0800);
    sysreg!(write "spsr_el2", 0x3c5);
    sysreg!(write "elr_el2", entry);
    // SAFETY: Stage-2 and EL1 TLB entries of VMID 0 from before are stale.
    unsafe {
        asm!("dsb ishst", "tlbi vmalls12e1is", "dsb ish", "isb");
        asm!("mov x1, xzr", "mov x2, xzr", "mov x3, xzr", "eret", in("x0") x0, options(noreturn));
    }
}

fn fdt_slice(dtb: u64) -> &'static mut [u8] {
    // SAFETY: QEMU passes a DTB at `dtb`, in RAM; its header's totalsize
    // (big-endian, at +4) bounds it. Nothing else uses it before Linux.
    unsafe {
        let total = u32::from_be(core::ptr::read_volatile((dtb + 4) as *const u32));
        core::slice::from_raw_parts_mut(dtb as *mut u8, total as usize)
    }
}

fn die(args: fmt::Arguments<'_>) -> ! {
    log(args);
    log!("halting (PSCI SYSTEM_OFF)");
    system_off()
}

/// The boot CPU: checks, carves, builds stage 2 and enters Linux.
extern "C" fn primary_main(dtb: u64, start: u64) -> ! {
    log!(
        "version {} at EL{}",
        crate::VERSION,
        (sysreg!(read "CurrentEL") >> 2) & 3
    );
    if start != LOAD_ADDR {
        die(format_args!(
            "loaded at {start:#x}, linked for {LOAD_ADDR:#x}"
        ));
    }
    let end = &raw const __emu_end as u64;
    if end > LINUX_ADDR {
        die(format_args!(
            "emulator image ends at {end:#x}, past {LINUX_ADDR:#x}"
        ));
    }
    let blob = fdt_slice(dtb);
    let (reg_off, base, size, options, smc_conduit, initrd) = {
        let f = match Fdt::new(blob) {
            Ok(f) => f,
            Err(e) => die(format_args!("bad device tree at {dtb:#x}: {e:?}")),
        };
        let (off, base, size) = match layout::memory_reg(&f) {
            Ok(m) => m,
            Err(e) => die(format_args!("{}", e.message())),
        };
        let chosen = f.find(b"/chosen");
        let bootargs = chosen
            .and_then(|c| f.property(c, b"bootargs"))
            .and_then(|p| fdt::string(p.value))
            .unwrap_or(&[]);
        let (options, unknown) = Options::parse(bootargs);
        if unknown > 0 {
            log!("{unknown} unknown realm_emu.* option(s) ignored");
        }
        let conduit = f
            .find(b"/psci")
            .and_then(|p| f.property(p, b"method"))
            .and_then(|p| fdt::string(p.value))
            == Some(&b"smc"[..]);
        let initrd = chosen
            .and_then(|c| f.property(c, b"linux,initrd-start"))
            .and_then(|p| fdt::read_cells(p.value, 0, (p.value.len() / 4) as u32));
        (off, base, size, options, conduit, initrd)
    };
    let mut layout = match Layout::new(base, size, LINUX_ADDR) {
        Ok(l) => l,
        Err(e) => die(format_args!("{}", e.message())),
    };
    layout.lenient = options.lenient;
    if !smc_conduit {
        log!("warning: the PSCI conduit is not SMC: Linux will make no RSI call");
    }

    // The Linux Image, placed by the harness at LINUX_ADDR.
    // SAFETY: Aligned reads of RAM the guest owns.
    let (magic, image_size) = unsafe {
        (
            core::ptr::read_volatile((LINUX_ADDR + 0x38) as *const u32),
            core::ptr::read_volatile((LINUX_ADDR + 0x10) as *const u64),
        )
    };
    if magic != 0x644d_5241 || image_size == 0 {
        die(format_args!(
            "no arm64 Image at {LINUX_ADDR:#x} (use -device loader,file=Image,addr={LINUX_ADDR:#x},force-raw=on)"
        ));
    }
    let linux_end = LINUX_ADDR + image_size;
    if let Some(i) = initrd {
        if i < linux_end && i >= LINUX_ADDR {
            die(format_args!(
                "the initrd at {i:#x} overlaps Linux [{LINUX_ADDR:#x}, {linux_end:#x})"
            ));
        }
    }
    if dtb < linux_end && dtb >= LINUX_ADDR {
        die(format_args!("the DTB at {dtb:#x} overlaps Linux"));
    }

    // Hide the emulator from the guest: /memory now starts at LINUX_ADDR
    // (and, with separate shared RAM, ends at 4 GiB).
    blob[reg_off..reg_off + 16].copy_from_slice(&layout::patched_reg(&layout));
    let (ram_start, ram_end) = layout.protected_ram();

    layout.strict = options.strict;
    // SAFETY: The bitmaps are lent once, here, before any other CPU runs.
    let [ram, destroyed]: &'static mut [[u64; RIPAS_WORDS]; 2] = unsafe { &mut *RIPAS.0.get() };
    let Some(mut realm) = Realm::new(
        layout::IPA_BITS,
        ram_start,
        ram_end,
        ram,
        destroyed,
        options.inject,
    ) else {
        die(format_args!(
            "cannot track RIPAS of [{ram_start:#x}, {ram_end:#x})"
        ));
    };
    // SAFETY: The tables are lent once, here, before any other CPU runs
    // and before the MMU uses them.
    let stage2 = unsafe {
        Stage2::new(
            layout,
            &mut *STAGE2.l1.get(),
            &mut *STAGE2.l2.get(),
            &mut *STAGE2.l3.get(),
        )
    };
    let Some(mut stage2) = stage2 else {
        die(format_args!("not enough stage-2 tables"));
    };
    VTTBR.store(stage2.root(), Ordering::Release);
    STATE.with(|s| {
        let mut host = El2Host::new(&mut stage2, options.strict, &mut s.pending);
        for &ipa in options.destroy.iter().filter(|&&ipa| ipa != 0) {
            if realm.destroy(ipa, &mut host) {
                log!("RIPAS DESTROYED [{ipa:#x}] (realm_emu.destroy)");
            } else {
                log!("realm_emu.destroy={ipa:#x}: not a RAM granule of the guest, ignored");
            }
        }
        s.realm = Some(realm);
        s.stage2 = Some(stage2);
        s.options = options;
    });
    log!(
        "realm: IPA {} bits, protected RAM [{ram_start:#x}, {ram_end:#x}) in 4 KiB pages, shared alias at {SHARED:#x} onto {}{}, protected MMIO {}, inject: {:?}",
        layout::IPA_BITS,
        match layout.sharing {
            layout::Sharing::SameRam => "the same RAM",
            layout::Sharing::SeparateRam => "separate RAM",
        },
        match options.strict {
            Strict::Off => "",
            Strict::Zero => " (strict: EMPTY granules only, conversions zero the revealed view)",
            Strict::Poison => " (strict: EMPTY granules only, conversions poison the revealed view)",
        },
        if layout.lenient { "mapped" } else { "unmapped" },
        options.inject
    );
    log!("entering Linux at {LINUX_ADDR:#x} (EL1), DTB {dtb:#x}");
    enter_guest(LINUX_ADDR, dtb)
}

/// A secondary CPU started by a forwarded `CPU_ON`.
extern "C" fn secondary_main(slot: u64) -> ! {
    let slot = slot as usize;
    if slot >= MAX_CPUS {
        die(format_args!("secondary started with bad slot {slot}"));
    }
    let entry = MAILBOX[slot].0.load(Ordering::Acquire);
    let ctx = MAILBOX[slot].1.load(Ordering::Acquire);
    enter_guest(entry, ctx)
}

/// The saved registers of an exception.
#[repr(C)]
struct Frame {
    x: [u64; 31],
    elr: u64,
    spsr: u64,
    _pad: u64,
}

fn cpu_on(f: &mut Frame) -> u64 {
    let (mpidr, entry, ctx) = (f.x[1], f.x[2], f.x[3]);
    let slot = (mpidr & 0xff) as usize;
    if mpidr & !0xff & 0xff_00ff_ffff != 0 || slot >= MAX_CPUS {
        return smccc::PSCI_INVALID_PARAMS;
    }
    let in_ram = STATE.with(|s| s.realm.as_ref().is_some_and(|r| r.in_ram(entry)));
    if !in_ram {
        return PSCI_INVALID_ADDRESS;
    }
    MAILBOX[slot].0.store(entry, Ordering::Release);
    MAILBOX[slot].1.store(ctx, Ordering::Release);
    let r = smc([
        u64::from(smccc::PSCI_CPU_ON),
        mpidr,
        realm_emu_secondary_entry as *const () as u64,
        slot as u64,
    ]);
    r[0]
}

fn handle_smc(f: &mut Frame) {
    match smccc::route(f.x[0], f.x[1]) {
        Route::Answer(v) => f.x[0] = v,
        Route::Forward => {
            let r = smc([f.x[0], f.x[1], f.x[2], f.x[3]]);
            f.x[0] = r[0];
        }
        Route::CpuOn => f.x[0] = cpu_on(f),
        Route::Shutdown => {
            STATE.with(|s| {
                if let Some(r) = &s.realm {
                    let st = r.stats;
                    log!(
                        "RSI calls: VERSION {} REALM_CONFIG {} IPA_STATE_SET {} (to EMPTY {}) IPA_STATE_GET {} other {} errors {}",
                        st.version, st.config, st.set, st.set_empty, st.get, st.other, st.errors
                    );
                    log!(
                        "IPA_STATE_SET answers: partial {} no progress {} rejected {}; granules destroyed {}; SEAs injected {}",
                        st.partial, st.no_progress, st.rejected, st.destroyed, s.seas
                    );
                }
            });
            let r = smc([f.x[0], f.x[1], f.x[2], f.x[3]]);
            f.x[0] = r[0];
        }
        Route::Rsi => {
            let mut x = [0u64; 8];
            x.copy_from_slice(&f.x[..8]);
            let (r, no_progress) = STATE.with(|s| {
                let host_destroy = s.options.host_destroy;
                let strict = s.options.strict;
                match (&mut s.realm, &mut s.stage2) {
                    (Some(realm), Some(stage2)) => {
                        let mut host = El2Host::new(stage2, strict, &mut s.pending);
                        let r = realm.call(&x, host_destroy, &mut host);
                        host.sync();
                        (r, realm.stats.no_progress)
                    }
                    _ => ([smccc::NOT_SUPPORTED, 0, 0, 0], 0),
                }
            });
            f.x[..4].copy_from_slice(&r);
            let set = smccc::fid(x[0]) == rsi::fid::IPA_STATE_SET && r[0] == rsi::SUCCESS;
            // What the guest shares, for the tests (the first ones).
            if set
                && x[3] == rsi::RIPAS_EMPTY
                && r[2] == rsi::ACCEPT
                && r[1] > x[1]
                && SHARED_LOGGED.fetch_add(1, Ordering::Relaxed) < MAX_LOGGED
            {
                log!("RIPAS EMPTY [{:#x}, {:#x})", x[1], r[1]);
            }
            // What the host declined (rare: injected, or a DESTROYED granule).
            if set
                && r[2] == rsi::REJECT
                && REJECT_LOGGED.fetch_add(1, Ordering::Relaxed) < MAX_LOGGED
            {
                log!(
                    "IPA_STATE_SET [{:#x}, {:#x}) RIPAS {} flags {}: rejected at {:#x}",
                    x[1],
                    x[2],
                    x[3],
                    x[4],
                    r[1]
                );
            }
            // A guest that loops on no progress: say so, ever more rarely.
            if set && r[2] == rsi::ACCEPT && r[1] == x[1] && no_progress.is_power_of_two() {
                log!(
                    "IPA_STATE_SET [{:#x}, {:#x}) RIPAS {}: declined, no progress ({no_progress} so far)",
                    x[1],
                    x[2],
                    x[3]
                );
            }
        }
    }
}

/// The state the realm trapped in and the CPU's features, for an
/// injection.
fn trapped(f: &Frame, esr: u64) -> (Trapped, Features) {
    let features = Features::from_pfr1(sysreg!(read "id_aa64pfr1_el1"));
    let t = Trapped {
        esr,
        elr: f.elr,
        spsr: f.spsr,
        vbar: sysreg!(read "vbar_el1"),
        sctlr: sysreg!(read "sctlr_el1"),
        gcscr: if features.gcs {
            sysreg!(read "S3_0_C2_C5_0")
        } else {
            0
        },
    };
    (t, features)
}

/// Takes the realm to its EL1 vector with `i`'s registers.
fn deliver(f: &mut Frame, i: &Injection) {
    sysreg!(write "esr_el1", i.esr_el1);
    sysreg!(write "far_el1", sysreg!(read "far_el2"));
    sysreg!(write "elr_el1", i.elr_el1);
    sysreg!(write "spsr_el1", i.spsr_el1);
    f.elr = i.elr_el2;
    f.spsr = i.spsr_el2;
}

/// A stage-2 abort. On protected RAM whose RIPAS is EMPTY, a synchronous
/// external abort into the realm, as TF-RMM injects; a fault on RAM mapped
/// meanwhile (by another CPU's conversion) is retried. Anything else the
/// host cannot serve: a DESTROYED granule, the alias of RAM in the strict
/// view, an IPA where nothing is. The emulator says so and stops.
fn stage2_abort(f: &mut Frame, esr: u64, ec: u64) {
    let far = sysreg!(read "far_el2");
    let hpfar = sysreg!(read "hpfar_el2");
    let ipa = ((hpfar & 0xff_ffff_fff0) << 8) | (far & 0xfff);
    let kind = if ec == inject::EC_IABT_LOW {
        "instruction"
    } else {
        "data"
    };
    let el = if f.spsr & 0xf == 0 { 0 } else { 1 };
    let state = STATE.with(|s| {
        let r = s.realm.as_ref()?;
        let protected = ipa & !SHARED;
        if !r.in_ram(protected) {
            return None;
        }
        let ripas = r.ripas(protected);
        if ripas == Ripas::Empty && ipa < SHARED {
            s.seas += 1;
        }
        Some((ripas, s.options.strict, s.seas))
    });
    let what = if ipa < SHARED { "protected" } else { "shared" };
    match state {
        Some((Ripas::Empty, _, seas)) if ipa < SHARED => {
            let (t, features) = trapped(f, esr);
            let Some(i) = inject::sea(&t, features) else {
                die(format_args!("cannot inject an SEA from SPSR {:#x}", f.spsr));
            };
            if SEA_LOGGED.fetch_add(1, Ordering::Relaxed) < MAX_LOGGED {
                log!(
                    "SEA injected: {kind} access to protected IPA {ipa:#x}, RIPAS EMPTY (VA {far:#x}, ESR {esr:#x}, PC {:#x}, EL{el}) [{seas}]",
                    f.elr
                );
            }
            deliver(f, &i);
        }
        // Mapped meanwhile by a conversion on another CPU: retry.
        Some((Ripas::Ram, _, _)) if ipa < SHARED => {}
        Some((Ripas::Empty, Strict::Zero | Strict::Poison, _)) if ipa >= SHARED => {}
        Some((ripas, strict, _)) => die(format_args!(
            "stage-2 {kind} abort: {what} IPA {ipa:#x}, RIPAS {ripas:?}{}: the host cannot serve it (VA {far:#x}, ESR {esr:#x}, PC {:#x}, EL{el})",
            if ipa >= SHARED && strict != Strict::Off { " (strict shared view)" } else { "" },
            f.elr
        )),
        None => die(format_args!(
            "stage-2 {kind} abort: {what} IPA {ipa:#x} not mapped (VA {far:#x}, ESR {esr:#x}, PC {:#x})",
            f.elr
        )),
    }
}

/// Every exception taken to EL2.
#[unsafe(no_mangle)]
extern "C" fn realm_emu_exception(f: &mut Frame, vector: u64) {
    let esr = sysreg!(read "esr_el2");
    let ec = esr >> 26;
    // Vector 8: synchronous from a lower EL in AArch64.
    if vector == 8 {
        match ec {
            0x17 => {
                handle_smc(f);
                // The SMC trapped before it executed: skip it.
                f.elr += 4;
                return;
            }
            0x16 => {
                // HVC: no hypervisor here; TF-RMM injects an undefined
                // instruction exception.
                let (t, features) = trapped(f, esr);
                match inject::undef(&t, features) {
                    Some(i) => {
                        log!(
                            "HVC #{:#x} from the realm (PC {:#x}): undefined instruction injected",
                            esr & 0xffff,
                            f.elr - 4
                        );
                        deliver(f, &i);
                    }
                    None => die(format_args!("HVC from SPSR {:#x}", f.spsr)),
                }
                return;
            }
            inject::EC_IABT_LOW | inject::EC_DABT_LOW => {
                stage2_abort(f, esr, ec);
                return;
            }
            _ => {}
        }
    }
    die(format_args!(
        "unexpected exception: vector {vector}, ESR {esr:#x} (EC {ec:#x}), ELR {:#x}, FAR {:#x}, SPSR {:#x}",
        f.elr,
        sysreg!(read "far_el2"),
        f.spsr
    ));
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    die(format_args!("panic: {info}"))
}
