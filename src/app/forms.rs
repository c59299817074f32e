//! Keys inside dialogs: confirmations, the rename / new-session / send forms with inline
//! validation, and scrolling of the read-only panels.

use super::dialog::{Dialog, NewForm, TextInput};
use super::input::{Key, KeyCode};
use super::model::{Model, Row, SessionKey};
use super::msg::Effect;
use super::update::Update;
use crate::backend::{GitInfo, names};

pub fn key(m: &mut Model, key: Key) -> Update {
    if key == Key::ctrl('c') {
        return Update::default().with(Effect::Quit);
    }
    let Some(dialog) = m.dialog.take() else { return Update::default() };
    let (dialog, up) = match dialog {
        Dialog::Confirm { title, text, effect } => match key.code {
            KeyCode::Char('y' | 'Y') => {
                // With marks, the confirmation was for all of them: done with them.
                m.marks.clear();
                (None, Update::redraw().with(effect))
            }
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => (None, Update::redraw()),
            _ => (Some(Dialog::Confirm { title, text, effect }), Update::default()),
        },
        Dialog::Rename { key: k, mut input, error } => match key.code {
            KeyCode::Esc => (None, Update::redraw()),
            KeyCode::Enter => match rename_error(m, &k, &input.value) {
                Some(e) => (Some(Dialog::Rename { key: k, input, error: Some(e) }), Update::redraw()),
                None if input.value == k.name => (None, Update::redraw()),
                None => {
                    let new = input.value.clone();
                    (None, Update::redraw().with(Effect::Rename(k, new)))
                }
            },
            _ => {
                let changed = edit(&mut input, key);
                let error = if changed { rename_error(m, &k, &input.value) } else { error };
                (Some(Dialog::Rename { key: k, input, error }), Update::redraw())
            }
        },
        Dialog::Send { key: k, mut input, .. } => match key.code {
            KeyCode::Esc => (None, Update::redraw()),
            // Alt-Enter (and Shift-Enter, which arrives as Alt-Enter): a new line in the prompt.
            KeyCode::Enter if key.alt => {
                input.insert('\n');
                (Some(Dialog::Send { key: k, input, error: None }), Update::redraw())
            }
            KeyCode::Enter if input.value.trim().is_empty() => {
                let error = Some("type something to send".to_string());
                (Some(Dialog::Send { key: k, input, error }), Update::redraw())
            }
            KeyCode::Enter => {
                let text = input.value.clone();
                (None, Update::redraw().with(Effect::Send(k, text)))
            }
            _ => {
                edit(&mut input, key);
                (Some(Dialog::Send { key: k, input, error: None }), Update::redraw())
            }
        },
        Dialog::Answer { answer, found } => match key.code {
            KeyCode::Char('y' | 'Y') => {
                m.marks.clear();
                (None, Update::redraw().with(super::marks::answers(answer, &found)))
            }
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => (None, Update::redraw()),
            _ => (Some(Dialog::Answer { answer, found }), Update::default()),
        },
        Dialog::New(form) => new_form(m, form, key),
        // Only an uppercase Y trusts: a stray `y` typed for something else must not.
        Dialog::HostKey(p) => match key.code {
            KeyCode::Char('Y') => (None, Update::redraw().with(Effect::AcceptHostKey(p))),
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => (None, Update::redraw()),
            _ => (Some(Dialog::HostKey(p)), Update::default()),
        },
        Dialog::Git { key: k, info, mut scroll } => {
            let lines = match &info {
                Some(Ok(i)) => i.diff.as_deref().map_or(0, |d| d.lines().count()) + 12,
                _ => 0,
            };
            if closes(key, 'G') {
                (None, Update::redraw())
            } else {
                scroll_keys(&mut scroll, key, lines);
                (Some(Dialog::Git { key: k, info, scroll }), Update::redraw())
            }
        }
        Dialog::Metrics { key: k, mut scroll } => {
            if closes(key, 'i') {
                (None, Update::redraw())
            } else {
                scroll_keys(&mut scroll, key, 200);
                (Some(Dialog::Metrics { key: k, scroll }), Update::redraw())
            }
        }
        d @ (Dialog::Finish { .. } | Dialog::KillWorktree { .. }) => super::worktree::key(d, key),
        Dialog::Help { mut scroll } => {
            if closes(key, '?') {
                (None, Update::redraw())
            } else {
                scroll_keys(&mut scroll, key, super::keys::Action::ALL.len() + 4);
                (Some(Dialog::Help { scroll }), Update::redraw())
            }
        }
    };
    m.dialog = dialog;
    up
}

