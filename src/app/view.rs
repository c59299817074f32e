//! Derived views of the model: the rows from every backend, filtered and sorted; the
//! search matches; the preview's display lines. Pure functions of the state.

use super::geometry;
use super::model::{Location, Model, Row, SortMode};
use crate::backend::Session;
use crate::sessions::Status;
use crate::sessions::model::default_order;
use std::cmp::Ordering;
use unicode_width::UnicodeWidthChar;

/// Rebuilds `rows` and `visible` from the sources, keeping the selected session selected.
pub fn rebuild(m: &mut Model) {
    let mut rows = Vec::new();
    for (remote, src) in &m.sources {
        match (&src.error, remote) {
            // Nothing known of it: one row saying why.
            (Some(reason), Some(r)) if src.sessions.is_empty() => {
                rows.push(Row::Unreachable { remote: r.clone(), reason: reason.clone() })
            }
            _ => rows.extend(src.sessions.iter().cloned().map(Row::Session)),
        }
    }
    // The agent shells: a group of their own below the sessions, under its header.
    let shells: Vec<Row> = m.shells.values().flatten().cloned().map(Row::Shell).collect();
    if !shells.is_empty() {
        rows.push(Row::ShellsHeader);
        rows.extend(shells);
    }
    m.rows = rows;
    super::marks::drop_vanished(m);
    refilter(m);
}

/// Recomputes `visible` after a filter or sort change.
pub fn refilter(m: &mut Model) {
    let mut visible: Vec<usize> = (0..m.rows.len()).filter(|i| shown(m, &m.rows[*i])).collect();
    let sort = m.sort;
    visible.sort_by(|a, b| order(sort, &m.rows[*a], &m.rows[*b]));
    // The group's header only above shells that are shown.
    if !visible.iter().any(|i| matches!(m.rows[*i], Row::Shell(_))) {
        visible.retain(|i| m.rows[*i] != Row::ShellsHeader);
    }
    m.visible = visible;
    // The session the user chose if it is back, else the row selected until now.
    let pos = |k: &Option<_>| k.as_ref().and_then(|k| m.visible.iter().position(|i| m.rows[*i].key() == *k));
    // An unreachable remote's row (or an agent shell's) is kept selected only when the user
    // chose it: at start it may be the first row to arrive, and must not hold the selection
    // at the bottom, below the sessions that arrive after it.
    let unchosen_warning = m.wanted_key.is_none()
        && m.selected_key.as_ref().is_some_and(|k| (k.remote.is_some() && k.name.is_empty()) || k.is_shell_row());
    let found = pos(&m.wanted_key).or_else(|| if unchosen_warning { Some(0) } else { pos(&m.selected_key) });
    let pos = found.unwrap_or(m.selected.min(m.visible.len().saturating_sub(1)));
    m.selected = off_header(m, pos);
    m.selected_key = m.selected_row().map(Row::key);
    keep_in_view(m);
}

/// Whether position `pos` of the visible list is the agent shells' header.
pub fn is_header(m: &Model, pos: usize) -> bool {
    m.visible.get(pos).is_some_and(|i| m.rows[*i] == Row::ShellsHeader)
}

/// `pos`, or the row after it when it is the agent shells' header (never selected; a
/// shell always follows it).
pub fn off_header(m: &Model, pos: usize) -> usize {
    if is_header(m, pos) && pos + 1 < m.visible.len() { pos + 1 } else { pos }
}

fn shown(m: &Model, row: &Row) -> bool {
    let remote = match row {
        Row::Session(s) => s.remote.is_some(),
        Row::Unreachable { .. } => true,
        Row::ShellsHeader => return true,
        Row::Shell(s) => s.remote.is_some(),
    };
    match m.location {
        Location::Local if remote => return false,
        Location::Remote if !remote => return false,
        _ => {}
    }
    // Agent shells have no status and run no agent: a status or agent filter hides them.
    if let Row::Shell(_) = row {
        return m.filters.is_empty() && m.agent_filter.is_none();
    }
    let Row::Session(s) = row else { return true };
    if m.hide_offline && s.file.status == Status::Offline {
        return false;
    }
    if m.agent_filter.is_some_and(|a| crate::sessions::agent::agent(&s.file) != a) {
        return false;
    }
    m.filters.is_empty() || m.filters.contains(&s.file.status)
}

