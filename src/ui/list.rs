//! The header line and the session list: three lines per row, selection, scrollbar and
//! the empty state.

use super::theme;
use crate::app::geometry::ROW_HEIGHT;
use crate::app::model::{Model, Row};
use crate::app::view;
use crate::backend::agent_shells::AgentShell;
use crate::backend::{Session, git};
use crate::text::{age, sanitize_line, shorten_home, truncate};
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState};
use unicode_width::UnicodeWidthStr;

/// Before the name of a marked row.
const MARK: &str = "◆ ";
/// Before the branch of a worktree session.
const WORKTREE: &str = "⎇";

pub fn header(frame: &mut Frame, area: Rect, m: &Model) {
    let shown = m.visible.iter().filter(|i| m.rows[**i].session().is_some()).count();
    let total = m.rows.iter().filter(|r| r.session().is_some()).count();
    let mut spans = vec![Span::styled(" navi ", theme::bold().fg(ratatui::style::Color::Cyan))];
    let count = if shown == total { format!(" {total} sessions") } else { format!(" {shown} of {total} sessions") };
    spans.push(Span::styled(count, theme::dim()));
    let shells = m.rows.iter().filter(|r| r.shell().is_some()).count();
    if shells > 0 {
        spans.push(Span::styled(format!(" · {shells} agent shells"), theme::dim()));
    }
    if !m.marks.is_empty() {
        spans.push(Span::styled(format!(" · {} marked", m.marks.len()), theme::warn()));
    }
    if let Some(search) = &m.search {
        let hits = view::match_positions(m);
        let cursor = if search.editing { "▏" } else { "" };
        spans.push(Span::raw("   /"));
        spans.push(Span::styled(format!("{}{cursor}", sanitize_line(&search.query)), theme::warn()));
        let n = hits.iter().position(|p| *p == m.selected).map_or(String::new(), |i| format!("{}/", i + 1));
        spans.push(Span::styled(format!("  {n}{} matches", hits.len()), theme::dim()));
        if !search.editing && !hits.is_empty() {
            spans.push(Span::styled("  n/N next/prev", theme::dim()));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn draw(frame: &mut Frame, area: Rect, m: &Model) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    if m.visible.is_empty() {
        empty(frame, area, m);
        return;
    }
    let per_page = usize::from((area.height / ROW_HEIGHT).max(1));
    let overflow = m.visible.len() > per_page;
    let width = if overflow { area.width - 1 } else { area.width };
    let query = m.search.as_ref().map(|s| s.query.as_str()).unwrap_or("");
    let mut lines: Vec<Line> = Vec::with_capacity(per_page * 3);
    for (pos, idx) in m.visible.iter().enumerate().skip(m.offset).take(per_page) {
        let selected = pos == m.selected;
        let mut row = match &m.rows[*idx] {
            Row::Session(s) => session_lines(m, s, usize::from(width), view::matches(s, query)),
            Row::Unreachable { remote, reason } => unreachable_lines(remote, reason, usize::from(width)),
            Row::ShellsHeader => header_lines(m, usize::from(width)),
            Row::Shell(s) => shell_lines(m, s, usize::from(width)),
        };
        if selected {
            for (i, line) in row.iter_mut().enumerate() {
                let marker = if i == 0 { "▌" } else { "▏" };
                line.spans[0] = Span::styled(marker, theme::accent());
                *line = std::mem::take(line).style(theme::selected_bg());
            }
        }
        lines.extend(row);
    }
    let body = Rect { width, ..area };
    frame.render_widget(Paragraph::new(lines), body);
    if overflow {
        let mut state = ScrollbarState::new(m.visible.len().saturating_sub(per_page) + 1).position(m.offset);
        let bar = Scrollbar::new(ScrollbarOrientation::VerticalRight).begin_symbol(None).end_symbol(None);
        frame.render_stateful_widget(bar, area, &mut state);
    }
}

fn session_lines(m: &Model, s: &Session, width: usize, hit: bool) -> Vec<Line<'static>> {
    let f = &s.file;
    let icon = theme::icon(&f.status);
    let down = m.down(&s.remote).map(|(since, _)| since);
    let ts = age(m.now, f.timestamp());
    let ts = if f.timestamp.is_some() { ts } else { String::new() };
    // A remote that does not answer: its sessions as last seen, dimmed, saying for how long.
    let ts = match down {
        Some(since) => format!("unreachable for {}", crate::text::duration(m.now.saturating_sub(since))),
        None => ts,
    };
    let remote = s.remote.as_ref().map(|r| format!(" [{}]", sanitize_line(r))).unwrap_or_default();
    // A worktree session: its mark and branch after the name.
    let tree =
        f.worktree().map(|w| format!(" {WORKTREE} {}", truncate(&sanitize_line(&w.branch), 30))).unwrap_or_default();
    // The agent, when it is not Claude Code: `api codex [gpu-box]`.
    let agent = crate::sessions::agent::agent_name(f);
    let agent = if agent == "claude" { String::new() } else { format!(" {}", sanitize_line(&agent)) };
    let remote = format!("{agent}{tree}{remote}");
    let mark = if m.marks.contains(&crate::app::model::SessionKey::of(s)) { MARK } else { "" };
    let usage = usage_spans(f);
    let usage_w: usize = usage.iter().map(Span::width).sum();
    // marker(1) + icon(2) + space(1) + the mark, age on the right with a space before it;
    // cost and context before the age when the name leaves room for them.
    let room = width.saturating_sub(4 + mark.width() + ts.width() + 1 + remote.width());
    let name = truncate(&sanitize_line(s.name()), room.max(1));
    let used = 4 + mark.width() + name.width() + remote.width() + ts.width();
    let usage = if used + usage_w < width { usage } else { Vec::new() };
    let usage_w: usize = usage.iter().map(Span::width).sum();
    let pad = width.saturating_sub(used + usage_w);
    let name_style = if hit { theme::bold().patch(theme::warn()).underlined() } else { theme::bold() };
    let mut l1 = Line::from(vec![
        Span::raw(" "),
        Span::styled(icon, theme::status(&f.status)),
        Span::raw(" "),
        Span::styled(mark, theme::warn()),
        Span::styled(name, name_style),
        Span::styled(remote, theme::dim()),
        Span::raw(" ".repeat(pad)),
    ]);
    l1.spans.extend(usage);
    l1.spans.push(Span::styled(ts, theme::dim()));
    let dir = f.cwd.as_deref().map(|d| shorten_home(&sanitize_line(d), &m.home)).unwrap_or_default();
    let git_text = m.git_for(s).and_then(|g| g.info.as_ref()).map(|i| sanitize_line(&git::summary(i)));
    let avail = width.saturating_sub(4);
    let mut l2 = vec![Span::raw(" "), Span::raw("   ")];
    match git_text {
        Some(g) => {
            let g = truncate(&g, avail.saturating_sub(12).max(avail / 2));
            let d = truncate(&dir, avail.saturating_sub(g.width() + 2));
            l2.push(Span::styled(d, theme::dim()));
            l2.push(Span::raw("  "));
            l2.push(Span::styled(g, theme::accent().add_modifier(ratatui::style::Modifier::DIM)));
        }
        None => l2.push(Span::styled(truncate(&dir, avail), theme::dim())),
    }
    // Metric badges on the right when they fit; short of room, time and tools go first:
    // who else works in the session matters more.
    let mut parts = badges(f);
    let used: usize = l2.iter().map(Span::width).sum();
    while parts.len() > 1 && used + 2 + parts.join(" · ").width() > width {
        parts.remove(0);
    }
    let badges = parts.join(" · ");
    if !badges.is_empty() && used + 2 + badges.width() <= width {
        l2.push(Span::raw(" ".repeat(width - used - badges.width())));
        l2.push(Span::styled(badges, theme::dim()));
    }
    let msg = match f.message.as_deref().map(sanitize_line).filter(|t| !t.trim().is_empty()) {
        Some(t) => Span::styled(truncate(&format!("\"{}\"", t.trim()), avail), theme::dim().italic()),
        None => Span::styled(truncate(&sanitize_line(f.status.as_str()), avail), theme::dim()),
    };
    let pad = Style::default();
    let lines =
        vec![Line::from(l1.spans), Line::from(l2), Line::from(vec![Span::styled(" ", pad), Span::raw("   "), msg])];
    match down {
        Some(_) => lines.into_iter().map(|l| l.patch_style(theme::dim())).collect(),
        None => lines,
    }
}

/// `$0.42 · 42% ` before the age: the session's cost and context fill, coloured past
/// [`theme::COST_WARN`] / [`theme::CONTEXT_WARN`] and their alarm levels.
fn usage_spans(f: &crate::sessions::StatusFile) -> Vec<Span<'static>> {
    let u = crate::sessions::usage::usage(f);
    let mut out = Vec::new();
    if let Some(c) = u.cost_usd {
        out.push(Span::styled(crate::sessions::usage::dollars(c), theme::cost(c)));
    }
    if let Some(p) = u.context_percent {
        if !out.is_empty() {
            out.push(Span::styled(" · ", theme::dim()));
        }
        out.push(Span::styled(format!("{p:.0}%"), theme::context(p)));
    }
    if !out.is_empty() {
        out.push(Span::raw("  "));
    }
    out
}

