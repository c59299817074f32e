//! Pushed changes: a remote's sessions as they change, instead of polls. On the remote,
//! `navi watch --stream` ([`serve`]) follows the sessions folder (inotify) and tmux, and
//! writes one JSON line per change to stdout: a snapshot first (every status file, tmux's
//! session list, then `synced`), then each file written or removed and each change of
//! tmux's list, and a heartbeat. Here, [`link`] keeps one such command running per remote
//! over the pool's connection and applies its lines to a [`mirror::Mirror`], from which
//! the remote backend lists without a round trip.
//!
//! The lines carry what a poll carries (a file's bytes, tmux's raw answer), so both modes
//! share every parser. The stream is untrusted input: lines are bounded, so is their rate
//! and the mirror's size; a malformed line is skipped and logged; a silent stream is
//! restarted, and a fresh snapshot replaces what was known. See docs/remote.md.

pub mod link;
pub mod mirror;
pub mod serve;

use serde::{Deserialize, Serialize};

/// The stream's protocol; the remote's hello names its own, and only this one is spoken.
pub const PROTOCOL: u32 = 1;

/// One line of the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    /// The first line: who speaks, and what it can send besides the protocol's lines
    /// ([`SHELLS`]), each only once asked for on stdin (a line with the feature's name).
    Hello {
        protocol: u32,
        version: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        features: Vec<String>,
    },
    /// A status file as read (its text), or why it was not read.
    File {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<FileError>,
    },
    /// A status file removed.
    Gone(String),
    /// tmux's answer to the shared `list-sessions` command, raw.
    Tmux { status: Option<i32>, stdout: String, stderr: String },
    /// The host's agent shells: the tmux part of `agent_shells::list_command` run with
    /// `marker`, raw, and the host's clock when it ran. Sent when asked for, then when
    /// tmux's answer changes.
    Shells { marker: String, now: i64, status: Option<i32>, stdout: String, stderr: String },
    /// The snapshot is complete: from here the mirror is what the remote has.
    Synced,
    /// Still here (Unix seconds on the remote).
    Beat(i64),
}

/// Why a status file's bytes were not sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileError {
    NotRegular,
    TooLarge,
    Other(String),
}

/// The feature (and the request for it) of [`Line::Shells`].
pub const SHELLS: &str = "shells";

/// A file's text is at most 1 MiB; JSON may escape each of its bytes into six.
pub const MAX_LINE: usize = 6 * (crate::sessions::read::MAX_FILE_BYTES as usize) + 4096;
/// The remote sends a beat this often, even when nothing changes.
pub const BEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(15);
/// A stream silent for this long is taken for dead and restarted.
pub const SILENT_AFTER: std::time::Duration = std::time::Duration::from_secs(45);

impl Line {
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn parse(bytes: &[u8]) -> Result<Line, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("malformed line: {e}"))
    }
}

/// Is `name` a status file's name, as the poll script picks them (`*.json`, no dot first,
/// no slash)?
pub fn is_status_name(name: &str) -> bool {
    name.ends_with(".json") && !name.starts_with('.') && !name.contains('/') && name.len() > ".json".len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_are_one_line_each() {
        let lines = [
            Line::Hello { protocol: 1, version: "0.1.0".into(), features: vec![] },
            Line::Hello { protocol: 1, version: "0.2.0".into(), features: vec![SHELLS.into()] },
            Line::Shells {
                marker: "NAVIx".into(),
                now: 7,
                status: Some(0),
                stdout: "a\nb".into(),
                stderr: String::new(),
            },
            Line::File { name: "a.json".into(), text: Some("{\"x\":\n1}".into()), error: None },
            Line::File { name: "b.json".into(), text: None, error: Some(FileError::TooLarge) },
            Line::Gone("a.json".into()),
            Line::Tmux { status: Some(0), stdout: "1 a\n0 b\n".into(), stderr: String::new() },
            Line::Synced,
            Line::Beat(5),
        ];
        for line in lines {
            let json = line.to_json();
            assert_eq!(json.matches('\n').count(), 1, "{json}");
            assert_eq!(Line::parse(json.trim_end().as_bytes()), Ok(line));
        }
        assert!(Line::parse(b"{\"nope\":1}").is_err());
        assert!(Line::parse(b"garbage").is_err());
        // An older navi's hello (no features) still reads.
        let old = Line::parse(br#"{"hello":{"protocol":1,"version":"0.1.0"}}"#).unwrap();
        assert_eq!(old, Line::Hello { protocol: 1, version: "0.1.0".into(), features: vec![] });
    }

    #[test]
    fn status_names_are_those_the_poll_reads() {
        assert!(is_status_name("a.json"));
        for bad in [".a.json", "a.json.tmp", ".json", "a/b.json", "a.txt"] {
            assert!(!is_status_name(bad), "{bad}");
        }
    }
}
