//! The summary of remote sessions that `navi status` and `navi jump` read without opening
//! an SSH connection: per remote, its link state, when that was learned, and its sessions'
//! status rows. The dashboard and `navi watch` keep it; see docs/status-bar.md.
//!
//! One file, `<state dir>/summary.json` (mode 0600), replaced atomically. A writer takes
//! the state folder's lock, reads the file, puts in each of its remotes unless the file
//! already holds fresher news of that remote, and writes it back: a dashboard and
//! `navi watch` running at once never undo each other's newer facts, and a reader needs
//! one bounded read, which keeps `navi status` within a status bar's budget.

pub mod attention;
pub mod keeper;

use crate::backend::BackendError;
use crate::sessions::lock::lock_dir;
use crate::sessions::store::write_atomic_mode;
use crate::sessions::{Status, StatusFile};
use crate::ssh::SshError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file's name inside the state folder.
pub const FILE: &str = "summary.json";
/// A summary past this size is not read: 10 remotes of 20 sessions take about 30 KiB.
pub const MAX_BYTES: u64 = 4 << 20;
/// At most this many sessions of one remote are kept.
pub const MAX_SESSIONS: usize = 500;
/// A session name longer than this is not kept (tmux names are short; jump needs it whole).
const NAME_MAX: usize = 1024;
/// Messages are cut to this many columns: the summary is for counts and picks.
const MESSAGE_MAX: usize = 200;
/// Reasons are cut to this many columns.
const REASON_MAX: usize = 300;
/// How long a writer waits for another one holding the lock.
const LOCK_WAIT: Duration = Duration::from_secs(2);
/// A remote not heard of for this long is dropped (it left remotes.yaml, or nothing runs).
const FORGET_AFTER: i64 = 7 * 86_400;
/// How far ahead of this machine's clock a written time may be (another machine's clock,
/// a small step back).
const FUTURE_SLACK: i64 = 300;
/// News older than this is stale: the dashboard and `navi watch` refresh it far sooner.
pub const STALE_AFTER: i64 = 60;

/// Every remote's last known state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Summary {
    #[serde(default)]
    pub remotes: BTreeMap<String, RemoteEntry>,
}

/// One remote as last listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteEntry {
    #[serde(flatten)]
    pub state: RemoteState,
    /// When the listing (or its failure) landed, Unix seconds.
    pub at: i64,
    /// The sessions as last listed: while the remote fails, those of its last successful
    /// listing (see `listed_at`).
    #[serde(default)]
    pub sessions: Vec<SessionRow>,
    /// When `sessions` were listed (`None`: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed_at: Option<i64>,
}

/// A remote's link as its last listing found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawState", into = "RawState")]
pub enum RemoteState {
    Up,
    /// Reached, but the connection dropped or the listing failed there.
    Down(String),
    /// Could not connect or log in.
    Unreachable(String),
    /// The host key is unknown, changed or revoked: navi will not connect until the user
    /// decides.
    HostKey(String),
}

/// How a state is written: `{"state": "up"}`, `{"state": "unreachable", "reason": "…"}`.
#[derive(Serialize, Deserialize)]
struct RawState {
    state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl From<RawState> for RemoteState {
    fn from(raw: RawState) -> Self {
        let reason = raw.reason.unwrap_or_default();
        match raw.state.as_str() {
            "up" => RemoteState::Up,
            "unreachable" => RemoteState::Unreachable(reason),
            "host-key" => RemoteState::HostKey(reason),
            "down" => RemoteState::Down(reason),
            // A newer navi's state: not up, and said as it was written.
            other => RemoteState::Down(format!("{other} {reason}").trim().to_string()),
        }
    }
}

impl From<RemoteState> for RawState {
    fn from(s: RemoteState) -> Self {
        RawState { state: s.name().to_string(), reason: s.reason().map(str::to_string) }
    }
}

impl RemoteState {
    pub fn name(&self) -> &'static str {
        match self {
            RemoteState::Up => "up",
            RemoteState::Down(_) => "down",
            RemoteState::Unreachable(_) => "unreachable",
            RemoteState::HostKey(_) => "host-key",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            RemoteState::Up => None,
            RemoteState::Down(r) | RemoteState::Unreachable(r) | RemoteState::HostKey(r) => Some(r),
        }
    }

