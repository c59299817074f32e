//! The transcript usage read (`sessions::transcript::read_new`) on a 200 MB transcript: the
//! first look (spread over calls of at most 32 MiB), then what each later turn costs when a
//! few lines were added, beside the same on a 1 MB transcript: it stays flat, because a read
//! starts where the last one stopped. Run: `cargo bench --bench transcript`.

#[path = "support/stats.rs"]
mod stats;

use navi::sessions::transcript::{BUDGET, Progress, read_new};
use std::io::Write;
use std::time::{Duration, Instant};

/// One assistant entry of about 2 KB, as Claude Code writes them (usage and all).
fn entry(i: usize) -> String {
    let text = "x".repeat(1800);
    format!(
        r#"{{"parentUuid":"p{i}","isSidechain":false,"type":"assistant","message":{{"id":"msg_{i}","model":"claude-opus-4-6","content":[{{"type":"text","text":"{text}"}}],"usage":{{"input_tokens":12,"cache_creation_input_tokens":300,"cache_read_input_tokens":20000,"output_tokens":80}}}},"uuid":"a{i}"}}"#
    ) + "\n"
}

fn grow(path: &std::path::Path, lines: std::ops::Range<usize>) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("open");
    let mut buf = String::new();
    for i in lines {
        buf.push_str(&entry(i));
        if buf.len() > 1 << 20 {
            f.write_all(buf.as_bytes()).expect("write");
            buf.clear();
        }
    }
    f.write_all(buf.as_bytes()).expect("write");
}

/// Per later turn: 20 new lines, then one read; `turns` times.
fn turns(path: &std::path::Path, progress: &mut Progress, from: usize, turns: usize) -> Vec<Duration> {
    (0..turns)
        .map(|t| {
            grow(path, from + t * 20..from + (t + 1) * 20);
            let start = Instant::now();
            let d = read_new(path, progress, BUDGET).expect("read");
            let took = start.elapsed();
            assert_eq!(d.output, 20 * 80, "each turn's lines counted once");
            took
        })
        .collect()
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = dir.path().join("big.jsonl");
    let small = dir.path().join("small.jsonl");
    let n_big = 100_000; // about 200 MB
    grow(&big, 0..n_big);
    grow(&small, 0..500); // about 1 MB
    let size = std::fs::metadata(&big).expect("size").len();
    println!("transcript read, {} MB and 1 MB transcripts", size >> 20);

    let mut progress = Progress::default();
    let mut first = Vec::new();
    while progress.offset < size {
        let start = Instant::now();
        read_new(&big, &mut progress, BUDGET).expect("read");
        first.push(start.elapsed());
    }
    println!("first look at {} MB: {} calls of at most 32 MiB", size >> 20, first.len());
    stats::print("first look, per call", first);

    let mut small_progress = Progress::default();
    read_new(&small, &mut small_progress, BUDGET).expect("read");
    stats::print("later turn, 1 MB transcript", turns(&small, &mut small_progress, 500, 200));
    stats::print("later turn, 200 MB transcript", turns(&big, &mut progress, n_big, 200));
    // What a read from the start every time would cost instead.
    let whole: Vec<Duration> = (0..3)
        .map(|_| {
            let mut p = Progress::default();
            let start = Instant::now();
            while read_new(&big, &mut p, u64::MAX).expect("read") != Default::default() {}
            start.elapsed()
        })
        .collect();
    stats::print("whole file each time (avoided)", whole);
}
