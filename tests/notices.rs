//! Local notices with nothing but the hook running: the hook run from inside a pane of a
//! private tmux server starts `navi notice`, which runs the user's command with the notice
//! in its environment — once per transition, never while a client shows the session, and
//! never running anything built from session data.

mod common;

use common::tmux::{TmuxServer, wait_for};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A config whose command appends one line per notice to `log` (the notice only in the
/// environment, as a user's ntfy or script would get it).
fn configure(t: &TmuxServer, log: &Path, extra: &str) {
    let dir = t.home.join(".config/navi");
    std::fs::create_dir_all(&dir).unwrap();
    let script = format!(
        "printf '%s|%s|%s|%s|%s\\n' \"$NAVI_SESSION\" \"$NAVI_REMOTE\" \"$NAVI_STATUS\" \"$NAVI_REASON\" \"$NAVI_MESSAGE\" >> '{}'",
        log.display()
    );
    let yaml = format!(
        "notify:\n  desktop: false\n  tmux: false\n  cooldown_seconds: 0\n  command: [sh, -c, {}]\n{extra}",
        serde_json::to_string(&script).unwrap()
    );
    std::fs::write(dir.join("config.yaml"), yaml).unwrap();
}

fn pane_id(t: &TmuxServer, session: &str) -> String {
    let out = t.tmux(&["list-panes", "-a", "-F", "#{session_name}\t#{pane_id}"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().find_map(|l| l.strip_prefix(&format!("{session}\t")).map(str::to_string)).unwrap()
}

/// Runs `navi hook` as Claude Code would from inside `pane`, from the test's folder.
fn hook(t: &TmuxServer, pane: &str, event: Value) {
    assert!(t.spawn_hook(pane, event.to_string().as_bytes()).wait().unwrap().success());
}

fn lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log).unwrap_or_default().lines().map(str::to_string).collect()
}

fn wait_lines(log: &Path, n: usize) -> Vec<String> {
    assert!(wait_for(Duration::from_secs(15), || lines(log).len() >= n), "{n} notices expected: {:?}", lines(log));
    lines(log)
}

fn notices_log(t: &TmuxServer) -> PathBuf {
    t.home.join(".local/state/navi/notices/notices.log")
}

#[test]
fn a_permission_is_one_notice_and_its_reminder_none() {
    let t = TmuxServer::new();
    let log = t.dir.path().join("notices.txt");
    configure(&t, &log, "");
    t.new_session("api", &t.home, "");
    let pane = pane_id(&t, "api");
    hook(&t, &pane, json!({"hook_event_name":"UserPromptSubmit","prompt":"go"}));
    hook(
        &t,
        &pane,
        json!({"hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{"command":"terraform plan"}}),
    );
    let got = wait_lines(&log, 1);
    assert_eq!(got, ["api||permission|permission|Permission needed: Bash (terraform plan)"]);
    // Claude Code's reminder 6 s later keeps the same question: no second notice.
    hook(
        &t,
        &pane,
        json!({"hook_event_name":"Notification","notification_type":"permission_prompt","message":"Claude needs your permission"}),
    );
    hook(&t, &pane, json!({"hook_event_name":"PostToolUse","tool_name":"Bash"}));
    hook(&t, &pane, json!({"hook_event_name":"Stop","last_assistant_message":"All tests pass"}));
    let got = wait_lines(&log, 2);
    assert_eq!(got[1], "api||done|done|All tests pass", "{got:?}");
    hook(
        &t,
        &pane,
        json!({"hook_event_name":"Notification","notification_type":"idle_prompt","message":"Claude is waiting for your input"}),
    );
    hook(
        &t,
        &pane,
        json!({"hook_event_name":"StopFailure","error":"server_error","last_assistant_message":"API Error: boom"}),
    );
    let got = wait_lines(&log, 3);
    assert_eq!(got.len(), 3, "the idle reminder made no notice: {got:?}");
    assert_eq!(got[2], "api||error|error|API Error: boom");
}

#[test]
fn hostile_names_and_messages_never_run_anything() {
    let t = TmuxServer::new();
    let log = t.dir.path().join("notices.txt");
    configure(&t, &log, "");
    // Run from the test's folder: anything run by mistake would make `pwned` there.
    let pwned = t.dir.path().join("pwned");
    let name = "x$(touch pwned)`touch pwned`;touch pwned";
    t.new_session(name, &t.home, "");
    let pane = pane_id(&t, name);
    hook(&t, &pane, json!({"hook_event_name":"Stop","last_assistant_message":"$(touch pwned) \u{1b}]0;t\u{7}ok"}));
    let got = wait_lines(&log, 1);
    assert!(got[0].starts_with(&format!("{name}||done|done|$(touch pwned)")), "{got:?}");
    assert!(got[0].ends_with(" ok") && !got[0].contains('\u{1b}'), "{got:?}");
    assert!(!pwned.exists());
}

#[test]
fn no_notice_while_a_client_shows_the_session_and_none_while_muted() {
    let t = TmuxServer::new();
    let log = t.dir.path().join("notices.txt");
    configure(&t, &log, "");
    t.new_session("watched", &t.home, "");
    t.new_session("away", &t.home, "");
    // A client of the same server, attached to "watched" from a pane of its own.
    let attach = format!("env -u TMUX tmux -S '{}' attach -t '=watched'", t.socket.display());
    t.new_session("viewer", &t.home, &attach);
    assert!(wait_for(Duration::from_secs(10), || {
        let out = t.tmux(&["display-message", "-p", "-t", "=watched:", "#{session_attached}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }));
    hook(&t, &pane_id(&t, "watched"), json!({"hook_event_name":"Stop","last_assistant_message":"seen"}));
    assert!(
        wait_for(Duration::from_secs(15), || std::fs::read_to_string(notices_log(&t))
            .is_ok_and(|l| l.contains("not sent (Looking): watched is done"))),
        "{:?}",
        std::fs::read_to_string(notices_log(&t))
    );
    hook(&t, &pane_id(&t, "away"), json!({"hook_event_name":"Stop","last_assistant_message":"unseen"}));
    assert_eq!(wait_lines(&log, 1), ["away||done|done|unseen"]);

    let (code, out, _) = t.run_navi(&["mute", "1h"]);
    assert_eq!((code, out.trim()), (0, "notices are muted for 1h 0m"));
    hook(&t, &pane_id(&t, "away"), json!({"hook_event_name":"StopFailure","last_assistant_message":"muted"}));
    assert!(wait_for(Duration::from_secs(15), || std::fs::read_to_string(notices_log(&t))
        .is_ok_and(|l| l.contains("not sent (Muted): away stopped with an error: muted"))));
    let (code, out, _) = t.run_navi(&["mute", "off"]);
    assert_eq!((code, out.trim()), (0, "notices are on"));
    hook(&t, &pane_id(&t, "away"), json!({"hook_event_name":"PermissionRequest","tool_name":"Read"}));
    let got = wait_lines(&log, 2);
    assert_eq!(got[1], "away||permission|permission|Permission needed: Read", "the muted error stayed unsent: {got:?}");
    let (code, _, err) = t.run_navi(&["mute", "soon"]);
    assert!(code != 0 && err.contains("not a duration"), "{err}");
}
