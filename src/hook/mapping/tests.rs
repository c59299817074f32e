//! The mapping on hand-made events: table, messages, time and tool metrics, kept fields.

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
        (json!({"hook_event_name":"Notification","notification_type":"idle_prompt","message":"m"}), Some("idle")),
        (
            json!({"hook_event_name":"Notification","notification_type":"elicitation_dialog","message":"m"}),
            Some("waiting"),
        ),
        (json!({"hook_event_name":"Notification","notification_type":"auth_success"}), None),
        (json!({"hook_event_name":"Stop","last_assistant_message":"x"}), Some("done")),
        (json!({"hook_event_name":"StopFailure","error":"rate_limit"}), Some("error")),
        (json!({"hook_event_name":"SessionStart","source":"startup"}), Some("idle")),
        (json!({"hook_event_name":"SessionEnd","reason":"exit"}), Some("offline")),
        (json!({"hook_event_name":"SessionEnd","reason":"clear"}), None),
        (json!({"hook_event_name":"PostToolUseFailure","tool_name":"Bash"}), Some("working")),
        (json!({"hook_event_name":"PostToolUseFailure","tool_name":"Bash","is_interrupt":true}), Some("idle")),
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
    let f =
        step(Some(f), json!({"hook_event_name":"Stop","last_assistant_message":"\n  All done.\nDetails"}), 3).unwrap();
    assert_eq!(f.message.as_deref(), Some("All done."));
    let f = step(Some(f), json!({"hook_event_name":"PostToolUse","tool_name":"Read"}), 4).unwrap();
    assert_eq!(f.message.as_deref(), Some("All done."), "a tool call does not clear an answer");
    let f = step(Some(f), json!({"hook_event_name":"UserPromptSubmit"}), 5).unwrap();
    assert_eq!(f.message, None);
    let f = step(
        Some(f),
        json!({"hook_event_name":"Notification","notification_type":"elicitation_dialog","message":"Pick one\nmore"}),
        6,
    )
    .unwrap();
    assert_eq!(f.message.as_deref(), Some("Pick one"));
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
    // Newest first, as the original navi writes them: tools 11 (Edit), 10 (Edit), 9 (Bash), …
    assert_eq!(tools.recent[..4], ["Edit", "Edit", "Bash", "Edit"]);
    assert_eq!(tools.counts["Bash"], 4);
    assert_eq!(tools.counts["Edit"], 8);
}

#[test]
fn unknown_fields_and_ids_are_kept() {
    let mut start: StatusFile = serde_json::from_value(json!({
        "tmux_session":"s","status":"idle","session_id":"old","agents":[1],"team":"t","x":{"y":1},
        "metrics":{"tokens":{"in":3}},"worktree":{"path":"/w","branch":"navi/s","base":"main","repo":"/r"}
    }))
    .unwrap();
    start.timestamp = Some(1);
    let f = step(Some(start), json!({"hook_event_name":"PostToolUse","tool_name":"Bash","cwd":"/w"}), 2).unwrap();
    assert_eq!(f.session_id.as_deref(), Some("old"));
    assert_eq!(f.extra["agents"], json!([1]));
    assert_eq!(f.extra["x"], json!({"y":1}));
    assert_eq!(f.worktree().map(|w| w.branch), Some("navi/s".into()), "navi's worktree field survives the hook");
    assert_eq!(f.metrics.as_ref().unwrap().extra["tokens"], json!({"in":3}));
    assert_eq!(f.cwd.as_deref(), Some("/w"));
    let f = step(Some(f), json!({"hook_event_name":"UserPromptSubmit","session_id":"new"}), 3).unwrap();
    assert_eq!(f.session_id.as_deref(), Some("new"), "a prompt typed into a new session makes it the lead");
}

#[test]
fn a_correction_from_the_pane_counts_time_and_ends_the_question() {
    let f = step(None, json!({"hook_event_name":"PermissionRequest","tool_name":"Bash"}), 100).unwrap();
    assert!(f.extra.contains_key(PROMPT_KEY));
    let f = correct(f, Status::Idle, Some("Interrupted".into()), 130);
    assert_eq!((f.status.as_str(), f.message.as_deref(), f.timestamp), ("idle", Some("Interrupted"), Some(130)));
    assert!(!f.extra.contains_key(PROMPT_KEY), "the question is over");
    assert_eq!(f.metrics.unwrap().time.unwrap().waiting_seconds, 30);
}

