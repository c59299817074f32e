//! `navi send`: the text goes into the session's pane as one bracketed paste, then Enter;
//! then the screen is read until Claude Code's input box no longer holds the text, and
//! Enter is pressed again while it does (Claude Code loses an Enter that arrives in the
//! same read as the text, e.g. right after it starts). A pane without Claude Code's input
//! box (a shell, another program) gets its line once. Every step is a script run through
//! [`SessionBackend::exec`], so local and remote sessions share it.

use super::pane;
use super::tmux::{self, Screen};
use super::{BackendError, SessionBackend};
use std::time::Duration;
use tokio::time::Instant;

/// The longest text `send` takes.
pub const MAX_TEXT: usize = 1 << 20;
/// How often the screen is read while waiting for the text to leave the box.
const POLL: Duration = Duration::from_millis(100);
/// How long the text may sit in the box after an Enter before Enter is pressed again.
const RETRY_AFTER: Duration = Duration::from_millis(600);
/// Enter is pressed at most this many times.
const MAX_ENTERS: u32 = 5;
/// How long a program other than a shell may take to show Claude Code's input box (it
/// may be starting) before the send counts as done without it.
const NO_BOX_WAIT: Duration = Duration::from_secs(2);
/// How long the box must stay without the text, when the prompt does not show above it,
/// before the send counts as submitted (a redraw after a pause shows an empty box first).
const SETTLE: Duration = Duration::from_secs(1);
/// The whole send gives up after this long.
const DEADLINE: Duration = Duration::from_secs(15);

/// What one look at the screen says about the text sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Claude Code's input box still holds the text.
    Holding,
    /// The box is there without the text, and the prompt shows in the conversation above
    /// it: submitted.
    Submitted,
    /// The box is there without the text, the screen changed, but the prompt does not
    /// show above it (yet: a redraw may come first; or it scrolled away, or `/clear`).
    Cleared,
    /// The box is there without the text, but nothing changed on screen yet (the program
    /// has not read its input: busy or stopped).
    Unchanged,
    /// No input box on screen.
    NoBox,
}

/// Sends `text` and Enter to the session and makes sure Claude Code submitted it.
pub async fn submit<B: SessionBackend + ?Sized>(b: &B, name: &str, text: &str) -> Result<(), BackendError> {
    if text.len() > MAX_TEXT {
        return Err(BackendError::Command(format!("the text is {} bytes; at most {MAX_TEXT} can be sent", text.len())));
    }
    let buffer = format!("navi-send-{}", uuid::Uuid::new_v4().simple());
    let script = b.tmux().send_line(name, &buffer, text.is_empty());
    let out = b.exec(&script, Some(text.as_bytes())).await?;
    let before = match out.status {
        Some(0) => tmux::parse_screen(&out.stdout_str()),
        Some(tmux::NO_SESSION) => return Err(BackendError::NoSuchSession(name.into())),
        _ => return Err(BackendError::Command(out.error_text())),
    };
    // A shell's line is typed once, not watched: it never shows an input box.
    let shell = pane::SHELLS.contains(&before.command.as_str());
    let start = Instant::now();
    let (mut enters, mut last_enter) = (1, start);
    let (mut held, mut cleared_since) = (false, None);
    loop {
        tokio::time::sleep(POLL).await;
        // The session or its program ended (`/exit` in a pane of its own): it got the line.
        let Some(now) = screen(b, name).await?.filter(|s| !s.dead) else { return Ok(()) };
        let seen = judge(&now.text, &before.text, text);
        cleared_since = if seen == Seen::Cleared { cleared_since.or(Some(Instant::now())) } else { None };
        match seen {
            Seen::Submitted => return Ok(()),
            // Held in the box before and gone now; or gone for good (not a passing redraw).
            Seen::Cleared if held || cleared_since.is_some_and(|t| t.elapsed() >= SETTLE) => return Ok(()),
            Seen::NoBox if shell || pane::SHELLS.contains(&now.command.as_str()) => return Ok(()),
            Seen::NoBox if start.elapsed() >= NO_BOX_WAIT => return Ok(()),
            Seen::Holding if last_enter.elapsed() < RETRY_AFTER => held = true,
            Seen::Holding => {
                held = true;
                if enters >= MAX_ENTERS {
                    return Err(not_submitted(enters));
                }
                b.run_on(name, &b.tmux().press_enter(name)).await?;
                enters += 1;
                last_enter = Instant::now();
            }
            _ => {}
        }
        if start.elapsed() >= DEADLINE {
            return Err(not_submitted(enters));
        }
    }
}

fn not_submitted(enters: u32) -> BackendError {
    BackendError::Command(format!(
        "the text was typed but Claude Code did not submit it (Enter pressed {enters} times); it may still be in its input box"
    ))
}

