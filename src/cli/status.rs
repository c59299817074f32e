//! `navi status`: sessions counted by status and the one that has waited longest, as
//! lines, one tmux status-bar line, or JSON. Local sessions come from their status files
//! (read fresh; tmux is not asked, see docs/status-bar.md); remote ones from the summary
//! (no SSH connection), whose age is said once it is stale.

use super::args::StatusFormat;
use super::context::Context;
use crate::sessions::Status;
use crate::sessions::store::Store;
use crate::summary::attention::{self, Candidate};
use crate::summary::{self, RemoteState, STALE_AFTER, Summary};
use crate::text::{age, sanitize_line, truncate};
use serde::Serialize;
use std::borrow::Cow;
use std::path::Path;

/// Counts are shown in this order; any other status counts as `other`.
const ORDER: [Status; 8] = [
    Status::Permission,
    Status::Waiting,
    Status::Error,
    Status::Done,
    Status::Working,
    Status::Idle,
    Status::Stopped,
    Status::Offline,
];
/// Names are cut to this many columns in lines and the status bar.
const NAME_MAX: usize = 32;
/// At most this many remotes are named in the status bar.
const TMUX_REMOTES_MAX: usize = 4;

/// What the formats print.
#[derive(Debug, Default)]
pub struct Report {
    /// (status, count), in [`ORDER`], `other` last; only statuses with sessions.
    pub counts: Vec<(String, usize)>,
    pub local: usize,
    pub remote: usize,
    /// Every session, local and remote.
    pub sessions: Vec<Candidate>,
    /// The configured remotes, in the order of remotes.yaml.
    pub remotes: Vec<RemoteView>,
    pub summary: SummaryNote,
}

#[derive(Debug)]
pub struct RemoteView {
    pub name: String,
    /// `None`: the summary has nothing about it yet.
    pub state: Option<RemoteState>,
    pub age: Option<i64>,
}

#[derive(Debug, Default, PartialEq)]
pub enum SummaryNote {
    #[default]
    Present,
    Missing,
    Unreadable(String),
}

/// `navi status`: prints the report in `format`.
pub fn run(ctx: &Context, format: StatusFormat) {
    let names: Vec<String> = ctx.remotes.config.remotes.iter().map(|r| r.name.clone()).collect();
    let now = crate::text::now_unix();
    let report = gather(&ctx.paths.sessions_dir, &ctx.paths.state_dir, &names, now);
    print!("{}", render(&report, format, now));
}

/// The summary's remote sessions, for every configured remote it knows of and last found
/// up (the sessions kept for one that fails are only its last-seen rows).
pub fn remote_candidates(summary: &Summary, remotes: &[String]) -> Vec<Candidate> {
    remotes
        .iter()
        .filter_map(|r| summary.remotes.get(r).map(|e| (r, e)))
        .filter(|(_, e)| e.state == RemoteState::Up)
        .flat_map(|(r, e)| e.sessions.iter().map(move |row| Candidate::of_row(r, row)))
        .collect()
}

/// Reads the local status files and the summary; `remotes`: the names in remotes.yaml
/// (the summary may still hold remotes taken out of it).
pub fn gather(sessions_dir: &Path, state_dir: &Path, remotes: &[String], now: i64) -> Report {
    // Problems with files are for `navi list` to report: a status bar has no room.
    let (local, _) = Store::new(sessions_dir).read_heads();
    let mut sessions: Vec<Candidate> = local.into_iter().map(|h| Candidate::of_head(None, h)).collect();
    let mut report = Report { local: sessions.len(), ..Report::default() };
    let summary = match summary::read(state_dir) {
        Ok(Some(s)) => s,
        Ok(None) => {
            report.summary = SummaryNote::Missing;
            Summary::default()
        }
        Err(e) => {
            report.summary = SummaryNote::Unreadable(e.to_string());
            Summary::default()
        }
    };
    let far = remote_candidates(&summary, remotes);
    report.remote = far.len();
    sessions.extend(far);
    for status in ORDER.iter() {
        let n = sessions.iter().filter(|s| s.status == *status).count();
        if n > 0 {
            report.counts.push((status.as_str().to_string(), n));
        }
    }
    let other = sessions.iter().filter(|s| !ORDER.contains(&s.status)).count();
    if other > 0 {
        report.counts.push(("other".into(), other));
    }
    report.sessions = sessions;
    report.remotes = remotes
        .iter()
        .map(|name| RemoteView {
            name: name.clone(),
            state: summary.remotes.get(name).map(|e| e.state.clone()),
            age: summary.age(name, now),
        })
        .collect();
    report
}

fn icon(status: &str) -> &'static str {
    Status::parse(status).icon()
}

fn name_of(c: &Candidate) -> String {
    let name = truncate(&sanitize_line(&c.session), NAME_MAX);
    match &c.remote {
        Some(r) => format!("{name} [{}]", truncate(&sanitize_line(r), NAME_MAX)),
        None => name,
    }
}

fn stale(age: Option<i64>) -> bool {
    age.is_some_and(|a| a > STALE_AFTER)
}

pub fn render(report: &Report, format: StatusFormat, now: i64) -> String {
    match format {
        StatusFormat::Plain => plain(report, now),
        StatusFormat::Tmux => tmux(report, now),
        StatusFormat::Json => json_text(report),
    }
}

