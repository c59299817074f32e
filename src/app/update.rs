//! The pure update: a message in, the model changed, effects out. No I/O, no clock: time
//! comes in with `Msg::Tick` and mouse events.

use super::actions;
use super::forms;
use super::geometry;
use super::input::{Key, KeyCode};
use super::model::{GitKey, Level, Model, Row, SessionKey, Source};
use super::msg::{Effect, Msg};
use super::remotes::{LinkState, RemoteStatus};
use super::view;

/// What the loop should do after a message.
#[derive(Debug, Default, PartialEq)]
pub struct Update {
    pub redraw: bool,
    pub effects: Vec<Effect>,
}

impl Update {
    pub fn redraw() -> Self {
        Update { redraw: true, effects: Vec::new() }
    }

    pub fn with(mut self, e: Effect) -> Self {
        self.effects.push(e);
        self
    }
}

/// The preview is captured again this long after the last capture came back.
pub const PREVIEW_EVERY_MS: u64 = 1500;
/// Git for a row is refreshed this often, or sooner after new activity.
const GIT_IDLE_SECS: i64 = 60;
const GIT_ACTIVE_SECS: i64 = 5;

pub fn update(m: &mut Model, msg: Msg) -> Update {
    match msg {
        // Terminals send Esc followed quickly by a key as Alt+key: unless Alt+key is bound,
        // it is what the user typed, Esc and then the key. Alt-Enter in the prompt box is
        // a new line.
        Msg::Key(key) if key.alt && !m.keys.binds(key) && !forms::is_newline(m, key) => {
            let mut first = update(m, Msg::Key(Key::plain(KeyCode::Esc)));
            let second = update(m, Msg::Key(Key { alt: false, ..key }));
            first.redraw |= second.redraw;
            first.effects.extend(second.effects);
            first
        }
        Msg::Key(key) => {
            if m.dialog.is_some() {
                forms::key(m, key)
            } else {
                actions::key(m, key)
            }
        }
        Msg::Mouse(mouse) => super::mouse::mouse(m, mouse),
        Msg::Resize(w, h) => {
            m.size = (w, h);
            view::keep_in_view(m);
            Update::redraw()
        }
        Msg::Tick(now) => tick(m, now),
        Msg::Listing { remote, result } => listing(m, remote, result),
        Msg::Shells { remote, result } => shells(m, remote, result),
        Msg::Preview { key, result } => {
            if m.selected_row().map(|r| r.key()) != Some(key.clone()) {
                return Update::default();
            }
            let result = result.map(|t| crate::text::sanitize(&t));
            let changed = m.preview.content.as_ref() != Some(&(key.clone(), result.clone()));
            m.preview.content = Some((key, result));
            // The next refresh counts from this answer, never from the request: a capture
            // slower than the period still completes.
            let next = if m.preview.visible { vec![Effect::SchedulePreview(PREVIEW_EVERY_MS)] } else { Vec::new() };
            Update { redraw: changed && m.preview.visible, effects: next }
        }
        Msg::PreviewDue => match (m.preview.visible, m.selected_row()) {
            (true, Some(Row::Session(s))) => Update::default().with(Effect::FetchPreview(SessionKey::of(s))),
            // An agent shell's pane, by its row's key (see `Effect::FetchPreview`).
            (true, Some(row @ Row::Shell(_))) => Update::default().with(Effect::FetchPreview(row.key())),
            _ => Update::default(),
        },
        Msg::Git { key, result } => {
            let e = m.git.entry(key).or_default();
            e.in_flight = false;
            e.fetched_at = m.now;
            let before = (e.info.clone(), e.error.clone());
            match result {
                Ok(info) => (e.info, e.error) = (Some(info), None),
                Err(err) => (e.info, e.error) = (None, Some(err)),
            }
            Update { redraw: before != (e.info.clone(), e.error.clone()), effects: Vec::new() }
        }
        Msg::GitSkipped(key) => {
            // Not fetched: the row had scrolled away. It is due again once it is back.
            if let Some(e) = m.git.get_mut(&key) {
                e.in_flight = false;
            }
            Update { redraw: false, effects: git_due(m) }
        }
        Msg::GitDetail { key, result } => forms::git_detail(m, key, result),
        Msg::ActionDone { done, result } => {
            match result {
                Ok(()) => {
                    let joined = joined_done(m, &done);
                    m.set_status(joined.unwrap_or(done), Level::Info)
                }
                Err(e) => m.set_status(e, Level::Error),
            }
            Update::redraw().with(Effect::Refresh(None))
        }
        Msg::FinishRefused { key, how, lost } => super::worktree::refused(m, key, how, lost),
        Msg::BranchExists { remote, start } => super::worktree::branch_exists(m, remote, start),
        Msg::DirChecked { dir, exists } => forms::dir_checked(m, dir, exists),
        Msg::RemoteStatuses(list) => {
            m.remotes_from_pool = true;
            let changed = m.remotes != list;
            m.remotes = list;
            Update { redraw: changed, effects: Vec::new() }
        }
        Msg::UnknownHostKey(prompt) => {
            let asked = (prompt.remote.clone(), prompt.fingerprint.clone());
            m.host_key_prompts.insert(prompt.remote.clone(), prompt.clone());
            // Never over a dialog or a search being typed: the keys meant for those would
            // answer it. Asked once per key by itself; Enter on the remote's row asks again.
            let typing = m.search.as_ref().is_some_and(|s| s.editing);
            if m.dialog.is_some() || typing || m.asked_host_keys.contains(&asked) {
                return Update::default();
            }
            m.asked_host_keys.push(asked);
            m.dialog = Some(super::dialog::Dialog::HostKey(prompt));
            Update::redraw()
        }
        Msg::DialogsRead { answer, found } => super::marks::dialogs_read(m, answer, found),
        Msg::Attached(result) => {
            if let Err(e) = result {
                m.set_status(format!("attach failed: {e}"), Level::Error);
            }
            Update::redraw().with(Effect::Refresh(None))
        }
        Msg::Warning(w) => {
            m.set_status(w, Level::Error);
            Update::redraw()
        }
    }
}

