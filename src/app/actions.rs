//! Keys and mouse on the session list and the focused preview.

use super::dialog::{Dialog, NewForm, TextInput};
use super::geometry;
use super::input::{Key, KeyCode};
use super::keys::Action;
use super::marks;
use super::model::{FILTER_STATUSES, Level, Location, Model, PreviewLayout, Row, Search, SessionKey};
use super::msg::Effect;
use super::update::{Update, git_due};
use super::view;
use crate::backend::agent_shells::AgentShell;
use crate::backend::pane::Answer;

pub fn key(m: &mut Model, key: Key) -> Update {
    if m.search.as_ref().is_some_and(|s| s.editing) {
        return search_input(m, key);
    }
    if m.preview.focused && m.preview.visible {
        if let Some(a) = m.keys.preview_action(key) {
            return preview(m, a);
        }
        return Update::default();
    }
    match m.keys.list_action(key) {
        Some(a) => list(m, a),
        None => Update::default(),
    }
}

fn search_input(m: &mut Model, key: Key) -> Update {
    let Some(search) = m.search.as_mut() else { return Update::default() };
    match key.code {
        KeyCode::Esc => m.search = None,
        KeyCode::Enter => search.editing = false,
        KeyCode::Backspace => {
            search.query.pop();
        }
        KeyCode::Char(c) if !key.ctrl && !key.alt => {
            search.query.push(c);
            return jump(m, 0, true);
        }
        KeyCode::Char('c') if key.ctrl => return Update::default().with(Effect::Quit),
        _ => return Update::default(),
    }
    Update::redraw()
}

/// Moves to the next (`dir` 1), previous (-1) or first-at-or-after (0) search match.
fn jump(m: &mut Model, dir: i32, include_current: bool) -> Update {
    let pos = view::match_positions(m);
    if pos.is_empty() {
        return Update::redraw();
    }
    let cur = m.selected;
    let target = if dir < 0 {
        pos.iter().rev().find(|p| **p < cur).or(pos.last())
    } else {
        pos.iter().find(|p| if include_current { **p >= cur } else { **p > cur }).or(pos.first())
    };
    match target {
        Some(t) => select(m, *t),
        None => Update::redraw(),
    }
}

/// Selects position `pos` of the visible list.
pub fn select(m: &mut Model, pos: usize) -> Update {
    let pos = view::off_header(m, pos);
    let changed = pos != m.selected;
    m.selected = pos.min(m.visible.len().saturating_sub(1));
    m.selected_key = m.selected_row().map(Row::key);
    m.wanted_key = m.selected_key.clone();
    view::keep_in_view(m);
    let mut up = Update::redraw();
    if changed && m.preview.visible {
        m.preview.follow = true;
        up.effects.push(Effect::SchedulePreview(100));
    }
    up.effects.extend(git_due(m));
    up
}

fn step(m: &mut Model, delta: isize) -> Update {
    let n = m.visible.len();
    if n == 0 {
        return Update::default();
    }
    let mut pos = (m.selected as isize + delta).rem_euclid(n as isize) as usize;
    // The agent shells' header is stepped over, in the direction of the step.
    if view::is_header(m, pos) {
        pos = (pos as isize + delta.signum()).rem_euclid(n as isize) as usize;
    }
    select(m, pos)
}

pub(super) fn selected_key(m: &mut Model) -> Option<SessionKey> {
    match m.selected_row() {
        Some(Row::Session(s)) => match m.unreachable_text(&s.remote) {
            Some(text) => {
                m.set_status(format!("{text}; its sessions are shown as last seen"), Level::Error);
                None
            }
            None => Some(SessionKey::of(s)),
        },
        Some(Row::Unreachable { remote, reason }) => {
            let text = format!("{remote} is unreachable: {reason}");
            m.set_status(text, Level::Error);
            None
        }
        Some(Row::Shell(s)) => {
            let text = format!("{} is an agent shell: {SHELL_KEYS}", s.name);
            m.set_status(text, Level::Info);
            None
        }
        Some(Row::ShellsHeader) | None => {
            m.set_status("no session selected", Level::Info);
            None
        }
    }
}

fn search_active(m: &Model) -> bool {
    m.search.as_ref().is_some_and(|s| !s.query.is_empty())
}

