// SPDX-License-Identifier: GPL-2.0

//! The RSI client and the early realm probe, against the realm emulator's
//! RSI state machine (the same code that answers the kernel under QEMU) and
//! against scripted firmware; the conduit parser against malformed device
//! trees.

use std::collections::BTreeMap;

use linmap::fdt::build::Builder;
use linmap::hw::Firmware;
use linmap::rsi::*;
use realm_emu::options::Inject;
use realm_emu::rsi::{
    Host,
    Realm,
    Ripas as EmuRipas, //
};
use realm_emu::smccc::{
    self,
    Route, //
};

const RAM: (u64, u64) = (0x4100_0000, 0x1_0000_0000);

#[derive(Default)]
struct Mem(BTreeMap<u64, u64>);

impl Host for Mem {
    fn write_u64(&mut self, ipa: u64, val: u64) {
        self.0.insert(ipa, val);
    }
    fn read_u64(&mut self, ipa: u64) -> u64 {
        self.0.get(&ipa).copied().unwrap_or(0)
    }
    fn ripas_changed(&mut self, _ipa: u64, _from: EmuRipas, _to: EmuRipas) {}
    fn sync(&mut self) {}
}

/// The firmware a realm on the emulator sees: the emulator's SMCCC policy
/// and RSI, and QEMU's PSCI 1.1 behind it.
struct EmuFirmware<'a> {
    realm: Realm<'a>,
    mem: Mem,
    calls: Vec<u32>,
}

impl Firmware for EmuFirmware<'_> {
    fn smc(&mut self, x: [u64; 8]) -> [u64; 4] {
        self.calls.push(x[0] as u32);
        match smccc::route(x[0], x[1]) {
            Route::Answer(v) => [v, 0, 0, 0],
            Route::Rsi => self.realm.call(&x, false, &mut self.mem),
            Route::Forward if smccc::fid(x[0]) == smccc::PSCI_VERSION => [0x1_0001, 0, 0, 0],
            _ => [smccc::NOT_SUPPORTED, 0, 0, 0],
        }
    }
}

