//! The footer: a status line when there is news, then filter mode, counts per status and
//! the remote summary, then key hints generated from the key map.

use super::theme;
use crate::app::model::{Level, Location, Model};
use crate::app::remotes;
use crate::sessions::Status;
use crate::text::truncate;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const COUNTED: [Status; 8] = [
    Status::Waiting,
    Status::Permission,
    Status::Working,
    Status::Done,
    Status::Idle,
    Status::Stopped,
    Status::Error,
    Status::Offline,
];

pub fn draw(frame: &mut Frame, area: Rect, m: &Model) {
    let width = usize::from(area.width);
    let mut lines = Vec::new();
    if let Some(st) = &m.status {
        let style = if st.level == Level::Error { theme::error() } else { theme::ok() };
        let more = if m.queued.is_empty() { String::new() } else { format!("(+{} more) ", m.queued.len()) };
        lines.push(Line::styled(truncate(&format!(" {more}{}", st.text), width), style));
    }
    lines.push(state_line(m, width));
    lines.push(hints_line(m, width));
    frame.render_widget(Paragraph::new(lines), area);
}

fn state_line(m: &Model, width: usize) -> Line<'static> {
    let mut spans = Vec::new();
    let mode = if m.remote_names.is_empty() && m.location == Location::All {
        String::from(" ")
    } else {
        format!(" [{}] ", m.location.label())
    };
    spans.push(Span::styled(mode, theme::accent()));
    spans.push(Span::styled(format!("sort:{}", m.sort.label()), theme::dim()));
    if !m.filters.is_empty() {
        let f: Vec<&str> = m.filters.iter().map(Status::as_str).collect();
        spans.push(Span::styled(format!(" filter:{}", f.join(",")), theme::warn()));
    }
    if let Some(a) = m.agent_filter {
        spans.push(Span::styled(format!(" agent:{}", a.name()), theme::warn()));
    }
    if m.hide_offline {
        spans.push(Span::styled(" -offline", theme::warn()));
    }
    let mut tally = Vec::new();
    let mut other = 0;
    let mut counts = [0usize; COUNTED.len()];
    for s in m.rows.iter().filter_map(|r| r.session()) {
        match COUNTED.iter().position(|c| *c == s.file.status) {
            Some(i) => counts[i] += 1,
            None => other += 1,
        }
    }
    for (status, n) in COUNTED.iter().zip(counts) {
        if n > 0 {
            tally.push(Span::styled(format!(" {} {n}", theme::icon(status).trim_end()), theme::status(status)));
        }
    }
    if other > 0 {
        tally.push(Span::styled(format!(" ○ {other}"), theme::dim()));
    }
    // No sessions, no counts: no empty segment either.
    if !tally.is_empty() {
        spans.push(Span::styled(" │", theme::dim()));
        spans.extend(tally);
    }
    spans.extend(cost_spans(m));
    if let Some(r) = remotes::summary(&m.remotes) {
        spans.push(Span::styled(" │ ", theme::dim()));
        let bad = r.contains(" · ");
        spans.push(Span::styled(r, if bad { theme::error() } else { theme::dim() }));
    }
    fit(spans, width)
}

/// ` │ $12.34 (local $2.00 · gpu $10.34)`: what the sessions cost, overall and per host,
/// when any status file says.
fn cost_spans(m: &Model) -> Vec<Span<'static>> {
    let mut hosts: Vec<(Option<&str>, f64)> = Vec::new();
    for s in m.rows.iter().filter_map(|r| r.session()) {
        let Some(c) = crate::sessions::usage::usage(&s.file).cost_usd else { continue };
        let host = s.remote.as_deref();
        match hosts.iter_mut().find(|(h, _)| *h == host) {
            Some((_, sum)) => *sum += c,
            None => hosts.push((host, c)),
        }
    }
    if hosts.is_empty() {
        return Vec::new();
    }
    let total: f64 = hosts.iter().map(|(_, c)| c).sum();
    let mut text = crate::sessions::usage::dollars(total);
    if hosts.len() > 1 {
        hosts.sort_by(|a, b| a.0.cmp(&b.0));
        let each: Vec<String> = hosts
            .iter()
            .map(|(h, c)| {
                let name = h.map_or_else(|| "local".to_string(), crate::text::sanitize_line);
                format!("{} {}", truncate(&name, 16), crate::sessions::usage::dollars(*c))
            })
            .collect();
        text.push_str(&format!(" ({})", each.join(" · ")));
    }
    vec![Span::styled(" │ ", theme::dim()), Span::styled(text, theme::cost(total))]
}

fn hints_line(m: &Model, width: usize) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    let hints: Vec<(String, &str)> = if m.preview.focused && m.preview.visible {
        vec![
            ("j/k".into(), "scroll"),
            ("pgup/pgdn".into(), "page"),
            ("g/G".into(), "top/bottom+follow"),
            ("tab/esc".into(), "back"),
        ]
    } else if m.search.as_ref().is_some_and(|s| s.editing) {
        vec![("↵".into(), "keep"), ("esc".into(), "clear")]
    } else if m.selected_shell().is_some() {
        // An agent shell's row: only what applies to it.
        let mut hints = m.keys.hints();
        hints.retain(|(_, what)| *what != "send");
        hints.iter_mut().filter(|(_, what)| *what == "kill").for_each(|h| h.1 = "kill shell");
        hints
    } else {
        m.keys.hints()
    };
    let pair = |k: &str, what: &str| {
        vec![Span::styled(k.to_string(), theme::accent()), Span::styled(format!(" {what}  "), theme::dim())]
    };
    let width_of = |p: &[Span]| p.iter().map(Span::width).sum::<usize>();
    // When they do not all fit, the help hint is kept: it leads to the rest.
    let help = hints.iter().position(|(_, what)| *what == "help").map(|i| pair(&hints[i].0, hints[i].1));
    let reserve = help.as_deref().map_or(0, width_of);
    let total: usize = 1 + hints.iter().map(|(k, w)| width_of(&pair(k, w))).sum::<usize>();
    let mut used = 1;
    for (k, what) in &hints {
        if total > width && *what == "help" {
            continue;
        }
        let p = pair(k, what);
        let room = if total > width { width.saturating_sub(reserve) } else { width };
        if used + width_of(&p) > room {
            break;
        }
        used += width_of(&p);
        spans.extend(p);
    }
    if total > width {
        spans.extend(help.unwrap_or_default());
    }
    fit(spans, width)
}

/// Keeps what fits on one line instead of wrapping.
fn fit(spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
    let mut used = 0;
    let mut out = Vec::new();
    for s in spans {
        let w = s.width();
        if used + w > width {
            // Cut the first span that overflows when enough of it would still show.
            let room = width - used;
            if room >= 8 {
                out.push(Span::styled(truncate(&s.content, room), s.style));
            }
            break;
        }
        used += w;
        out.push(s);
    }
    Line::from(out)
}
