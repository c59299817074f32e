//! The preview box: the selected session's pane text, scrolled or following the bottom.

use super::theme;
use crate::app::model::Model;
use crate::app::view;
use crate::text::{sanitize_line, truncate};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

pub fn draw(frame: &mut Frame, area: Rect, m: &Model) {
    let p = &m.preview;
    let name = match (m.selected_session(), m.selected_shell()) {
        (Some(s), _) => sanitize_line(s.name()),
        (None, Some(s)) => format!("{} [{}] agent shell", sanitize_line(&s.name), sanitize_line(s.host())),
        (None, None) => String::new(),
    };
    let mut flags = Vec::new();
    if p.follow {
        flags.push("follow");
    }
    if p.wrap {
        flags.push("wrap");
    }
    let title = truncate(&format!(" {name} "), usize::from(area.width.saturating_sub(4)));
    let border = if p.focused { theme::accent() } else { theme::dim() };
    let mut block = Block::bordered().title(title).border_style(border);
    if !flags.is_empty() {
        block = block.title_bottom(Line::styled(format!(" {} ", flags.join(" · ")), theme::dim()).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let selected = m.selected_row().map(|r| r.key());
    let lines: Vec<Line> = match &p.content {
        Some((key, Ok(text))) if Some(key) == selected.as_ref() => {
            let all = view::preview_lines(text, usize::from(inner.width), p.wrap);
            let top = view::preview_top(m);
            if all.is_empty() {
                vec![Line::styled("(empty pane)", theme::dim())]
            } else {
                all.into_iter().skip(top).take(usize::from(inner.height)).map(Line::raw).collect()
            }
        }
        Some((key, Err(e))) if Some(key) == selected.as_ref() => vec![Line::styled(sanitize_line(e), theme::error())],
        _ if m.selected_session().is_none() && m.selected_shell().is_none() => {
            vec![Line::styled("no session selected", theme::dim())]
        }
        _ => vec![Line::styled("loading…", theme::dim())],
    };
    frame.render_widget(Paragraph::new(lines), inner);
}
