//! The mapping on every payload the real Claude Code 2.1.197 sent (tests/fixtures/claude-code),
//! alone and in the orders Claude Code sends them.

use super::*;
use serde_json::json;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude-code")
}

/// The captured payload `name` (without `.json`).
fn payload(name: &str) -> HookEvent {
    let path = fixtures().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A session that has been running for a while: the state most events arrive in.
fn working() -> StatusFile {
    let mut f = StatusFile::new("s", Status::Working);
    f.timestamp = Some(1_000);
    f
}

/// Applies the named payloads one after another, `gap` seconds apart, and returns each
/// intermediate file (`None`: unchanged, the previous file carried on).
fn run(start: Option<StatusFile>, steps: &[(&str, i64)]) -> Vec<(String, Option<StatusFile>)> {
    let mut now = start.as_ref().and_then(|f| f.timestamp).unwrap_or(1_000);
    let mut file = start;
    let mut out = Vec::new();
    for (name, gap) in steps {
        now += gap;
        // The payloads were captured in several runs: one session here sends them all.
        let mut event = payload(name);
        event.session_id = Some("one-session".into());
        let next = apply(file.clone(), "s", &event, now);
        if let Some(n) = &next {
            file = Some(n.clone());
        }
        out.push((name.to_string(), next));
    }
    out
}

fn last(steps: &[(String, Option<StatusFile>)]) -> StatusFile {
    steps.iter().rev().find_map(|(_, f)| f.clone()).expect("some step wrote the file")
}

fn prompt_kind(f: &StatusFile) -> Option<&str> {
    f.extra.get(PROMPT_KEY).and_then(|p| p["kind"].as_str())
}

/// A payload's name and the status and message it leaves (`None`: writes nothing).
type Row = (&'static str, Option<(&'static str, Option<&'static str>)>);

/// Every captured payload, applied to a working session: what the row then shows. A new
/// fixture without a line here fails the test, so each event gets a decision.
#[test]
fn every_captured_payload_has_its_row() {
    let want: &[Row] = &[
        ("ConfigChange.user_settings", None),
        ("InstructionsLoaded.compact", None),
        ("InstructionsLoaded.session_start", None),
        ("MessageDisplay.final", None),
        ("MessageDisplay.partial", None),
        ("Notification.idle_prompt", Some(("idle", None))),
        ("Notification.permission_prompt", Some(("waiting", Some("Claude needs your permission")))),
        (
            "Notification.permission_prompt.plan",
            Some(("waiting", Some("Claude Code needs your approval for the plan"))),
        ),
        ("PermissionRequest.AskUserQuestion", Some(("waiting", Some("Which colour do you want? [Red / Blue]")))),
        ("PermissionRequest.Bash", Some(("permission", Some("Permission needed: Bash (touch navi-perm-probe)")))),
        ("PermissionRequest.ExitPlanMode", Some(("waiting", Some("Plan ready for approval: 1. Touch a file")))),
        ("PostCompact", None),
        ("PostToolBatch", None),
        ("PostToolUse.Agent", Some(("working", None))),
        ("PostToolUse.AskUserQuestion", Some(("working", None))),
        ("PostToolUse.Bash", Some(("working", None))),
        ("PostToolUse.ExitPlanMode", Some(("working", None))),
        ("PostToolUse.TaskCreate", Some(("working", None))),
        ("PostToolUseFailure.Bash", Some(("working", None))),
        ("PreCompact", None),
        ("PreToolUse.Agent", None),
        ("PreToolUse.AskUserQuestion", None),
        ("PreToolUse.Bash", None),
        ("PreToolUse.ExitPlanMode", None),
        ("PreToolUse.TaskCreate", None),
        ("SessionEnd.clear", None),
        ("SessionEnd.other", Some(("offline", None))),
        ("SessionEnd.prompt_input_exit", Some(("offline", None))),
        ("SessionStart.clear", Some(("idle", None))),
        ("SessionStart.compact", Some(("idle", None))),
        ("SessionStart.startup", Some(("idle", None))),
        ("Stop", Some(("done", Some("Hi from the fake model.")))),
        ("StopFailure", Some(("error", Some("API Error: Unable to connect to API (ConnectionRefused)")))),
        ("SubagentStart", Some(("working", None))),
        ("SubagentStop", None),
        ("TaskCreated", None),
        ("UserPromptExpansion", None),
        ("UserPromptSubmit", Some(("working", None))),
    ];
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".json").map(str::to_string))
        .collect();
    names.sort();
    let listed: Vec<&str> = want.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, listed, "every captured payload is listed, and only those");
    for (name, expect) in want {
        let got = apply(Some(working()), "s", &payload(name), 1_010);
        let got = got.as_ref().map(|f| (f.status.as_str(), f.message.as_deref()));
        assert_eq!(got, *expect, "{name}");
    }
}