/// `1h 5m · 31 tools · team core: alice ⚙ · 2 subagents`: what the status file's metrics
/// say, and who else works in the session.
fn badges(f: &crate::sessions::StatusFile) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(t) = f.metrics.as_ref().and_then(|m| m.time.as_ref()).filter(|t| t.total_seconds > 0) {
        out.push(crate::text::duration(t.total_seconds));
    }
    if let Some(tools) = f.metrics.as_ref().and_then(|m| m.tools.as_ref()) {
        let n = tools.counts.values().filter_map(|v| v.as_u64()).fold(0u64, u64::saturating_add);
        if n > 0 {
            out.push(format!("{n} tools"));
        }
    }
    // The original navi's other agents in the same tmux session: `{"opencode": {"status"}}`.
    if let Some(agents) = f.extra.get("agents").and_then(|a| a.as_object()).filter(|a| !a.is_empty()) {
        let who: Vec<String> = agents
            .iter()
            .take(4)
            .map(|(k, v)| {
                let status = crate::sessions::Status::parse(v.get("status").and_then(|s| s.as_str()).unwrap_or(""));
                format!("{} {}", truncate(&sanitize_line(k), 12), status.icon().trim_end_matches('\u{fe0f}'))
            })
            .collect();
        out.push(who.join(" "));
    }
    if let Some(others) = crate::sessions::team::summary(f) {
        out.push(truncate(&sanitize_line(&others), 48));
    }
    out
}

