//! Events that are not the lead's own turn: an agent-team teammate's (it names itself in
//! `teammate_name`, or its `session_id` is not the lead's) and the lead's subagents. They
//! are recorded under `team` and `subagents` (see `sessions::team`) and never change the
//! lead's status, message or `session_id`: the row keeps saying what the lead does.

use super::{HookEvent, advance, map};
use crate::sessions::team::{self, set_member, stop_member_by_session, subagent_started, subagent_stopped};
use crate::sessions::{Status, StatusFile};
use serde_json::Value;

/// Whose event this is.
pub(super) enum Role<'a> {
    Lead,
    /// A teammate that gave its name.
    Teammate(&'a str),
    /// Another agent in the same tmux session: a teammate's own hooks (its `session_id`,
    /// no name), or a second Claude Code started in another pane.
    Other(&'a str),
}

pub(super) fn role<'a>(existing: Option<&StatusFile>, event: &'a HookEvent) -> Role<'a> {
    if let Some(name) = event.teammate_name.as_deref().filter(|n| !n.is_empty()) {
        return Role::Teammate(name);
    }
    let lead = existing.filter(|f| f.status != Status::Offline).and_then(|f| f.session_id.as_deref());
    match (lead.filter(|s| !s.is_empty()), event.session_id.as_deref().filter(|s| !s.is_empty())) {
        (Some(lead), Some(id)) if lead != id && !takes_over(event) => Role::Other(id),
        _ => Role::Lead,
    }
}

/// Events only the lead sends with a new `session_id`: a prompt typed into it (the original
/// navi's rule: teammates get their work as messages), and a session it replaced in place
/// (`/clear`, `/resume`, compaction). A teammate starting up sends `source: startup`.
fn takes_over(event: &HookEvent) -> bool {
    match event.hook_event_name.as_str() {
        "UserPromptSubmit" => true,
        "SessionStart" => event.source.as_ref().and_then(Value::as_str).is_some_and(|s| s != "startup"),
        _ => false,
    }
}

/// A named teammate's event: its entry under `team` takes the status the event maps to.
pub(super) fn teammate(
    existing: Option<StatusFile>,
    session: &str,
    event: &HookEvent,
    name: &str,
    now: i64,
) -> Option<StatusFile> {
    let status = match event.hook_event_name.as_str() {
        "TeammateIdle" => Status::Idle,
        "TaskCompleted" => Status::Done,
        "SessionEnd" => Status::Stopped,
        _ => map(event, None)?.status,
    };
    // The lead's file comes first; a teammate reporting before it gets one as `navi new` writes.
    let mut file = existing.unwrap_or_else(|| advance(None, session, Status::Working, now));
    file.tmux_session = session.to_string();
    set_member(&mut file, event.team_name.as_deref(), name, &status, event.session_id.as_deref(), now).then_some(file)
}

/// An unnamed other agent's event: only its end is recorded, on the teammate that has its
/// `session_id` (or the subagent that is that session: OpenCode runs each in a child
/// session); everything else it says is about its own work, not the lead's.
pub(super) fn other(
    existing: Option<StatusFile>,
    session: &str,
    event: &HookEvent,
    session_id: &str,
    now: i64,
) -> Option<StatusFile> {
    match event.hook_event_name.as_str() {
        "Stop" | "SessionEnd" => {
            let mut file = existing?;
            file.tmux_session = session.to_string();
            let teammate = stop_member_by_session(&mut file, session_id, now);
            let subagent = subagent_stopped(&mut file, session_id);
            (teammate || subagent).then_some(file)
        }
        _ => None,
    }
}

/// The lead's SubagentStart / SubagentStop: the list of running subagents changes, the
/// lead's status and time do not (it is working through them).
pub(super) fn subagent(existing: Option<StatusFile>, session: &str, event: &HookEvent, now: i64) -> Option<StatusFile> {
    let id = event.agent_id.as_deref().filter(|id| !id.is_empty())?;
    // The file is this tmux session's whatever name another writer left inside it.
    let mut file = match existing {
        Some(f) => StatusFile { tmux_session: session.to_string(), ..f },
        None if event.hook_event_name == "SubagentStart" => advance(None, session, Status::Working, now),
        None => return None,
    };
    if event.hook_event_name == "SubagentStart" {
        subagent_started(&mut file, id, event.agent_type.as_deref().unwrap_or(""), now);
        Some(file)
    } else {
        subagent_stopped(&mut file, id).then_some(file)
    }
}

/// What the lead's own events do to the others: a new prompt forgets the teammates that
/// stopped (as the original navi does), a session that starts or ends has no subagents.
pub(super) fn on_lead_event(file: &mut StatusFile, event: &HookEvent, now: i64) {
    match event.hook_event_name.as_str() {
        "UserPromptSubmit" => team::drop_stopped_members(file),
        "SessionStart" | "SessionEnd" => team::clear_subagents(file),
        "PostToolUse" => spawned(file, event, now),
        _ => {}
    }
}

/// The lead's tool call that spawned a teammate (`tool_response.status` `teammate_spawned`,
/// its `name` and `team_name` in `tool_input`): listed as working from the start, with its
/// `session_id` when given, as the original navi does.
fn spawned(file: &mut StatusFile, event: &HookEvent, now: i64) {
    let Some(reply) = event.tool_response.as_ref().filter(|r| r.status.as_deref() == Some("teammate_spawned")) else {
        return;
    };
    let input = event.tool_input.as_ref();
    let text = |key: &str| input.and_then(|i| i.get(key)).and_then(Value::as_str).filter(|s| !s.is_empty());
    if let Some(name) = text("name") {
        set_member(file, text("team_name"), name, &Status::Working, reply.session_id.as_deref(), now);
    }
}
