//! Colours and styles in one place.

use crate::sessions::Status;
use ratatui::style::{Color, Modifier, Style};

pub fn dim() -> Style {
    Style::new().add_modifier(Modifier::DIM)
}

pub fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn selected_bg() -> Style {
    Style::new().bg(Color::Indexed(237))
}

pub fn accent() -> Style {
    Style::new().fg(Color::Cyan)
}

pub fn error() -> Style {
    Style::new().fg(Color::Red)
}

pub fn ok() -> Style {
    Style::new().fg(Color::Green)
}

pub fn warn() -> Style {
    Style::new().fg(Color::Yellow)
}

pub fn status(s: &Status) -> Style {
    match s {
        Status::Waiting | Status::Permission => Style::new().fg(Color::Yellow),
        Status::Working => Style::new().fg(Color::Cyan),
        Status::Done => Style::new().fg(Color::Green),
        Status::Error => Style::new().fg(Color::Red),
        _ => dim(),
    }
}

/// The status icon padded to two columns. VS16 emoji are one column in some terminals
/// (tmux) and two in others: the selector is dropped so every terminal agrees.
pub fn icon(s: &Status) -> String {
    let icon = s.icon().trim_end_matches('\u{fe0f}');
    let w = unicode_width::UnicodeWidthStr::width(icon);
    format!("{icon}{}", " ".repeat(2usize.saturating_sub(w)))
}