fn with_emu(inject: Inject, f: impl FnOnce(&mut EmuFirmware<'_>)) {
    let mut ram = vec![0u64; ((RAM.1 - RAM.0) / 4096 / 64) as usize];
    let mut destroyed = ram.clone();
    let realm = Realm::new(33, RAM.0, RAM.1, &mut ram, &mut destroyed, inject).unwrap();
    let mut fw = EmuFirmware {
        realm,
        mem: Mem::default(),
        calls: Vec::new(),
    };
    f(&mut fw);
}

/// Scripted answers by function ID; anything else is NOT_SUPPORTED.
#[derive(Default)]
struct Scripted {
    answers: BTreeMap<u32, [u64; 4]>,
    calls: Vec<u32>,
}

impl Scripted {
    fn psci_1_1_smccc_1_2() -> Self {
        let mut s = Scripted::default();
        let v = RSI_ABI_VERSION;
        s.answers
            .insert(PSCI_0_2_FN_PSCI_VERSION, [0x1_0001, 0, 0, 0]);
        s.answers.insert(PSCI_1_0_FN_PSCI_FEATURES, [0, 0, 0, 0]);
        s.answers.insert(
            ARM_SMCCC_VERSION_FUNC_ID,
            [ARM_SMCCC_VERSION_1_2.into(), 0, 0, 0],
        );
        s.answers
            .insert(SMC_RSI_ABI_VERSION, [RSI_SUCCESS, v, v, 0]);
        s
    }
}

impl Firmware for Scripted {
    fn smc(&mut self, x: [u64; 8]) -> [u64; 4] {
        self.calls.push(x[0] as u32);
        *self
            .answers
            .get(&(x[0] as u32))
            .unwrap_or(&[u64::MAX, 0, 0, 0])
    }
}

/// The device tree QEMU `virt` gives (the parts that matter).
fn qemu_dt(psci: impl FnOnce(&mut Builder)) -> Vec<u8> {
    let mut b = Builder::new();
    b.begin("")
        .prop_cells("#address-cells", &[2])
        .prop_cells("#size-cells", &[2])
        .begin("memory@40000000")
        .prop_str("device_type", "memory")
        .prop_cells("reg", &[0, 0x4000_0000, 0, 0xc000_0000])
        .end();
    b.begin("psci");
    psci(&mut b);
    b.end().end();
    b.finish()
}

fn psci_smc(b: &mut Builder) {
    b.prop("compatible", b"arm,psci-1.0\0arm,psci-0.2\0arm,psci\0")
        .prop_str("method", "smc");
}

#[test]
fn probe_finds_the_emulated_realm() {
    let dt = qemu_dt(psci_smc);
    with_emu(Inject::None, |fw| {
        let p = early_probe(&dt, fw);
        assert!(p.is_realm());
        assert_eq!(p.to_string(), "realm (RME: Using RSI version 1.0)");
        // The order 7.3 issues them in: PSCI_0_2_FN_PSCI_VERSION, PSCI_1_0_FN_PSCI_FEATURES,
        // ARM_SMCCC_VERSION_FUNC_ID, SMC_RSI_ABI_VERSION.
        assert_eq!(
            fw.calls,
            [
                PSCI_0_2_FN_PSCI_VERSION,
                PSCI_1_0_FN_PSCI_FEATURES,
                ARM_SMCCC_VERSION_FUNC_ID,
                SMC_RSI_ABI_VERSION
            ]
        );
    });
}

#[test]
fn version_mismatch_is_reported_as_7_3_does() {
    let dt = qemu_dt(psci_smc);
    with_emu(Inject::Version, |fw| {
        let p = early_probe(&dt, fw);
        let v = Version::Mismatch {
            lower: 0x2_0000,
            higher: 0x2_0000,
        };
        assert_eq!(p, Probe::NotRealm(NotRealm::Rsi(v)));
        assert_eq!(
            v.to_string(),
            "RME: RMM doesn't support RSI version 1.0. Supported range: 2.0-2.0"
        );
    });
    // No RMM at all: QEMU's PSCI answers -1 to SMC_RSI_ABI_VERSION.
    let mut s = Scripted::psci_1_1_smccc_1_2();
    s.answers.remove(&SMC_RSI_ABI_VERSION);
    assert_eq!(request_version(&mut s), Version::NotSupported);
}

#[test]
fn psci_and_smccc_versions_gate_the_rsi_call() {
    let dt = qemu_dt(psci_smc);
    let cases: [(u32, [u64; 4], NotRealm); 4] = [
        (
            PSCI_0_2_FN_PSCI_VERSION,
            [0x2, 0, 0, 0],
            NotRealm::PsciVersion(2),
        ),
        (
            PSCI_1_0_FN_PSCI_FEATURES,
            [u64::MAX, 0, 0, 0],
            NotRealm::NoSmcccVersion,
        ),
        (
            ARM_SMCCC_VERSION_FUNC_ID,
            [0x1_0000, 0, 0, 0],
            NotRealm::SmcccVersion(0x1_0000),
        ),
        (
            ARM_SMCCC_VERSION_FUNC_ID,
            [u64::MAX, 0, 0, 0],
            NotRealm::SmcccVersion(u32::MAX),
        ),
    ];
    for (fid, answer, why) in cases {
        let mut s = Scripted::psci_1_1_smccc_1_2();
        s.answers.insert(fid, answer);
        assert_eq!(early_probe(&dt, &mut s), Probe::NotRealm(why));
        assert!(
            !s.calls.contains(&SMC_RSI_ABI_VERSION),
            "{why:?}: SMC_RSI_ABI_VERSION issued"
        );
    }
}

#[test]
fn conduit_parser_on_malformed_trees() {
    let method = |m: &'static [u8]| {
        move |b: &mut Builder| {
            b.prop("compatible", b"arm,psci-1.0\0").prop("method", m);
        }
    };
    let cases: Vec<(&str, Vec<u8>, Conduit)> = vec![
        ("smc", qemu_dt(psci_smc), Conduit::Smc),
        ("hvc", qemu_dt(method(b"hvc\0")), Conduit::Hvc),
        ("unknown method", qemu_dt(method(b"foo\0")), Conduit::None),
        ("method without NUL", qemu_dt(method(b"smc")), Conduit::None),
        (
            "method with two strings",
            qemu_dt(method(b"smc\0hvc\0")),
            Conduit::None,
        ),
        ("empty method", qemu_dt(method(b"")), Conduit::None),
        (
            "no method",
            qemu_dt(|b| {
                b.prop("compatible", b"arm,psci-1.0\0");
            }),
            Conduit::None,
        ),
        (
            "PSCI 0.1 only",
            qemu_dt(|b| {
                b.prop("compatible", b"arm,psci\0")
                    .prop_str("method", "smc");
            }),
            Conduit::None,
        ),
        (
            "disabled",
            qemu_dt(|b| {
                psci_smc(b);
                b.prop_str("status", "disabled");
            }),
            Conduit::None,
        ),
        (
            "status okay",
            qemu_dt(|b| {
                psci_smc(b);
                b.prop_str("status", "okay");
            }),
            Conduit::Smc,
        ),
        (
            "no compatible",
            qemu_dt(|b| {
                b.prop_str("method", "smc");
            }),
            Conduit::None,
        ),
        (
            "compatible of the wrong size",
            qemu_dt(|b| {
                b.prop("compatible", b"arm,psci-1.")
                    .prop_str("method", "smc");
            }),
            Conduit::None,
        ),
        (
            "no /psci",
            Builder::new().begin("").end().finish(),
            Conduit::None,
        ),
        ("empty blob", Vec::new(), Conduit::None),
        (
            "not an FDT",
            b"ARM\x64 this is not a device tree at all".to_vec(),
            Conduit::None,
        ),
    ];
    for (what, blob, want) in cases {
        assert_eq!(psci_conduit(&blob), want, "{what}");
        // No SMC unless the conduit is SMC.
        let mut s = Scripted::psci_1_1_smccc_1_2();
        let p = early_probe(&blob, &mut s);
        assert_eq!(p.is_realm(), want == Conduit::Smc, "{what}");
        if want != Conduit::Smc {
            assert!(s.calls.is_empty(), "{what}: issued {:x?}", s.calls);
        }
    }
}

