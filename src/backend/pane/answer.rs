//! Which of a permission dialog's numbered choices gives an answer, and how a screen that
//! is not one is named in an error. Claude Code words its choices differently by tool and
//! version ("Yes, and always allow access to repo/ from this project" in 2.1.197, "Yes,
//! and don't ask again for … commands" before, "Yes, allow all edits during this session"
//! for edits; "No", or "No, and tell Claude what to do differently"), so the choices are
//! matched by their leading word and a few phrases, never by position alone.

use super::{Choice, PaneView};

/// An answer to a permission dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    /// "Yes": this call only.
    Approve,
    /// The "Yes, and don't ask again" choice, where the dialog offers one.
    ApproveAlways,
    /// "No": Claude Code refuses the tool and waits for the user.
    Deny,
}

impl Answer {
    /// The command's name: `approve`, `approve --always`, `deny`.
    pub fn command(self) -> &'static str {
        match self {
            Answer::Approve => "approve",
            Answer::ApproveAlways => "approve --always",
            Answer::Deny => "deny",
        }
    }

    /// What was done, for a message: "approved", "approved (don't ask again)", "denied".
    pub fn done(self) -> &'static str {
        match self {
            Answer::Approve => "approved",
            Answer::ApproveAlways => "approved (don't ask again)",
            Answer::Deny => "denied",
        }
    }
}

/// Phrases of a "Yes" choice that stops Claude Code from asking again.
const ALWAYS: &[&str] = &["always", "don't ask", "do not ask", "allow all", "during this session"];

fn starts_with_word(label: &str, word: &str) -> bool {
    let lower = label.trim().to_lowercase();
    lower.strip_prefix(word).is_some_and(|rest| rest.is_empty() || rest.starts_with([',', ' ', '.', '!']))
}

fn is_always(label: &str) -> bool {
    let lower = label.to_lowercase();
    starts_with_word(label, "yes") && ALWAYS.iter().any(|p| lower.contains(p))
}

/// The choice that gives `answer`, `None` when the dialog offers none.
pub fn choose(choices: &[Choice], answer: Answer) -> Option<&Choice> {
    let yes = |c: &&Choice| starts_with_word(&c.label, "yes");
    match answer {
        Answer::Approve => choices
            .iter()
            .find(|c| c.label.trim().eq_ignore_ascii_case("yes"))
            .or_else(|| choices.iter().filter(yes).find(|c| !is_always(&c.label))),
        Answer::ApproveAlways => choices.iter().find(|c| is_always(&c.label)),
        Answer::Deny => choices.iter().find(|c| starts_with_word(&c.label, "no")),
    }
}

impl PaneView {
    /// What the pane shows, as the end of "the pane shows …" in an error.
    pub fn describe(&self) -> String {
        let clip = |s: &str| crate::text::truncate(&crate::text::sanitize_line(s), 80);
        match self {
            PaneView::Permission { title, .. } => format!("a permission dialog ({})", clip(title)),
            PaneView::Question { question, .. } => {
                format!("a question from Claude Code ({:?}), not a permission dialog", clip(question))
            }
            PaneView::Plan { .. } => "the plan-approval dialog (\"Exit plan mode?\"), not a permission dialog".into(),
            PaneView::Busy { spinner } => format!("Claude Code at work ({}), no dialog", clip(spinner)),
            PaneView::Input { .. } => "Claude Code's input box, no dialog".into(),
            PaneView::Shell { .. } => "a shell prompt: Claude Code is not running there".into(),
            PaneView::Unknown => "no Claude Code screen navi knows (another program, or still starting)".into(),
        }
    }
}