/// Marked rows acted on together report one after another: "killed a" then "killed b"
/// read as "killed a, b" while the first is fresh, so the footer names them all.
fn joined_done(m: &Model, done: &str) -> Option<String> {
    let shown = m.status.as_ref().filter(|s| s.level == Level::Info && m.now - s.since <= 2)?;
    let (verb, rest) = done.split_once(' ')?;
    let (shown_verb, _) = shown.text.split_once(' ')?;
    // Only what marks act on: other messages may share a first word ("notices …").
    let marked = ["killed", "dismissed", "approved", "denied"].contains(&verb);
    (marked && verb == shown_verb && shown.text.len() < 300).then(|| format!("{}, {rest}", shown.text))
}

fn listing(
    m: &mut Model,
    remote: Option<String>,
    result: Result<(Vec<crate::backend::Session>, Vec<String>), String>,
) -> Update {
    let first_local = remote.is_none() && !m.loaded;
    if remote.is_none() {
        m.loaded = true;
    }
    let src = match result {
        Ok((mut sessions, warnings)) => {
            sessions.sort_by(|a, b| a.name().cmp(b.name()));
            Source { sessions, error: None, warnings, down_since: None }
        }
        // A remote that drops keeps its sessions as last seen, marked, until it answers.
        // An unknown host key also arrives as `Msg::UnknownHostKey`, which asks the user.
        Err(e) => {
            let before = m.sources.get(&remote).filter(|_| remote.is_some()).cloned();
            let error = crate::text::sanitize_line(&e);
            if let (Some(r), Some(b)) = (&remote, &before)
                && b.error.is_none()
                && !b.sessions.is_empty()
            {
                let text = format!("{r} unreachable: {error} (its sessions as last seen)");
                m.set_status(text, Level::Error);
            }
            let down_since = Some(before.as_ref().and_then(|b| b.down_since).unwrap_or(m.now));
            Source {
                sessions: before.map(|b| b.sessions).unwrap_or_default(),
                error: Some(error),
                warnings: Vec::new(),
                down_since,
            }
        }
    };
    let mut redraw = first_local;
    if let Some(name) = remote.as_ref().filter(|_| !m.remotes_from_pool) {
        let (state, last_error) = match &src.error {
            None => (LinkState::Connected, None),
            Some(e) => (LinkState::Error, Some(e.clone())),
        };
        let status = RemoteStatus { name: name.clone(), state, last_error, setup: false };
        match m.remotes.iter_mut().find(|r| &r.name == name) {
            Some(r) if *r != status => {
                *r = status;
                redraw = true;
            }
            Some(_) => {}
            None => {
                m.remotes.push(status);
                redraw = true;
            }
        }
    }
    let new_warnings: Vec<String> = {
        let old = m.sources.get(&remote).map(|s| s.warnings.clone()).unwrap_or_default();
        src.warnings.iter().filter(|w| !old.contains(w)).cloned().collect()
    };
    if m.sources.get(&remote) == Some(&src) {
        return Update { redraw, effects: Vec::new() };
    }
    let before = m.selected_key.clone();
    m.sources.insert(remote, src);
    view::rebuild(m);
    // Each new problem gets its turn in the status line (they queue).
    for w in &new_warnings {
        m.set_status(format!("warning: {w}"), Level::Error);
    }
    // A remote's failure is a row; the local one has no row, so it goes to the status line.
    if let Some(e) = m.sources.get(&None).and_then(|s| s.error.clone()) {
        m.set_status(format!("cannot list local sessions: {e}"), Level::Error);
    }
    let mut up = Update::redraw();
    if m.selected_key != before && m.preview.visible {
        up.effects.push(Effect::SchedulePreview(100));
    }
    up.effects.extend(git_due(m));
    up
}

