//! The status a file should have, given what its pane shows now. Only positive evidence
//! corrects a status: a dialog-free Claude Code screen for a question, a quiet input box
//! for a turn, a shell prompt for a session that never started. A status younger than
//! [`Thresholds::settle_secs`] is left alone: the hook may have run before Claude Code
//! drew the screen it announces.

use super::PaneView;
use crate::sessions::{Status, StatusFile};

/// The message navi writes into the status file of a session it just created.
pub const STARTING: &str = "Starting Claude Code";

/// How long the pane must contradict the status file before it wins, in seconds since the
/// file's `timestamp` (its last hook event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// No correction at all before this.
    pub settle_secs: i64,
    /// A `working` session at a quiet input box is idle after this.
    pub quiet_secs: i64,
    /// A session still "Starting Claude Code" at a shell prompt failed to start after this.
    pub start_secs: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { settle_secs: 3, quiet_secs: 20, start_secs: 10 }
    }
}

/// Overrides [`Thresholds::quiet_secs`] (tests shorten it; see docs/hooks.md).
pub const QUIET_ENV: &str = "NAVI_PANE_QUIET_SECONDS";
/// Overrides [`Thresholds::start_secs`].
pub const START_ENV: &str = "NAVI_PANE_START_SECONDS";

impl Thresholds {
    /// The defaults, with the environment's overrides: the one place they are read. A
    /// value that is not a whole number of seconds is ignored.
    pub fn from_env() -> Self {
        let secs = |var: &str| std::env::var(var).ok().and_then(|v| v.trim().parse::<u32>().ok()).map(i64::from);
        let mut t = Thresholds::default();
        t.quiet_secs = secs(QUIET_ENV).unwrap_or(t.quiet_secs);
        t.start_secs = secs(START_ENV).unwrap_or(t.start_secs);
        t
    }
}

/// True when `file`'s status may be stale and [`correct`] could change it now: a question
/// (`permission`, `waiting`) past the settle time, a `working` one quiet for long enough.
/// Only these are worth a capture of their pane.
pub fn needs_look(file: &StatusFile, now: i64, t: &Thresholds) -> bool {
    let age = now - file.timestamp();
    if age < t.settle_secs {
        return false;
    }
    // Only Claude Code's screen is read; another agent's pane tells only whether it never
    // started (a shell prompt where it should be).
    let claude = crate::sessions::agent::agent(file) == crate::sessions::agent::Agent::Claude;
    match file.status {
        Status::Working if file.message.as_deref() == Some(STARTING) => age >= t.start_secs.min(t.quiet_secs),
        _ if !claude => false,
        Status::Permission | Status::Waiting => true,
        Status::Working => age >= t.quiet_secs,
        _ => false,
    }
}

/// The status and message the file should have (`message: None`: no message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub status: Status,
    pub message: Option<String>,
}

/// What `file` should say given `view` at `now`; `None`: the file is right, or the pane
/// does not tell.
pub fn correct(file: &StatusFile, view: &PaneView, now: i64, t: &Thresholds) -> Option<Correction> {
    let age = now - file.timestamp();
    if age < t.settle_secs {
        return None;
    }
    let to = |status: Status, message: Option<String>| Some(Correction { status, message });
    let starting = file.message.as_deref() == Some(STARTING);
    let gone_after = if starting { t.start_secs } else { t.quiet_secs };
    match (&file.status, view) {
        // The question is gone: answered (a tool now runs), or refused or cancelled.
        (s, PaneView::Busy { .. }) if s.needs_attention() => to(Status::Working, None),
        (s, PaneView::Input { interrupted, .. }) if s.needs_attention() => {
            if *interrupted {
                to(Status::Idle, Some("Interrupted".into()))
            } else if age >= t.quiet_secs {
                to(Status::Idle, None)
            } else {
                to(Status::Working, None)
            }
        }
        // A turn ended without Stop (Esc, a crash of the turn): Claude Code waits for input.
        (Status::Working, PaneView::Input { interrupted, .. }) if age >= t.quiet_secs => {
            let message =
                if *interrupted { Some("Interrupted".into()) } else { file.message.clone().filter(|_| !starting) };
            to(Status::Idle, message)
        }
        // Claude Code is gone, or never came: the pane is back at the shell.
        (Status::Working, PaneView::Shell { last_line }) if age >= gone_after => {
            let why = match (last_line, starting) {
                (Some(l), _) => l.clone(),
                (None, true) => "Claude Code did not start: the pane shows a shell prompt".into(),
                (None, false) => "Claude Code is no longer running: the pane shows a shell prompt".into(),
            };
            to(Status::Error, Some(crate::text::truncate(&why, 500)))
        }
        _ => None,
    }
}