#[test]
fn hostile_times_counts_and_tool_names_neither_overflow_nor_grow_the_message() {
    let mut start: StatusFile = serde_json::from_value(json!({
        "tmux_session":"s","status":"working","timestamp":i64::MIN,
        "metrics":{"time":{"started":i64::MIN,"working_seconds":i64::MAX},"tools":{"counts":{"Bash":u64::MAX}}}
    }))
    .unwrap();
    let f = step(Some(start.clone()), json!({"hook_event_name":"PostToolUse","tool_name":"Bash"}), i64::MAX).unwrap();
    let metrics = f.metrics.unwrap();
    let time = metrics.time.unwrap();
    assert_eq!((time.working_seconds, time.total_seconds), (i64::MAX, i64::MAX));
    assert_eq!(metrics.tools.unwrap().counts["Bash"], u64::MAX);
    start.timestamp = Some(i64::MAX);
    let f = step(Some(start), json!({"hook_event_name":"PermissionRequest","tool_name":"x".repeat(5000)}), 0).unwrap();
    assert!(f.message.unwrap().chars().count() <= MESSAGE_MAX);
}

#[test]
fn recent_tools_from_the_original_navi_stay_newest_first() {
    let start: StatusFile = serde_json::from_value(json!({"tmux_session":"s","status":"working",
        "metrics":{"tools":{"recent":["Read","Edit","Bash"],"counts":{"Read":1,"Edit":1,"Bash":1}}}}))
    .unwrap();
    let f = step(Some(start), json!({"hook_event_name":"PostToolUse","tool_name":"Grep"}), 1).unwrap();
    assert_eq!(f.metrics.unwrap().tools.unwrap().recent, ["Grep", "Read", "Edit", "Bash"]);
}

/// The lead of `s` (session `lead`) at work.
fn lead() -> StatusFile {
    step(None, json!({"hook_event_name":"UserPromptSubmit","session_id":"lead"}), 100).unwrap()
}

#[test]
fn teammate_events_never_change_the_leads_status_or_session_id() {
    let f = lead();
    // Every event a teammate's own hooks send (its session_id, no name) is not the lead's.
    for (event, extra) in [
        ("Stop", json!({"last_assistant_message":"teammate done"})),
        ("PermissionRequest", json!({"tool_name":"Bash"})),
        ("PostToolUse", json!({"tool_name":"Bash"})),
        ("Notification", json!({"notification_type":"idle_prompt","message":"m"})),
        ("SessionStart", json!({"source":"startup"})),
        ("SessionEnd", json!({"reason":"other"})),
        ("StopFailure", json!({"error":"rate_limit"})),
    ] {
        let mut e = extra.clone();
        e["hook_event_name"] = event.into();
        e["session_id"] = "mate".into();
        assert!(step(Some(f.clone()), e, 110).is_none(), "{event} from another session");
    }
    // A named teammate is recorded under `team`, the lead untouched.
    let f = step(
        Some(f),
        json!({"hook_event_name":"TeammateIdle","session_id":"mate","teammate_name":"alice","team_name":"core"}),
        120,
    )
    .unwrap();
    assert_eq!((f.status.clone(), f.session_id.as_deref(), f.timestamp), (Status::Working, Some("lead"), Some(100)));
    assert_eq!(
        f.extra["team"],
        json!({"name":"core","agents":[{"name":"alice","status":"idle","timestamp":120,"session_id":"mate"}]})
    );
    let f = step(
        Some(f),
        json!({"hook_event_name":"PermissionRequest","session_id":"mate","teammate_name":"alice","tool_name":"Bash"}),
        125,
    )
    .unwrap();
    assert_eq!(f.status, Status::Working);
    assert_eq!(f.extra["team"]["agents"][0]["status"], "permission");
    // The teammate's own Stop (no name) marks it stopped by its session_id.
    let f = step(Some(f), json!({"hook_event_name":"Stop","session_id":"mate"}), 130).unwrap();
    assert_eq!(f.extra["team"]["agents"][0]["status"], "stopped");
    assert_eq!((f.status.clone(), f.session_id.as_deref()), (Status::Working, Some("lead")));
    // The lead's own Stop still ends its turn; its next prompt forgets stopped teammates.
    let f = step(Some(f), json!({"hook_event_name":"Stop","session_id":"lead","last_assistant_message":"ok"}), 140)
        .unwrap();
    assert_eq!((f.status.clone(), f.message.as_deref()), (Status::Done, Some("ok")));
    let f = step(Some(f), json!({"hook_event_name":"UserPromptSubmit","session_id":"lead"}), 150).unwrap();
    assert!(!f.extra.contains_key("team"));
}

