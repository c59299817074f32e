//! `navi status` as a tmux status bar runs it: local status files plus the summary of remote
//! sessions the dashboard keeps; a stale summary says so; hostile names inject nothing. And
//! the dashboard with a real sshd remote writes the summary that `navi status` then reads,
//! with no dashboard running any more.

mod common;

use common::sshd::Sshd;
use common::tmux::{TmuxServer, wait_for};
use navi::sessions::{Status, StatusFile};
use navi::summary::{RemoteState, Summary};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn state_dir(t: &TmuxServer) -> std::path::PathBuf {
    t.home.join(".local/state/navi")
}

/// remotes.yaml naming `names` (hosts that are never contacted).
fn remotes_yaml(t: &TmuxServer, names: &[&str]) {
    let config = t.home.join(".config/navi");
    std::fs::create_dir_all(&config).unwrap();
    let mut yaml = String::from("remotes:\n");
    for n in names {
        yaml.push_str(&format!("  - {{name: {n:?}, host: unused.invalid, user: u, key: /nonexistent/key}}\n"));
    }
    std::fs::write(config.join("remotes.yaml"), yaml).unwrap();
}

fn file(name: &str, status: Status, at: i64, message: &str) -> StatusFile {
    let mut f = StatusFile::new(name, status);
    f.timestamp = Some(at);
    f.message = Some(message.into());
    f
}

fn status(t: &TmuxServer, format: &str) -> String {
    let (code, out, err) = t.run_navi(&["status", "--format", format]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "a status bar command prints nothing on stderr: {err}");
    out
}

#[test]
fn counts_local_and_summarised_remote_sessions_in_every_format() {
    let t = TmuxServer::new();
    let now = navi::text::now_unix();
    t.write_status(&json!({"tmux_session": "web", "status": "waiting", "timestamp": now - 40, "message": "Which?"}));
    t.write_status(&json!({"tmux_session": "cli", "status": "working", "timestamp": now - 3}));
    remotes_yaml(&t, &["box"]);
    let mut s = Summary::default();
    // "1m" from 60 s to 119 s old: 75 leaves a slow run most of a minute.
    s.record_remote("box", RemoteState::Up, &[file("api", Status::Permission, now - 75, "Allow Bash")], now);
    navi::summary::write(&state_dir(&t), &s).unwrap();

    let plain = status(&t, "plain");
    assert!(plain.starts_with("sessions: 1 permission, 1 waiting, 1 working (2 local, 1 remote)\n"), "{plain}");
    assert!(plain.contains("waited longest: api [box] permission since 1m ago: Allow Bash"), "{plain}");
    let line = status(&t, "tmux");
    assert!(line.starts_with("❓1 ⏳1 ⚙️1 · api@box 1m"), "{line}");
    assert!(!line.contains("#[dim]"), "fresh news is not dimmed: {line}");
    let json: Value = serde_json::from_str(&status(&t, "json")).unwrap();
    assert_eq!(json["counts"], json!({"permission": 1, "waiting": 1, "working": 1}));
    let attention: Vec<&str> =
        json["attention"].as_array().unwrap().iter().map(|a| a["session"].as_str().unwrap()).collect();
    assert_eq!(attention, ["api", "web"], "oldest first");
    assert_eq!(json["remotes"]["box"]["state"], "up");
}

#[test]
fn a_stale_or_missing_summary_is_said() {
    let t = TmuxServer::new();
    let now = navi::text::now_unix();
    remotes_yaml(&t, &["box"]);
    let plain = status(&t, "plain");
    assert!(plain.contains("no summary: run the dashboard or navi watch"), "{plain}");
    assert_eq!(status(&t, "tmux"), "\n", "no sessions, no summary: an empty status line");

    let mut s = Summary::default();
    s.record_remote("box", RemoteState::Up, &[file("api", Status::Done, now - 600, "")], now - 300);
    navi::summary::write(&state_dir(&t), &s).unwrap();
    let plain = status(&t, "plain");
    assert!(plain.contains("box: up, 5m ago, stale"), "{plain}");
    let line = status(&t, "tmux");
    assert!(line.contains("#[dim]box 5m old#[nodim]"), "{line}");
    let json: Value = serde_json::from_str(&status(&t, "json")).unwrap();
    let age = json["remotes"]["box"]["age_seconds"].as_i64().unwrap();
    assert!((300..400).contains(&age), "{json}");
}

#[test]
fn hostile_session_names_inject_no_tmux_format_and_no_escape() {
    let t = TmuxServer::new();
    let now = navi::text::now_unix();
    t.write_status(&json!({"tmux_session": "#[fg=red]x#(echo pwned)\u{1b}[2J", "status": "waiting",
        "timestamp": now - 10, "message": "#{pane_id}\u{1b}]0;title\u{7}"}));
    let line = status(&t, "tmux");
    assert!(line.contains("##[fg=red]x##(echo pwned)"), "{line}");
    assert!(!line.replace("##", "").contains('#'), "{line}");
    assert!(!line.chars().any(|c| c.is_control() && c != '\n'), "{line:?}");
    // What tmux itself makes of the line: the text, no style, no command run.
    let out = t.tmux(&["new-session", "-d", "-s", "bar"]);
    assert!(out.status.success());
    let shown = t.tmux(&["display-message", "-p", "-t", "bar", line.trim_end()]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("#[fg=red]x#(echo pwned)"), "{shown}");
    for format in ["plain", "json"] {
        let out = status(&t, format);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{format}: {out:?}");
    }
}

#[test]
fn the_dashboard_keeps_the_summary_that_navi_status_reads_later() {
    let sshd = Sshd::start();
    sshd.new_session("far", "");
    let now = navi::text::now_unix();
    sshd.write_status(&json!({"tmux_session": "far", "status": "waiting", "timestamp": now - 20,
        "message": "remote says hi", "cwd": sshd.remote_home}));
    let t = TmuxServer::new();
    t.launch_dashboard(Some(&sshd.remotes_yaml("box")));
    t.wait_text("ui", "remote says hi", WAIT);
    let path = state_dir(&t).join("summary.json");
    let written = wait_for(WAIT, || {
        std::fs::read_to_string(&path).is_ok_and(|s| s.contains("\"far\"") && s.contains("\"waiting\""))
    });
    assert!(written, "the dashboard wrote no summary; screen:\n{}", t.capture("ui"));
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    t.keys("ui", &["q"]);
    assert!(wait_for(WAIT, || t.tmux(&["display-message", "-p", "-t", "ui", "#{pane_dead}"]).stdout.starts_with(b"1")));

    let json: Value = serde_json::from_str(&status(&t, "json")).unwrap();
    assert_eq!(json["counts"], json!({"waiting": 1}), "{json}");
    assert_eq!(json["attention"][0]["session"], "far");
    assert_eq!(json["attention"][0]["remote"], "box");
    assert_eq!(json["remotes"]["box"]["state"], "up");
    let plain = status(&t, "plain");
    assert!(plain.contains("waited longest: far [box] waiting"), "{plain}");
}