/// The session's screen; `None` when the session is gone.
async fn screen<B: SessionBackend + ?Sized>(b: &B, name: &str) -> Result<Option<Screen>, BackendError> {
    match b.run_on(name, &b.tmux().screen(name)).await {
        Ok(out) => Ok(Some(tmux::parse_screen(&out.stdout_str()))),
        Err(BackendError::NoSuchSession(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads `screen` (taken after the send) against `before` (taken just before it).
pub fn judge(screen: &str, before: &str, text: &str) -> Seen {
    let Some((shown, rest)) = pane::split_input(screen) else { return Seen::NoBox };
    if holds(&shown, text) {
        Seen::Holding
    } else if screen == before {
        Seen::Unchanged
    } else if echoes(&rest, text) > pane::split_input(before).map_or(0, |(_, r)| echoes(&r, text)) {
        Seen::Submitted
    } else {
        Seen::Cleared
    }
}

/// Whether the box shows `text` (whitespace aside: the box wraps long lines): its start or
/// its end, or Claude Code's placeholder for a long paste.
fn holds(shown: &str, text: &str) -> bool {
    let (shown, text) = (squeeze(shown), squeeze(text));
    if shown.is_empty() || text.is_empty() {
        return false;
    }
    let n = text.len().min(24);
    count(&shown, &text[..n]) + count(&shown, &text[text.len() - n..]) + count(&shown, &squeeze(PASTED)) > 0
}

/// How often the start of `text` (or a long paste's placeholder) shows in `rest`: one
/// more after the send than before is the submitted prompt in the conversation.
fn echoes(rest: &str, text: &str) -> usize {
    let (rest, text) = (squeeze(rest), squeeze(text));
    if text.is_empty() {
        return 0;
    }
    count(&rest, &text[..text.len().min(24)]) + count(&rest, &squeeze(PASTED))
}

/// How Claude Code shows a long paste in its box and conversation.
const PASTED: &str = "[Pasted text";

fn squeeze(s: &str) -> Vec<char> {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn count(hay: &[char], needle: &[char]) -> usize {
    if needle.is_empty() { 0 } else { hay.windows(needle.len()).filter(|w| *w == needle).count() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = "────────────────────────────────────────";

    fn screen(rows: &[&str]) -> String {
        let mut s = vec!["╭─── Claude Code ───╮", "", "❯ an earlier prompt", "", "● An answer.", ""];
        s.extend_from_slice(rows);
        s.extend_from_slice(&["  ? for shortcuts", "", ""]);
        s.join("\n")
    }

    #[test]
    fn the_input_box_is_read_between_its_rules() {
        assert_eq!(pane::input_text(&screen(&[RULE, "❯\u{a0}", RULE])).as_deref(), Some(""));
        let wrapped = screen(&[RULE, "❯\u{a0}zzzz", "  zzz   ", "", RULE]);
        assert_eq!(pane::input_text(&wrapped).as_deref(), Some("zzzz\nzzz"));
        let lines = screen(&[RULE, "❯ line one", "  line two", "  line three", RULE, "  /clear   Start a new session"]);
        assert_eq!(pane::input_text(&lines).as_deref(), Some("line one\nline two\nline three"));
        // A dialog's selection sign is not the box; neither is a prompt above the box.
        assert_eq!(pane::input_text(&screen(&[RULE, " Bash command", " ❯ 1. Yes", "   2. No"])), None);
        assert_eq!(pane::input_text(&screen(&["Which colour?", "❯ 1. Red", RULE])), None);
        assert_eq!(pane::input_text("$ echo hi\nhi\n$ "), None);
    }

    #[test]
    fn judging_a_send() {
        let empty = screen(&[RULE, "❯\u{a0}", RULE]);
        let typed = screen(&[RULE, "❯\u{a0}say hello to the stand-in please", "", RULE]);
        let text = "say hello to the stand-in please";
        assert_eq!(judge(&typed, &empty, text), Seen::Holding, "the Enter was lost: press it again");
        assert_eq!(judge(&empty, &empty, text), Seen::Unchanged, "the program has not read its input yet");
        let after = screen(&["❯ say hello to the stand-in please", "", RULE, "❯\u{a0}", RULE]);
        assert_eq!(judge(&after, &empty, text), Seen::Submitted);
        let again = screen(&["❯ say hello to the stand-in please", "", "● Received.", RULE, "❯\u{a0}", RULE]);
        assert_eq!(judge(&again, &after, text), Seen::Cleared, "an earlier send of the same text is not this one");
        let redrawn = screen(&["╭─── Claude Code ───╮", RULE, "❯\u{a0}", RULE]);
        assert_eq!(judge(&redrawn, &empty, text), Seen::Cleared, "a redraw after a pause is not a submit");
        assert_eq!(judge("$ say hello\n$ ", "$ ", text), Seen::NoBox);
        let long = "x".repeat(40) + &"y".repeat(400);
        let wrapped = screen(&[RULE, &format!("❯ {}", &long[..100]), &format!("  {}", &long[100..]), RULE]);
        assert_eq!(judge(&wrapped, &empty, &long), Seen::Holding);
        let pasted = screen(&[RULE, "❯ [Pasted text #1 +40 lines]", RULE]);
        assert_eq!(judge(&pasted, &empty, &long), Seen::Holding);
        let other = screen(&["❯ say hello to the stand-in please", RULE, "❯ a draft of the user's own", RULE]);
        assert_eq!(judge(&other, &empty, text), Seen::Submitted, "text not ours: ours left the box");
    }

    /// CI caught Claude Code losing the Enter after a pasted `/clear`: its completions
    /// menu replaced the footer, the box was not found, and the send counted as done.
    #[test]
    fn a_command_with_its_completions_open_is_still_in_the_box() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude-code/screens/slash-menu.txt");
        let menu = std::fs::read_to_string(path).unwrap();
        let (typed, rest) = pane::split_input(&menu).unwrap();
        assert_eq!(typed, "/clear");
        assert!(rest.contains("/code-review"), "the menu is not the box");
        let empty = menu.replace("❯\u{a0}/clear", "❯\u{a0}");
        assert_eq!(judge(&menu, &empty, "/clear"), Seen::Holding, "press Enter again");
    }
}