#[test]
fn a_permission_keeps_its_words_through_the_reminder_until_the_tool_runs() {
    let steps = run(
        None,
        &[
            ("SessionStart.startup", 0),
            ("UserPromptSubmit", 5),
            ("PreToolUse.Bash", 2),
            ("PermissionRequest.Bash", 0),
            ("Notification.permission_prompt", 6),
        ],
    );
    assert!(steps[2].1.is_none(), "PreToolUse writes nothing");
    assert!(steps[4].1.is_none(), "the 6 s reminder changes nothing");
    let f = last(&steps);
    assert_eq!(f.status, Status::Permission);
    assert_eq!(f.message.as_deref(), Some("Permission needed: Bash (touch navi-perm-probe)"));
    assert_eq!(f.extra[PROMPT_KEY], json!({"kind": "permission", "tool": "Bash"}));
    assert_eq!(f.timestamp, Some(1_007), "the row's age counts from the question");

    let steps = run(Some(f), &[("PostToolUse.Bash", 20), ("PostToolBatch", 0), ("Stop", 1)]);
    let granted = steps[0].1.clone().unwrap();
    assert_eq!((granted.status.as_str(), granted.message.as_deref()), ("working", None));
    assert!(!granted.extra.contains_key(PROMPT_KEY), "the question is over");
    assert_eq!(granted.metrics.unwrap().time.unwrap().waiting_seconds, 20);
    assert_eq!(last(&steps).status, Status::Done);
}

#[test]
fn a_finished_turn_stays_done_when_claude_code_says_it_is_waiting() {
    let steps = run(None, &[("UserPromptSubmit", 0), ("Stop", 4), ("Notification.idle_prompt", 60)]);
    assert!(steps[2].1.is_none(), "idle_prompt after Stop changes nothing");
    let f = last(&steps);
    assert_eq!((f.status.as_str(), f.message.as_deref()), ("done", Some("Hi from the fake model.")));
    assert_eq!(f.timestamp, Some(1_004), "the row's age is how long it has been idle");
}

#[test]
fn a_failed_turn_stays_an_error_with_its_reason() {
    let steps = run(None, &[("UserPromptSubmit", 0), ("StopFailure", 180), ("Notification.idle_prompt", 60)]);
    assert!(steps[2].1.is_none());
    let f = last(&steps);
    assert_eq!(f.status, Status::Error);
    assert_eq!(f.message.as_deref(), Some("API Error: Unable to connect to API (ConnectionRefused)"));
}

#[test]
fn idle_prompt_after_start_or_an_unseen_end_of_turn_is_idle() {
    let steps = run(None, &[("SessionStart.startup", 0), ("Notification.idle_prompt", 60)]);
    assert!(steps[1].1.is_none(), "idle stays idle, its age intact");
    // Esc during a turn sends nothing; the reminder 60 s later is the first sign it ended.
    let steps = run(None, &[("UserPromptSubmit", 0), ("Notification.idle_prompt", 70)]);
    let f = last(&steps);
    assert_eq!((f.status.as_str(), f.message.as_deref()), ("idle", None));
}

#[test]
fn a_question_shows_its_options_until_it_is_answered() {
    let steps = run(
        Some(working()),
        &[
            ("PreToolUse.AskUserQuestion", 1),
            ("PermissionRequest.AskUserQuestion", 0),
            ("Notification.permission_prompt", 6),
        ],
    );
    assert!(steps[2].1.is_none(), "the generic reminder does not replace the question");
    let f = last(&steps);
    assert_eq!(f.status, Status::Waiting);
    assert_eq!(f.message.as_deref(), Some("Which colour do you want? [Red / Blue]"));
    assert_eq!(
        f.extra[PROMPT_KEY],
        json!({"kind":"question","tool":"AskUserQuestion","question":"Which colour do you want?",
               "options":["Red","Blue"],"multi_select":false})
    );
    let f = last(&run(Some(f), &[("PostToolUse.AskUserQuestion", 3)]));
    assert_eq!((f.status.as_str(), f.message.as_deref(), prompt_kind(&f)), ("working", None, None));
}

