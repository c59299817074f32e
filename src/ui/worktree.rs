//! The worktree popups: how to finish a worktree session, and the kill that asks about the
//! worktree (kept unless asked).

use super::dialogs::popup;
use super::theme;
use crate::app::dialog::{Dialog, NewForm, TextInput};
use crate::sessions::worktree::Worktree;
use crate::text::sanitize_line;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

fn choice(key: &'static str, what: String) -> Line<'static> {
    Line::from(vec![Span::styled(format!("  {key}  "), theme::accent()), Span::raw(what)])
}

fn about(w: &Worktree) -> Vec<Line<'static>> {
    vec![
        Line::from(vec![Span::styled("branch    ", theme::dim()), Span::raw(sanitize_line(&w.branch))]),
        Line::from(vec![Span::styled("base      ", theme::dim()), Span::raw(sanitize_line(&w.base))]),
        Line::from(vec![Span::styled("worktree  ", theme::dim()), Span::raw(sanitize_line(&w.path))]),
        Line::raw(""),
    ]
}

pub fn draw(frame: &mut Frame, area: Rect, d: &Dialog) {
    let (title, lines) = match d {
        Dialog::Finish { key, worktree: w } => {
            let mut lines = about(w);
            let (b, base) = (sanitize_line(&w.branch), sanitize_line(&w.base));
            lines.extend([
                choice("m", format!("merge {b} into {base} in the main checkout")),
                choice("p", format!("push {b} and open a pull request (gh)")),
                choice("r", "remove the worktree without merging".into()),
                Line::raw(""),
                Line::styled("Then the worktree, the merged branch and the session go.", theme::dim()),
                Line::styled("Nothing that would be lost goes without asking again.   esc cancel", theme::dim()),
            ]);
            (format!("Finish {}", sanitize_line(&key.name)), lines)
        }
        Dialog::KillWorktree { key, worktree: w } => {
            let mut lines = about(w);
            lines.extend([
                choice("y", "kill the session, keep the worktree and branch".into()),
                choice("w", "kill it and remove the worktree too (asks again to lose work)".into()),
                Line::raw(""),
                Line::styled("n/esc cancel", theme::dim()),
            ]);
            (format!("Kill {}", sanitize_line(&key.name)), lines)
        }
        _ => return,
    };
    let h = (lines.len() as u16 + 2).min(area.height);
    popup(frame, area, &title, 72, h, lines, theme::warn());
}

/// The new-session form's worktree box, and its branch and base inputs while it is checked
/// (an empty one shows its default). `label` draws a field's label as the form does.
pub fn form_lines(f: &NewForm, label: impl Fn(usize, &'static str) -> Line<'static>) -> Vec<Line<'static>> {
    let at = f.worktree_field();
    let check = if f.worktree { "[x]" } else { "[ ]" };
    let style = if f.field == at { theme::accent() } else { theme::dim() };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{check} "), style),
        Span::raw("in a new git worktree of its repository"),
    ])];
    if !f.worktree {
        return lines;
    }
    let input = |i: usize, t: &TextInput, default: String| {
        if t.value.is_empty() && f.field != i {
            Line::styled(format!("  {}", sanitize_line(&default)), theme::dim())
        } else {
            super::dialogs::input_line(t, f.field == i, 60)
        }
    };
    let name = if f.name.value.is_empty() { "NAME".into() } else { f.name.value.clone() };
    lines.extend([
        label(at + 1, "Branch"),
        input(at + 1, &f.branch, format!("navi/{name}")),
        label(at + 2, "From"),
        input(at + 2, &f.base, "the directory's current branch".into()),
    ]);
    if let Some(e) = &f.branch_error {
        lines.push(Line::styled(format!("✗ {}", sanitize_line(e)), theme::error()));
    }
    lines
}
