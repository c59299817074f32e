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

/// A session's cost turns yellow from this many dollars, red from [`COST_ALARM`].
pub const COST_WARN: f64 = 5.0;
pub const COST_ALARM: f64 = 20.0;
/// Context fill turns yellow from this percentage (auto-compaction nears), red from
/// [`CONTEXT_ALARM`].
pub const CONTEXT_WARN: f64 = 60.0;
pub const CONTEXT_ALARM: f64 = 80.0;

pub fn cost(usd: f64) -> Style {
    level(usd, COST_WARN, COST_ALARM)
}

pub fn context(percent: f64) -> Style {
    level(percent, CONTEXT_WARN, CONTEXT_ALARM)
}

fn level(v: f64, warn_from: f64, alarm_from: f64) -> Style {
    if v >= alarm_from {
        error()
    } else if v >= warn_from {
        warn()
    } else {
        dim()
    }
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
