//! Other agents' hook payloads, turned into the Claude Code events the mapping knows
//! (docs/agents.md lists each agent's events and what they become). Codex sends Claude
//! Code's own names and fields, plus its older `notify` program's JSON; Gemini CLI and
//! OpenCode have events of their own. An event that says nothing about the session's
//! status becomes `None`.

mod gemini;
mod opencode;

use super::mapping::HookEvent;
use crate::sessions::agent::Agent;
use anyhow::{Context, Result};
use serde_json::{Value, json};

/// The event `agent` sent: its JSON on stdin, or for Codex's `notify` program the JSON it
/// passes as the last argument (`arg`).
pub fn event(agent: Agent, input: &[u8], arg: Option<&str>) -> Result<Option<HookEvent>> {
    let parse =
        |bytes: &[u8]| -> Result<Value> { serde_json::from_slice(bytes).context("hook input is not valid JSON") };
    let event = match agent {
        Agent::Claude => Some(parse(input)?),
        Agent::Codex => match arg.filter(|a| !a.trim().is_empty()) {
            Some(notify) => codex_notify(&parse(notify.as_bytes())?),
            None => Some(parse(input)?),
        },
        Agent::Gemini => gemini::translate(&parse(input)?),
        Agent::OpenCode => opencode::translate(&parse(input)?),
    };
    let Some(event) = event else { return Ok(None) };
    let mut event: HookEvent = serde_json::from_value(event).context("hook input is not an event")?;
    event.agent = agent;
    Ok(Some(event))
}

/// Codex's `notify` program: `{"type": "agent-turn-complete", "thread-id", "turn-id",
/// "cwd", "input-messages", "last-assistant-message"}` at the end of every turn.
fn codex_notify(v: &Value) -> Option<Value> {
    if v.get("type").and_then(Value::as_str) != Some("agent-turn-complete") {
        return None;
    }
    Some(json!({
        "hook_event_name": "Stop",
        "session_id": v.get("thread-id"),
        "cwd": v.get("cwd"),
        "last_assistant_message": v.get("last-assistant-message"),
    }))
}

/// A string field of `v`, or null.
fn text(v: &Value, key: &str) -> Value {
    v.get(key).filter(|s| s.is_string()).cloned().unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests;
