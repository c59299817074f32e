//! The hook reading Claude Code's transcript for real: token usage added incrementally after
//! the lead's turns when no status line gives it, and a Stop after an API error shown as
//! that error.

use crate::common;
use common::tmux::{TmuxServer, outcome_within};
use serde_json::{Value, json};
use std::time::Duration;

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/transcript/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn hook(t: &TmuxServer, pane: &str, event: &Value) {
    let mut cmd = t.navi();
    cmd.arg("hook").env("TMUX", format!("{},1,0", t.socket.display())).env("TMUX_PANE", pane);
    let (code, out, err) = outcome_within(&mut cmd, event.to_string().as_bytes(), Duration::from_secs(10));
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
}

fn session(t: &TmuxServer, name: &str) -> String {
    t.new_session(name, &t.home, "");
    let out = t.tmux(&["display-message", "-p", "-t", &format!("={name}:"), "#{pane_id}"]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_turn_adds_the_transcripts_new_usage_once() {
    let t = TmuxServer::new();
    let pane = session(&t, "api");
    let transcript = t.dir.path().join("t.jsonl");
    let all = std::fs::read_to_string(fixture("session.jsonl")).unwrap();
    std::fs::write(&transcript, &all).unwrap();
    let ev = |name: &str| json!({"hook_event_name": name, "session_id": "lead", "transcript_path": transcript});
    hook(&t, &pane, &ev("UserPromptSubmit"));
    hook(&t, &pane, &ev("Stop"));
    let v = t.read_status("api").unwrap();
    assert_eq!(v["metrics"]["tokens"]["output"], 350);
    assert_eq!(v["metrics"]["tokens"]["total"], 380);
    assert_eq!(v["context"]["source"], "transcript");
    assert_eq!(v["context"]["used_percentage"], 8.9, "17 820 of 200 000");
    assert_eq!(v["transcript"]["offset"], all.len());
    // The next turn's lines are added to the totals; nothing is counted twice.
    let next = all.lines().nth(6).unwrap().replace("msg_02", "msg_03");
    std::fs::write(&transcript, format!("{all}{next}\n")).unwrap();
    hook(&t, &pane, &ev("Stop"));
    assert_eq!(t.read_status("api").unwrap()["metrics"]["tokens"]["output"], 400);
    // A status line's numbers win: the transcript is then left alone.
    let mut f = t.read_status("api").unwrap();
    f["context"] = json!({"used_percentage": 50.0, "source": "statusline"});
    t.write_status(&f);
    hook(&t, &pane, &ev("UserPromptSubmit"));
    assert_eq!(t.read_status("api").unwrap()["context"]["used_percentage"], 50.0);
}

#[test]
fn a_stop_after_an_api_error_is_that_error() {
    let t = TmuxServer::new();
    let pane = session(&t, "api");
    let transcript = fixture("api-error.jsonl");
    hook(&t, &pane, &json!({"hook_event_name": "UserPromptSubmit", "session_id": "s", "transcript_path": transcript}));
    let stop = json!({"hook_event_name": "Stop", "session_id": "s", "transcript_path": transcript,
                      "last_assistant_message": "API Error: 529 Overloaded. This is a server-side issue"});
    hook(&t, &pane, &stop);
    let v = t.read_status("api").unwrap();
    assert_eq!(v["status"], "error");
    assert!(v["message"].as_str().unwrap().starts_with("API Error: 529 Overloaded."), "{v}");
    // A normal turn's Stop stays done.
    let ok = json!({"hook_event_name": "Stop", "session_id": "s", "transcript_path": fixture("session.jsonl"),
                    "last_assistant_message": "Fixed."});
    hook(&t, &pane, &ok);
    assert_eq!(t.read_status("api").unwrap()["status"], "done");
}