fn plain(r: &Report, now: i64) -> String {
    let mut out = String::new();
    if r.counts.is_empty() {
        out.push_str("no sessions\n");
    } else {
        let counts: Vec<String> = r.counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        out.push_str(&format!("sessions: {} ({} local, {} remote)\n", counts.join(", "), r.local, r.remote));
    }
    if let Some(c) = attention::pick(&r.sessions) {
        let waited = c.since.map(|t| format!(" since {}", age(now, t))).unwrap_or_default();
        let message =
            c.message.as_deref().map(|m| format!(": {}", truncate(&sanitize_line(m), 80))).unwrap_or_default();
        out.push_str(&format!("waited longest: {} {}{waited}{message}\n", name_of(c), c.status));
    }
    for v in &r.remotes {
        let name = truncate(&sanitize_line(&v.name), NAME_MAX);
        let line = match (&v.state, v.age) {
            (Some(state), Some(a)) => {
                let why =
                    state.reason().map(|w| format!(" ({})", truncate(&sanitize_line(w), 100))).unwrap_or_default();
                let note = if stale(Some(a)) { ", stale: is the dashboard or navi watch running?" } else { "" };
                format!("{name}: {}{why}, {}{note}", state.name(), age(now, now - a))
            }
            _ => format!("{name}: not listed yet"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    if !r.remotes.is_empty() {
        match &r.summary {
            SummaryNote::Present => {}
            SummaryNote::Missing => out.push_str("no summary: run the dashboard or navi watch\n"),
            SummaryNote::Unreadable(e) => out.push_str(&format!("summary unreadable: {}\n", sanitize_line(e))),
        }
    }
    out
}

/// Text for tmux's status line: clean, with every `#` doubled so nothing in a session's
/// name or message is read as a tmux format or style.
fn tmux_text(s: &str) -> String {
    sanitize_line(s).replace('#', "##")
}

fn tmux(r: &Report, now: i64) -> String {
    let mut parts: Vec<String> = r.counts.iter().map(|(s, n)| format!("{}{n}", icon(s))).collect();
    if let Some(c) = attention::pick(&r.sessions) {
        let mut name = truncate(&sanitize_line(&c.session), NAME_MAX);
        if let Some(remote) = &c.remote {
            name = format!("{name}@{}", truncate(&sanitize_line(remote), NAME_MAX));
        }
        let waited = c.since.map(|t| format!(" {}", age(now, t).trim_end_matches(" ago"))).unwrap_or_default();
        parts.push(format!("· {}{}", tmux_text(&name), waited));
    }
    let notes: Vec<String> = r
        .remotes
        .iter()
        .filter_map(|v| {
            let down = v.state.as_ref().filter(|s| **s != RemoteState::Up).map(|s| s.name());
            let old = stale(v.age).then(|| format!("{} old", v.age.map(|a| age(now, now - a)).unwrap_or_default()));
            let old = old.map(|o| o.replace(" ago", ""));
            let what: Vec<String> = down.map(str::to_string).into_iter().chain(old).collect();
            (!what.is_empty()).then(|| tmux_text(&format!("{} {}", truncate(&v.name, NAME_MAX), what.join(" "))))
        })
        .collect();
    let more = notes.len().saturating_sub(TMUX_REMOTES_MAX);
    let mut notes: Vec<String> = notes.into_iter().take(TMUX_REMOTES_MAX).collect();
    if more > 0 {
        notes.push(format!("+{more}"));
    }
    if !notes.is_empty() {
        parts.push(format!("#[dim]{}#[nodim]", notes.join(" ")));
    }
    let mut line = parts.join(" ");
    line.push('\n');
    line
}

/// The JSON form, serialised straight from the report: a status bar may run this every
/// second, and a `serde_json::Value` tree of every waiting session (then cleaned, then
/// printed) costs more than the rest of the command. Every string is cleaned as
/// [`crate::text::sanitize_json`] would.
fn json_text(r: &Report) -> String {
    let clean = crate::text::clean_json_str;
    let counts = Pairs(r.counts.iter().map(|(s, n)| (clean(s), *n)).collect());
    let attention: Vec<Entry> = attention::oldest_first(&r.sessions)
        .into_iter()
        .map(|c| Entry {
            session: clean(&c.session),
            remote: c.remote.as_deref().map(clean),
            status: &c.status,
            since: c.since,
        })
        .collect();
    let remotes = Pairs(
        r.remotes
            .iter()
            .map(|v| {
                let state = v.state.as_ref();
                let view = RemoteJson {
                    state: state.map_or("unknown", RemoteState::name),
                    age_seconds: v.age,
                    reason: state.and_then(RemoteState::reason).map(clean),
                };
                (clean(&v.name), view)
            })
            .collect(),
    );
    let out = Json { counts, attention, remotes };
    let mut text = serde_json::to_string(&out).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    text.push('\n');
    text
}

#[derive(Serialize)]
struct Json<'a> {
    counts: Pairs<Cow<'a, str>, usize>,
    attention: Vec<Entry<'a>>,
    remotes: Pairs<Cow<'a, str>, RemoteJson<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    session: Cow<'a, str>,
    remote: Option<Cow<'a, str>>,
    status: &'a Status,
    since: Option<i64>,
}

#[derive(Serialize)]
struct RemoteJson<'a> {
    state: &'static str,
    age_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Cow<'a, str>>,
}

/// A JSON object from pairs, in their order.
struct Pairs<K, V>(Vec<(K, V)>);

impl<K: Serialize, V: Serialize> Serialize for Pairs<K, V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

#[cfg(test)]
mod tests;
