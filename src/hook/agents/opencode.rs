//! OpenCode's events as navi's plugin forwards them (docs/agents.md): the bus event
//! `{"type", "properties"}` with the plugin's `cwd` added. Session ids are `ses_…`; a
//! subagent runs in a child session (`parentID` set).

use super::text;
use serde_json::{Value, json};

pub(super) fn translate(v: &Value) -> Option<Value> {
    let p = v.get("properties").cloned().unwrap_or(Value::Null);
    let cwd = text(v, "cwd");
    let event = |name: &str, session: &Value| json!({"hook_event_name": name, "session_id": session, "cwd": cwd});
    let session = p.get("sessionID").filter(|s| s.is_string()).cloned().unwrap_or(Value::Null);
    let out = match v.get("type")?.as_str()? {
        "session.created" => {
            let info = p.get("info")?;
            match info.get("parentID").filter(|s| s.is_string()) {
                // The task tool's subagent: listed on its parent's row while it runs.
                Some(parent) => {
                    let mut e = event("SubagentStart", parent);
                    e["agent_id"] = text(info, "id");
                    e["agent_type"] = info.get("title").filter(|t| t.is_string()).cloned().unwrap_or("subagent".into());
                    e
                }
                // A new top-level session (`/new` too) is the pane's lead from now on.
                None => {
                    let mut e = event("SessionStart", &text(info, "id"));
                    e["source"] = "new".into();
                    e
                }
            }
        }
        "session.status" => match p.get("status").and_then(|s| s.get("type")).and_then(Value::as_str)? {
            "busy" | "retry" => event("Busy", &session),
            // `session.idle` says the same and is handled below.
            _ => return None,
        },
        "session.idle" => event("Stop", &session),
        "session.error" => {
            let mut e = event("StopFailure", &session);
            let error = p.get("error").cloned().unwrap_or(Value::Null);
            e["error"] = error.get("name").cloned().unwrap_or("unknown".into());
            e["last_assistant_message"] = error.get("data").map(|d| text(d, "message")).unwrap_or(Value::Null);
            e
        }
        "session.deleted" => {
            let info = p.get("info");
            let id = info.map(|i| text(i, "id")).unwrap_or(session);
            let mut e = event("SessionEnd", &id);
            e["reason"] = "deleted".into();
            e
        }
        // `permission.asked` (a PermissionNext request) and the older `permission.updated`.
        "permission.asked" | "permission.updated" => {
            let mut e = event("PermissionRequest", &session);
            let tool = p.get("permission").or_else(|| p.get("type")).and_then(Value::as_str).unwrap_or("a tool");
            e["tool_name"] = tool.into();
            let what = match p.get("patterns").and_then(Value::as_array) {
                Some(patterns) => patterns.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
                None => p.get("title").and_then(Value::as_str).unwrap_or("").to_string(),
            };
            if !what.is_empty() {
                e["tool_input"] = json!({"command": what});
            }
            e
        }
        "permission.replied" => event("PermissionReplied", &session),
        "tool.execute.after" => {
            let mut e = event("PostToolUse", &session);
            e["tool_name"] = text(&p, "tool");
            e
        }
        _ => return None,
    };
    Some(out)
}
