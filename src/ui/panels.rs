//! Read-only panels: git detail with a scrollable diff, metrics, and the help overlay.

use super::dialogs::popup;
use super::theme;
use crate::app::dialog::Dialog;
use crate::app::keys::Action;
use crate::app::model::Model;
use crate::backend::GitInfo;
use crate::text::{age, duration, sanitize, sanitize_line};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

pub fn draw(frame: &mut Frame, area: Rect, m: &Model, d: &Dialog) {
    let w = area.width.saturating_sub(4).min(110);
    let max_h = area.height.saturating_sub(2);
    let (title, lines, scroll) = match d {
        Dialog::Git { key, info, scroll } => {
            let lines = match info {
                None => vec![Line::styled("loading git information…", theme::dim())],
                Some(Err(e)) => vec![Line::styled(sanitize_line(e), theme::error())],
                Some(Ok(i)) => git_lines(i),
            };
            (format!("git · {}", sanitize_line(&key.name)), lines, *scroll)
        }
        Dialog::Metrics { key, scroll } => {
            (format!("metrics · {}", sanitize_line(&key.name)), metrics_lines(m, key), *scroll)
        }
        Dialog::Help { scroll } => ("keys".to_string(), help_lines(m), *scroll),
        _ => return,
    };
    let total = lines.len();
    // As tall as the content (plus borders and the closing hint), at most the screen.
    let h = u16::try_from(total).unwrap_or(u16::MAX).saturating_add(3).min(max_h);
    let body = usize::from(h.saturating_sub(3));
    let mut shown: Vec<Line> = lines.into_iter().skip(scroll).take(body).collect();
    let more = if total > body {
        format!("  ({}–{} of {total}, j/k pgup/pgdn)", scroll + 1, (scroll + body).min(total))
    } else {
        String::new()
    };
    shown.push(Line::styled(format!("esc close{more}"), theme::dim()));
    popup(frame, area, &title, w, h, shown, theme::accent());
}

fn field(name: &str, value: String) -> Line<'static> {
    Line::from(vec![field_label(name), Span::raw(sanitize_line(&value))])
}

fn field_label(name: &str) -> Span<'static> {
    Span::styled(format!("{name:<14}"), theme::dim())
}

fn git_lines(i: &GitInfo) -> Vec<Line<'static>> {
    let mut out = vec![
        field("Branch", i.branch.clone()),
        field("Remote", i.remote_url.clone().unwrap_or_else(|| "none".into())),
        field("Last commit", i.last_commit.clone().unwrap_or_else(|| "none".into())),
        field(
            "Ahead/behind",
            match (i.ahead, i.behind) {
                (Some(a), Some(b)) => format!("↑{a} ↓{b}"),
                _ => "no upstream".into(),
            },
        ),
        field(
            "Pull request",
            i.pr.as_ref()
                .map_or("none found".into(), |p| format!("#{} {} {}", p.number, p.state.to_lowercase(), p.url)),
        ),
        field("Changes", format!("{} files, +{} -{}", i.changed_files, i.insertions, i.deletions)),
    ];
    if let Some(base) = &i.base {
        let (a, b) = (i.base_ahead.unwrap_or(0), i.base_behind.unwrap_or(0));
        out.push(field("Base", format!("{base}: {a} commit(s) ahead, {b} behind (diff below is against it)")));
        out.extend(i.commits.iter().map(|c| Line::styled(format!("{:14}{}", "", sanitize_line(c)), theme::accent())));
    }
    out.push(Line::raw(""));
    match i.diff.as_deref() {
        Some(d) if !d.trim().is_empty() => {
            for line in sanitize(d).lines() {
                let style = if line.starts_with('+') && !line.starts_with("+++") {
                    theme::ok()
                } else if line.starts_with('-') && !line.starts_with("---") {
                    theme::error()
                } else if line.starts_with("@@") || line.starts_with("diff ") {
                    theme::accent()
                } else {
                    ratatui::style::Style::default()
                };
                out.push(Line::styled(line.to_string(), style));
            }
        }
        _ => out.push(Line::styled("no uncommitted changes", theme::dim())),
    }
    out
}

