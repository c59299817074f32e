//! `navi statusline` run for real as Claude Code runs its `statusLine` command: installed by
//! `navi install-hooks` in front of the user's own line, inside a tmux pane, beside hooks.

use crate::common;
use common::tmux::{TmuxServer, outcome_within};
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn pane_id(t: &TmuxServer, session: &str) -> String {
    let out = t.tmux(&["display-message", "-p", "-t", &format!("={session}:"), "#{pane_id}"]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// What Claude Code gives its status line, with `cost` dollars spent so far.
fn input(session_id: &str, cost: f64) -> Value {
    json!({
        "hook_event_name": "Status", "session_id": session_id, "cwd": "/w",
        "transcript_path": "/w/t.jsonl",
        "model": {"id": "claude-opus-4-6", "display_name": "Opus 4.6"},
        "workspace": {"current_dir": "/w", "project_dir": "/w"}, "version": "2.1.90",
        "cost": {"total_cost_usd": cost, "total_duration_ms": 1000},
        "context_window": {"context_window_size": 200000, "used_percentage": 42.5},
        "rate_limits": {"five_hour": {"used_percentage": 23.5, "resets_at": 1738425600}}
    })
}

/// Runs the settings' `statusLine.command` the way Claude Code does (a shell line), from
/// inside `pane`, with `stdin`; returns its output, requiring exit 0 within `limit`.
fn run_status_line(t: &TmuxServer, command: &str, pane: &str, stdin: &Value, limit: Duration) -> String {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command).env("HOME", &t.home).env("NAVI_TMUX_SOCKET", &t.socket);
    cmd.env("TMUX", format!("{},1,0", t.socket.display())).env("TMUX_PANE", pane);
    let (code, out, err) = outcome_within(&mut cmd, stdin.to_string().as_bytes(), limit);
    assert_eq!(code, 0, "{err}");
    out
}

fn installed_command(t: &TmuxServer) -> String {
    let (code, _, err) = t.run_navi(&["install-hooks"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_slice(&std::fs::read(t.home.join(".claude/settings.json")).unwrap()).unwrap();
    v["statusLine"]["command"].as_str().unwrap().to_string()
}

/// A tmux server with session `name`, its pane, and the lead's status file as hooks left it.
fn lead_session(name: &str) -> (TmuxServer, String) {
    let t = TmuxServer::new();
    t.new_session(name, &t.home, "");
    let pane = pane_id(&t, name);
    t.write_status(&json!({"tmux_session": name, "status": "working", "session_id": "lead", "timestamp": 1,
                           "future": {"kept": true}}));
    (t, pane)
}

#[test]
fn the_users_own_line_is_printed_and_the_numbers_recorded() {
    let (t, pane) = lead_session("api");
    // The user's line reads the same stdin and prints colours (kept) and hostile escapes (not).
    let mine = r#"m=$(sed -n 's/.*"display_name":"\([^"]*\)".*/\1/p'); printf '\033[32m%s\033[0m\033[2J\033]0;pwned\007 mine\n' "$m""#;
    let settings = t.home.join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(&settings, json!({"statusLine": {"type": "command", "command": mine, "padding": 1}}).to_string())
        .unwrap();
    let command = installed_command(&t);
    assert!(command.contains(" statusline --then "), "{command}");
    let out = run_status_line(&t, &command, &pane, &input("lead", 0.42), Duration::from_secs(20));
    assert_eq!(out, "\u{1b}[32mOpus 4.6\u{1b}[0m mine\n");
    let v = t.read_status("api").unwrap();
    assert_eq!(v["cost"]["total_cost_usd"], 0.42);
    assert_eq!(v["context"]["used_percentage"], 42.5);
    assert_eq!(v["model"]["display_name"], "Opus 4.6");
    assert_eq!(v["rate_limits"]["five_hour"]["used_percentage"], 23.5);
    assert_eq!((v["status"].as_str(), v["future"]["kept"].as_bool()), (Some("working"), Some(true)));
    // `navi list --json` carries them.
    let (_, list, _) = t.run_navi(&["list", "--json"]);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&list).unwrap()[0]["cost"]["total_cost_usd"], 0.42);
    // Another agent's status line in the same tmux session records nothing.
    run_status_line(&t, &command, &pane, &input("teammate", 9.0), Duration::from_secs(20));
    assert_eq!(t.read_status("api").unwrap()["cost"]["total_cost_usd"], 0.42);
    // Uninstalling gives the user's line back as it was.
    assert_eq!(t.run_navi(&["install-hooks", "--uninstall"]).0, 0);
    let v: Value = serde_json::from_slice(&std::fs::read(&settings).unwrap()).unwrap();
    assert_eq!(v["statusLine"], json!({"type": "command", "command": mine, "padding": 1}));
}

#[test]
fn without_a_line_of_its_own_navi_prints_a_short_one() {
    let t = TmuxServer::new();
    t.new_session("api", &t.home, "");
    let pane = pane_id(&t, "api");
    let command = installed_command(&t);
    let out = run_status_line(&t, &command, &pane, &input("lead", 1.5), Duration::from_secs(20));
    assert_eq!(out, "Opus 4.6 · ctx 42% · $1.50");
    assert!(!t.status_path("api").exists(), "the hooks write the first file, not the status line");
    // Outside tmux, or with input that is not JSON: still a line, never a failure.
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(&command).env("HOME", &t.home).env_remove("TMUX_PANE");
    assert_eq!(outcome_within(&mut cmd, b"not json", Duration::from_secs(20)).0, 0);
}

#[test]
fn a_hostile_user_command_cannot_hang_or_flood_the_status_line() {
    let (t, pane) = lead_session("api");
    for (mine, why) in [("exec yes", "endless output"), ("sleep 600", "never ends"), ("exit 3", "fails")] {
        let started = Instant::now();
        let command = format!("{} statusline --then '{mine}'", env!("CARGO_BIN_EXE_navi"));
        let out = run_status_line(&t, &command, &pane, &input("lead", 2.0), Duration::from_secs(30));
        assert_eq!(out, "", "{why}");
        assert!(started.elapsed() < Duration::from_secs(20), "{why}: took {:?}", started.elapsed());
    }
    // The numbers were recorded all the same.
    assert_eq!(t.read_status("api").unwrap()["cost"]["total_cost_usd"], 2.0);
}

#[test]
fn status_lines_and_hooks_on_the_same_file_lose_no_update() {
    let (t, pane) = lead_session("busy");
    let spawn = |args: &[&str], stdin: Value| {
        let mut c = t
            .navi()
            .args(args)
            .env("TMUX", format!("{},1,0", t.socket.display()))
            .env("TMUX_PANE", &pane)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(stdin.to_string().as_bytes()).unwrap();
        c
    };
    let mut children = Vec::new();
    for i in 0..40 {
        children
            .push(spawn(&["hook"], json!({"hook_event_name":"PostToolUse","tool_name":"Bash","session_id":"lead"})));
        children.push(spawn(&["statusline"], input("lead", f64::from(i))));
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    // Last, one status line whose numbers must be there: nothing after it can drop them.
    assert!(spawn(&["statusline"], input("lead", 99.0)).wait().unwrap().success());
    let v = t.read_status("busy").unwrap();
    assert_eq!(v["metrics"]["tools"]["counts"]["Bash"], 40, "no hook update lost");
    assert_eq!(v["cost"]["total_cost_usd"], 99.0);
    assert_eq!(v["future"]["kept"], true);
}
