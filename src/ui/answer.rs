//! The approve / deny confirmation: for each session, what its permission dialog asks (the
//! tool, the command or diff, the question) and the choice that will be pressed, as read
//! from its pane; sessions without a dialog are listed with the reason and skipped.

use super::dialogs::{popup, yes_no};
use super::theme;
use crate::app::dialog::Found;
use crate::app::marks::label;
use crate::backend::pane::{self, Answer};
use crate::text::{sanitize_line, truncate};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

/// Lines of a dialog's body (command, description, diff) shown per session.
const BODY_MAX: usize = 8;
const WIDTH: u16 = 84;

pub fn draw(frame: &mut Frame, area: Rect, answer: Answer, found: &[Found]) {
    let room = usize::from(WIDTH) - 8;
    let mut lines = Vec::new();
    for f in found {
        lines.push(Line::styled(label(&f.key), theme::bold()));
        let d = match &f.dialog {
            Ok(d) => d,
            Err(e) => {
                lines.push(Line::styled(
                    format!("  ✗ {} (skipped)", truncate(&sanitize_line(e), room.saturating_sub(14))),
                    theme::error(),
                ));
                continue;
            }
        };
        lines.push(Line::styled(format!("  {}", truncate(&sanitize_line(&d.title), room)), theme::accent()));
        for l in d.body.iter().take(BODY_MAX) {
            lines.push(Line::raw(format!("    {}", truncate(&sanitize_line(l), room.saturating_sub(2)))));
        }
        if d.body.len() > BODY_MAX {
            lines.push(Line::styled(format!("    … {} more lines", d.body.len() - BODY_MAX), theme::dim()));
        }
        lines.push(Line::raw(format!("  {}", truncate(&sanitize_line(&d.question), room))));
        lines.push(match pane::choose(&d.choices, answer) {
            Some(c) => {
                let choice = truncate(&format!("{}. {}", c.number, sanitize_line(&c.label)), room - 2);
                Line::styled(format!("  → {choice}"), theme::warn())
            }
            None => Line::styled("  ✗ it offers no such choice: nothing will be typed", theme::error()),
        });
    }
    lines.push(Line::raw(""));
    lines.push(yes_no(answer.command()));
    let title = format!("{} · {} session{}", answer.command(), found.len(), if found.len() == 1 { "" } else { "s" });
    let h = (lines.len() as u16 + 2).min(area.height);
    popup(frame, area, &title, WIDTH, h, lines, theme::warn());
}
