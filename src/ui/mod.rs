//! Drawing only: turns the model into ratatui widgets. No I/O, no state changes; the only
//! layer that knows ratatui's widgets. Every outside text passes `crate::text` first.

mod answer;
mod dialogs;
mod footer;
mod list;
mod panels;
mod preview;
mod theme;
mod worktree;

use crate::app::geometry::{self, Area};
use crate::app::model::Model;
use ratatui::Frame;
use ratatui::layout::Rect;

pub(crate) fn rect(a: Area) -> Rect {
    Rect { x: a.x, y: a.y, width: a.w, height: a.h }
}

/// Draws the whole screen for the model.
pub fn draw(frame: &mut Frame, m: &Model) {
    let screen = geometry::screen(m);
    list::header(frame, rect(screen.header), m);
    list::draw(frame, rect(screen.list), m);
    if let Some(p) = screen.preview {
        preview::draw(frame, rect(p), m);
    }
    footer::draw(frame, rect(screen.footer), m);
    if let Some(d) = &m.dialog {
        dialogs::draw(frame, frame.area(), m, d);
    }
}

/// A centred box of at most `w`×`h` inside `area`.
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}