#[test]
fn a_plan_waits_for_approval_through_its_reminder() {
    let steps =
        run(Some(working()), &[("PermissionRequest.ExitPlanMode", 1), ("Notification.permission_prompt.plan", 6)]);
    assert!(steps[1].1.is_none());
    let f = last(&steps);
    assert_eq!(f.status, Status::Waiting);
    assert_eq!(f.message.as_deref(), Some("Plan ready for approval: 1. Touch a file"));
    assert_eq!(prompt_kind(&f), Some("plan"));
    let f = last(&run(Some(f), &[("PostToolUse.ExitPlanMode", 9)]));
    assert_eq!((f.status.as_str(), prompt_kind(&f)), ("working", None));
}

#[test]
fn a_failed_tool_ends_its_question_and_counts() {
    let f = last(&run(Some(working()), &[("PermissionRequest.Bash", 1), ("PostToolUseFailure.Bash", 2)]));
    assert_eq!((f.status.as_str(), f.message.as_deref(), prompt_kind(&f)), ("working", None, None));
    assert_eq!(f.metrics.unwrap().tools.unwrap().counts["Bash"], 1);
}

#[test]
fn another_tool_ending_leaves_the_question_open() {
    let f = last(&run(Some(working()), &[("PermissionRequest.Bash", 1), ("PostToolUse.Agent", 2)]));
    assert_eq!(f.status, Status::Permission, "a subagent's tool is no answer to the Bash question");
    assert_eq!(f.message.as_deref(), Some("Permission needed: Bash (touch navi-perm-probe)"));
    assert_eq!(prompt_kind(&f), Some("permission"));
    assert_eq!(f.metrics.unwrap().tools.unwrap().counts["Agent"], 1, "it still counts");
}

#[test]
fn a_question_from_a_file_without_prompt_ends_with_any_tool() {
    // Written by an older navi or the original: no `prompt` to match against.
    let mut f = working();
    f.status = Status::Permission;
    f.message = Some("Permission needed: Bash".into());
    let f = last(&run(Some(f), &[("PostToolUse.Agent", 2)]));
    assert_eq!((f.status.as_str(), f.message.as_deref()), ("working", None));
}

#[test]
fn clear_goes_straight_to_idle_without_an_offline_blink() {
    let steps = run(Some(working()), &[("SessionEnd.clear", 0), ("SessionStart.clear", 0)]);
    assert!(steps[0].1.is_none());
    assert_eq!(last(&steps).status, Status::Idle);
    let f = last(&run(Some(working()), &[("SessionEnd.prompt_input_exit", 0)]));
    assert_eq!(f.status, Status::Offline);
}

#[test]
fn an_interrupted_tool_leaves_the_session_idle() {
    let mut ev = payload("PostToolUseFailure.Bash");
    ev.is_interrupt = Some(json!(true));
    let f = apply(Some(working()), "s", &ev, 1_001).unwrap();
    assert_eq!((f.status.as_str(), f.message.as_deref()), ("idle", Some("Interrupted")));
}

#[test]
fn huge_fields_never_reach_the_file() {
    let huge = "x".repeat(20 << 20);
    let mut f = Some(working());
    for name in ["PermissionRequest.Bash", "PermissionRequest.AskUserQuestion", "PostToolUse.Bash", "StopFailure"] {
        let mut v: Value =
            serde_json::from_str(&std::fs::read_to_string(fixtures().join(format!("{name}.json"))).unwrap()).unwrap();
        for key in ["session_id", "cwd", "tool_name", "last_assistant_message", "message"] {
            v[key] = json!(huge);
        }
        if let Some(q) = v.pointer_mut("/tool_input/questions/0") {
            q["question"] = json!(huge);
            q["options"] = json!([{"label": huge}]);
        }
        let ev: HookEvent = serde_json::from_value(v).unwrap();
        f = apply(f.clone(), "s", &ev, 1_001).or(f);
        let size = f.as_ref().unwrap().to_json().len();
        assert!(size < 8_000, "{name}: {size} bytes");
    }
    let f = f.unwrap();
    assert_eq!(f.cwd, None, "a cut path would be wrong: the old one is kept");
    assert_eq!(f.session_id, None);
}
