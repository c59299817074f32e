//! What a Claude Code pane shows, read from its text, and what that says about a status file
//! that may be stale. Claude Code sends no hook event when the user presses Esc during a
//! turn, answers "No" to a permission, or grants one (PostToolUse comes only when the tool
//! ends), so the hook's status can lag behind the screen.
//!
//! Pure functions, no I/O: the caller captures the pane (`Tmux::capture`, i.e.
//! `tmux capture-pane -p -J`, sanitized) and owns the timing.
//!
//! - [`read`]`(capture) -> `[`PaneView`]: a permission dialog (its title, e.g. "Bash command",
//!   and the numbered [`Choice`]s with the selected one), an AskUserQuestion dialog (question
//!   and options), the plan-approval dialog, a running turn (the spinner line, e.g.
//!   "✻ Wrangling… (37s)"), Claude Code's input box (the text typed in it, and whether the
//!   user ended the last turn: Esc, "No", a rejected plan), a shell prompt (Claude Code is
//!   not running; the last meaningful line, e.g. "-bash: claude: command not found"), or
//!   unknown.
//! - [`choose`]`(choices, answer)`: the permission dialog's choice that approves, approves
//!   without asking again, or denies; [`PaneView::describe`] names any other screen.
//! - [`input_text`]`(capture)`: the text in the input box, busy or not (`None`: no box in
//!   sight). `navi send` uses it to check that a submit left the box.
//! - [`correct`]`(file, view, now, thresholds) -> Option<`[`Correction`]`>`: the status the
//!   file should have given what the pane shows. Apply it with `hook::mapping::correct`,
//!   which accumulates time like an event and drops the `prompt` with the question.
//!   Meant for the dashboard's slow tmux check, on sessions whose status may be stale:
//!   `permission`, `waiting` and `working` (and a `working` one still "Starting Claude Code").
//!
//! Shapes follow the real screens of Claude Code 2.1.197 in tests/fixtures/claude-code/.

mod answer;
mod policy;
mod read;

pub use answer::{Answer, choose};
pub use policy::{Correction, QUIET_ENV, START_ENV, STARTING, Thresholds, correct, needs_look};
pub use read::{input_text, read, split_input};

/// Programs that never show Claude Code's screens: a shell whose screen still shows them
/// shows what Claude Code left behind when it exited.
pub const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "fish", "ksh", "mksh", "tcsh", "csh", "ash", "busybox"];

/// Whether tmux's `pane_current_command` can be Claude Code: `claude` (also a symlink's
/// name), the npm package's `claude.exe`, `node` (older npm installs), or the version
/// number Claude Code may set as its process title. Keys meant for its dialogs go to
/// nothing else (a pager or `cat` showing an old screen would take them as input).
pub fn runs_agent(command: &str) -> bool {
    let version = !command.is_empty() && command.chars().all(|c| c.is_ascii_digit() || c == '.');
    command.starts_with("claude") || command == "node" || version
}

/// One numbered answer of a dialog: `❯ 1. Yes` is `{number: 1, label: "Yes", selected: true}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub number: u32,
    pub label: String,
    pub selected: bool,
}

/// What the pane shows at its bottom, where Claude Code draws its dialogs and input box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaneView {
    /// A permission dialog: `title` is its first line ("Bash command"), `body` the lines
    /// between it and the question (the command and its description, or a diff), blank
    /// lines left out; `question` is "Do you want to proceed?" (or "… make this edit …?").
    Permission {
        title: String,
        body: Vec<String>,
        question: String,
        choices: Vec<Choice>,
    },
    /// An AskUserQuestion dialog: its header chip ("Colour"), question and choices (the
    /// options, then Claude Code's own "Type something." and "Chat about this").
    Question {
        header: Option<String>,
        question: String,
        choices: Vec<Choice>,
    },
    /// The plan-approval dialog ("Exit plan mode?").
    Plan {
        choices: Vec<Choice>,
    },
    /// A turn is running: the spinner line ("✻ Wrangling…"), or the footer's
    /// "esc to interrupt" when the spinner is out of sight.
    Busy {
        spinner: String,
    },
    /// Claude Code waits at its input box with no turn running. `text` is what is typed in
    /// it ("" when empty); `interrupted` when the user ended the last turn: Esc, "No" to a
    /// permission ("⎿  Interrupted · …"), or a rejected plan.
    Input {
        text: String,
        interrupted: bool,
    },
    /// A shell prompt at the bottom and no Claude Code screen: Claude Code is not running.
    /// `last_line` is the last line above the prompt that is not the command itself.
    Shell {
        last_line: Option<String>,
    },
    Unknown,
}

impl PaneView {
    /// True for the three dialogs that wait on the user.
    pub fn is_dialog(&self) -> bool {
        matches!(self, PaneView::Permission { .. } | PaneView::Question { .. } | PaneView::Plan { .. })
    }
}

#[cfg(test)]
mod answer_tests;
#[cfg(test)]
mod tests;