/// What can be done on an agent shell's row, as the footer says it.
const SHELL_KEYS: &str = "Enter attaches, x kills";

/// The key on the agent shell `s` (its effects carry the shell's own name).
pub fn shell_key(s: &AgentShell) -> SessionKey {
    SessionKey { remote: s.remote.clone(), name: s.name.clone() }
}

/// An action on an agent shell's row: attach and kill act on it; actions that only make
/// sense for an agent's session say so in the footer instead of acting (`None`: the
/// action does not depend on the row, e.g. moving or filtering).
fn on_shell(m: &mut Model, shell: &AgentShell, action: Action) -> Option<Update> {
    match action {
        Action::Attach => Some(Update::default().with(Effect::AttachShell(shell_key(shell)))),
        Action::Kill => {
            let on = shell.remote.as_ref().map(|r| format!(" on {r}")).unwrap_or_default();
            let text = format!(
                "Kill agent shell {:?}{on}? Its tmux session ends, and whatever the agent runs in it. (y/n)",
                shell.name
            );
            m.dialog =
                Some(Dialog::Confirm { title: "Kill".into(), text, effect: Effect::KillShell(shell_key(shell)) });
            Some(Update::redraw())
        }
        Action::Rename
        | Action::Dismiss
        | Action::Finish
        | Action::Send
        | Action::Approve
        | Action::ApproveAlways
        | Action::Deny
        | Action::Mark
        | Action::Git
        | Action::Metrics => {
            let what = action.name().replace('_', " ");
            m.set_status(format!("{what} does not apply to an agent shell ({SHELL_KEYS})"), Level::Info);
            Some(Update::redraw())
        }
        _ => None,
    }
}

