//! Popups: confirmations (one line, or a list of the marked sessions) and the rename /
//! new-session / send forms.

use super::{centered, panels, theme};
use crate::app::dialog::{Dialog, NewForm, TextInput};
use crate::app::model::Model;
use crate::text::{sanitize_line, truncate};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, m: &Model, d: &Dialog) {
    match d {
        Dialog::Confirm { title, text, .. } => {
            let mut lines: Vec<Line> = text.split('\n').map(|l| Line::raw(sanitize_line(l))).collect();
            // One line of text wraps to two in the box; a list has one row per line.
            let h = if lines.len() == 1 { 7 } else { lines.len() as u16 + 4 };
            lines.extend([Line::raw(""), yes_no("yes")]);
            popup(frame, area, title, 60, h.min(area.height), lines, theme::error());
        }
        Dialog::Answer { answer, found } => super::answer::draw(frame, area, *answer, found),
        Dialog::Rename { key, input, error } => {
            let title = format!("Rename {}", sanitize_line(&key.name));
            let mut lines = vec![Line::styled("New name:", theme::dim()), input_line(input, true, 54)];
            lines.push(error_line(error.as_deref()));
            lines.push(Line::styled("↵ rename   esc cancel", theme::dim()));
            popup(frame, area, &title, 60, 7, lines, theme::accent());
        }
        Dialog::Send { key, input, error } => {
            let title = format!("Send to {}", sanitize_line(&key.name));
            let mut lines = vec![Line::styled("Prompt (pasted into the session, then Enter):", theme::dim())];
            let rows = input_rows(input, 70, PROMPT_ROWS);
            let height = 6 + rows.len() as u16;
            lines.extend(rows);
            lines.push(error_line(error.as_deref()));
            lines.push(Line::styled("↵ send   alt-↵ new line   esc cancel", theme::dim()));
            popup(frame, area, &title, 76, height, lines, theme::accent());
        }
        Dialog::New(f) => new_form(frame, area, f),
        Dialog::HostKey(p) => {
            let lines = vec![
                Line::raw(format!(
                    "{} ({}:{}) offered a host key that is not in {}.",
                    sanitize_line(&p.hop),
                    sanitize_line(&p.host),
                    p.port,
                    sanitize_line(&p.known_hosts)
                )),
                Line::raw(""),
                Line::from(vec![
                    Span::styled(format!("{} ", sanitize_line(&p.algorithm)), theme::dim()),
                    Span::styled(sanitize_line(&p.fingerprint), theme::bold()),
                ]),
                Line::raw(""),
                Line::raw("Compare the fingerprint with the server's own (ssh-keygen -lf on its host key)."),
                Line::raw("Trust it and add it to known_hosts?"),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("Y", theme::accent()),
                    Span::styled(" (shift+y) trust   ", theme::dim()),
                    Span::styled("n/esc", theme::accent()),
                    Span::styled(" not now (the remote stays unreachable)", theme::dim()),
                ]),
            ];
            let title = format!("Unknown host key · {}", sanitize_line(&p.remote));
            popup(frame, area, &title, 84, 12, lines, theme::warn());
        }
        Dialog::Git { .. } | Dialog::Metrics { .. } | Dialog::Help { .. } => panels::draw(frame, area, m, d),
        Dialog::Finish { .. } | Dialog::KillWorktree { .. } => super::worktree::draw(frame, area, d),
    }
}

/// Clears a centred box and draws `lines` in a titled border.
pub(super) fn popup(frame: &mut Frame, area: Rect, title: &str, w: u16, h: u16, lines: Vec<Line>, border: Style) {
    let r = centered(area, w, h);
    frame.render_widget(Clear, r);
    clear_wide_edge(frame, r);
    let block = Block::bordered().title(format!(" {title} ")).border_style(border);
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), r);
}

/// `y yes   n/esc no`.
pub(super) fn yes_no(what: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled("y", theme::accent()),
        Span::styled(format!(" {what}   "), theme::dim()),
        Span::styled("n/esc", theme::accent()),
        Span::styled(" no", theme::dim()),
    ])
}

fn error_line(error: Option<&str>) -> Line<'static> {
    match error {
        Some(e) => Line::styled(format!("✗ {}", sanitize_line(e)), theme::error()),
        None => Line::raw(""),
    }
}

/// The input's text with the cursor shown as a reversed cell when focused.
/// The prompt box shows at most this many of its lines.
const PROMPT_ROWS: usize = 8;