fn order(sort: SortMode, a: &Row, b: &Row) -> Ordering {
    // Sessions, then unreachable remotes, then the agent shells under their header.
    let group = |r: &Row| match r {
        Row::Session(_) => 0,
        Row::Unreachable { .. } => 1,
        Row::ShellsHeader => 2,
        Row::Shell(_) => 3,
    };
    let (a, b) = match (a, b) {
        (Row::Session(a), Row::Session(b)) => (a, b),
        // Unreachable remotes go last, by name.
        (Row::Unreachable { remote: x, .. }, Row::Unreachable { remote: y, .. }) => return x.cmp(y),
        // Shells by host (this machine first), then name.
        (Row::Shell(x), Row::Shell(y)) => return (&x.remote, &x.name).cmp(&(&y.remote, &y.name)),
        _ => return group(a).cmp(&group(b)),
    };
    let by = match sort {
        SortMode::Priority => Ordering::Equal,
        SortMode::Name => a.name().to_lowercase().cmp(&b.name().to_lowercase()),
        SortMode::Age => b.file.timestamp().cmp(&a.file.timestamp()),
        SortMode::Status => a.file.status.as_str().cmp(b.file.status.as_str()),
        SortMode::Directory => a.file.cwd.cmp(&b.file.cwd),
    };
    by.then_with(|| default_order(&a.file, &b.file)).then_with(|| a.remote.cmp(&b.remote))
}

/// Moves `offset` so the selected row is on screen.
pub fn keep_in_view(m: &mut Model) {
    let page = geometry::rows_per_page(m);
    if m.selected < m.offset {
        m.offset = m.selected;
    } else if m.selected >= m.offset + page {
        m.offset = m.selected + 1 - page;
    }
    let max_offset = m.visible.len().saturating_sub(page);
    m.offset = m.offset.min(max_offset);
}

/// Does the session match the search (case-insensitive, name, directory, message or the
/// agent that runs it)?
pub fn matches(s: &Session, query: &str) -> bool {
    if query.is_empty() {
        return false;
    }
    let q = query.to_lowercase();
    let agent = crate::sessions::agent::agent_name(&s.file);
    [Some(s.name()), s.file.cwd.as_deref(), s.file.message.as_deref(), Some(agent.as_str())]
        .into_iter()
        .flatten()
        .any(|t| t.to_lowercase().contains(&q))
}

/// Positions in `visible` of the rows matching the active search.
pub fn match_positions(m: &Model) -> Vec<usize> {
    let Some(search) = &m.search else { return Vec::new() };
    m.visible
        .iter()
        .enumerate()
        .filter(|(_, i)| m.rows[**i].session().is_some_and(|s| matches(s, &search.query)))
        .map(|(pos, _)| pos)
        .collect()
}

/// The preview's lines as drawn: sanitized, cut or wrapped to `width` columns.
pub fn preview_lines(text: &str, width: usize, wrap: bool) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for line in text.lines() {
        if !wrap {
            out.push(line.to_string());
            continue;
        }
        let mut cur = String::new();
        let mut used = 0;
        for c in line.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                out.push(std::mem::take(&mut cur));
                used = 0;
            }
            cur.push(c);
            used += w;
        }
        out.push(cur);
    }
    out
}

/// The first preview line shown, following the bottom when `follow` is on.
pub fn preview_top(m: &Model) -> usize {
    let (w, h) = geometry::preview_inner(m);
    let total = match &m.preview.content {
        Some((_, Ok(text))) => preview_lines(text, usize::from(w), m.preview.wrap).len(),
        _ => 0,
    };
    let max_top = total.saturating_sub(usize::from(h));
    if m.preview.follow { max_top } else { m.preview.scroll.min(max_top) }
}