fn list(m: &mut Model, action: Action) -> Update {
    if let Some(shell) = m.selected_shell().cloned()
        && let Some(up) = on_shell(m, &shell, action)
    {
        return up;
    }
    let with_key = |m: &mut Model, f: &dyn Fn(&mut Model, SessionKey) -> Update| match selected_key(m) {
        Some(k) => f(m, k),
        None => Update::redraw(),
    };
    match action {
        Action::Down => step(m, 1),
        Action::Up => step(m, -1),
        Action::Attach => match m.selected_row() {
            Some(Row::Unreachable { remote, .. }) if m.host_key_prompts.contains_key(remote) => {
                m.dialog = m.host_key_prompts.get(remote).cloned().map(super::dialog::Dialog::HostKey);
                Update::redraw()
            }
            _ => with_key(m, &|_, k| Update::default().with(Effect::Attach(k))),
        },
        Action::Jump => jump_to_waiting(m),
        Action::New if search_active(m) => jump(m, 1, false),
        Action::SearchPrev if search_active(m) => jump(m, -1, false),
        Action::SearchPrev => Update::default(),
        Action::New => open_new(m),
        Action::Kill => marks::kill(m),
        Action::Rename => with_key(m, &|m, k| {
            let input = TextInput::new(&k.name);
            m.dialog = Some(Dialog::Rename { key: k, input, error: None });
            Update::redraw()
        }),
        Action::Dismiss => marks::dismiss(m),
        Action::Finish => super::worktree::finish(m),
        Action::Approve => marks::answer(m, Answer::Approve),
        Action::ApproveAlways => marks::answer(m, Answer::ApproveAlways),
        Action::Deny => marks::answer(m, Answer::Deny),
        Action::Mark => marks::toggle(m),
        Action::Send => with_key(m, &|m, k| {
            m.dialog = Some(Dialog::Send { key: k, input: TextInput::default(), error: None });
            Update::redraw()
        }),
        Action::Mute => Update::default().with(Effect::ToggleMute),
        Action::Setup => offer_setup(m),
        Action::Refresh => {
            // A fresh problem (a remote just found down) says more than "refreshing".
            if !m.error_showing() {
                m.set_status("refreshing…", Level::Info);
            }
            Update::redraw().with(Effect::Refresh(None))
        }
        Action::TogglePreview => {
            m.preview.visible = !m.preview.visible;
            m.preview.focused = false;
            m.preview.follow = true;
            view::keep_in_view(m);
            let up = Update::redraw();
            if m.preview.visible { up.with(Effect::SchedulePreview(0)) } else { up }
        }
        Action::FocusPreview => {
            let was = m.preview.visible;
            m.preview.visible = true;
            m.preview.focused = true;
            view::keep_in_view(m);
            if was { Update::redraw() } else { Update::redraw().with(Effect::SchedulePreview(0)) }
        }
        Action::PreviewShrink | Action::PreviewGrow => {
            resize_preview(m, if action == Action::PreviewGrow { 5 } else { -5 });
            view::keep_in_view(m);
            Update::redraw()
        }
        Action::PreviewLayout => {
            m.preview.layout = match m.preview.layout {
                PreviewLayout::Side => PreviewLayout::Bottom,
                PreviewLayout::Bottom => PreviewLayout::Side,
            };
            view::keep_in_view(m);
            Update::redraw()
        }
        Action::PreviewWrap => {
            m.preview.wrap = !m.preview.wrap;
            Update::redraw()
        }
        Action::Git => with_key(m, &|m, k| {
            m.dialog = Some(Dialog::Git { key: k.clone(), info: None, scroll: 0 });
            Update::redraw().with(Effect::FetchGitDetail(k))
        }),
        Action::Metrics => with_key(m, &|m, k| {
            m.dialog = Some(Dialog::Metrics { key: k, scroll: 0 });
            Update::redraw()
        }),
        Action::Search => {
            m.search = Some(Search { query: String::new(), editing: true });
            Update::redraw()
        }
        Action::Sort => {
            m.sort = m.sort.next();
            view::refilter(m);
            Update::redraw()
        }
        Action::ClearFilter => {
            m.filters.clear();
            view::refilter(m);
            Update::redraw()
        }
        Action::FilterWaiting
        | Action::FilterWorking
        | Action::FilterPermission
        | Action::FilterDone
        | Action::FilterError => {
            let idx = [
                Action::FilterWaiting,
                Action::FilterWorking,
                Action::FilterPermission,
                Action::FilterDone,
                Action::FilterError,
            ]
            .iter()
            .position(|a| *a == action)
            .unwrap_or(0);
            let status = FILTER_STATUSES[idx].clone();
            match m.filters.iter().position(|s| *s == status) {
                Some(i) => {
                    m.filters.remove(i);
                }
                None => m.filters.push(status),
            }
            view::refilter(m);
            Update::redraw()
        }
        Action::HideOffline => {
            m.hide_offline = !m.hide_offline;
            view::refilter(m);
            Update::redraw()
        }
        Action::AgentFilter => {
            use crate::sessions::agent::Agent;
            m.agent_filter = match m.agent_filter {
                None => Some(Agent::ALL[0]),
                Some(a) if a == Agent::ALL[Agent::ALL.len() - 1] => None,
                Some(a) => Some(a.cycle(false)),
            };
            view::refilter(m);
            Update::redraw()
        }
        Action::Location => {
            if m.remote_names.is_empty() {
                m.set_status("no remotes configured (remotes.yaml)", Level::Info);
                return Update::redraw();
            }
            m.location = match m.location {
                Location::All => Location::Local,
                Location::Local => Location::Remote,
                Location::Remote => Location::All,
            };
            view::refilter(m);
            Update::redraw()
        }
        Action::Help => {
            m.dialog = Some(Dialog::Help { scroll: 0 });
            Update::redraw()
        }
        Action::Back => {
            if m.search.is_some() {
                m.search = None;
            } else if !m.filters.is_empty() || m.hide_offline || m.location != Location::All || m.agent_filter.is_some()
            {
                m.filters.clear();
                m.hide_offline = false;
                m.location = Location::All;
                m.agent_filter = None;
                view::refilter(m);
            } else {
                return Update::default();
            }
            Update::redraw()
        }
        Action::Quit => Update::default().with(Effect::Quit),
        Action::ScrollDown | Action::ScrollUp | Action::PageDown | Action::PageUp | Action::Top | Action::Bottom => {
            Update::default()
        }
    }
}

