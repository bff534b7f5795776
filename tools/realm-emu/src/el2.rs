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
use crate::layout::{
    self,
    Layout,
    GIB,
    SHARED, //
};
use crate::options::Options;
use crate::rsi::{
    self,
    GuestMemory,
    Realm, //
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

/// A 4 KiB-aligned page-table page.
#[repr(C, align(4096))]
struct Table([u64; 512]);

/// Everything the emulator keeps.
struct State {
    realm: Option<Realm<'static>>,
    layout: Option<Layout>,
}

static STATE: SpinLock<State> = SpinLock::new(State {
    realm: None,
    layout: None,
});

/// The stage-2 tables, written by the boot CPU before any other starts.
struct Stage2 {
    l1: UnsafeCell<Table>,
    l2: UnsafeCell<[Table; 2]>,
}

// SAFETY: Written once by the boot CPU before the others run, read-only
// (by the MMU) afterwards.
unsafe impl Sync for Stage2 {}

static STAGE2: Stage2 = Stage2 {
    l1: UnsafeCell::new(Table([0; 512])),
    l2: UnsafeCell::new([Table([0; 512]), Table([0; 512])]),
};

/// The RIPAS bitmap, lent to the `Realm` once.
struct RipasBits(UnsafeCell<[u64; RIPAS_WORDS]>);

// SAFETY: Borrowed mutably once, by `primary_main()`, into `STATE`.
unsafe impl Sync for RipasBits {}

static RIPAS: RipasBits = RipasBits(UnsafeCell::new([0; RIPAS_WORDS]));

/// How many changes to RIPAS EMPTY are logged (after that, only counted).
const MAX_SHARED_LOGGED: u64 = 64;
static SHARED_LOGGED: AtomicU64 = AtomicU64::new(0);

/// Per-CPU (entry, context) mailboxes for `CPU_ON`.
static MAILBOX: [(AtomicU64, AtomicU64); MAX_CPUS] =
    [const { (AtomicU64::new(0), AtomicU64::new(0)) }; MAX_CPUS];

/// Guest memory, reached at its physical address (protected IPA = PA).
struct PhysMem;

impl GuestMemory for PhysMem {
    fn write_u64(&mut self, ipa: u64, val: u64) {
        // SAFETY: `Realm` writes only 8-byte-aligned granules of protected
        // RAM, which is identity-mapped and not the emulator's memory.
        unsafe { core::ptr::write_volatile(ipa as *mut u64, val) }
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

/// Programs this CPU's EL2 for the guest (booting.rst's list for a kernel
/// entered at EL1) and enters the guest at `entry` with x0 = `x0`.
fn enter_guest(entry: u64, x0: u64) -> ! {
    let vbar = &raw const realm_emu_vectors as u64;
    // SAFETY: Written once before any CPU enters the guest.
    let vttbr = STAGE2.l1.get() as u64;
    sysreg!(write "vbar_el2", vbar);
    // RW: EL1 is AArch64; TSC: trap SMC; VM: stage 2 on. IMO/FMO/AMO are
    // clear, so interrupts go straight to EL1.
    sysreg!(write "hcr_el2", (1 << 31) | (1 << 19) | 1);
    sysreg!(write "vtcr_el2", layout::VTCR_EL2);
    sysreg!(write "vttbr_el2", vttbr);
    // No FP/SIMD/SVE traps; the RES1 bits.
    sysreg!(write "cptr_el2", 0x32ff);
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

    // SAFETY: The bitmap is lent once, here, before any other CPU runs.
    let bits: &'static mut [u64] = unsafe { &mut *RIPAS.0.get() };
    let Some(realm) = Realm::new(layout::IPA_BITS, ram_start, ram_end, bits, options.inject) else {
        die(format_args!(
            "cannot track RIPAS of [{ram_start:#x}, {ram_end:#x})"
        ));
    };

    // SAFETY: No other CPU runs yet and the MMU does not use the tables.
    unsafe {
        let l2 = &mut *STAGE2.l2.get();
        for (w, t) in l2.iter_mut().enumerate() {
            for (j, e) in t.0.iter_mut().enumerate() {
                *e = layout.l2_entry(w, j);
            }
        }
        let l2pa = [l2[0].0.as_ptr() as u64, l2[1].0.as_ptr() as u64];
        let l1 = &mut *STAGE2.l1.get();
        for (i, e) in l1.0.iter_mut().enumerate().take(8) {
            *e = layout.l1_entry(i, l2pa);
        }
    }
    STATE.with(|s| {
        s.realm = Some(realm);
        s.layout = Some(layout);
    });
    log!(
        "realm: IPA {} bits, protected RAM [{ram_start:#x}, {ram_end:#x}), shared alias at {SHARED:#x} onto {}, protected MMIO {}, inject: {:?}",
        layout::IPA_BITS,
        match layout.sharing {
            layout::Sharing::SameRam => "the same RAM",
            layout::Sharing::SeparateRam => "separate RAM",
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
    let in_ram = STATE.with(|s| {
        s.layout
            .map(|l| {
                let (a, b) = l.protected_ram();
                (a..b).contains(&entry)
            })
            .unwrap_or(false)
    });
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
                }
            });
            let r = smc([f.x[0], f.x[1], f.x[2], f.x[3]]);
            f.x[0] = r[0];
        }
        Route::Rsi => {
            let mut x = [0u64; 8];
            x.copy_from_slice(&f.x[..8]);
            let r = STATE.with(|s| match &mut s.realm {
                Some(realm) => realm.call(&x, &mut PhysMem),
                None => [smccc::NOT_SUPPORTED, 0, 0, 0],
            });
            f.x[..4].copy_from_slice(&r);
            // What the guest shares, for the tests (the first ones).
            if smccc::fid(x[0]) == rsi::fid::IPA_STATE_SET
                && x[3] == rsi::RIPAS_EMPTY
                && r[0] == rsi::SUCCESS
                && r[2] == rsi::ACCEPT
                && SHARED_LOGGED.fetch_add(1, Ordering::Relaxed) < MAX_SHARED_LOGGED
            {
                log!("RIPAS EMPTY [{:#x}, {:#x})", x[1], r[1]);
            }
        }
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
                // HVC: no hypervisor services.
                f.x[0] = smccc::NOT_SUPPORTED;
                return;
            }
            0x20 | 0x24 => {
                let far = sysreg!(read "far_el2");
                let hpfar = sysreg!(read "hpfar_el2");
                let ipa = ((hpfar & 0xff_ffff_fff0) << 8) | (far & 0xfff);
                let what = if ipa < SHARED { "protected" } else { "shared" };
                die(format_args!(
                    "stage-2 {} abort: {what} IPA {ipa:#x} not mapped (VA {far:#x}, ESR {esr:#x}, PC {:#x})",
                    if ec == 0x20 { "instruction" } else { "data" },
                    f.elr
                ));
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