fn metrics_lines(m: &Model, key: &crate::app::model::SessionKey) -> Vec<Line<'static>> {
    let Some(s) = m.find(key) else { return vec![Line::styled("the session is gone", theme::error())] };
    let f = &s.file;
    let mut out = vec![field("Status", format!("{} {}", f.status.icon(), sanitize_line(f.status.as_str())))];
    if let Some(ts) = f.timestamp {
        out.push(field("Last update", age(m.now, ts)));
    }
    out.extend(usage_lines(f, m.now));
    let Some(metrics) = &f.metrics else {
        out.push(Line::raw(""));
        out.push(Line::styled("No metrics in this session's status file yet.", theme::dim()));
        return out;
    };
    if let Some(t) = &metrics.time {
        if let Some(started) = t.started {
            out.push(field("Started", age(m.now, started)));
        }
        out.push(field("Total", duration(t.total_seconds)));
        let total = t.total_seconds.max(1) as f64;
        let pct = |s: i64| format!("{}  ({:.0} %)", duration(s), s as f64 * 100.0 / total);
        out.push(field("Working", pct(t.working_seconds)));
        out.push(field("Waiting", pct(t.waiting_seconds)));
    }
    if let Some(tokens) = metrics.extra.get("tokens") {
        // `input 30 · output 350 · total 380`; another tool's shape is shown as written.
        let parts: Vec<String> = tokens
            .as_object()
            .map(|o| o.iter().filter_map(|(k, v)| Some(format!("{} {}", sanitize_line(k), v.as_u64()?))).collect())
            .unwrap_or_default();
        let text = if parts.is_empty() { sanitize_line(&tokens.to_string()) } else { parts.join(" · ") };
        out.push(field("Tokens", text));
    }
    if let Some(tools) = &metrics.tools {
        out.push(Line::raw(""));
        out.push(Line::styled("Tools", theme::bold()));
        let mut counts: Vec<(String, u64)> =
            tools.counts.iter().map(|(k, v)| (sanitize_line(k), v.as_u64().unwrap_or(0))).collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let max = counts.first().map_or(1, |c| c.1.max(1));
        for (name, n) in counts {
            // Widened: a hostile count times 30 must not overflow.
            let bar = "█".repeat(((u128::from(n) * 30) / u128::from(max)).clamp(1, 30) as usize);
            out.push(Line::from(vec![
                Span::styled(format!("  {name:<16}"), theme::dim()),
                Span::styled(format!("{n:>5} "), theme::bold()),
                Span::styled(bar, theme::accent()),
            ]));
        }
        if !tools.recent.is_empty() {
            let recent: Vec<String> = tools.recent.iter().map(|t| sanitize_line(t)).collect();
            out.push(field("Recent", recent.join(", ")));
        }
    }
    out
}

/// Model, cost, context, rate limits, teammates and subagents, for what the file says.
fn usage_lines(f: &crate::sessions::StatusFile, now: i64) -> Vec<Line<'static>> {
    use crate::sessions::{team, usage};
    let u = usage::usage(f);
    let mut out = Vec::new();
    if let Some(model) = &u.model {
        out.push(field("Model", sanitize_line(model)));
    }
    if let Some(c) = u.cost_usd {
        out.push(Line::from(vec![field_label("Cost"), Span::styled(usage::dollars(c), theme::cost(c))]));
    }
    if let Some(p) = u.context_percent {
        let size = u.context_size.map_or(String::new(), |s| format!(" of {}k tokens", s / 1000));
        out.push(Line::from(vec![field_label("Context"), Span::styled(format!("{p:.0} %{size}"), theme::context(p))]));
    }
    for r in &u.rate_limits {
        let name = match r.window.as_str() {
            "five_hour" => "5-hour limit".to_string(),
            "seven_day" => "7-day limit".to_string(),
            other => sanitize_line(other),
        };
        let resets =
            r.resets_at.filter(|t| *t > now).map_or(String::new(), |t| format!("  (resets in {})", duration(t - now)));
        out.push(Line::from(vec![
            field_label(&name),
            Span::styled(format!("{:.0} % used", r.used_percent), theme::context(r.used_percent)),
            Span::styled(resets, theme::dim()),
        ]));
    }
    if let Some(t) = team::team(f).filter(|t| !t.members.is_empty()) {
        let label = t.name.map_or_else(|| "Team".to_string(), |n| format!("Team {}", sanitize_line(&n)));
        let who: Vec<String> = t
            .members
            .iter()
            .map(|m| format!("{} {}", sanitize_line(&m.name), sanitize_line(m.status.as_str())))
            .collect();
        out.push(field(&label, who.join(", ")));
    }
    let subs = team::subagents(f);
    if !subs.is_empty() {
        let kinds: Vec<String> =
            subs.iter().map(|s| if s.kind.is_empty() { "compact".into() } else { sanitize_line(&s.kind) }).collect();
        out.push(field("Subagents", kinds.join(", ")));
    }
    out
}

fn help_lines(m: &Model) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled("Session list", theme::bold())];
    let preview_from = Action::ALL.iter().position(|a| *a == Action::ScrollDown).unwrap_or(Action::ALL.len());
    for (i, a) in Action::ALL.iter().enumerate() {
        if i == preview_from {
            out.push(Line::raw(""));
            out.push(Line::styled("Focused preview (tab)", theme::bold()));
        }
        out.push(Line::from(vec![
            Span::styled(format!("  {:<14}", m.keys.label(*a)), theme::accent()),
            Span::raw(a.help()),
        ]));
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Mouse: click selects, double-click attaches, wheel scrolls.", theme::dim()));
    out.push(Line::styled("Change keys in <config>/navi/keys.yaml (overrides only; see docs/keys.md).", theme::dim()));
    out
}
