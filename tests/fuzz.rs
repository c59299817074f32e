//! Fuzzing, on stable Rust through proptest: the parsers that read what other programs and
//! people write (status-file streams, hook events over existing status files, remotes.yaml,
//! the agent-shell listing) get generated and mutated input and must keep their
//! invariants. `NAVI_FUZZ_CASES` sets the cases per target (default [`DEFAULT_CASES`]); a
//! long run by hand:
//! `NAVI_FUZZ_CASES=200000 cargo test --release --test fuzz`. See docs/fuzz.md.
//!
//! Generated host names must never reach a network: every target re-runs this binary,
//! filtered to itself, in a fresh network namespace holding only `lo`, and the cases run
//! only there.

#[path = "fuzz/agent_shells.rs"]
mod agent_shells;
#[path = "fuzz/hook.rs"]
mod hook;
#[path = "fuzz/isolate.rs"]
mod isolate;
#[path = "fuzz/mutate.rs"]
mod mutate;
#[path = "fuzz/remotes.rs"]
mod remotes;
#[path = "fuzz/stream.rs"]
mod stream;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseResult, TestRunner};

/// Cases per target when `NAVI_FUZZ_CASES` is not set: the whole binary stays well under
/// 20 s in a debug build.
const DEFAULT_CASES: u32 = 300;

/// Runs `check` on `cases()` values of `strategy`; panics with the smallest failing input.
fn fuzz<S: Strategy>(target: &str, strategy: S, check: impl Fn(S::Value) -> TestCaseResult) {
    let cases = std::env::var("NAVI_FUZZ_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(DEFAULT_CASES);
    // Failures are reported with their input, not saved next to the sources.
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let started = std::time::Instant::now();
    if let Err(e) = TestRunner::new(config).run(&strategy, check) {
        panic!("{target}: {e}");
    }
    // On a line of its own: the parent shows it (libtest starts the line with the name).
    println!("\nfuzz {target}: {cases} cases passed in {:.1?}", started.elapsed());
}

#[test]
fn status_streams() {
    isolate::in_private_network("status_streams", stream::run);
}

#[test]
fn hook_events() {
    isolate::in_private_network("hook_events", hook::run);
}

#[test]
fn agent_shell_listings() {
    isolate::in_private_network("agent_shell_listings", agent_shells::run);
}

#[test]
fn remotes_files() {
    isolate::in_private_network("remotes_files", remotes::run);
}