/// Before an agent shell's name.
const SHELL_ICON: &str = "$ ";

/// The agent shells' group header: a blank line, the title with how many are shown, and
/// what can be done with them.
fn header_lines(m: &Model, width: usize) -> Vec<Line<'static>> {
    let n = m.visible.iter().filter(|i| m.rows[**i].shell().is_some()).count();
    let title = format!("agent shells ({n}) ");
    let rule = "─".repeat(width.saturating_sub(5 + title.width()));
    vec![
        Line::from(vec![Span::raw(" ")]),
        Line::from(vec![
            Span::raw(" "),
            Span::styled("── ", theme::dim()),
            Span::styled(title, theme::bold().fg(ratatui::style::Color::Cyan)),
            Span::styled(rule, theme::dim()),
        ]),
        Line::from(vec![
            Span::raw(" "),
            Span::raw("   "),
            Span::styled(truncate("shells AI agents opened with navi mcp", width.saturating_sub(4)), theme::dim()),
        ]),
    ]
}

/// An agent shell: its name and host, idle time on the right; the command running in it
/// and its directory; what it is and whether someone is attached.
fn shell_lines(m: &Model, s: &AgentShell, width: usize) -> Vec<Line<'static>> {
    let host = format!(" [{}]", sanitize_line(s.host()));
    let idle = format!("idle {}", crate::text::duration(s.idle_seconds));
    let room = width.saturating_sub(4 + host.width() + idle.width() + 1);
    let name = truncate(&sanitize_line(&s.name), room.max(1));
    let pad = width.saturating_sub(4 + name.width() + host.width() + idle.width());
    let l1 = Line::from(vec![
        Span::raw(" "),
        Span::styled(SHELL_ICON, theme::accent()),
        Span::raw(" "),
        Span::styled(name, theme::bold()),
        Span::styled(host, theme::dim()),
        Span::raw(" ".repeat(pad)),
        Span::styled(idle, theme::dim()),
    ]);
    let avail = width.saturating_sub(4);
    let command = if s.command.is_empty() { "?".to_string() } else { sanitize_line(&s.command) };
    let command = truncate(&format!("running {command}"), avail);
    let dir = shorten_home(&sanitize_line(&s.cwd), &m.home);
    let dir = truncate(&dir, avail.saturating_sub(command.width() + 2));
    let l2 = Line::from(vec![
        Span::raw(" "),
        Span::raw("   "),
        Span::styled(command, theme::accent()),
        Span::raw("  "),
        Span::styled(dir, theme::dim()),
    ]);
    let mut what = String::from("agent shell");
    if s.attached {
        what.push_str(" · attached");
    }
    if s.dead {
        what.push_str(" · its shell ended");
    }
    let l3 = Line::from(vec![Span::raw(" "), Span::raw("   "), Span::styled(truncate(&what, avail), theme::dim())]);
    vec![l1, l2, l3]
}

