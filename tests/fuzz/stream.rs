//! `parse_stream` on arbitrary bytes and on mutated streams of real status files: it never
//! panics, every file it returns re-serialises to itself, and its messages are bounded in
//! number by the input's length.

use crate::mutate::{self, Mutation};
use navi::hook::mapping::{HookEvent, apply};
use navi::sessions::StatusFile;
use navi::sessions::stream::parse_stream;
use proptest::prelude::*;
use proptest::test_runner::TestCaseResult;

/// Real status files: what the hook writes for the captured payloads, replayed in order
/// over one session, and one written by the original navi with fields navi does not know.
pub fn status_files() -> Vec<StatusFile> {
    let mut files = Vec::new();
    let mut current = None;
    for (i, payload) in mutate::payloads().into_iter().enumerate() {
        let mut event: HookEvent = serde_json::from_value(payload).unwrap();
        // Captured in several runs: here one session sends them all (another session's
        // events would be a teammate's, and change nothing).
        event.session_id = Some("fuzz-session".into());
        if let Some(next) = apply(current.clone(), "fuzz", &event, 1_700_000_000 + 7 * i as i64) {
            files.push(next.clone());
            current = Some(next);
        }
    }
    let original = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/status/original-navi.json");
    files.push(serde_json::from_slice(&std::fs::read(original).unwrap()).unwrap());
    assert!(files.len() >= 10, "too few status files from the payloads: {}", files.len());
    files
}

fn check(bytes: &[u8]) -> TestCaseResult {
    let parsed = parse_stream(bytes);
    // One message per broken stretch, and a stretch is at least one byte; in practice a
    // message is flushed only before a good file or at the end.
    prop_assert!(parsed.errors.len() <= bytes.len(), "{} errors", parsed.errors.len());
    prop_assert!(parsed.errors.len() <= parsed.files.len() + 1, "{:?}", parsed.errors);
    for file in &parsed.files {
        let again = parse_stream(&file.to_json());
        prop_assert!(again.errors.is_empty(), "{:?}", again.errors);
        prop_assert!(again.files.len() == 1 && mutate::same_file(&again.files[0], file), "{:?}", again.files);
    }
    Ok(())
}

pub fn run() {
    let files = status_files();
    let seeds: Vec<Vec<u8>> = files.iter().flat_map(|f| [f.to_json(), serde_json::to_vec(f).unwrap()]).collect();
    let whole = parse_stream(&seeds.concat());
    assert_eq!((whole.files.len(), whole.errors.len()), (seeds.len(), 0), "the seeds parse cleanly");

    let stream = (prop::collection::vec(prop::sample::select(seeds), 1..6), mutate::mutations(8)).prop_map(
        |(parts, mutations): (Vec<Vec<u8>>, Vec<Mutation>)| {
            let mut bytes = parts.concat();
            mutate::apply(&mut bytes, &mutations);
            bytes
        },
    );
    let input = prop_oneof![4 => stream, 1 => prop::collection::vec(any::<u8>(), 0..2048)];
    crate::fuzz("status_streams", input, |bytes| check(&bytes));
}