#[test]
fn truncated_and_corrupted_trees_never_issue_smcs() {
    let dt = qemu_dt(psci_smc);
    for len in 0..dt.len() {
        let mut s = Scripted::psci_1_1_smccc_1_2();
        let p = early_probe(&dt[..len], &mut s);
        assert!(!p.is_realm(), "truncated to {len}");
        assert!(s.calls.is_empty());
    }
    // Every byte of the structure block, every value: never a panic, and a
    // realm only when the conduit still reads as SMC.
    for i in 40..dt.len() {
        for v in [0u8, 1, 2, 3, 4, 9, 0x2f, 0x40, 0xff] {
            let mut b = dt.clone();
            b[i] = v;
            let mut s = Scripted::psci_1_1_smccc_1_2();
            let p = early_probe(&b, &mut s);
            assert_eq!(p.is_realm(), psci_conduit(&b) == Conduit::Smc);
        }
    }
}

#[test]
fn ripas_ranges_against_the_emulator() {
    with_emu(Inject::None, |fw| {
        let a = RAM.0 + 0x10_0000;
        assert_eq!(
            set_memory_range(fw, a, a + 0x4000, Ripas::Empty, Destroyed::Change),
            Ok(())
        );
        assert!(!is_protected(fw, a + 0x1000, 8));
        assert!(is_protected(fw, a - 0x1000, 0x1000));
        assert!(!is_protected(fw, a - 0x1000, 0x2000));
        assert!(is_protected(fw, a + 0x4000, 0x10_0000));
        assert_eq!(
            set_memory_range(fw, a, a + 0x4000, Ripas::Ram, Destroyed::NoChange),
            Ok(())
        );
        assert!(is_protected(fw, a, 0x4000));
        // MMIO reads EMPTY: ioremap maps it shared.
        assert!(!is_protected(fw, 0x0900_0000, 0x1000));
        // Overflow.
        assert!(!is_protected(fw, u64::MAX - 10, 100));
        assert!(!is_protected(fw, a, 0));
        // A range that runs out of protected RAM: the emulator does the part
        // in RAM, then rejects the rest, and 7.3's loop fails the range.
        let top = 1u64 << 32;
        assert_eq!(
            set_memory_range(
                fw,
                RAM.1 - 0x1000,
                top + 0x1000,
                Ripas::Ram,
                Destroyed::NoChange
            ),
            Err(RsiError::Status(1))
        );
        assert_eq!(
            set_memory_range(
                fw,
                0x0900_0000,
                0x0900_1000,
                Ripas::Ram,
                Destroyed::NoChange
            ),
            Err(RsiError::Rejected)
        );
        assert_eq!(
            set_memory_range(fw, a + 8, a + 0x1000, Ripas::Ram, Destroyed::NoChange),
            Err(RsiError::Input)
        );
        assert_eq!(
            set_memory_range(fw, a, a, Ripas::Ram, Destroyed::NoChange),
            Ok(())
        );
        // Across 2 MiB boundaries the host makes one table's progress per
        // call; the loop carries on from there.
        let b = RAM.0 + 0x1f_f000;
        let calls = fw.calls.len();
        assert_eq!(
            set_memory_range(fw, b, b + 0x40_2000, Ripas::Empty, Destroyed::Change),
            Ok(())
        );
        assert_eq!(fw.calls.len() - calls, 4);
        assert!(!is_protected(fw, b, 0x40_2000));
        assert!(is_protected(fw, b - 0x1000, 0x1000));
        // DESTROYED counts as protected; a RAM request stops there without
        // CHANGE_DESTROYED and is rejected, with it the granule is RAM again.
        assert!(fw.realm.destroy(b - 0x1000, &mut fw.mem));
        assert!(is_protected(fw, b - 0x2000, 0x2000));
        assert_eq!(
            set_memory_range(fw, b - 0x3000, b, Ripas::Ram, Destroyed::NoChange),
            Err(RsiError::Rejected)
        );
        assert_eq!(
            set_memory_range(fw, b - 0x3000, b, Ripas::Ram, Destroyed::Change),
            Ok(())
        );
        assert_eq!(fw.realm.ripas(b - 0x1000), EmuRipas::Ram);
    });
    with_emu(Inject::Reject, |fw| {
        assert_eq!(
            set_memory_range(fw, RAM.0, RAM.1, Ripas::Ram, Destroyed::NoChange),
            Err(RsiError::Rejected)
        );
        // A declined EMPTY request: ACCEPT without progress. 7.3 calls
        // again forever; linmap's client gives up.
        let calls = fw.calls.len();
        assert_eq!(
            set_memory_range(fw, RAM.0, RAM.0 + 0x1000, Ripas::Empty, Destroyed::Change),
            Err(RsiError::NoProgress)
        );
        assert_eq!(fw.calls.len() - calls, NO_PROGRESS_RETRIES as usize);
    });
    with_emu(Inject::Partial, |fw| {
        let a = RAM.0 + 0x1234_5000;
        assert_eq!(
            set_memory_range(fw, a, a + 0x60_0000, Ripas::Empty, Destroyed::Change),
            Ok(())
        );
        assert!(!is_protected(fw, a, 0x60_0000));
        assert!(is_protected(fw, a + 0x60_0000, 0x1000));
    });
    // A scripted RMM that goes backwards or overshoots (-EINVAL in 7.3),
    // or never progresses (7.3 loops; linmap gives up after the retries).
    for (top, err, calls) in [
        (RAM.0 - 0x1000, RsiError::BadProgress, 1),
        (RAM.0 + 0x3000, RsiError::BadProgress, 1),
        (RAM.0, RsiError::NoProgress, NO_PROGRESS_RETRIES as usize),
    ] {
        let mut s = Scripted::default();
        s.answers.insert(SMC_RSI_IPA_STATE_SET, [0, top, 0, 0]);
        assert_eq!(
            set_memory_range(
                &mut s,
                RAM.0,
                RAM.0 + 0x2000,
                Ripas::Ram,
                Destroyed::NoChange
            ),
            Err(err)
        );
        assert_eq!(s.calls.len(), calls, "{top:#x}");
    }
}

#[test]
fn realm_config_and_shared_bit() {
    with_emu(Inject::None, |fw| {
        assert_eq!(realm_config(fw, RAM.0 + 0x2000), Ok(()));
        let ipa_bits = fw.mem.0[&(RAM.0 + 0x2000)];
        assert_eq!(prot_ns_shared(ipa_bits), Some(1 << 32));
        assert_eq!(realm_config(fw, RAM.0 + 0x2008), Err(RsiError::Input));
        assert_eq!(realm_config(fw, 0x0900_0000), Err(RsiError::Status(1)));
    });
    with_emu(Inject::Config, |fw| {
        assert_eq!(realm_config(fw, RAM.0), Err(RsiError::Status(1)));
    });
    assert_eq!(prot_ns_shared(0), None);
    assert_eq!(prot_ns_shared(64), None);
}
