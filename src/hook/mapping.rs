//! The hook mapping of DESIGN.md (event → status and message) and the metrics it keeps:
//! time accumulated by the status a session leaves, and the most recent tools.

use crate::sessions::{Metrics, Status, StatusFile, TimeMetrics, ToolMetrics};
use serde::Deserialize;
use serde_json::Value;

/// How many recent tool names are kept.
pub const RECENT_TOOLS: usize = 10;
/// Messages are cut to this many characters.
const MESSAGE_MAX: usize = 500;

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
}

enum Message {
    Keep,
    Clear,
    Set(String),
}

/// Applies `event` to the session's current file. `None`: the event changes nothing.
pub fn apply(existing: Option<StatusFile>, session: &str, event: &HookEvent, now: i64) -> Option<StatusFile> {
    let (status, message) = map(event, existing.as_ref())?;
    let mut file = existing.clone().unwrap_or_else(|| StatusFile::new(session, status.clone()));
    file.tmux_session = session.to_string();

    let metrics = file.metrics.get_or_insert_with(Metrics::default);
    let time = metrics.time.get_or_insert_with(TimeMetrics::default);
    let started = *time.started.get_or_insert(now);
    if let Some(prev) = &existing {
        // Times come from a file anyone can write: saturate rather than overflow.
        let elapsed = prev.timestamp.map_or(0, |t| now.saturating_sub(t).max(0));
        match prev.status {
            Status::Working => time.working_seconds = time.working_seconds.saturating_add(elapsed),
            Status::Waiting | Status::Permission => time.waiting_seconds = time.waiting_seconds.saturating_add(elapsed),
            _ => {}
        }
    }
    time.total_seconds = now.saturating_sub(started).max(0);

    if event.hook_event_name == "PostToolUse"
        && let Some(tool) = event.tool_name.as_deref().filter(|t| !t.is_empty())
    {
        let tools = metrics.tools.get_or_insert_with(ToolMetrics::default);
        tools.recent.push(tool.to_string());
        let excess = tools.recent.len().saturating_sub(RECENT_TOOLS);
        tools.recent.drain(..excess);
        let count = tools.counts.get(tool).and_then(Value::as_u64).unwrap_or(0);
        tools.counts.insert(tool.to_string(), Value::from(count.saturating_add(1)));
    }

    match message {
        Message::Keep => {}
        Message::Clear => file.message = None,
        Message::Set(m) => file.message = Some(m),
    }
    file.status = status;
    file.timestamp = Some(now);
    if let Some(id) = event.session_id.as_ref().filter(|s| !s.is_empty()) {
        file.session_id = Some(id.clone());
    }
    if let Some(cwd) = event.cwd.as_ref().filter(|s| !s.is_empty()) {
        file.cwd = Some(cwd.clone());
    }
    Some(file)
}

fn map(event: &HookEvent, existing: Option<&StatusFile>) -> Option<(Status, Message)> {
    Some(match event.hook_event_name.as_str() {
        "UserPromptSubmit" => (Status::Working, Message::Clear),
        "PostToolUse" => {
            // The first sign a permission was granted: the question is answered.
            let blocked = existing.is_some_and(|f| f.status.needs_attention());
            (Status::Working, if blocked { Message::Clear } else { Message::Keep })
        }
        "PermissionRequest" => (Status::Permission, Message::Set(permission_message(event))),
        "Notification" => match event.notification_type.as_deref() {
            Some("permission_prompt" | "idle_prompt" | "elicitation_dialog") => {
                (Status::Waiting, Message::Set(cut(event.message.as_deref().unwrap_or("Waiting for input"))))
            }
            _ => return None,
        },
        "Stop" => {
            let first = event
                .last_assistant_message
                .as_deref()
                .and_then(|m| m.lines().map(str::trim).find(|l| !l.is_empty()))
                .map(cut);
            (Status::Done, first.map_or(Message::Clear, Message::Set))
        }
        "StopFailure" => {
            let why = match &event.error {
                Some(Value::String(s)) => s.clone(),
                Some(v) if !v.is_null() => v.to_string(),
                _ => "unknown error".into(),
            };
            (Status::Error, Message::Set(cut(&format!("Stopped with an error: {why}"))))
        }
        "SessionStart" => (Status::Idle, Message::Clear),
        "SessionEnd" => (Status::Offline, Message::Clear),
        _ => return None,
    })
}

