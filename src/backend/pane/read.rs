//! Reading a `capture-pane -p` text. Claude Code draws its input box at the bottom (a rule,
//! `❯ ` and the typed text, a rule, a footer of hints); a running turn adds a spinner line
//! above it ("✻ Wrangling…"); a dialog replaces the box. Anything else at the bottom that
//! ends in a prompt sign is a shell.

use super::{Choice, PaneView};

/// The glyphs Claude Code's spinner cycles through.
const SPINNER: &[char] = &['·', '✢', '✳', '✶', '✻', '✽', '*'];
/// Claude Code's prompt sign, in the input box and before a dialog's selected choice.
const SIGN: char = '❯';
/// Lines below the input box: hints, mode, notices.
const FOOTER_MAX: usize = 4;
/// Lines below the input box while it shows completions (of a `/command` or an `@` mention
/// being typed): eight entries, each wrapped on up to two rows, and some room.
const MENU_MAX: usize = 24;
/// The input box grows with its text; past this it is not taken for one.
const BOX_MAX: usize = 30;
/// How far above the input box the spinner line is looked for.
const SPINNER_REACH: usize = 12;
/// How far up the last exchange above the box is read.
const ENTRY_REACH: usize = 60;
/// Dialogs are looked for only in this many lines at the bottom.
const DIALOG_REACH: usize = 60;

/// What the pane shows; see [`PaneView`].
pub fn read(capture: &str) -> PaneView {
    let lines = lines(capture);
    if let Some(b) = input_box(&lines) {
        return match spinner(&lines, &b) {
            Some(spinner) => PaneView::Busy { spinner },
            None => PaneView::Input { text: b.text, interrupted: interrupted(&lines[..b.top]) },
        };
    }
    if let Some(view) = dialog(&lines) {
        return view;
    }
    shell(&lines).unwrap_or(PaneView::Unknown)
}

/// The text in Claude Code's input box ("" when empty), also while a turn runs; `None`
/// when no input box is at the bottom of the pane (a dialog, a shell, something else).
pub fn input_text(capture: &str) -> Option<String> {
    input_box(&lines(capture)).map(|b| b.text)
}

/// The input box's text and the rest of the capture (the rows above the box and below it),
/// for telling whether a prompt sent went into the conversation; `None` without a box.
pub fn split_input(capture: &str) -> Option<(String, String)> {
    let lines = lines(capture);
    let b = input_box(&lines)?;
    let rest = [&lines[..=b.top], &lines[b.bottom..]].concat().join("\n");
    Some((b.text, rest))
}

/// The capture's lines without trailing spaces (`-J` keeps the pane's padding), blank rows
/// at the bottom dropped.
fn lines(capture: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = capture.lines().map(str::trim_end).collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.chars().count() >= 10 && t.chars().all(|c| c == '─')
}

/// A row of a completions menu: a command (`/name`, then its description after two spaces
/// or more), a file or folder (`+ path`) or an agent (`* name (agent) – …`) to mention.
fn is_menu_row(line: &str) -> bool {
    if let Some(rest) = line.strip_prefix(['+', '*']) {
        return rest.strip_prefix(' ').is_some_and(|r| r.starts_with(|c: char| !c.is_whitespace()));
    }
    // A shell prompt that starts with its folder (`/tmp/repo$`) is not a row.
    let Some((name, about)) = line.strip_prefix('/').and_then(|rest| rest.split_once("  ")) else { return false };
    !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        && !about.trim().is_empty()
}

/// After the prompt sign: one space (the input box uses a no-break space) comes off.
fn after_sign(line: &str) -> Option<&str> {
    let rest = line.strip_prefix(SIGN)?;
    Some(rest.strip_prefix([' ', '\u{a0}']).unwrap_or(rest))
}

struct InputBox {
    /// The rule above the box.
    top: usize,
    /// The rule below it.
    bottom: usize,
    text: String,
}

/// The last rule / `❯ text` / continuation lines / rule block. Below the box: Claude Code's footer, or a menu of completions (of a `/command` or an
/// `@` mention being typed: a row per entry, a description wrapped under it).
fn input_box(lines: &[&str]) -> Option<InputBox> {
    let from = lines.len().saturating_sub(MENU_MAX + 1);
    let bottom = (from..lines.len()).rev().find(|&i| is_rule(lines[i]))?;
    let below = &lines[bottom + 1..];
    // Claude Code indents its footer; a shell prompt below means Claude Code has exited.
    if !below.iter().all(|l| l.is_empty() || l.starts_with(' ') || is_menu_row(l)) {
        return None;
    }
    if below.len() > FOOTER_MAX && !below.iter().any(|l| is_menu_row(l)) {
        return None;
    }
    for first in (bottom.saturating_sub(BOX_MAX)..bottom).rev() {
        let line = lines[first];
        if let Some(typed) = after_sign(line) {
            if first == 0 || !is_rule(lines[first - 1]) {
                return None;
            }
            let mut text = vec![typed];
            text.extend(lines[first + 1..bottom].iter().map(|l| l.strip_prefix("  ").unwrap_or(l)));
            return Some(InputBox { top: first - 1, bottom, text: text.join("\n").trim_end().to_string() });
        }
        // Continuation rows of typed text are indented under the sign.
        if !(line.is_empty() || line.starts_with("  ")) {
            return None;
        }
    }
    None
}