#[test]
fn the_lead_replacing_its_session_in_place_is_still_the_lead() {
    for source in ["clear", "resume", "compact"] {
        let f = step(Some(lead()), json!({"hook_event_name":"SessionStart","session_id":"next","source":source}), 110)
            .unwrap();
        assert_eq!((f.status.clone(), f.session_id.as_deref()), (Status::Idle, Some("next")), "{source}");
    }
    // After the lead went offline, whoever starts next is the lead.
    let f =
        step(Some(lead()), json!({"hook_event_name":"SessionEnd","session_id":"lead","reason":"other"}), 110).unwrap();
    let f =
        step(Some(f), json!({"hook_event_name":"SessionStart","session_id":"next","source":"startup"}), 120).unwrap();
    assert_eq!(f.session_id.as_deref(), Some("next"));
}

#[test]
fn subagents_are_listed_while_they_run_and_leave_the_status_alone() {
    let f = lead();
    let start = json!({"hook_event_name":"SubagentStart","session_id":"lead","agent_id":"a1","agent_type":"Explore"});
    let f = step(Some(f), start, 110).unwrap();
    assert_eq!((f.status.clone(), f.timestamp), (Status::Working, Some(100)));
    assert_eq!(f.extra["subagents"], json!([{"id":"a1","type":"Explore","started":110}]));
    let stop = json!({"hook_event_name":"SubagentStop","session_id":"lead","agent_id":"a1","agent_type":"Explore"});
    let f = step(Some(f), stop.clone(), 120).unwrap();
    assert!(!f.extra.contains_key("subagents"));
    assert!(step(Some(f.clone()), stop, 121).is_none(), "a stop for no listed subagent changes nothing");
    // One left running when the session ends does not outlive it.
    let f = step(Some(f), json!({"hook_event_name":"SubagentStart","session_id":"lead","agent_id":"a2"}), 130).unwrap();
    let f = step(Some(f), json!({"hook_event_name":"SessionEnd","session_id":"lead","reason":"other"}), 140).unwrap();
    assert!(!f.extra.contains_key("subagents"));
}

#[test]
fn a_teammate_the_lead_spawns_is_listed_as_working_and_its_events_stay_its_own() {
    let spawn = json!({"hook_event_name":"PostToolUse","session_id":"lead","tool_name":"Agent",
        "tool_input":{"name":"alice","team_name":"core","prompt":"review the parser"},
        "tool_response":{"status":"teammate_spawned","session_id":"mate-a","content":[{"type":"text","text":"ok"}]}});
    let f = step(Some(lead()), spawn, 110).unwrap();
    assert_eq!(
        f.extra["team"],
        json!({"name":"core","agents":[{"name":"alice","status":"working","timestamp":110,"session_id":"mate-a"}]})
    );
    // Its own Stop (no name, its session_id) marks it stopped; the lead works on.
    let f = step(Some(f), json!({"hook_event_name":"Stop","session_id":"mate-a"}), 120).unwrap();
    assert_eq!((f.status, f.extra["team"]["agents"][0]["status"].as_str()), (Status::Working, Some("stopped")));
    // Any other reply, of any shape, spawns nothing.
    for reply in [json!("plain output"), json!({"status":"completed"}), json!([1])] {
        let e = json!({"hook_event_name":"PostToolUse","session_id":"lead","tool_name":"Bash","tool_input":{"name":"x"},
                       "tool_response":reply});
        assert!(!step(Some(lead()), e, 110).unwrap().extra.contains_key("team"));
    }
}

#[test]
fn teammate_and_subagent_events_write_the_file_under_its_own_session_name() {
    let mut f = lead();
    f.tmux_session = "renamed-inside".into();
    let events = [
        json!({"hook_event_name":"TeammateIdle","session_id":"mate","teammate_name":"alice"}),
        json!({"hook_event_name":"SubagentStart","session_id":"lead","agent_id":"a1"}),
    ];
    for e in events {
        assert_eq!(step(Some(f.clone()), e, 110).unwrap().tmux_session, "s");
    }
}