/// Alt-Enter (or Shift-Enter) in the prompt box: a new line in the prompt.
pub fn is_newline(m: &Model, key: Key) -> bool {
    key.code == KeyCode::Enter && key.alt && matches!(m.dialog, Some(Dialog::Send { .. }))
}

fn closes(key: Key, own: char) -> bool {
    matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) || key.code == KeyCode::Char(own)
}

fn scroll_keys(scroll: &mut usize, key: Key, max: usize) {
    *scroll = match key.code {
        KeyCode::Char('j') | KeyCode::Down => *scroll + 1,
        KeyCode::Char('k') | KeyCode::Up => scroll.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => *scroll + 10,
        KeyCode::PageUp => scroll.saturating_sub(10),
        KeyCode::Char('g') | KeyCode::Home => 0,
        KeyCode::End => max,
        _ => *scroll,
    }
    .min(max);
}

/// Applies an editing key; true when the text changed.
pub(super) fn edit(input: &mut TextInput, key: Key) -> bool {
    let before = input.value.clone();
    match key.code {
        KeyCode::Char(c) if !key.ctrl && !key.alt => input.insert(c),
        KeyCode::Char('u') if key.ctrl => input.clear(),
        KeyCode::Backspace => input.backspace(),
        KeyCode::Delete => input.delete(),
        KeyCode::Left => input.left(),
        KeyCode::Right => input.right(),
        KeyCode::Home => input.home(),
        KeyCode::End => input.end(),
        _ => {}
    }
    input.value != before
}

fn taken(m: &Model, remote: &Option<String>, name: &str) -> bool {
    m.rows.iter().filter_map(Row::session).any(|s| &s.remote == remote && s.name() == name)
}

fn rename_error(m: &Model, k: &SessionKey, new: &str) -> Option<String> {
    if let Err(e) = names::validate(new) {
        return Some(e);
    }
    (new != k.name && taken(m, &k.remote, new)).then(|| format!("a session named {new:?} already exists"))
}

fn name_error(m: &Model, f: &NewForm) -> Option<String> {
    if let Err(e) = names::validate(&f.name.value) {
        return Some(e);
    }
    taken(m, &f.remote, &f.name.value).then(|| format!("a session named {:?} already exists", f.name.value))
}

fn dir_error(f: &NewForm) -> Option<String> {
    if f.dir.value.trim().is_empty() {
        return Some("directory must not be empty".into());
    }
    match &f.dir_checked {
        Some((d, false)) if *d == f.dir.value => Some("no such directory".into()),
        _ => None,
    }
}