    /// The state a failed listing leaves the remote in, its error as the reason.
    pub fn from_error(e: &BackendError) -> Self {
        let reason = crate::text::truncate(&crate::text::sanitize_line(&e.to_string()), REASON_MAX);
        match e {
            BackendError::Ssh(ssh) => match **ssh {
                SshError::UnknownHostKey { .. }
                | SshError::HostKeyChanged { .. }
                | SshError::HostKeyRevoked { .. }
                | SshError::KnownHosts { .. } => RemoteState::HostKey(reason),
                SshError::Disconnected(_) | SshError::Channel(_) | SshError::OutputTooLarge { .. } => {
                    RemoteState::Down(reason)
                }
                _ => RemoteState::Unreachable(reason),
            },
            BackendError::TimedOut(_) | BackendError::Transport(_) => RemoteState::Unreachable(reason),
            _ => RemoteState::Down(reason),
        }
    }
}

/// One session of a remote: what `navi status` counts and `navi jump` picks from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    pub name: String,
    pub status: Status,
    /// The status file's timestamp: since when the session is in this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl SessionRow {
    fn of(file: &StatusFile) -> Option<Self> {
        (file.tmux_session.len() <= NAME_MAX).then(|| SessionRow {
            name: file.tmux_session.clone(),
            status: file.status.clone(),
            since: file.timestamp,
            message: file.message.as_deref().map(|m| crate::text::truncate(m, MESSAGE_MAX)),
        })
    }
}

impl Summary {
    /// Records what a listing of remote `name` found at `now`: its state and the status
    /// files it listed (none when it failed).
    /// A failure keeps the sessions last listed (and when), for the rows shown as last seen.
    pub fn record_remote(&mut self, name: &str, state: RemoteState, files: &[StatusFile], now: i64) {
        let (sessions, listed_at) = match (&state, self.remotes.get(name)) {
            (RemoteState::Up, _) => (files.iter().filter_map(SessionRow::of).take(MAX_SESSIONS).collect(), Some(now)),
            (_, Some(before)) => {
                let listed = before.listed_at.or((before.state == RemoteState::Up).then_some(before.at));
                (before.sessions.clone(), listed)
            }
            (_, None) => (Vec::new(), None),
        };
        self.remotes.insert(name.to_string(), RemoteEntry { state, at: now, sessions, listed_at });
    }

    /// Takes each of `other`'s remotes unless this summary knows fresher news of it. A
    /// failure that knows no sessions keeps the ones this summary last listed there.
    pub fn merge(&mut self, other: &Summary) {
        for (name, entry) in &other.remotes {
            match self.remotes.get(name) {
                Some(mine) if mine.at > entry.at => {}
                Some(mine) if entry.state != RemoteState::Up && entry.listed_at.is_none() => {
                    let listed_at = mine.listed_at.or((mine.state == RemoteState::Up).then_some(mine.at));
                    let kept = RemoteEntry { sessions: mine.sessions.clone(), listed_at, ..entry.clone() };
                    self.remotes.insert(name.clone(), kept);
                }
                _ => {
                    self.remotes.insert(name.clone(), entry.clone());
                }
            }
        }
    }

    /// Seconds since remote `name` was last heard of.
    pub fn age(&self, name: &str, now: i64) -> Option<i64> {
        self.remotes.get(name).map(|e| now.saturating_sub(e.at).max(0))
    }
}

pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE)
}

/// Why the summary could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: not a navi summary: {source}", .path.display())]
    Format { path: PathBuf, source: serde_json::Error },
}

/// The summary in `state_dir`; `Ok(None)` when there is none yet.
pub fn read(state_dir: &Path) -> Result<Option<Summary>, ReadError> {
    let path = path(state_dir);
    let bytes = match crate::files::read_regular(&path, MAX_BYTES) {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(None),
        Err(source) => return Err(ReadError::Io { path, source }),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|source| ReadError::Format { path, source })
}

/// Merges `fresh` into the summary in `state_dir` under the folder's lock (see the module
/// note) and writes it back atomically, 0600. An unreadable file is replaced. Remotes not
/// heard of for a week are dropped on the way.
pub fn write(state_dir: &Path, fresh: &Summary) -> io::Result<()> {
    let _lock = lock_dir(state_dir, LOCK_WAIT)?;
    let mut merged = read(state_dir).ok().flatten().unwrap_or_default();
    // News "from the future" (the clock stepped back, or a hand-edited file) would never be
    // replaced, and would make every other remote look a week old: it is dropped.
    let now = crate::text::now_unix();
    merged.remotes.retain(|_, e| e.at <= now.saturating_add(FUTURE_SLACK));
    merged.merge(fresh);
    let newest = merged.remotes.values().map(|e| e.at).max().unwrap_or(0).min(now);
    merged.remotes.retain(|_, e| newest.saturating_sub(e.at) < FORGET_AFTER);
    let mut bytes = serde_json::to_vec(&merged).map_err(io::Error::other)?;
    bytes.push(b'\n');
    write_atomic_mode(&path(state_dir), &bytes, 0o600)
}

#[cfg(test)]
mod tests;