/// A text input that may hold several lines: the rows up to the cursor's (at most `max`),
/// the cursor's row drawn as [`input_line`] draws a one-line input.
fn input_rows(input: &TextInput, width: usize, max: usize) -> Vec<Line<'static>> {
    let before: String = input.value.chars().take(input.cursor).collect();
    let row = before.matches('\n').count();
    let col = before.rsplit('\n').next().map_or(0, |r| r.chars().count());
    let rows: Vec<&str> = input.value.split('\n').collect();
    let first = (row + 1).saturating_sub(max);
    let last = (first + max).min(rows.len());
    (first..last)
        .map(|i| {
            if i == row {
                input_line(&TextInput { value: rows[i].to_string(), cursor: col }, true, width)
            } else {
                Line::raw(format!("  {}", truncate(&sanitize_line(rows[i]), width)))
            }
        })
        .collect()
}

pub(super) fn input_line(input: &TextInput, focused: bool, width: usize) -> Line<'static> {
    let text = sanitize_line(&input.value);
    if !focused {
        return Line::raw(format!("  {}", truncate(&text, width)));
    }
    let chars: Vec<char> = text.chars().collect();
    let cur = input.cursor.min(chars.len());
    // Keep the cursor on screen for long values.
    let start = cur.saturating_sub(width.saturating_sub(2));
    let before: String = chars[start..cur].iter().collect();
    let at: String = chars.get(cur).map_or(" ".to_string(), |c| c.to_string());
    let after: String = chars.iter().skip(cur + 1).collect();
    Line::from(vec![
        Span::styled("› ", theme::accent()),
        Span::raw(before),
        Span::styled(at, Style::new().add_modifier(Modifier::REVERSED)),
        Span::raw(truncate(&after, width.saturating_sub(cur - start + 1))),
    ])
}

fn new_form(frame: &mut Frame, area: Rect, f: &NewForm) {
    let label = |i: usize, s: &'static str| {
        Line::styled(s, if f.field == i { theme::accent().add_modifier(Modifier::BOLD) } else { theme::dim() })
    };
    let host_name = |h: &Option<String>| h.as_deref().map(sanitize_line).unwrap_or_else(|| "this machine".into());
    let check = if f.skip_permissions { "[x]" } else { "[ ]" };
    let start = format!("Starts {} in a new tmux session on {}.", f.agent.program(), host_name(&f.remote));
    let mut lines = vec![
        Line::styled(start, theme::dim()),
        label(0, "Name"),
        input_line(&f.name, f.field == 0, 60),
        error_line(f.name_error.as_deref()),
        label(1, "Directory"),
        input_line(&f.dir, f.field == 1, 60),
        error_line(f.dir_error.as_deref()),
        Line::from(vec![
            Span::styled(format!("{check} "), if f.field == 2 { theme::accent() } else { theme::dim() }),
            Span::raw(match f.agent.skip_flag() {
                Some(flag) => format!("skip permissions ({flag})"),
                None => format!("skip permissions (not offered by {})", f.agent.title()),
            }),
        ]),
    ];
    if let Some(i) = f.host_field() {
        lines.push(Line::from(vec![
            Span::styled("Host ", if f.field == i { theme::accent() } else { theme::dim() }),
            Span::styled(format!("‹ {} ›", host_name(&f.remote)), theme::bold()),
        ]));
    }
    lines.extend(super::worktree::form_lines(f, label));
    lines.push(Line::from(vec![
        Span::styled("Agent ", if f.field == f.agent_field() { theme::accent() } else { theme::dim() }),
        Span::styled(format!("‹ {} ›", f.agent.title()), theme::bold()),
    ]));
    lines.push(Line::raw(""));
    lines.push(Line::styled("tab next field   space toggle   ↵ create   esc cancel", theme::dim()));
    let h = lines.len() as u16 + 2;
    popup(frame, area, "New session", 68, h, lines, theme::accent());
}

/// A wide character (an emoji icon) just left of the box would hide the box's left
/// border; blank it.
fn clear_wide_edge(frame: &mut Frame, r: Rect) {
    if r.x == 0 {
        return;
    }
    let buf = frame.buffer_mut();
    for y in r.y..r.y + r.height {
        let cell = &mut buf[(r.x - 1, y)];
        if unicode_width::UnicodeWidthStr::width(cell.symbol()) > 1 {
            cell.set_symbol(" ");
        }
    }
}
