//! What a remote's stream said, applied: its status files and tmux's last answer, from
//! which a listing is made without asking the remote. Each file is parsed once, when it
//! arrives (on a blocking thread: a remote chooses its size); the whole is bounded.

use super::{FileError, Line};
use crate::backend::Snapshot;
use crate::backend::agent_shells::{self, AgentShell};
use crate::backend::tmux;
use crate::sessions::read::{ReadError, parse_files};
use crate::sessions::stream::Parsed;
use std::collections::BTreeMap;

/// More files than any host has sessions: past it the stream is dropped.
pub const MAX_FILES: usize = 10_000;
/// The mirror's text in all: past it the stream is dropped (a poll's answer is bounded the same way).
pub const MAX_BYTES: usize = 64 << 20;

/// One file as last sent, already parsed.
#[derive(Debug, Clone)]
struct Entry {
    parsed: Parsed,
    bytes: usize,
}

#[derive(Debug, Clone, PartialEq)]
struct TmuxAnswer {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

/// A line read and parsed off the async workers, ready to apply.
#[derive(Debug)]
pub enum Prepared {
    Line(Line),
    /// A file's line with its text parsed.
    File {
        name: String,
        parsed: Parsed,
        bytes: usize,
    },
    /// The host's agent shells, parsed.
    Shells(PushedShells),
}

/// The host's agent shells as its stream last sent them, and when that arrived.
#[derive(Debug, Clone)]
pub struct PushedShells {
    listed: Result<Vec<AgentShell>, String>,
    at: std::time::Instant,
}

/// Parses a line and, for a file, the file it carries.
pub fn prepare(bytes: &[u8]) -> Result<Prepared, String> {
    match Line::parse(bytes)? {
        Line::File { name, text, error } => {
            if !super::is_status_name(&name) {
                return Err(format!("not a status file's name: {}", crate::text::sanitize_line(&name)));
            }
            let read = match (text, error) {
                (Some(text), None) => Ok(text),
                (None, Some(FileError::NotRegular)) => Err(ReadError::NotRegular),
                (None, Some(FileError::TooLarge)) => Err(ReadError::TooLarge),
                (None, Some(FileError::Other(e))) => Err(ReadError::Io(std::io::Error::other(e))),
                _ => return Err("a file line needs exactly one of text and error".into()),
            };
            let bytes = read.as_ref().map_or(0, String::len);
            let parsed = parse_files([(name.clone(), read)]);
            Ok(Prepared::File { name, parsed, bytes })
        }
        Line::Shells { marker, now, status, stdout, stderr } => {
            if !agent_shells::is_marker(&marker) {
                return Err("an agent-shell listing with an unusable marker".into());
            }
            // As `list_command` prints it: the host's clock first.
            let out = format!("{now}\n{stdout}");
            let listed = agent_shells::parse_list(status, out.as_bytes(), stderr.as_bytes(), &marker, None, now);
            Ok(Prepared::Shells(PushedShells { listed, at: std::time::Instant::now() }))
        }
        line => Ok(Prepared::Line(line)),
    }
}

#[derive(Debug, Default)]
pub struct Mirror {
    files: BTreeMap<String, Entry>,
    tmux: Option<TmuxAnswer>,
    shells: Option<PushedShells>,
    synced: bool,
    bytes: usize,
}

impl Mirror {
    /// Applies one line; `Ok(true)` when what a listing shows may have changed. An error
    /// is a broken promise (too big): the stream must go.
    pub fn apply(&mut self, line: Prepared) -> Result<bool, String> {
        match line {
            Prepared::File { name, parsed, bytes } => {
                if !self.files.contains_key(&name) && self.files.len() >= MAX_FILES {
                    return Err(format!("more than {MAX_FILES} status files"));
                }
                let old = self.files.insert(name, Entry { parsed, bytes }).map_or(0, |e| e.bytes);
                self.bytes = self.bytes - old + bytes;
                if self.bytes > MAX_BYTES {
                    return Err(format!("more than {} MiB of status files", MAX_BYTES >> 20));
                }
            }
            Prepared::Line(Line::Gone(name)) => {
                let Some(old) = self.files.remove(&name) else { return Ok(false) };
                self.bytes -= old.bytes;
            }
            Prepared::Line(Line::Tmux { status, stdout, stderr }) => {
                let answer = TmuxAnswer { status, stdout, stderr };
                if self.tmux.as_ref() == Some(&answer) {
                    return Ok(false);
                }
                self.tmux = Some(answer);
            }
            Prepared::Shells(shells) => {
                self.shells = Some(shells);
                return Ok(false);
            }
            Prepared::Line(Line::Synced) => self.synced = true,
            Prepared::Line(Line::Hello { .. } | Line::Beat(_) | Line::File { .. } | Line::Shells { .. }) => {
                return Ok(false);
            }
        }
        Ok(self.synced)
    }

