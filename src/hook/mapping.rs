//! The hook mapping (event → status, message and `prompt`) and the metrics it keeps: time
//! accumulated by the status a session leaves, and the most recent tools. docs/hooks.md
//! lists every Claude Code event and why each one does what it does here.
//!
//! Claude Code repeats itself in generic words: a `permission_prompt` Notification 6 s after
//! every unanswered PermissionRequest and an `idle_prompt` 60 s after every turn. Those never
//! overwrite the more specific status and message the earlier event wrote.

mod prompt;
mod reply;
mod team;

use crate::sessions::agent::{Agent, set_agent};
use crate::sessions::{Metrics, Status, StatusFile, TimeMetrics, ToolMetrics};
pub use prompt::{Kind, MESSAGE_MAX, TOOL_MAX};
use prompt::{cut, first_line};
use serde::Deserialize;
use serde_json::Value;

/// How many recent tool names are kept.
pub const RECENT_TOOLS: usize = 10;
/// The status file's key for what a waiting session is asked (see docs/status-files.md).
pub const PROMPT_KEY: &str = "prompt";
/// Longer session ids and working directories are not recorded: a cut one would be wrong.
const ID_MAX: usize = 256;
const CWD_MAX: usize = 4096;

/// The fields of a Claude Code hook event that navi reads; the rest is ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HookEvent {
    pub hook_event_name: String,
    pub session_id: Option<String>,
    pub cwd: Option<String>,
    pub notification_type: Option<String>,
    pub message: Option<String>,
    pub tool_name: Option<String>,
    pub tool_input: Option<Value>,
    pub last_assistant_message: Option<String>,
    pub error: Option<Value>,
    pub is_interrupt: Option<Value>,
    pub reason: Option<Value>,
    pub source: Option<Value>,
    pub teammate_name: Option<String>,
    pub team_name: Option<String>,
    pub agent_id: Option<String>,
    pub agent_type: Option<String>,
    pub transcript_path: Option<String>,
    /// Read leniently: only whether the call spawned a teammate.
    #[serde(default)]
    pub tool_response: Option<reply::ToolReply>,
    /// Which agent sent it (`navi hook --agent`); never read from the payload.
    #[serde(skip)]
    pub agent: Agent,
}

/// What an event does to one field of the file.
enum Field<T> {
    Keep,
    Clear,
    Set(T),
}

struct Change {
    status: Status,
    message: Field<String>,
    prompt: Field<Value>,
}

impl Change {
    fn new(status: Status, message: Field<String>, prompt: Field<Value>) -> Option<Change> {
        Some(Change { status, message, prompt })
    }
}

/// Applies `event` to the session's current file. `None`: the event changes nothing.
pub fn apply(existing: Option<StatusFile>, session: &str, event: &HookEvent, now: i64) -> Option<StatusFile> {
    match team::role(existing.as_ref(), event) {
        team::Role::Teammate(name) => return team::teammate(existing, session, event, name, now),
        team::Role::Other(id) => return team::other(existing, session, event, id, now),
        team::Role::Lead => {}
    }
    if matches!(event.hook_event_name.as_str(), "SubagentStart" | "SubagentStop") {
        return team::subagent(existing, session, event, now);
    }
    let change = map(event, existing.as_ref())?;
    let mut file = advance(existing, session, change.status, now);
    team::on_lead_event(&mut file, event, now);
    set_agent(&mut file, event.agent);
    if matches!(event.hook_event_name.as_str(), "PostToolUse" | "PostToolUseFailure")
        && let Some(tool) = event.tool_name.as_deref().filter(|t| !t.is_empty())
    {
        count_tool(file.metrics.get_or_insert_with(Metrics::default), &cut(tool, TOOL_MAX));
    }
    match change.message {
        Field::Keep => {}
        Field::Clear => file.message = None,
        Field::Set(m) => file.message = Some(m),
    }
    match change.prompt {
        Field::Set(p) => {
            file.extra.insert(PROMPT_KEY.into(), p);
        }
        Field::Clear => {
            file.extra.remove(PROMPT_KEY);
        }
        Field::Keep => {}
    }
    if let Some(id) = event.session_id.as_ref().filter(|s| !s.is_empty() && s.len() <= ID_MAX) {
        file.session_id = Some(id.clone());
    }
    if let Some(cwd) = event.cwd.as_ref().filter(|s| !s.is_empty() && s.len() <= CWD_MAX) {
        file.cwd = Some(cwd.clone());
    }
    Some(file)
}