fn new_form(m: &mut Model, mut f: NewForm, key: Key) -> (Option<Dialog>, Update) {
    let mut up = Update::redraw();
    if super::worktree::form_key(&mut f, key) {
        return (Some(Dialog::New(f)), up);
    }
    match key.code {
        KeyCode::Esc => return (None, up),
        KeyCode::Tab | KeyCode::Down => f.field = (f.field + 1) % f.fields(),
        KeyCode::BackTab | KeyCode::Up => f.field = (f.field + f.fields() - 1) % f.fields(),
        KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right if f.field == f.agent_field() => {
            f.agent = f.agent.cycle(key.code == KeyCode::Left);
        }
        KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right if Some(f.field) == f.host_field() => {
            let i = f.hosts.iter().position(|h| *h == f.remote).unwrap_or(0);
            let n = f.hosts.len();
            let next = if key.code == KeyCode::Left { (i + n - 1) % n } else { (i + 1) % n };
            let host = f.hosts[next].clone();
            let effects = set_host(m, f, host);
            up.effects.extend(effects);
            return (m.dialog.take(), up);
        }
        KeyCode::Enter => {
            f.name_error = name_error(m, &f);
            f.dir_error = dir_error(&f);
            f.branch_error = super::worktree::branch_error(&f);
            if f.name_error.is_none() && f.dir_error.is_none() && f.branch_error.is_none() {
                let effect = match f.worktree {
                    true => Effect::CreateWorktree { remote: f.remote.clone(), start: super::worktree::start(&f) },
                    false => Effect::Create {
                        remote: f.remote.clone(),
                        name: f.name.value.clone(),
                        dir: f.dir.value.trim().to_string(),
                        skip_permissions: f.skip_permissions,
                        agent: f.agent,
                    },
                };
                return (None, up.with(effect));
            }
        }
        KeyCode::Char(' ') if f.field == 2 => f.skip_permissions = !f.skip_permissions,
        _ if f.field == 0 => {
            if edit(&mut f.name, key) {
                f.name_error = name_error(m, &f);
                f.branch_error = super::worktree::branch_error(&f);
            }
        }
        _ if f.field == 1 => {
            if edit(&mut f.dir, key) {
                f.dir_error = dir_error(&f);
                // Only this machine's folders can be checked while typing; a remote
                // one is checked by the create command itself.
                if f.remote.is_none() {
                    up.effects.push(Effect::CheckDir(f.dir.value.trim().to_string()));
                }
            }
        }
        _ => return (Some(Dialog::New(f)), Update::default()),
    }
    (Some(Dialog::New(f)), up)
}

/// The directory check for the new-session form came back.
pub fn dir_checked(m: &mut Model, dir: String, exists: bool) -> Update {
    let Some(Dialog::New(f)) = m.dialog.as_mut() else { return Update::default() };
    if f.dir.value.trim() != dir {
        return Update::default();
    }
    f.dir_checked = Some((f.dir.value.clone(), exists));
    f.dir_error = dir_error(f);
    Update::redraw()
}

pub fn git_detail(m: &mut Model, key: SessionKey, result: Result<GitInfo, String>) -> Update {
    match m.dialog.as_mut() {
        Some(Dialog::Git { key: k, info, .. }) if *k == key => {
            *info = Some(result.map_err(|e| crate::text::sanitize_line(&e)));
            Update::redraw()
        }
        _ => Update::default(),
    }
}

/// Points the new-session form at `host`: a free default name there and a default
/// directory (the current one locally, `~` on a remote). Stores the form in the model.
pub fn set_host(m: &mut Model, mut f: NewForm, host: Option<String>) -> Vec<Effect> {
    let taken_here = |n: &str| taken(m, &host, n);
    if f.name.value.is_empty() || taken_here(&f.name.value) {
        let name = std::iter::once("claude".to_string())
            .chain((2..).map(|i| format!("claude-{i}")))
            .find(|n| !taken_here(n))
            .unwrap_or_else(|| "claude".into());
        f.name = TextInput::new(&name);
    }
    let dir = match &host {
        None => crate::text::shorten_home(&m.cwd, &m.home),
        Some(_) => "~".to_string(),
    };
    f.dir = TextInput::new(&dir);
    f.dir_checked = None;
    f.remote = host;
    f.name_error = name_error(m, &f);
    f.dir_error = dir_error(&f);
    let effects = if f.remote.is_none() { vec![Effect::CheckDir(dir)] } else { Vec::new() };
    m.dialog = Some(Dialog::New(f));
    effects
}