/// The spinner line of a running turn, between the last prompt and the box; or the
/// footer's "esc to interrupt" (the spinner may be out of sight).
fn spinner(lines: &[&str], b: &InputBox) -> Option<String> {
    let above = lines[b.top.saturating_sub(SPINNER_REACH)..b.top].iter().rev();
    for line in above.take_while(|l| !l.starts_with(SIGN)) {
        let mut chars = line.chars();
        if chars.next().is_some_and(|c| SPINNER.contains(&c))
            && chars.next() == Some(' ')
            && chars.as_str().split_whitespace().next().is_some_and(|w| w.ends_with('…') || w.ends_with("..."))
        {
            return Some(line.trim().to_string());
        }
    }
    lines[b.bottom + 1..].iter().any(|l| l.contains("esc to interrupt")).then(|| "esc to interrupt".to_string())
}

/// True when the last exchange above the box ended with Claude Code's "⎿  Interrupted · …"
/// (Esc, or "No" to a permission) or "⎿  User rejected Claude's plan".
fn interrupted(above: &[&str]) -> bool {
    let entry = above.iter().rev().take(ENTRY_REACH).take_while(|l| !l.starts_with([SIGN, '●']));
    entry
        .map(|l| l.trim_start())
        .any(|t| t.starts_with('⎿') && (t.contains("Interrupted") || t.contains("User rejected")))
}

/// The bottom-most dialog: the line that names it, then its numbered choices.
fn dialog(lines: &[&str]) -> Option<PaneView> {
    let from = lines.len().saturating_sub(DIALOG_REACH);
    for at in (from..lines.len()).rev() {
        let t = lines[at].trim();
        let below = &lines[at + 1..];
        let view = if t == "Exit plan mode?" {
            PaneView::Plan { choices: choices(below) }
        } else if t.starts_with("Do you want to") && t.ends_with('?') {
            // The dialog's own rule is the last one above the question; the title is the
            // first line below it, what the tool would do (the command, a diff) follows.
            let top = lines[from..at].iter().rposition(|l| is_rule(l)).map_or(at, |r| from + r + 1);
            // Dashed rules frame a file's lines; they are layout, not text.
            let mut text =
                lines[top..at].iter().map(|l| l.trim()).filter(|l| !l.is_empty() && !l.chars().all(|c| c == '╌'));
            let title = text.next().unwrap_or("").to_string();
            let body = text.map(str::to_string).collect();
            PaneView::Permission { title, body, question: t.to_string(), choices: choices(below) }
        } else if let Some((_, chip)) = t.split_once('☐').filter(|_| t.starts_with('☐') || t.starts_with('←')) {
            // The header chip(s), then the question, then its choices.
            let header = chip.split("  ").next().map(str::trim).filter(|h| !h.is_empty()).map(str::to_string);
            let q = below.iter().position(|l| !l.trim().is_empty()).unwrap_or(below.len());
            let question = below.get(q).map_or("", |l| l.trim()).to_string();
            PaneView::Question { header, question, choices: choices(below.get(q + 1..).unwrap_or_default()) }
        } else {
            continue;
        };
        let n = match &view {
            PaneView::Plan { choices } | PaneView::Permission { choices, .. } | PaneView::Question { choices, .. } => {
                choices.len()
            }
            _ => 0,
        };
        if n >= 2 {
            return Some(view);
        }
    }
    None
}

/// `❯ 1. Yes` / `  2. No` lines, in order; descriptions and rules between them skipped.
fn choices(lines: &[&str]) -> Vec<Choice> {
    lines
        .iter()
        .filter_map(|l| {
            let t = l.trim_start();
            let (selected, t) = match after_sign(t) {
                Some(rest) => (true, rest.trim_start()),
                None => (false, t),
            };
            let (number, label) = t.split_once(". ")?;
            let number = number.parse().ok()?;
            Some(Choice { number, label: label.trim().to_string(), selected })
        })
        .collect()
}

/// A shell prompt on the bottom line, and the last line of output above it.
fn shell(lines: &[&str]) -> Option<PaneView> {
    let (prompt, above) = lines.split_last()?;
    let prompt = prompt.trim();
    let sign = prompt.chars().last()?;
    if !['$', '#', '%', '>', SIGN].contains(&sign) || prompt.chars().count() > 200 {
        return None;
    }
    let last = above.iter().rev().map(|l| l.trim()).find(|l| !l.is_empty());
    // The line that typed the command starts with the same prompt: there was no output.
    let last_line = last.filter(|l| !l.starts_with(prompt)).map(str::to_string);
    Some(PaneView::Shell { last_line })
}