/// Sets a status found by looking at the session's pane (see `backend::pane`), the way an
/// event would: time is accumulated, `message` replaces the message, and the `prompt` goes
/// with a status that no longer waits on the user.
pub fn correct(existing: StatusFile, status: Status, message: Option<String>, now: i64) -> StatusFile {
    let session = existing.tmux_session.clone();
    let mut file = advance(Some(existing), &session, status, now);
    file.message = message;
    file
}

/// The file moved to `status` at `now`: the time since the previous event goes to the
/// status left, and a question's `prompt` ends with the waiting.
fn advance(existing: Option<StatusFile>, session: &str, status: Status, now: i64) -> StatusFile {
    let previous = existing.as_ref().map(|f| (f.status.clone(), f.timestamp));
    let mut file = existing.unwrap_or_else(|| StatusFile::new(session, status.clone()));
    file.tmux_session = session.to_string();
    let time = file.metrics.get_or_insert_with(Metrics::default).time.get_or_insert_with(TimeMetrics::default);
    let started = *time.started.get_or_insert(now);
    if let Some((prev, at)) = previous {
        // Times come from a file anyone can write: saturate rather than overflow.
        let elapsed = at.map_or(0, |t| now.saturating_sub(t).max(0));
        match prev {
            Status::Working => time.working_seconds = time.working_seconds.saturating_add(elapsed),
            Status::Waiting | Status::Permission => time.waiting_seconds = time.waiting_seconds.saturating_add(elapsed),
            _ => {}
        }
    }
    time.total_seconds = now.saturating_sub(started).max(0);
    if !status.needs_attention() {
        file.extra.remove(PROMPT_KEY);
    }
    file.status = status;
    file.timestamp = Some(now);
    file
}

fn count_tool(metrics: &mut Metrics, tool: &str) {
    let tools = metrics.tools.get_or_insert_with(ToolMetrics::default);
    // Newest first, as the original navi writes and reads it.
    tools.recent.insert(0, tool.to_string());
    tools.recent.truncate(RECENT_TOOLS);
    let count = tools.counts.get(tool).and_then(Value::as_u64).unwrap_or(0);
    tools.counts.insert(tool.to_string(), Value::from(count.saturating_add(1)));
}

