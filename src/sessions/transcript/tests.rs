//! Transcript reads on fixtures shaped like Claude Code's (tests/fixtures/transcript/).

use super::*;
use std::io::Write;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transcript").join(name)
}

#[test]
fn usage_counts_each_message_once_and_skips_sidechains_and_errors() {
    let mut p = Progress::default();
    let d = read_new(&fixture("session.jsonl"), &mut p, BUDGET).unwrap();
    assert_eq!((d.input, d.output, d.cache_read, d.cache_creation), (30, 350, 29_000, 5_800));
    assert_eq!(d.context, Some(20 + 17_000 + 800), "the last message's context");
    assert_eq!(d.model.as_deref(), Some("claude-opus-4-6"));
    assert_eq!(p.offset, std::fs::metadata(fixture("session.jsonl")).unwrap().len());
    assert_eq!(p.last_id.as_deref(), Some("msg_02"));
    // Nothing new: nothing read, nothing added.
    let again = read_new(&fixture("session.jsonl"), &mut p, BUDGET).unwrap();
    assert_eq!(again, Delta::default());
}

#[test]
fn reads_go_on_from_where_they_stopped_and_wait_for_unfinished_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    let all = std::fs::read_to_string(fixture("session.jsonl")).unwrap();
    let lines: Vec<&str> = all.lines().collect();
    std::fs::write(&path, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    let mut p = Progress::default();
    assert_eq!(read_new(&path, &mut p, BUDGET).unwrap().output, 0);
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    // Half a line: Claude Code is still writing it.
    let (head, rest) = lines[2].split_at(40);
    write!(f, "{head}").unwrap();
    let before = p.offset;
    assert_eq!(read_new(&path, &mut p, BUDGET).unwrap().output, 0);
    assert_eq!(p.offset, before, "an unfinished line is not consumed");
    writeln!(f, "{rest}").unwrap();
    for l in &lines[3..] {
        writeln!(f, "{l}").unwrap();
    }
    let d = read_new(&path, &mut p, BUDGET).unwrap();
    assert_eq!((d.input, d.output), (30, 350));
    // A small budget spreads the read over calls, a whole line at a time.
    let mut small = Progress::default();
    let mut output = 0;
    for _ in 0..20 {
        output += read_new(&path, &mut small, 900).unwrap().output;
    }
    assert_eq!((output, small.offset), (350, p.offset));
}

#[test]
fn a_huge_line_is_skipped_and_a_replaced_file_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    let huge = format!("{{\"type\":\"assistant\",\"usage\":\"{}\"}}\n", "x".repeat(MAX_LINE + 10));
    let normal = std::fs::read_to_string(fixture("session.jsonl")).unwrap();
    std::fs::write(&path, format!("{huge}{normal}")).unwrap();
    let mut p = Progress::default();
    let d = read_new(&path, &mut p, BUDGET).unwrap();
    assert_eq!(d.output, 350);
    assert!(!d.restarted);
    std::fs::write(&path, "{}\n").unwrap();
    let d = read_new(&path, &mut p, BUDGET).unwrap();
    assert!(d.restarted, "the file is shorter than where the read stopped");
    assert_eq!(p.offset, 3);
}

#[test]
fn an_api_error_at_the_end_is_found_and_only_there() {
    let text = api_error_at_end(&fixture("api-error.jsonl")).unwrap();
    assert!(text.starts_with("API Error: 529 Overloaded."), "{text}");
    assert_eq!(api_error_at_end(&fixture("session.jsonl")), None);
    assert_eq!(api_error_at_end(Path::new("/nonexistent/t.jsonl")), None);
    // The user went on after the error: it is over.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    let err = std::fs::read_to_string(fixture("api-error.jsonl")).unwrap();
    std::fs::write(&path, format!("{err}{{\"type\":\"user\",\"message\":{{\"content\":\"retry\"}}}}\n")).unwrap();
    assert_eq!(api_error_at_end(&path), None);
}
