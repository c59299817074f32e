//! Wall time of `navi hook` as Claude Code runs it (a process per event, inside tmux),
//! beside the floor: spawning `true` and the one `tmux display-message` the hook needs; and
//! of `navi statusline` (run after every assistant message), alone and chaining a user's
//! own status line (`cat`). Run: `cargo bench --bench hook`.

#[path = "support/stats.rs"]
mod stats;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 300;

fn time(mut f: impl FnMut(usize)) -> Vec<Duration> {
    (0..RUNS)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed()
        })
        .collect()
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sock = dir.path().join("sock");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let tmux = |args: &[&str]| Command::new("tmux").arg("-S").arg(&sock).env_remove("TMUX").args(args).output();
    tmux(&["new-session", "-d", "-s", "bench"]).expect("tmux");
    let pane =
        String::from_utf8_lossy(&tmux(&["display-message", "-p", "-t", "=bench:", "#{pane_id}"]).expect("tmux").stdout)
            .trim()
            .to_string();
    let tmux_env = format!("{},1,0", sock.display());
    let events = [
        r#"{"hook_event_name":"UserPromptSubmit","session_id":"s","cwd":"/w"}"#,
        r#"{"hook_event_name":"PostToolUse","tool_name":"Bash","session_id":"s","cwd":"/w"}"#,
        r#"{"hook_event_name":"PostToolUse","tool_name":"Edit","session_id":"s","cwd":"/w"}"#,
        r#"{"hook_event_name":"Stop","last_assistant_message":"Done.","session_id":"s","cwd":"/w"}"#,
    ];

    println!("navi hook, {RUNS} runs each");
    stats::print(
        "spawn `true`",
        time(|_| {
            Command::new("true").status().expect("true");
        }),
    );
    stats::print(
        "tmux display-message",
        time(|_| {
            Command::new("tmux")
                .args(["display-message", "-p", "-t", &pane, "#{session_name}"])
                .env("TMUX", &tmux_env)
                .output()
                .expect("tmux");
        }),
    );
    let navi = |args: &[&str], input: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_navi"))
            .args(args)
            .env("HOME", &home)
            .env("TMUX", &tmux_env)
            .env("TMUX_PANE", &pane)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("navi");
        if let Some(mut stdin) = c.stdin.take() {
            let _ = stdin.write_all(input.as_bytes());
        }
        c.wait().expect("navi");
    };
    stats::print("navi hook (full event)", time(|i| navi(&["hook"], events[i % events.len()])));
    // What Claude Code sends its status line; the cost changes every time, so every run writes.
    let line = |i: usize| {
        format!(
            r#"{{"session_id":"s","model":{{"id":"claude-opus-4-6","display_name":"Opus 4.6"}},"cost":{{"total_cost_usd":{i}.5}},"context_window":{{"context_window_size":200000,"used_percentage":42.5}},"rate_limits":{{"five_hour":{{"used_percentage":23.5,"resets_at":1738425600}}}}}}"#
        )
    };
    stats::print("navi statusline", time(|i| navi(&["statusline"], &line(i))));
    stats::print("navi statusline --then cat", time(|i| navi(&["statusline", "--then", "cat"], &line(i))));
    let _ = tmux(&["kill-server"]);
}