/// A host's agent shells. One that could not say shows none (a remote's failure is told
/// by its sessions' listing).
fn shells(
    m: &mut Model,
    remote: Option<String>,
    result: Result<Vec<crate::backend::agent_shells::AgentShell>, String>,
) -> Update {
    let list = result.unwrap_or_default();
    if m.shells.get(&remote).map_or(&[][..], Vec::as_slice) == list.as_slice() {
        return Update::default();
    }
    if list.is_empty() {
        m.shells.remove(&remote);
    } else {
        m.shells.insert(remote, list);
    }
    view::rebuild(m);
    Update::redraw()
}

fn tick(m: &mut Model, now: i64) -> Update {
    let ages =
        |m: &Model| -> Vec<String> { on_screen(m).map(|s| crate::text::age(m.now, s.file.timestamp())).collect() };
    let before = ages(m);
    m.now = now;
    let mut redraw = ages(m) != before;
    redraw |= m.expire_status();
    Update { redraw, effects: git_due(m) }
}

/// The sessions on screen, top to bottom.
fn on_screen(m: &Model) -> impl Iterator<Item = &crate::backend::Session> {
    let page = geometry::rows_per_page(m);
    m.visible.iter().skip(m.offset).take(page).filter_map(|i| m.rows[*i].session())
}

/// The rows on screen with a directory: (session, its git key, its timestamp).
fn git_on_screen(m: &Model) -> Vec<(SessionKey, GitKey, i64)> {
    on_screen(m)
        .filter_map(|s| {
            let git = GitKey { remote: s.remote.clone(), cwd: s.file.cwd.clone()? };
            Some((SessionKey::of(s), git, s.file.timestamp()))
        })
        .collect()
}

/// The git keys of the rows on screen: a queued fetch for any other is dropped when its
/// turn comes (see `Msg::GitSkipped`).
pub fn git_keys_on_screen(m: &Model) -> std::collections::HashSet<GitKey> {
    git_on_screen(m).into_iter().map(|(_, g, _)| g).collect()
}

/// Git fetches due for the rows on screen: never fetched, or stale.
pub fn git_due(m: &mut Model) -> Vec<Effect> {
    let mut out = Vec::new();
    let now = m.now;
    for (key, git, ts) in git_on_screen(m) {
        let e = m.git.entry(git.clone()).or_default();
        let due = e.fetched_at == 0
            || now.saturating_sub(e.fetched_at) >= GIT_IDLE_SECS
            || (ts != e.seen_timestamp && now.saturating_sub(e.fetched_at) >= GIT_ACTIVE_SECS);
        if due && !e.in_flight {
            e.in_flight = true;
            e.seen_timestamp = ts;
            out.push(Effect::FetchGit { key, git });
        }
    }
    out
}