/// Selects and attaches the session `navi jump` would pick among those listed (see
/// [`crate::summary::attention`]), shown under the current filters or not.
fn jump_to_waiting(m: &mut Model) -> Update {
    use crate::summary::attention::{Candidate, pick};
    let candidates: Vec<Candidate> =
        m.rows.iter().filter_map(Row::session).map(|s| Candidate::of_file(s.remote.as_deref(), &s.file)).collect();
    let Some(c) = pick(&candidates) else {
        m.set_status("nothing is waiting for you", Level::Info);
        return Update::redraw();
    };
    let key = SessionKey { remote: c.remote.clone(), name: c.session.clone() };
    let mut up = match m.visible.iter().position(|i| m.rows[*i].key() == key) {
        Some(pos) => select(m, pos),
        None => Update::redraw(),
    };
    up.effects.push(Effect::Attach(key));
    up
}

fn open_new(m: &mut Model) -> Update {
    // A new session goes where the selected one lives, when that host answers.
    let remote = match m.selected_row() {
        Some(Row::Session(s)) => s.remote.clone(),
        Some(Row::Shell(s)) => s.remote.clone(),
        _ => None,
    };
    let hosts = std::iter::once(None).chain(m.remote_names.iter().cloned().map(Some)).collect();
    let form = NewForm {
        name: TextInput::new(""),
        dir: TextInput::new(""),
        remote: None,
        hosts,
        skip_permissions: false,
        worktree: false,
        branch: TextInput::default(),
        base: TextInput::default(),
        branch_error: None,
        agent: crate::sessions::agent::Agent::Claude,
        field: 0,
        name_error: None,
        dir_error: None,
        dir_checked: None,
    };
    let mut up = Update::redraw();
    up.effects.extend(super::forms::set_host(m, form, remote));
    up
}

fn resize_preview(m: &mut Model, delta: i32) {
    let (w, h) = m.size;
    match m.preview.layout {
        PreviewLayout::Side => {
            let cur = i32::from(geometry::preview_width(m, w));
            m.preview.width = Some((cur + delta).clamp(30, i32::from(w.saturating_sub(20)).max(30)) as u16);
        }
        PreviewLayout::Bottom => {
            let body = h.saturating_sub(1 + geometry::footer_height(m));
            let cur = i32::from(geometry::preview_height(m, body));
            m.preview.height = Some((cur + delta).clamp(5, i32::from(body.saturating_sub(3)).max(5)) as u16);
        }
    }
}

fn preview(m: &mut Model, action: Action) -> Update {
    let top = view::preview_top(m);
    let scroll_to = |m: &mut Model, t: usize| {
        m.preview.follow = false;
        m.preview.scroll = t;
        m.preview.scroll = view::preview_top(m);
        if m.preview.scroll < t {
            // Scrolled past the end: that is following the bottom.
            m.preview.follow = true;
        }
    };
    match action {
        Action::ScrollDown => scroll_to(m, top + 1),
        Action::ScrollUp => scroll_to(m, top.saturating_sub(1)),
        Action::PageDown => scroll_to(m, top + 10),
        Action::PageUp => scroll_to(m, top.saturating_sub(10)),
        Action::Top => scroll_to(m, 0),
        Action::Bottom => m.preview.follow = true,
        Action::FocusPreview | Action::Back => m.preview.focused = false,
        Action::Quit => return Update::default().with(Effect::Quit),
        _ => return Update::default(),
    }
    Update::redraw()
}

/// `S`: sets navi up on the selected row's remote when it lacks navi, else on the first
/// remote that does; asks first, naming what will happen.
fn offer_setup(m: &mut Model) -> Update {
    let lacks = |name: &str| m.remotes.iter().any(|r| r.name == name && r.setup);
    let selected = m.selected_row().and_then(|r| r.key().remote).filter(|r| lacks(r));
    let pick = selected.or_else(|| m.remotes.iter().find(|r| r.setup).map(|r| r.name.clone()));
    let Some(remote) = pick else {
        m.set_status("no remote lacks navi: nothing to set up", Level::Info);
        return Update::redraw();
    };
    let text = format!(
        "Install navi {} on {remote} (~/.local/bin/navi, checked there), its hooks and sessions folder?\n\
         Its changes are then pushed to you instead of polled.",
        env!("CARGO_PKG_VERSION")
    );
    m.dialog = Some(Dialog::Confirm { title: format!("set up {remote}"), text, effect: Effect::Setup(remote) });
    Update::redraw()
}