fn map(event: &HookEvent, existing: Option<&StatusFile>) -> Option<Change> {
    let status = existing.map(|f| &f.status);
    match event.hook_event_name.as_str() {
        "UserPromptSubmit" => Change::new(Status::Working, Field::Clear, Field::Clear),
        "PostToolUse" | "PostToolUseFailure" => {
            if event.is_interrupt.as_ref().and_then(Value::as_bool) == Some(true) {
                // Esc while a tool ran: the turn is over and Claude Code waits for the user.
                return Change::new(Status::Idle, Field::Set("Interrupted".into()), Field::Clear);
            }
            match existing.filter(|f| f.status.needs_attention()) {
                // The first sign a question was answered: its tool finished.
                Some(f) if answers(f, event) => Change::new(Status::Working, Field::Clear, Field::Clear),
                // Another tool (a subagent's, a parallel call) ended while the question is open.
                Some(f) => Change::new(f.status.clone(), Field::Keep, Field::Keep),
                None => Change::new(Status::Working, Field::Keep, Field::Keep),
            }
        }
        "PermissionRequest" => {
            let asked = prompt::asked(event.tool_name.as_deref(), event.tool_input.as_ref());
            let status = if asked.kind == Kind::Permission { Status::Permission } else { Status::Waiting };
            Change::new(status, Field::Set(asked.message), Field::Set(asked.prompt))
        }
        "Notification" => match event.notification_type.as_deref() {
            // Sent 6 s after a PermissionRequest, in words that say less than it did.
            Some("permission_prompt") if existing.is_some_and(has_question) => None,
            Some("permission_prompt" | "elicitation_dialog") => {
                let text = event.message.as_deref().and_then(first_line).unwrap_or("Waiting for input");
                Change::new(Status::Waiting, Field::Set(cut(text, MESSAGE_MAX)), Field::Clear)
            }
            // Sent 60 s after every turn: only a turn that ended unseen (Esc) changes status.
            Some("idle_prompt") => match status {
                None => Change::new(Status::Idle, Field::Clear, Field::Clear),
                Some(Status::Working) => Change::new(Status::Idle, Field::Keep, Field::Clear),
                Some(_) => None,
            },
            _ => None,
        },
        // Other agents only (see hook::agents): OpenCode's `session.status` busy, and a
        // permission answered.
        "Busy" => match status {
            Some(s) if *s == Status::Working || s.needs_attention() => None,
            _ => Change::new(Status::Working, Field::Clear, Field::Clear),
        },
        "PermissionReplied" => match status {
            Some(s) if s.needs_attention() => Change::new(Status::Working, Field::Clear, Field::Clear),
            _ => None,
        },
        // OpenCode ends a failed turn with an error event, then its idle: the error stays.
        "Stop" if event.agent == Agent::OpenCode && status == Some(&Status::Error) => None,
        "Stop" => {
            let first = event.last_assistant_message.as_deref().and_then(first_line);
            Change::new(Status::Done, first.map_or(Field::Clear, |m| Field::Set(cut(m, MESSAGE_MAX))), Field::Clear)
        }
        "StopFailure" => Change::new(Status::Error, Field::Set(failure(event)), Field::Clear),
        "SessionStart" => Change::new(Status::Idle, Field::Clear, Field::Clear),
        // `/clear` ends the session and starts the next one 0.2 s later: no offline blink.
        "SessionEnd" if event.reason.as_ref().and_then(Value::as_str) == Some("clear") => None,
        "SessionEnd" => Change::new(Status::Offline, Field::Clear, Field::Clear),
        _ => None,
    }
}

/// True when the file already says what the user is asked: a permission, or a question or
/// plan recorded with its `prompt`.
fn has_question(f: &StatusFile) -> bool {
    f.status == Status::Permission || (f.status == Status::Waiting && f.extra.contains_key(PROMPT_KEY))
}

/// True when a finished tool ends the question `f` waits on: its own tool, or any tool
/// when the file does not say which (written by an older navi, or a Notification), or when
/// the agent names its tools differently in questions and events (all but Claude Code).
fn answers(f: &StatusFile, event: &HookEvent) -> bool {
    if event.agent != Agent::Claude {
        return true;
    }
    let tool = event.tool_name.as_deref();
    match f.extra.get(PROMPT_KEY).and_then(|p| p.get("tool")).and_then(Value::as_str) {
        Some(asked) => tool.is_some_and(|t| cut(t, TOOL_MAX) == asked),
        None => true,
    }
}

/// The readable reason (`API Error: …`) when Claude Code gave one, else the error code.
fn failure(event: &HookEvent) -> String {
    if let Some(why) = event.last_assistant_message.as_deref().and_then(first_line) {
        return cut(why, MESSAGE_MAX);
    }
    let code = match &event.error {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(v) if !v.is_null() && !v.is_string() => v.to_string(),
        _ => "unknown error".into(),
    };
    cut(&format!("Stopped with an error: {code}"), MESSAGE_MAX)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_claude_code;
