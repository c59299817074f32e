//! Marks and the actions that may act on several rows. `space` marks the selected row
//! (keyed by remote and session, so a mark survives re-listing; a row that vanishes loses
//! it). With marks, kill, dismiss, approve and deny act on every marked row after one
//! confirmation that lists them, and the marks are cleared once it is accepted; without
//! marks they act on the selected row. Approve and deny first read each pane (an effect):
//! the confirmation shows what each dialog asks, and only those get an answer.

use super::actions::selected_key;
use super::dialog::{Dialog, Found};
use super::model::{Level, Model, Row, SessionKey};
use super::msg::Effect;
use super::update::Update;
use crate::backend::answer::Dialog as PermissionDialog;
use crate::backend::pane::Answer;

pub fn toggle(m: &mut Model) -> Update {
    let Some(key) = selected_key(m) else { return Update::redraw() };
    if !m.marks.remove(&key) {
        m.marks.insert(key);
    }
    Update::redraw()
}

/// Drops the marks of rows that are gone (after a listing).
pub fn drop_vanished(m: &mut Model) {
    let rows: std::collections::HashSet<SessionKey> =
        m.rows.iter().filter_map(Row::session).map(SessionKey::of).collect();
    m.marks.retain(|k| rows.contains(k));
}

/// The marked rows in list order, else the selected one (`None`: nothing to act on).
fn targets(m: &mut Model) -> Option<Vec<SessionKey>> {
    if m.marks.is_empty() {
        return selected_key(m).map(|k| vec![k]);
    }
    let order = |k: &SessionKey| m.visible.iter().position(|i| m.rows[*i].key() == *k).unwrap_or(usize::MAX);
    let mut keys: Vec<SessionKey> = m.marks.iter().cloned().collect();
    keys.sort_by_key(|k| (order(k), k.clone()));
    // Sessions of a remote that does not answer cannot be acted on.
    let (keys, down): (Vec<SessionKey>, Vec<SessionKey>) = keys.into_iter().partition(|k| m.down(&k.remote).is_none());
    if let Some(text) = down.first().and_then(|k| m.unreachable_text(&k.remote)) {
        m.set_status(format!("{text}; its marked sessions are left out"), Level::Error);
    }
    (!keys.is_empty()).then_some(keys)
}

/// `Ok`: the selected row (no marks); `Err`: the marked rows.
fn selected_or_marked(m: &mut Model) -> Option<Result<SessionKey, Vec<SessionKey>>> {
    let marked = !m.marks.is_empty();
    let mut keys = targets(m)?;
    match keys.pop() {
        Some(k) if !marked && keys.is_empty() => Some(Ok(k)),
        Some(k) => {
            keys.push(k);
            Some(Err(keys))
        }
        None => None,
    }
}

/// `name [remote]`, sanitized, as listed in a confirmation.
pub fn label(k: &SessionKey) -> String {
    let name = crate::text::sanitize_line(&k.name);
    match &k.remote {
        Some(r) => format!("{name} [{}]", crate::text::sanitize_line(r)),
        None => name,
    }
}

/// One confirmation that lists every marked row.
fn confirm_all(m: &mut Model, title: &str, what: &str, keys: Vec<SessionKey>, each: fn(SessionKey) -> Effect) {
    let list: Vec<String> = keys.iter().map(|k| format!("  {}", label(k))).collect();
    let text = format!("{what} these {} sessions?\n{}", keys.len(), list.join("\n"));
    let effect = Effect::Batch(keys.into_iter().map(each).collect());
    m.dialog = Some(Dialog::Confirm { title: title.into(), text, effect });
}

pub fn kill(m: &mut Model) -> Update {
    match selected_or_marked(m) {
        // A worktree session asks about its worktree too.
        Some(Ok(k)) => match super::worktree::kill(m, &k) {
            Some(asks) => m.dialog = Some(asks),
            None => {
                let on = k.remote.as_ref().map(|r| format!(" on {r}")).unwrap_or_default();
                let text = format!("Kill session {:?}{on}? Its tmux session ends. (y/n)", k.name);
                m.dialog = Some(Dialog::Confirm { title: "Kill".into(), text, effect: Effect::Kill(k) });
            }
        },
        Some(Err(keys)) => confirm_all(m, "Kill", "Kill (their tmux sessions end)", keys, Effect::Kill),
        None => {}
    }
    Update::redraw()
}

pub fn dismiss(m: &mut Model) -> Update {
    match selected_or_marked(m) {
        Some(Ok(k)) => Update::default().with(Effect::Dismiss(k)),
        Some(Err(keys)) => {
            confirm_all(m, "Dismiss", "Dismiss (mark seen, clear the message)", keys, Effect::Dismiss);
            Update::redraw()
        }
        None => Update::redraw(),
    }
}

/// Approve or deny: reads the targets' dialogs first (see the module note).
pub fn answer(m: &mut Model, answer: Answer) -> Update {
    let Some(keys) = targets(m) else { return Update::redraw() };
    m.set_status("reading the permission dialog…", Level::Info);
    Update::redraw().with(Effect::ReadDialogs { keys, answer })
}

/// The dialogs read: the confirmation, or why there is nothing to answer.
pub fn dialogs_read(m: &mut Model, answer: Answer, found: Vec<Found>) -> Update {
    if m.dialog.is_some() {
        m.set_status(format!("{} not asked: another dialog is open", answer.command()), Level::Info);
        return Update::redraw();
    }
    if found.iter().all(|f| f.dialog.is_err()) {
        let why: Vec<String> = found.iter().filter_map(|f| f.dialog.as_ref().err().cloned()).collect();
        m.set_status(why.join("; "), Level::Error);
        return Update::redraw();
    }
    m.dialog = Some(Dialog::Answer { answer, found });
    Update::redraw()
}

/// The answers to send once the user said yes: one per dialog read.
pub fn answers(answer: Answer, found: &[Found]) -> Effect {
    let each = |f: &Found| {
        f.dialog.as_ref().ok().map(|d: &PermissionDialog| Effect::Answer {
            key: f.key.clone(),
            answer,
            dialog: d.clone(),
        })
    };
    Effect::Batch(found.iter().filter_map(each).collect())
}