fn unreachable_lines(remote: &str, reason: &str, width: usize) -> Vec<Line<'static>> {
    let avail = width.saturating_sub(4);
    vec![
        Line::from(vec![
            Span::raw(" "),
            Span::styled("⚠  ", theme::error()),
            Span::styled(truncate(&format!("{} unreachable", sanitize_line(remote)), avail), theme::error().bold()),
        ]),
        Line::from(vec![
            Span::raw(" "),
            Span::raw("   "),
            Span::styled(truncate(&sanitize_line(reason), avail), theme::dim()),
        ]),
        Line::from(vec![
            Span::raw(" "),
            Span::raw("   "),
            Span::styled("sessions there are not shown until it answers", theme::dim()),
        ]),
    ]
}

fn empty(frame: &mut Frame, area: Rect, m: &Model) {
    let lines: Vec<Line> = if !m.loaded {
        vec![Line::styled("Loading sessions…", theme::dim())]
    } else if !m.rows.is_empty() {
        vec![
            Line::styled("No session matches the filters.", theme::bold()),
            Line::from(""),
            Line::styled("Esc clears the search, then the filters; 0 clears status filters.", theme::dim()),
        ]
    } else {
        vec![
            Line::styled("No Claude Code sessions yet.", theme::bold()),
            Line::from(""),
            Line::from(vec![
                Span::raw("1. Let Claude Code report its status:  "),
                Span::styled("navi install-hooks", theme::accent()),
            ]),
            Line::from(vec![
                Span::raw("2. Start a session here: press "),
                Span::styled("n", theme::accent()),
                Span::raw(" (or run claude in tmux)"),
            ]),
            Line::from(vec![Span::raw("3. Or look around first:  "), Span::styled("navi --demo", theme::accent())]),
            Line::from(""),
            Line::styled("Press ? for every key.", theme::dim()),
        ]
    };
    let h = lines.len() as u16;
    let y = area.y + area.height.saturating_sub(h) / 3;
    let target = Rect { y, height: h.min(area.height), ..area };
    frame.render_widget(Paragraph::new(lines).alignment(Alignment::Center), target);
}
