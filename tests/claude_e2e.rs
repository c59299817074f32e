//! navi with the real Claude Code, offline (see tests/common/claude.rs): its hooks make
//! the statuses a user sees in `navi list`, and `navi send` submits what it types.

mod common;

use common::claude::{Claude, START, api};
use std::time::Duration;

const TURN: Duration = Duration::from_secs(60);

/// Sends `text` while the stand-in holds the reply: the session is working, then done
/// with the reply; the stand-in got the prompt exactly once.
fn submitted(c: &Claude, name: &str, text: &str, send: impl FnOnce() -> (i32, String, String)) {
    let gate = api().gate(text);
    let (code, _, err) = send();
    assert_eq!(code, 0, "{name}: navi send failed: {err}");
    c.wait_status(name, "working", TURN);
    gate.open();
    let row = c.wait_status(name, "done", TURN);
    assert_eq!(row["message"], format!("Received {} characters.", text.chars().count()), "{name}: {row}");
    assert_eq!(api().count(text), 1, "{name}: the stand-in got {:?}", api().prompts());
}

#[test]
fn sends_of_any_length_are_submitted_even_right_after_start() {
    let c = Claude::new();
    let names = ["short", "medium", "long"];
    for name in names {
        c.start(name);
    }
    let texts = [
        "hi 01".to_string(),
        format!("an eighty character prompt {}", "m".repeat(53)),
        format!("a four hundred character prompt {}", "l".repeat(368)),
    ];
    for (name, text) in names.iter().zip(&texts) {
        // Sent the moment the input box shows: when Claude Code most often loses an Enter.
        c.wait_box(name);
        submitted(&c, name, text, || c.send(name, text));
    }
}

#[test]
fn a_send_while_claude_code_is_stopped_is_submitted() {
    let c = Claude::new();
    c.start("busy");
    c.wait_ready("busy");
    let text = format!("sent while stopped {}", "s".repeat(70));
    let pid = c.pid("busy").to_string();
    submitted(&c, "busy", &text, || {
        let status = |sig: &str| std::process::Command::new("kill").args([sig, &pid]).status().unwrap();
        assert!(status("-STOP").success());
        let mut send = c.t.navi().args(["send", "busy", &text]).stdout(std::process::Stdio::piped()).spawn().unwrap();
        // Busy for a moment, as Claude Code is while it draws or runs a hook.
        std::thread::sleep(Duration::from_millis(300));
        assert!(status("-CONT").success());
        let out = send.wait().unwrap();
        (out.code().unwrap_or(-1), String::new(), String::new())
    });
}

#[test]
fn a_multi_line_prompt_from_stdin_arrives_whole_then_clear_and_exit() {
    let c = Claude::new();
    c.start("lines");
    c.wait_ready("lines");
    let text = "first line\nsecond line\n  indented third line";
    submitted(&c, "lines", text, || {
        let mut cmd = c.t.navi();
        cmd.args(["send", "lines", "-"]).stdin(std::process::Stdio::piped());
        cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(format!("{text}\n").as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.code().unwrap_or(-1), String::new(), String::from_utf8_lossy(&out.stderr).into_owned())
    });

    // `/clear`: a new conversation in the same session, idle again; no prompt reaches the API.
    let before = api().prompts().len();
    let (code, _, err) = c.send("lines", "/clear");
    assert_eq!(code, 0, "{err}");
    c.wait_status("lines", "idle", START);
    c.t.wait_text_gone("lines", "second line", START);
    assert!(!api().prompts()[before..].iter().any(|p| p.contains("/clear")), "{:?}", api().prompts());

    let (code, _, err) = c.send("lines", "/exit");
    assert_eq!(code, 0, "{err}");
    c.wait_status("lines", "offline", START);
}
