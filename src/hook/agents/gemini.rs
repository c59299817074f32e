//! Gemini CLI's hook events (settings.json `hooks`, docs/hooks/reference.md of
//! google-gemini/gemini-cli). Common fields: `session_id`, `transcript_path`, `cwd`,
//! `hook_event_name`, `timestamp`.

use super::text;
use serde_json::{Value, json};

pub(super) fn translate(v: &Value) -> Option<Value> {
    let common = |name: &str| {
        json!({"hook_event_name": name, "session_id": text(v, "session_id"), "cwd": text(v, "cwd"),
               "transcript_path": text(v, "transcript_path")})
    };
    // The event under Claude Code's name, with one of Gemini CLI's fields under its own.
    let with = |name: &str, key: &str, from: &str| {
        let mut e = common(name);
        e[key] = text(v, from);
        e
    };
    let mut out = match v.get("hook_event_name")?.as_str()? {
        "SessionStart" => with("SessionStart", "source", "source"),
        "SessionEnd" => with("SessionEnd", "reason", "reason"),
        // A prompt was submitted: the turn starts.
        "BeforeAgent" => common("UserPromptSubmit"),
        // The turn's final answer.
        "AfterAgent" => with("Stop", "last_assistant_message", "prompt_response"),
        "AfterTool" => with("PostToolUse", "tool_name", "tool_name"),
        // The one notification type: a confirmation dialog is up (never for auto-approved
        // calls). `ask_user` is a question to the user, the rest ask to run something.
        "Notification" if v.get("notification_type").and_then(Value::as_str) == Some("ToolPermission") => {
            let details = v.get("details").cloned().unwrap_or(Value::Null);
            if details.get("type").and_then(Value::as_str) == Some("ask_user") {
                let mut e = with("Notification", "message", "message");
                e["notification_type"] = "elicitation_dialog".into();
                e
            } else {
                let mut e = common("PermissionRequest");
                e["tool_name"] = tool(&details).into();
                if let Some(cmd) = details.get("command").filter(|c| c.is_string()) {
                    e["tool_input"] = json!({"command": cmd});
                }
                e
            }
        }
        _ => return None,
    };
    if out["session_id"].is_null() {
        out.as_object_mut()?.remove("session_id");
    }
    Some(out)
}

/// The kind of confirmation, in the words the row uses: `Shell`, `Edit`, or its title.
fn tool(details: &Value) -> String {
    match details.get("type").and_then(Value::as_str) {
        Some("exec") => "Shell".into(),
        Some("edit") => "Edit".into(),
        _ => details.get("title").and_then(Value::as_str).unwrap_or("a tool").to_string(),
    }
}
