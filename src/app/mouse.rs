//! Mouse on the list and the preview: click selects, double click attaches, the wheel
//! moves the selection or scrolls the preview under the pointer.

use super::actions::{select, selected_key};
use super::geometry::{self, ROW_HEIGHT};
use super::input::{Mouse, MouseKind};
use super::model::Model;
use super::msg::Effect;
use super::update::Update;
use super::view;

const DOUBLE_CLICK_MS: u64 = 400;

pub fn mouse(m: &mut Model, ev: Mouse) -> Update {
    if m.dialog.is_some() {
        return Update::default();
    }
    let screen = geometry::screen(m);
    let in_preview = screen.preview.is_some_and(|p| p.contains(ev.col, ev.row));
    match ev.kind {
        MouseKind::ScrollUp | MouseKind::ScrollDown if in_preview => {
            let top = view::preview_top(m);
            let t = if ev.kind == MouseKind::ScrollUp { top.saturating_sub(3) } else { top + 3 };
            m.preview.follow = false;
            m.preview.scroll = t;
            m.preview.scroll = view::preview_top(m);
            m.preview.follow = m.preview.scroll < t;
            Update::redraw()
        }
        MouseKind::ScrollUp => step_clamped(m, -1),
        MouseKind::ScrollDown => step_clamped(m, 1),
        MouseKind::Click if in_preview => {
            m.preview.focused = true;
            Update::redraw()
        }
        MouseKind::Click if screen.list.contains(ev.col, ev.row) => {
            m.preview.focused = false;
            let pos = m.offset + usize::from((ev.row - screen.list.y) / ROW_HEIGHT);
            if pos >= m.visible.len() || view::is_header(m, pos) {
                return Update::default();
            }
            let under = m.rows[m.visible[pos]].key();
            // By session, not position: the list may have moved between the two clicks.
            let double = m
                .last_click
                .as_ref()
                .is_some_and(|(k, at)| *k == under && ev.at_ms.saturating_sub(*at) <= DOUBLE_CLICK_MS);
            m.last_click = if double { None } else { Some((under, ev.at_ms)) };
            let up = select(m, pos);
            if let (true, Some(shell)) = (double, m.selected_shell()) {
                return up.with(Effect::AttachShell(super::actions::shell_key(shell)));
            }
            match (double, selected_key(m)) {
                (true, Some(k)) => up.with(Effect::Attach(k)),
                _ => up,
            }
        }
        MouseKind::Click => Update::default(),
    }
}

/// The wheel moves the selection without wrapping.
fn step_clamped(m: &mut Model, delta: isize) -> Update {
    if m.visible.is_empty() {
        return Update::default();
    }
    let pos = (m.selected as isize + delta).clamp(0, m.visible.len() as isize - 1) as usize;
    if pos == m.selected { Update::default() } else { select(m, pos) }
}
