//! Claude Code's transcript (a JSONL file per session, `transcript_path` in every hook
//! event), read for two things: the token usage of a session that has no status line, read
//! incrementally from where the last read stopped (never the whole file again), and whether
//! the turn ended on an API error. Every read is bounded: at most [`BUDGET`] bytes per call,
//! lines longer than [`MAX_LINE`] are skipped unread, and a line not yet ended (Claude Code
//! still writing it) waits for the next call.

use serde_json::Value;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// The most one call reads: a first look at a huge transcript is spread over several turns.
pub const BUDGET: u64 = 32 << 20;
/// A longer line (a tool's huge output) is skipped without being parsed.
pub const MAX_LINE: usize = 4 << 20;
/// How far from the end the API-error check looks.
const TAIL: u64 = 256 << 10;

/// Where the last read of a transcript stopped, kept in the status file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Progress {
    pub path: String,
    pub offset: u64,
    /// The id of the last assistant message counted: Claude Code writes one entry per
    /// content block, each with the whole message's usage.
    pub last_id: Option<String>,
}

/// What the newly read part of a transcript adds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Delta {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_creation: u64,
    /// The context of the last message read: input, cache reads and cache writes.
    pub context: Option<u64>,
    pub model: Option<String>,
    /// True when the file was replaced or cut since the last read: the counts start over.
    pub restarted: bool,
}

/// Reads what was added to `path` since `progress`, at most `budget` bytes, and moves
/// `progress` to the end of the last whole line read.
pub fn read_new(path: &Path, progress: &mut Progress, budget: u64) -> io::Result<Delta> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    let mut delta = Delta::default();
    let here = path.to_string_lossy();
    if progress.path != here || meta.len() < progress.offset {
        // Another transcript (a new session) or this one cut: counting starts over. The
        // first read of all has nothing to start over from.
        delta.restarted = !progress.path.is_empty();
        *progress = Progress { path: here.into_owned(), ..Progress::default() };
    }
    let mut reader = BufReader::with_capacity(256 << 10, file);
    reader.seek(SeekFrom::Start(progress.offset))?;
    let mut reader = reader.take(budget);
    let mut line = Vec::new();
    loop {
        line.clear();
        let (n, ended, too_long) = read_line(&mut reader, &mut line)?;
        if n == 0 || !ended {
            break; // The end, or a line still being written (or cut by the budget).
        }
        progress.offset += n as u64;
        if !too_long {
            count(&line, progress, &mut delta);
        }
    }
    Ok(delta)
}

/// Reads one line into `buf` (its newline dropped), keeping at most [`MAX_LINE`] bytes of
/// it: (bytes consumed, whether it ended with a newline, whether it was too long).
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<(usize, bool, bool)> {
    let mut consumed = 0;
    let mut too_long = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok((consumed, false, too_long));
        }
        let (take, ended) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let body = if ended { &chunk[..take - 1] } else { &chunk[..take] };
        if !too_long && buf.len() + body.len() <= MAX_LINE {
            buf.extend_from_slice(body);
        } else {
            too_long = true;
            buf.clear();
        }
        r.consume(take);
        consumed += take;
        if ended {
            return Ok((consumed, true, too_long));
        }
    }
}

fn count(line: &[u8], progress: &mut Progress, delta: &mut Delta) {
    // Most lines are not assistant messages: skip them before parsing.
    if !contains(line, b"\"usage\"") {
        return;
    }
    let Ok(v) = serde_json::from_slice::<Value>(line) else { return };
    if v.get("type").and_then(Value::as_str) != Some("assistant") || v.get("isSidechain") == Some(&Value::Bool(true)) {
        return;
    }
    let Some(message) = v.get("message") else { return };
    let model = message.get("model").and_then(Value::as_str).unwrap_or("");
    let Some(usage) = message.get("usage").filter(|_| model != "<synthetic>") else { return };
    let n = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0);
    let (input, cache_read, cache_creation) =
        (n("input_tokens"), n("cache_read_input_tokens"), n("cache_creation_input_tokens"));
    delta.context = Some(input.saturating_add(cache_read).saturating_add(cache_creation));
    if !model.is_empty() {
        delta.model = Some(super::fields::cut_chars(model, 128));
    }
    let id = message.get("id").and_then(Value::as_str).map(|s| super::fields::cut_chars(s, 128));
    if id.is_some() && id == progress.last_id {
        return; // Another block of a message already counted.
    }
    progress.last_id = id;
    delta.input = delta.input.saturating_add(input);
    delta.cache_read = delta.cache_read.saturating_add(cache_read);
    delta.cache_creation = delta.cache_creation.saturating_add(cache_creation);
    delta.output = delta.output.saturating_add(n("output_tokens"));
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The text of the API error the transcript ends on, if it does: Claude Code writes the
/// failed turn's reply as an assistant entry marked `isApiErrorMessage` (`API Error: 529
/// Overloaded…`) and may end the turn with a plain Stop. Entries that are not conversation
/// (system notes, summaries) after it do not count; a user entry after it means it is over.
pub fn api_error_at_end(path: &Path) -> Option<String> {
    let mut file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    let from = meta.len().saturating_sub(TAIL);
    file.seek(SeekFrom::Start(from)).ok()?;
    let mut tail = Vec::new();
    file.take(TAIL).read_to_end(&mut tail).ok()?;
    for line in tail.split(|&b| b == b'\n').rev().filter(|l| !l.is_empty()) {
        let Ok(v) = serde_json::from_slice::<Value>(line) else { continue };
        match v.get("type").and_then(Value::as_str) {
            Some("assistant") if v.get("isSidechain") != Some(&Value::Bool(true)) => {
                if v.get("isApiErrorMessage") != Some(&Value::Bool(true)) {
                    return None;
                }
                let text = v
                    .pointer("/message/content")
                    .and_then(Value::as_array)
                    .and_then(|c| c.iter().find_map(|b| b.get("text").and_then(Value::as_str)))
                    .or_else(|| v.get("error").and_then(Value::as_str))
                    .unwrap_or("API Error");
                return Some(text.to_string());
            }
            Some("user") => return None,
            _ => continue,
        }
    }
    None
}

#[cfg(test)]
mod tests;
