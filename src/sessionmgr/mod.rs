//! Persistent shell sessions for agents (the `connect_session` tool): the manager and its
//! sessions, the per-session output ring, the marker protocol that finds where a command
//! ends and its exit code, and the drivers that open shells (`local`, and one per remote);
//! besides sessions, one-shot work on a host (`oneshot`: exec, put, get, hosts).
//! No UI imports; `mcp/` is the only caller.

pub mod agent;
pub mod driver;
pub mod files;
pub mod frames;
pub mod host;
pub mod keys;
pub mod local;
mod manager;
pub mod oneshot;
pub mod output;
pub mod persist;
pub mod protocol;
pub mod remote;
pub mod ring;
mod session;
mod tasks;
pub mod view;

pub use agent::AgentDriver;
pub use driver::{Adopted, Connected, Driver, DriverError, Drivers, Output, Shell, Spec, Stop};
pub use local::LocalDriver;
pub use manager::{Manager, ManagerConfig};
pub use oneshot::Machines;
pub use remote::RemoteDriver;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionState {
    Opening,
    Ready,
    Busy,
    Closing,
    Closed,
}

impl std::fmt::Display for SessionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            SessionState::Opening => "opening",
            SessionState::Ready => "ready",
            SessionState::Busy => "busy",
            SessionState::Closing => "closing",
            SessionState::Closed => "closed",
        };
        f.write_str(s)
    }
}

/// Failures a caller acts on; the messages are the ones agents see.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session not found")]
    NotFound,
    #[error("manager full")]
    Full,
    #[error(transparent)]
    Driver(#[from] DriverError),
    #[error("the shell did not become ready within {0} seconds")]
    OpenTimeout(u64),
    /// The shell ended by itself (exit, lost connection): the reason.
    #[error("session not found ({0})")]
    Gone(String),
    #[error("session is closing")]
    Closing,
    #[error("{0}")]
    BadCommand(String),
    #[error("offset {offset} is past the end of the output ({end})")]
    OffsetPastEnd { offset: u64, end: u64 },
}

#[derive(Debug, Clone, Serialize)]
pub struct Opened {
    pub session_id: String,
    pub hostname: String,
    pub state: SessionState,
    /// `bash` or `sh`.
    pub shell: String,
    /// 0: never reaped.
    pub idle_ttl_seconds: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub session_id: String,
    pub command_id: u64,
    pub state: SessionState,
    /// True when it waits behind a running command.
    pub queued: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReadResult {
    pub session_id: String,
    pub data: String,
    /// Where `data` starts (past the asked offset when that part was overwritten).
    pub offset: u64,
    pub next_cursor: u64,
    pub truncated: bool,
    pub state: SessionState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The command's output is all in: `exit_code` is final (absent if the shell died).
    pub finished: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_for_input: Option<&'static str>,
    pub queued: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// An agent shell whose host cannot be reached right now: why. It lives on there, and
    /// the output resumes where it was once the host is back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconnecting: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub session_id: String,
    pub hostname: String,
    pub state: SessionState,
    pub idle_seconds: u64,
    pub idle_ttl_seconds: u64,
    /// The end of the output so far.
    pub next_cursor: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_command_id: Option<u64>,
    pub queued: usize,
    /// Output that went by while this process was too far behind to read it (agent
    /// shells in a flood): counted in the offsets, read as `truncated`.
    #[serde(skip_serializing_if = "is_zero")]
    pub lost_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClosedSession {
    pub session_id: String,
    pub state: SessionState,
}

#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub session_id: String,
    /// The command that was given the input.
    pub command_id: u64,
    pub bytes: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resized {
    pub session_id: String,
    pub rows: u16,
    pub cols: u16,
}

#[derive(Debug, Clone, Serialize)]
pub struct Interrupted {
    pub session_id: String,
    /// The command that was signalled, if one was running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_id: Option<u64>,
    /// `interrupt` (Ctrl-C), then `terminate` and `kill` when asked again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<&'static str>,
    /// Queued commands dropped without running.
    pub cancelled: usize,
    pub state: SessionState,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