/// `Permission needed: Bash (git push)`.
fn permission_message(event: &HookEvent) -> String {
    let tool = event.tool_name.as_deref().unwrap_or("a tool");
    let detail = event.tool_input.as_ref().and_then(|input| {
        ["command", "file_path", "url", "pattern"]
            .iter()
            .find_map(|k| input.get(k).and_then(Value::as_str))
            .map(|s| s.lines().next().unwrap_or("").to_string())
    });
    match detail {
        Some(d) if !d.is_empty() => cut(&format!("Permission needed: {tool} ({d})")),
        _ => cut(&format!("Permission needed: {tool}")),
    }
}

fn cut(s: &str) -> String {
    if s.chars().count() <= MESSAGE_MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MESSAGE_MAX - 1).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(v: Value) -> HookEvent {
        serde_json::from_value(v).unwrap()
    }

    fn step(f: Option<StatusFile>, v: Value, now: i64) -> Option<StatusFile> {
        apply(f, "s", &ev(v), now)
    }

    #[test]
    fn mapping_table() {
        let cases = [
            (json!({"hook_event_name":"UserPromptSubmit","prompt":"hi"}), Some("working")),
            (json!({"hook_event_name":"PostToolUse","tool_name":"Bash"}), Some("working")),
            (json!({"hook_event_name":"PermissionRequest","tool_name":"Bash"}), Some("permission")),
            (
                json!({"hook_event_name":"Notification","notification_type":"permission_prompt","message":"m"}),
                Some("waiting"),
            ),
            (
                json!({"hook_event_name":"Notification","notification_type":"idle_prompt","message":"m"}),
                Some("waiting"),
            ),
            (
                json!({"hook_event_name":"Notification","notification_type":"elicitation_dialog","message":"m"}),
                Some("waiting"),
            ),
            (json!({"hook_event_name":"Notification","notification_type":"auth_success"}), None),
            (json!({"hook_event_name":"Stop","last_assistant_message":"x"}), Some("done")),
            (json!({"hook_event_name":"StopFailure","error":"rate_limit"}), Some("error")),
            (json!({"hook_event_name":"SessionStart","source":"startup"}), Some("idle")),
            (json!({"hook_event_name":"SessionEnd","reason":"exit"}), Some("offline")),
            (json!({"hook_event_name":"PreToolUse","tool_name":"Bash"}), None),
            (json!({"hook_event_name":"SubagentStop"}), None),
        ];
        for (input, want) in cases {
            let got = step(None, input.clone(), 10).map(|f| f.status.as_str().to_string());
            assert_eq!(got.as_deref(), want, "{input}");
        }
    }

    #[test]
    fn messages() {
        let f = step(
            None,
            json!({"hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{"command":"git push\nmore"}}),
            1,
        )
        .unwrap();
        assert_eq!(f.message.as_deref(), Some("Permission needed: Bash (git push)"));
        let f = step(Some(f), json!({"hook_event_name":"PostToolUse","tool_name":"Bash"}), 2).unwrap();
        assert_eq!(f.message, None, "granting a permission clears its question");
        let f = step(Some(f), json!({"hook_event_name":"Stop","last_assistant_message":"\n  All done.\nDetails"}), 3)
            .unwrap();
        assert_eq!(f.message.as_deref(), Some("All done."));
        let f = step(Some(f), json!({"hook_event_name":"PostToolUse","tool_name":"Read"}), 4).unwrap();
        assert_eq!(f.message.as_deref(), Some("All done."), "a tool call does not clear an answer");
        let f = step(Some(f), json!({"hook_event_name":"UserPromptSubmit"}), 5).unwrap();
        assert_eq!(f.message, None);
        let f = step(Some(f), json!({"hook_event_name":"Notification","notification_type":"idle_prompt","message":"Claude is waiting for your input"}), 6).unwrap();
        assert_eq!(f.message.as_deref(), Some("Claude is waiting for your input"));
        let long = "x".repeat(2000);
        let f = step(Some(f), json!({"hook_event_name":"Stop","last_assistant_message":long}), 7).unwrap();
        assert_eq!(f.message.unwrap().chars().count(), MESSAGE_MAX);
    }

    #[test]
    fn time_is_accumulated_by_the_status_left() {
        let f = step(None, json!({"hook_event_name":"SessionStart"}), 100).unwrap();
        let f = step(Some(f), json!({"hook_event_name":"UserPromptSubmit"}), 110).unwrap(); // idle 10s
        let f = step(Some(f), json!({"hook_event_name":"PermissionRequest","tool_name":"Bash"}), 140).unwrap(); // working 30s
        let f = step(Some(f), json!({"hook_event_name":"PostToolUse","tool_name":"Bash"}), 145).unwrap(); // waiting 5s
        let f = step(Some(f), json!({"hook_event_name":"Stop"}), 160).unwrap(); // working 15s
        let t = f.metrics.unwrap().time.unwrap();
        assert_eq!(t.started, Some(100));
        assert_eq!(t.total_seconds, 60);
        assert_eq!(t.working_seconds, 45);
        assert_eq!(t.waiting_seconds, 5);
    }

    #[test]
    fn clock_going_backwards_adds_nothing() {
        let f = step(None, json!({"hook_event_name":"UserPromptSubmit"}), 100).unwrap();
        let f = step(Some(f), json!({"hook_event_name":"Stop"}), 90).unwrap();
        assert_eq!(f.metrics.unwrap().time.unwrap().working_seconds, 0);
    }

    #[test]
    fn tools_keep_the_ten_most_recent_and_counts() {
        let mut f = None;
        for i in 0..12 {
            let tool = if i % 3 == 0 { "Bash" } else { "Edit" };
            f = step(f, json!({"hook_event_name":"PostToolUse","tool_name":tool}), i);
        }
        let tools = f.unwrap().metrics.unwrap().tools.unwrap();
        assert_eq!(tools.recent.len(), RECENT_TOOLS);
        assert_eq!(tools.recent.last().map(String::as_str), Some("Edit"));
        assert_eq!(tools.counts["Bash"], 4);
        assert_eq!(tools.counts["Edit"], 8);
    }

    #[test]
    fn unknown_fields_and_ids_are_kept() {
        let mut start: StatusFile = serde_json::from_value(json!({
            "tmux_session":"s","status":"idle","session_id":"old","agents":[1],"team":"t","x":{"y":1},
            "metrics":{"tokens":{"in":3}}
        }))
        .unwrap();
        start.timestamp = Some(1);
        let f = step(Some(start), json!({"hook_event_name":"PostToolUse","tool_name":"Bash","cwd":"/w"}), 2).unwrap();
        assert_eq!(f.session_id.as_deref(), Some("old"));
        assert_eq!(f.extra["agents"], json!([1]));
        assert_eq!(f.extra["x"], json!({"y":1}));
        assert_eq!(f.metrics.as_ref().unwrap().extra["tokens"], json!({"in":3}));
        assert_eq!(f.cwd.as_deref(), Some("/w"));
        let f = step(Some(f), json!({"hook_event_name":"Stop","session_id":"new"}), 3).unwrap();
        assert_eq!(f.session_id.as_deref(), Some("new"));
    }

    #[test]
    fn hostile_times_counts_and_tool_names_neither_overflow_nor_grow_the_message() {
        let mut start: StatusFile = serde_json::from_value(json!({
            "tmux_session":"s","status":"working","timestamp":i64::MIN,
            "metrics":{"time":{"started":i64::MIN,"working_seconds":i64::MAX},"tools":{"counts":{"Bash":u64::MAX}}}
        }))
        .unwrap();
        let f =
            step(Some(start.clone()), json!({"hook_event_name":"PostToolUse","tool_name":"Bash"}), i64::MAX).unwrap();
        let metrics = f.metrics.unwrap();
        let time = metrics.time.unwrap();
        assert_eq!((time.working_seconds, time.total_seconds), (i64::MAX, i64::MAX));
        assert_eq!(metrics.tools.unwrap().counts["Bash"], u64::MAX);
        start.timestamp = Some(i64::MAX);
        let f =
            step(Some(start), json!({"hook_event_name":"PermissionRequest","tool_name":"x".repeat(5000)}), 0).unwrap();
        assert_eq!(f.message.unwrap().chars().count(), MESSAGE_MAX);
    }
}
