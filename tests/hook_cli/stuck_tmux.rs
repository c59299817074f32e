//! A tmux server that does not answer (stopped with SIGSTOP): `navi hook` still exits 0
//! quickly (Claude Code waits on it), and `navi list` still lists the status files it can
//! read, with a warning, and cleans nothing.

use crate::common::tmux::{TmuxServer, wait_for};
use serde_json::json;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Stops the test's tmux server; lets it go on when dropped (declare it after the server,
/// so it drops first and the server's own drop can kill it).
struct Stopped(String);

impl Stopped {
    fn server_of(t: &TmuxServer) -> Self {
        let out = t.tmux(&["display-message", "-p", "#{pid}"]);
        let pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(!pid.is_empty(), "no tmux server pid");
        assert!(std::process::Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
        Stopped(pid)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-CONT", &self.0]).status();
    }
}

/// Waits for `child` up to `limit`; kills it and fails the test if it is still running.
fn finishes_within(mut child: Child, limit: Duration, what: &str) -> std::process::Output {
    let start = Instant::now();
    let done = wait_for(limit, || child.try_wait().unwrap().is_some());
    if !done {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    assert!(done, "{what} did not finish within {limit:?} (ran {:?})", start.elapsed());
    out
}

#[test]
fn the_hook_exits_0_quickly_when_tmux_does_not_answer() {
    let t = TmuxServer::new();
    t.new_session("s", &t.home, "");
    let out = t.tmux(&["display-message", "-p", "-t", "=s:", "#{pane_id}"]);
    let pane = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let _stopped = Stopped::server_of(&t);
    let child = t.spawn_hook(&pane, br#"{"hook_event_name":"PostToolUse","tool_name":"Bash"}"#);
    let out = finishes_within(child, Duration::from_secs(20), "navi hook");
    assert!(out.status.success());
    let log = std::fs::read_to_string(t.home.join(".local/state/navi/hook.log")).unwrap();
    assert!(log.contains("tmux did not answer within 2 s"), "{log}");
    assert!(!t.status_path("s").exists());
}

#[test]
fn list_shows_the_files_with_a_warning_when_tmux_does_not_answer() {
    let t = TmuxServer::new();
    t.new_session("s", &t.home, "");
    t.write_status(&json!({"tmux_session": "s", "status": "waiting", "message": "answer me"}));
    t.write_status(&json!({"tmux_session": "gone", "status": "done"}));
    let _stopped = Stopped::server_of(&t);
    let child = t.navi().arg("list").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let out = finishes_within(child, Duration::from_secs(30), "navi list");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("answer me"), "{stdout}");
    assert!(stderr.contains("tmux did not answer within 5 s"), "{stderr}");
    // Nothing is known about tmux's sessions, so nothing is taken for stale.
    assert!(t.status_path("gone").exists());
}