    /// The host's agent shells as last pushed, idle times counted on to now; `None` until
    /// the stream sent them.
    pub fn shells(&self) -> Option<Result<Vec<AgentShell>, String>> {
        let pushed = self.shells.as_ref()?;
        let since = pushed.at.elapsed().as_secs() as i64;
        Some(pushed.listed.clone().map(|mut shells| {
            for s in &mut shells {
                s.idle_seconds = s.idle_seconds.saturating_add(since);
            }
            shells
        }))
    }

    /// Has the whole snapshot arrived?
    pub fn synced(&self) -> bool {
        self.synced && self.tmux.is_some()
    }

    /// The remote's sessions as a poll would have found them; `None` before the snapshot
    /// is complete.
    pub fn snapshot(&self) -> Option<Snapshot> {
        if !self.synced() {
            return None;
        }
        let mut files = Parsed::default();
        for entry in self.files.values() {
            files.files.extend(entry.parsed.files.iter().cloned());
            files.errors.extend(entry.parsed.errors.iter().cloned());
        }
        let t = self.tmux.as_ref()?;
        let (tmux_sessions, tmux_error) =
            match tmux::parse_list_sessions(t.status, t.stdout.as_bytes(), t.stderr.as_bytes()) {
                Ok(s) => (Some(s), None),
                Err(e) => (None, Some(e)),
            };
        Some(Snapshot { files, tmux_sessions, tmux_error })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(m: &mut Mirror, line: Line) -> Result<bool, String> {
        m.apply(prepare(line.to_json().trim_end().as_bytes())?)
    }

    fn file(name: &str, status: &str) -> Line {
        let text = format!(r#"{{"tmux_session":"{}","status":"{status}"}}"#, name.trim_end_matches(".json"));
        Line::File { name: name.into(), text: Some(text), error: None }
    }

    fn tmux(out: &str) -> Line {
        Line::Tmux { status: Some(0), stdout: out.into(), stderr: String::new() }
    }

    #[test]
    fn a_snapshot_then_changes_list_like_a_poll() {
        let mut m = Mirror::default();
        assert_eq!(apply(&mut m, file("a.json", "working")), Ok(false));
        assert_eq!(apply(&mut m, tmux("0 a\n1 b\n")), Ok(false));
        assert!(m.snapshot().is_none(), "nothing is listed before the snapshot is complete");
        assert_eq!(apply(&mut m, Line::Synced), Ok(true));
        let s = m.snapshot().unwrap();
        assert_eq!(s.files.files.len(), 1);
        assert_eq!(s.tmux_sessions.as_ref().map(Vec::len), Some(2));
        assert_eq!(apply(&mut m, file("b.json", "waiting")), Ok(true));
        assert_eq!(apply(&mut m, Line::Gone("a.json".into())), Ok(true));
        assert_eq!(apply(&mut m, Line::Gone("a.json".into())), Ok(false), "already gone");
        assert_eq!(apply(&mut m, tmux("0 a\n1 b\n")), Ok(false), "tmux said the same");
        assert_eq!(apply(&mut m, Line::Beat(1)), Ok(false));
        let s = m.snapshot().unwrap();
        let names: Vec<&str> = s.files.files.iter().map(|f| f.tmux_session.as_str()).collect();
        assert_eq!(names, ["b"]);
    }

    #[test]
    fn bad_files_are_reported_as_a_poll_reports_them() {
        let mut m = Mirror::default();
        apply(&mut m, Line::File { name: "big.json".into(), text: None, error: Some(FileError::TooLarge) }).unwrap();
        apply(&mut m, Line::File { name: "bad.json".into(), text: Some("{nope".into()), error: None }).unwrap();
        apply(&mut m, tmux("")).unwrap();
        apply(&mut m, Line::Synced).unwrap();
        let s = m.snapshot().unwrap();
        assert!(s.files.files.is_empty());
        assert_eq!(s.files.errors.len(), 2, "{:?}", s.files.errors);
        assert!(s.files.errors.iter().any(|e| e.contains("big.json") && e.contains("1 MiB")));
    }

    #[test]
    fn hostile_lines_are_refused() {
        assert!(prepare(b"not json").is_err());
        let evil = Line::File { name: "../x.json".into(), text: Some("{}".into()), error: None };
        assert!(prepare(evil.to_json().as_bytes()).is_err());
        let both = Line::File { name: "a.json".into(), text: Some("{}".into()), error: Some(FileError::TooLarge) };
        assert!(prepare(both.to_json().as_bytes()).is_err());
    }

    #[test]
    fn pushed_agent_shells_read_like_a_listing_and_count_idle_time_on() {
        let mut m = Mirror::default();
        assert!(m.shells().is_none(), "not sent yet: ask the host");
        let marker = "NAVI0123456789abcdef";
        let stdout = format!("{marker}h a-0123abcd 900 950 990 /dev/pts/1 0 11{marker}c sleep{marker}p /srv\n");
        let line = Line::Shells { marker: marker.into(), now: 1000, status: Some(0), stdout, stderr: String::new() };
        assert_eq!(apply(&mut m, line), Ok(false), "agent shells are not sessions");
        let shells = m.shells().unwrap().unwrap();
        assert_eq!(shells.len(), 1);
        assert_eq!(
            (shells[0].name.as_str(), shells[0].command.as_str(), shells[0].cwd.as_str()),
            ("a-0123abcd", "sleep", "/srv")
        );
        assert_eq!(shells[0].idle_seconds, 10);
        assert!(shells[0].attached);
        // No agent-shell server there: none. A failing tmux: its error.
        let none = "no server running on /tmp/tmux-0/navi-agents";
        let line =
            Line::Shells { marker: marker.into(), now: 1, status: Some(1), stdout: String::new(), stderr: none.into() };
        apply(&mut m, line).unwrap();
        assert_eq!(m.shells(), Some(Ok(vec![])));
        let line = Line::Shells {
            marker: marker.into(),
            now: 1,
            status: Some(1),
            stdout: String::new(),
            stderr: "permission denied".into(),
        };
        apply(&mut m, line).unwrap();
        assert!(m.shells().unwrap().is_err());
        // A marker that could hide in a field is refused.
        let line =
            Line::Shells { marker: "h".into(), now: 1, status: Some(0), stdout: String::new(), stderr: String::new() };
        assert!(prepare(line.to_json().trim_end().as_bytes()).is_err());
    }

    #[test]
    fn the_mirror_is_bounded() {
        let mut m = Mirror::default();
        let big = "x".repeat(1 << 20);
        let mut err = None;
        for i in 0..100 {
            let line = Line::File { name: format!("f{i}.json"), text: Some(big.clone()), error: None };
            if let Err(e) = apply(&mut m, line) {
                err = Some(e);
                break;
            }
        }
        assert!(err.is_some_and(|e| e.contains("MiB")));
        // Rewriting one file does not count twice.
        let mut m = Mirror::default();
        for _ in 0..100 {
            apply(&mut m, Line::File { name: "same.json".into(), text: Some(big.clone()), error: None }).unwrap();
        }
    }
}
