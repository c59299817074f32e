//! Worktree sessions on the dashboard: the finish key's choice (merge, pull request or
//! remove), the kill of a worktree session (keep the worktree by default, or remove it),
//! the second confirmation when finishing would lose work, and the offer to start in a
//! branch that exists already.

use super::actions::selected_key;
use super::dialog::{Dialog, NewForm};
use super::input::{Key, KeyCode};
use super::marks::label;
use super::model::{Level, Model, SessionKey};
use super::msg::Effect;
use super::update::Update;
use crate::backend::worktree::{Finish, Start, check_start};
use crate::sessions::worktree::Worktree;

/// The selected session's worktree, or a status line saying it has none.
fn selected_worktree(m: &mut Model) -> Option<(SessionKey, Worktree)> {
    let key = selected_key(m)?;
    match m.find(&key).and_then(|s| s.file.worktree()) {
        Some(w) => Some((key, w)),
        None => {
            m.set_status(format!("{} is not a worktree session (navi new --worktree)", label(&key)), Level::Info);
            None
        }
    }
}

/// The finish key: asks how to finish the selected worktree session.
pub fn finish(m: &mut Model) -> Update {
    if let Some((key, worktree)) = selected_worktree(m) {
        m.dialog = Some(Dialog::Finish { key, worktree });
    }
    Update::redraw()
}

/// Kill of one session: a worktree session asks about its worktree (`None`: not one).
pub fn kill(m: &Model, key: &SessionKey) -> Option<Dialog> {
    let worktree = m.find(key)?.file.worktree()?;
    Some(Dialog::KillWorktree { key: key.clone(), worktree })
}

/// Keys in the finish and kill dialogs (any other dialog is given back as it is).
pub fn key(dialog: Dialog, key: Key) -> (Option<Dialog>, Update) {
    let cancel = matches!(key.code, KeyCode::Esc | KeyCode::Char('n' | 'q'));
    let done = |e: Effect| (None, Update::redraw().with(e));
    match dialog {
        Dialog::Finish { key: k, worktree } => {
            let how = match key.code {
                KeyCode::Char('m') => Finish::Merge,
                KeyCode::Char('p') => Finish::PullRequest,
                KeyCode::Char('r') => Finish::Remove,
                _ if cancel => return (None, Update::redraw()),
                _ => return (Some(Dialog::Finish { key: k, worktree }), Update::default()),
            };
            done(Effect::Finish { key: k, how, force: false })
        }
        Dialog::KillWorktree { key: k, worktree } => match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => done(Effect::Kill(k)),
            KeyCode::Char('w') => done(Effect::Finish { key: k, how: Finish::Remove, force: false }),
            _ if cancel => (None, Update::redraw()),
            _ => (Some(Dialog::KillWorktree { key: k, worktree }), Update::default()),
        },
        other => (Some(other), Update::default()),
    }
}

/// Finishing was refused because it would lose work: the second confirmation, which
/// lists what would be lost and goes on with `force`.
pub fn refused(m: &mut Model, key: SessionKey, how: Finish, lost: Vec<String>) -> Update {
    if m.dialog.is_some() {
        m.set_status(format!("finishing {} would lose work; not finished", label(&key)), Level::Error);
        return Update::redraw();
    }
    let mut text = format!("Finishing {} would lose:", label(&key));
    for line in lost.iter().take(20) {
        text.push('\n');
        text.push_str(line);
    }
    if lost.len() > 20 {
        text.push_str(&format!("\n… and {} more", lost.len() - 20));
    }
    text.push_str("\nFinish anyway?");
    m.dialog =
        Some(Dialog::Confirm { title: "Lose work?".into(), text, effect: Effect::Finish { key, how, force: true } });
    Update::redraw()
}

/// A new worktree session's branch exists: offers to start in it (and in its worktree).
pub fn branch_exists(m: &mut Model, remote: Option<String>, start: Start) -> Update {
    let branch = start.branch.clone().unwrap_or_else(|| format!("navi/{}", start.name));
    if m.dialog.is_some() {
        m.set_status(format!("branch {branch} exists already; {} not started", start.name), Level::Error);
        return Update::redraw();
    }
    let text = format!("Branch {branch} exists already. Start {} in it (in its worktree, if it has one)?", start.name);
    let effect = Effect::CreateWorktree { remote, start: Start { reuse: true, ..start } };
    m.dialog = Some(Dialog::Confirm { title: "Branch exists".into(), text, effect });
    Update::redraw()
}

/// The new-session form's worktree part: `space` on the box, then editing the branch and
/// base inputs shown while it is checked. True when the key was for it.
pub fn form_key(f: &mut NewForm, key: Key) -> bool {
    let at = f.worktree_field();
    let moves = matches!(
        key.code,
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down | KeyCode::Enter | KeyCode::Esc
    );
    match key.code {
        KeyCode::Char(' ') if f.field == at => f.worktree = !f.worktree,
        _ if moves => return false,
        _ if f.worktree && f.field == at + 1 => {
            super::forms::edit(&mut f.branch, key);
        }
        _ if f.worktree && f.field == at + 2 => {
            super::forms::edit(&mut f.base, key);
        }
        _ => return false,
    }
    f.branch_error = branch_error(f);
    true
}

/// What the form asks for, as a worktree session.
pub fn start(f: &NewForm) -> Start {
    let given = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
    Start {
        name: f.name.value.clone(),
        dir: f.dir.value.trim().to_string(),
        branch: given(&f.branch.value),
        base: given(&f.base.value),
        reuse: false,
        skip_permissions: f.skip_permissions,
        agent: f.agent,
    }
}

/// What git would reject in the branch (given, or `navi/NAME`) or the base; the name's own
/// problems are the name's error.
pub fn branch_error(f: &NewForm) -> Option<String> {
    if !f.worktree || crate::backend::names::validate(&f.name.value).is_err() {
        return None;
    }
    check_start(&start(f)).err().map(|e| e.to_string())
}
