//! Each agent's events, shaped exactly as its docs and source show them
//! (tests/fixtures/agents/<agent>/), through the translation and the mapping.

use super::*;
use crate::hook::mapping::apply;
use crate::sessions::agent::{agent, agent_name};
use crate::sessions::{Status, StatusFile};
use std::path::PathBuf;

fn fixture(agent: &str, name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/agents/{agent}/{name}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture's name, the status after it (`-`: unchanged) and the message.
type Row = (String, String, Option<String>);

/// Runs the named fixtures in order; returns a [`Row`] for each, and the last file.
fn run(which: Agent, names: &[&str]) -> (Vec<Row>, Option<StatusFile>) {
    let mut file: Option<StatusFile> = None;
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let bytes = fixture(which.name(), name);
        let (stdin, arg) = match name.strip_prefix("notify.") {
            Some(_) => (&b""[..], Some(std::str::from_utf8(&bytes).unwrap())),
            None => (&bytes[..], None),
        };
        let next = event(which, stdin, arg).unwrap().and_then(|e| apply(file.clone(), "s", &e, 1000 + i as i64));
        match next {
            Some(f) => {
                out.push((name.to_string(), f.status.as_str().to_string(), f.message.clone()));
                file = Some(f);
            }
            None => out.push((name.to_string(), "-".into(), None)),
        }
    }
    (out, file)
}

fn statuses(rows: &[Row]) -> Vec<&str> {
    rows.iter().map(|r| r.1.as_str()).collect()
}

#[test]
fn codex_hooks_and_its_notify_program() {
    let (rows, file) = run(
        Agent::Codex,
        &["SessionStart.startup", "UserPromptSubmit", "PermissionRequest.Bash", "PostToolUse.Bash", "Stop"],
    );
    assert_eq!(statuses(&rows), ["idle", "working", "permission", "working", "done"]);
    assert_eq!(rows[2].2.as_deref(), Some("Permission needed: Bash (cargo test --workspace)"));
    assert_eq!(rows[4].2.as_deref(), Some("All 12 tests pass."));
    let file = file.unwrap();
    assert_eq!((agent(&file), agent_name(&file).as_str()), (Agent::Codex, "codex"));
    assert_eq!(file.session_id.as_deref(), Some("0199a5f2-3c4b-7d10-9e8f-1a2b3c4d5e6f"));
    let (rows, _) = run(Agent::Codex, &["UserPromptSubmit", "notify.agent-turn-complete"]);
    assert_eq!(statuses(&rows), ["working", "done"]);
    assert_eq!(rows[1].2.as_deref(), Some("Clippy is clean."));
}

#[test]
fn gemini_cli_hooks() {
    let (rows, file) = run(
        Agent::Gemini,
        &[
            "SessionStart.startup",
            "BeforeAgent",
            "BeforeTool",
            "Notification.ToolPermission.exec",
            "AfterTool",
            "Notification.ToolPermission.ask_user",
            "AfterTool",
            "AfterAgent",
            "PreCompress",
            "SessionEnd.exit",
        ],
    );
    assert_eq!(
        statuses(&rows),
        ["idle", "working", "-", "permission", "working", "waiting", "working", "done", "-", "offline"]
    );
    assert_eq!(rows[3].2.as_deref(), Some("Permission needed: Shell (npm run build)"));
    assert_eq!(rows[5].2.as_deref(), Some("Tool Ask User requires information"));
    assert_eq!(rows[7].2.as_deref(), Some("The build passes now."));
    let file = file.unwrap();
    assert_eq!(agent(&file), Agent::Gemini);
    let tools = file.metrics.unwrap().tools.unwrap();
    assert_eq!(tools.counts["run_shell_command"], 2);
}

#[test]
fn opencode_events_from_navis_plugin() {
    let (rows, file) = run(
        Agent::OpenCode,
        &[
            "session.created",
            "session.status.busy",
            "permission.asked",
            "session.status.busy",
            "permission.replied",
            "tool.execute.after",
            "session.created.child",
            "session.idle.child",
            "session.status.idle",
            "session.idle",
        ],
    );
    assert_eq!(
        statuses(&rows),
        ["idle", "working", "permission", "-", "working", "working", "working", "working", "-", "done"]
    );
    assert_eq!(rows[2].2.as_deref(), Some("Permission needed: bash (git push origin main)"));
    let file = file.unwrap();
    assert_eq!(agent(&file), Agent::OpenCode);
    assert!(!file.extra.contains_key("subagents"), "the child session's idle ended its subagent");
    assert_eq!(file.session_id.as_deref(), Some("ses_4f2a9c1e7ffeQ1"), "a child session never becomes the lead");
}

#[test]
fn opencode_keeps_an_error_through_the_idle_that_follows_it() {
    let (rows, file) = run(
        Agent::OpenCode,
        &["session.created", "session.status.busy", "session.error", "session.idle", "session.deleted"],
    );
    assert_eq!(statuses(&rows), ["idle", "working", "error", "-", "offline"]);
    assert_eq!(rows[2].2.as_deref(), Some("Rate limit exceeded, retry in 30s"));
    assert_eq!(file.unwrap().status, Status::Offline);
}

#[test]
fn unknown_events_and_bad_input_say_so() {
    assert!(event(Agent::Gemini, br#"{"hook_event_name":"BeforeModel"}"#, None).unwrap().is_none());
    assert!(event(Agent::OpenCode, br#"{"type":"message.part.updated","properties":{}}"#, None).unwrap().is_none());
    assert!(event(Agent::Codex, b"", Some(r#"{"type":"something-else"}"#)).unwrap().is_none());
    assert!(event(Agent::Gemini, b"not json", None).is_err());
    // Claude Code's own payload is read as it always was.
    let e = event(Agent::Claude, br#"{"hook_event_name":"Stop","session_id":"x"}"#, None).unwrap().unwrap();
    assert_eq!((e.hook_event_name.as_str(), e.agent), ("Stop", Agent::Claude));
}
