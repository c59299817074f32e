//! Where things are on screen, computed from the model alone, so drawing and mouse
//! hit-testing agree without the update knowing about the terminal library.

use super::model::{Model, PreviewLayout};

/// Lines per session row: name line, directory and git line, message line.
pub const ROW_HEIGHT: u16 = 3;
const MIN_PREVIEW_W: u16 = 30;
const MIN_PREVIEW_H: u16 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Area {
    pub x: u16,
    pub y: u16,
    pub w: u16,
    pub h: u16,
}

impl Area {
    pub fn contains(&self, col: u16, row: u16) -> bool {
        col >= self.x && col < self.x + self.w && row >= self.y && row < self.y + self.h
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Screen {
    pub header: Area,
    pub list: Area,
    /// The preview's outer box (with its border) when shown.
    pub preview: Option<Area>,
    pub footer: Area,
}

pub fn footer_height(m: &Model) -> u16 {
    2 + u16::from(m.status.is_some())
}

pub fn screen(m: &Model) -> Screen {
    let (w, h) = m.size;
    let footer_h = footer_height(m).min(h);
    let header = Area { x: 0, y: 0, w, h: 1.min(h) };
    let body_y = header.h;
    let body_h = h.saturating_sub(header.h + footer_h);
    let footer = Area { x: 0, y: body_y + body_h, w, h: footer_h };
    let body = Area { x: 0, y: body_y, w, h: body_h };
    if !m.preview.visible {
        return Screen { header, list: body, preview: None, footer };
    }
    match m.preview.layout {
        PreviewLayout::Side => {
            let pw = preview_width(m, w);
            let list = Area { w: w - pw, ..body };
            Screen { header, list, preview: Some(Area { x: w - pw, w: pw, ..body }), footer }
        }
        PreviewLayout::Bottom => {
            let ph = preview_height(m, body_h);
            let list = Area { h: body_h - ph, ..body };
            Screen { header, list, preview: Some(Area { y: body_y + body_h - ph, h: ph, ..body }), footer }
        }
    }
}

/// Side preview width: the chosen one or half, at least 30 columns, leaving 20 for the list.
pub fn preview_width(m: &Model, total: u16) -> u16 {
    let want = m.preview.width.unwrap_or(total / 2);
    want.min(total.saturating_sub(20)).max(MIN_PREVIEW_W.min(total))
}

/// Bottom preview height: the chosen one or 40 %, at least 5 rows, leaving 3 for the list.
pub fn preview_height(m: &Model, body: u16) -> u16 {
    let want = m.preview.height.unwrap_or(body * 2 / 5);
    want.min(body.saturating_sub(3)).max(MIN_PREVIEW_H.min(body))
}

/// Rows of the list that fit on screen.
pub fn rows_per_page(m: &Model) -> usize {
    usize::from((screen(m).list.h / ROW_HEIGHT).max(1))
}

/// Inner size (without the border) of the preview box.
pub fn preview_inner(m: &Model) -> (u16, u16) {
    screen(m).preview.map_or((0, 0), |a| (a.w.saturating_sub(2), a.h.saturating_sub(2)))
}
