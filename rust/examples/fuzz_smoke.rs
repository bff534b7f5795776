// SPDX-License-Identifier: GPL-2.0

//! The fuzz target on stable Rust, for `make test`: the corpus in
//! `fuzz/corpus/ops/` replayed, then random inputs and mutations of the
//! corpus through `linmap::host::fuzz::ops` until the time is up. Prints the
//! seed, the executions and the operations run; on a finding, the panic,
//! the seed and the input in hex (replay it with `SEED` or by writing it
//! into the corpus), and exits non-zero.
//!
//! `cargo run --release --example fuzz_smoke -- SECONDS [SEED]`
//!
//! Not coverage-guided: `make fuzz` (cargo-fuzz, nightly) is; this is what
//! runs without a nightly toolchain.

use linmap::host::fuzz::Cases;
use std::fs;
use std::path::Path;
use std::sync::Mutex;
use std::time::{
    Duration,
    Instant,
    SystemTime, //
};

/// The input being run, for the panic hook.
static CURRENT: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// xorshift64*: reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A geometry and layout (4 bytes), then `ops` operations of 6 bytes.
fn random_input(rng: &mut Rng) -> Vec<u8> {
    let ops = 1 + rng.below(64);
    (0..4 + 6 * ops).map(|_| rng.next() as u8).collect()
}

/// Some bytes of a corpus entry changed, inserted or removed.
fn mutate(rng: &mut Rng, mut input: Vec<u8>) -> Vec<u8> {
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(input.len().max(1));
        match rng.below(4) {
            0 | 1 if !input.is_empty() => input[at] ^= 1 << rng.below(8),
            2 => input.insert(at, rng.next() as u8),
            _ if input.len() > 5 => {
                input.remove(at.min(input.len() - 1));
            }
            _ => input.push(rng.next() as u8),
        }
    }
    input
}

fn run(input: &[u8], cases: &mut Cases) -> usize {
    CURRENT.lock().unwrap().clone_from(&input.to_vec());
    linmap::host::fuzz::ops_reaching(input, cases);
    // The operations ops() ran: one per 6 bytes after the first 4, at most 64.
    (input.len().saturating_sub(4) / 6).min(64)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().map_or(10, |s| s.parse().expect("SECONDS"));
    let seed = args.next().map_or_else(
        || {
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        },
        |s| s.parse().expect("SEED"),
    );
    println!("fuzz_smoke: seed {seed}, {secs} s");
    std::panic::set_hook(Box::new(move |info| {
        let input = CURRENT.lock().map(|c| c.clone()).unwrap_or_default();
        let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
        eprintln!("fuzz_smoke: FINDING with seed {seed}: {info}\nfuzz_smoke: input {hex}");
    }));

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/ops");
    let mut corpus: Vec<Vec<u8>> = fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| fs::read(e.ok()?.path()).ok()).collect())
        .unwrap_or_default();
    corpus.sort();
    let (mut execs, mut ops) = (0u64, 0u64);
    let mut cases = Cases::default();
    for input in &corpus {
        ops += run(input, &mut cases) as u64;
        execs += 1;
    }
    println!("fuzz_smoke: corpus {} inputs replayed", corpus.len());

    let mut rng = Rng(seed);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    while Instant::now() < deadline {
        let input = if !corpus.is_empty() && rng.below(2) == 0 {
            let base = corpus[rng.below(corpus.len())].clone();
            mutate(&mut rng, base)
        } else {
            random_input(&mut rng)
        };
        ops += run(&input, &mut cases) as u64;
        execs += 1;
    }
    let t = start.elapsed().as_secs_f64();
    println!(
        "fuzz_smoke: {execs} executions, {ops} operations in {t:.1} s ({:.0} executions/s, {:.0} operations/s), no finding",
        execs as f64 / t,
        ops as f64 / t
    );
    println!(
        "fuzz_smoke: {} distinct cases reached (geometry, path, operation, leaf at the start, outcome, tables allocated)",
        cases.len()
    );
}
