//! Answering Claude Code's permission dialog in a session without attaching: `navi approve`,
//! `navi deny` and the dashboard's keys all come here. Nothing is typed unless the pane
//! shows a permission dialog with the wanted choice (and, when the caller showed the user
//! a dialog, that very dialog). The answer is the choice's digit alone, which is what
//! Claude Code takes (Enter is not needed; "No" is a choice of its own, so Esc, which
//! would interrupt a turn if the dialog vanished meanwhile, is never sent). Afterwards the
//! pane is read until the dialog is gone, for a bounded time.
//!
//! Claude Code sends no hook event for an answer (PostToolUse comes when the tool ends),
//! so the pane check runs at once, as after `navi send`: the status leaves `permission`
//! for what the pane shows (working, or idle "Interrupted" after a "No").
//! Written on [`SessionBackend`] primitives: local and remote share it.

use super::pane::{self, Answer, Choice, PaneView};
use super::{BackendError, SessionBackend, tmux};
use std::time::Duration;
use tokio::time::Instant;

/// Lines of the pane read: Claude Code draws its dialogs at the bottom.
const LINES: usize = 80;
/// How often the pane is read while waiting for the dialog to go.
const POLL: Duration = Duration::from_millis(100);
/// How long the dialog may stay after its key was pressed.
pub const GONE_WAIT: Duration = Duration::from_secs(3);

/// A permission dialog as read from a pane (see [`PaneView::Permission`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub title: String,
    pub body: Vec<String>,
    pub question: String,
    pub choices: Vec<Choice>,
}

impl Dialog {
    fn of(view: PaneView) -> Result<Dialog, PaneView> {
        match view {
            PaneView::Permission { title, body, question, choices } => Ok(Dialog { title, body, question, choices }),
            other => Err(other),
        }
    }

    /// The same request: what is asked, whichever choice is selected.
    pub fn same_request(&self, other: &Dialog) -> bool {
        (&self.title, &self.body, &self.question) == (&other.title, &other.body, &other.question)
            && self.choices.iter().map(|c| (c.number, &c.label)).eq(other.choices.iter().map(|c| (c.number, &c.label)))
    }

    /// The choices as the dialog lists them: "1. Yes / 2. … / 3. No".
    pub fn offered(&self) -> String {
        self.choices.iter().map(|c| format!("{}. {}", c.number, c.label)).collect::<Vec<_>>().join(" / ")
    }
}

/// What an answer did: the dialog answered and the choice pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub dialog: Dialog,
    pub choice: Choice,
}

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// The pane shows something else: nothing typed.
    #[error("nothing typed: the pane of {name:?} shows {shows}")]
    NotAPermission { name: String, shows: String },
    /// `--always` on a dialog without such a choice (or a dialog without Yes / No).
    #[error("nothing typed: the dialog in {name:?} offers no {wanted} choice (it offers {offered})")]
    NoChoice { name: String, wanted: &'static str, offered: String },
    /// The dialog is another one than the one the user confirmed.
    #[error("nothing typed: the dialog in {name:?} changed since it was shown (it now asks about {now})")]
    Changed { name: String, now: String },
    /// The key was pressed and the dialog is still there.
    #[error("pressed {number} ({label}) in {name:?}, but the dialog is still there after {}s", GONE_WAIT.as_secs())]
    StillThere { name: String, number: u32, label: String },
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// The permission dialog the session's pane shows, or an error naming what it shows. Only
/// a pane whose program can be Claude Code, and not in copy mode, counts: a shell under
/// the screen Claude Code left when it exited, or `cat` printing one, would take the key.
pub async fn read<B: SessionBackend + ?Sized>(b: &B, name: &str) -> Result<Dialog, AnswerError> {
    let out = b.run_on(name, &b.tmux().pane_state(name)).await?;
    let state = tmux::parse_pane_state(&out.stdout_str());
    let command = crate::text::sanitize_line(&state.command);
    let not = |shows: String| AnswerError::NotAPermission { name: name.into(), shows };
    if state.dead {
        return Err(not("a program that has ended".into()));
    }
    if pane::SHELLS.contains(&state.command.as_str()) {
        return Err(not(format!("a shell prompt ({command}): Claude Code is not running there")));
    }
    if !pane::runs_agent(&state.command) {
        return Err(not(format!("{command}, not Claude Code")));
    }
    if state.in_mode {
        return Err(not("tmux's copy mode (press q there to leave it)".into()));
    }
    let capture = b.preview(name, LINES).await?;
    Dialog::of(pane::read(&capture))
        .map_err(|other| AnswerError::NotAPermission { name: name.into(), shows: other.describe() })
}

/// Answers the permission dialog in `name`'s pane (see the module note). `expect`: the
/// dialog the user was shown; another one there now is refused.
pub async fn answer<B: SessionBackend + ?Sized>(
    b: &B,
    name: &str,
    answer: Answer,
    expect: Option<&Dialog>,
) -> Result<Answered, AnswerError> {
    let dialog = read(b, name).await?;
    if let Some(shown) = expect
        && !shown.same_request(&dialog)
    {
        let now = crate::text::truncate(&format!("{}: {}", dialog.title, dialog.body.join(" ")), 120);
        return Err(AnswerError::Changed { name: name.into(), now });
    }
    let Some(choice) = pane::choose(&dialog.choices, answer).cloned() else {
        let wanted = match answer {
            Answer::Approve => "\"Yes\"",
            Answer::ApproveAlways => "\"Yes, and don't ask again\"",
            Answer::Deny => "\"No\"",
        };
        return Err(AnswerError::NoChoice { name: name.into(), wanted, offered: dialog.offered() });
    };
    b.run_on(name, &b.tmux().type_keys(name, &choice.number.to_string())).await?;
    wait_gone(b, name, &dialog, &choice).await?;
    // Best effort: answered; a failed check is retried by the next listing's.
    // The dialog is gone because navi answered it: the screen is the truth now, even for
    // a status written less than the usual settle time ago.
    if let Ok(Some(file)) = b.read_status(name).await {
        let t = pane::Thresholds { settle_secs: 0, ..pane::Thresholds::from_env() };
        super::panecheck::check_with(b, &[file], crate::text::now_unix(), &t).await;
    }
    Ok(Answered { dialog, choice })
}

/// Reads the pane until `dialog` is gone (another dialog, the tool at work, the box, the
/// session ended), at most [`GONE_WAIT`].
async fn wait_gone<B: SessionBackend + ?Sized>(
    b: &B,
    name: &str,
    dialog: &Dialog,
    choice: &Choice,
) -> Result<(), AnswerError> {
    let start = Instant::now();
    loop {
        tokio::time::sleep(POLL).await;
        match b.preview(name, LINES).await {
            Ok(capture) => match Dialog::of(pane::read(&capture)) {
                Ok(d) if d.same_request(dialog) => {}
                _ => return Ok(()),
            },
            Err(BackendError::NoSuchSession(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        if start.elapsed() >= GONE_WAIT {
            return Err(AnswerError::StillThere {
                name: name.into(),
                number: choice.number,
                label: choice.label.clone(),
            });
        }
    }
}
