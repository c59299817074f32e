//! navi with the real Claude Code, offline (see tests/common/claude.rs): its hooks make
//! the statuses a user sees in `navi list`, and `navi send` submits what it types.

mod common;

use common::claude::{Claude, START, api};
use navi::backend::pane::{self, PaneView};
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

/// A prompt that ends in a file mention opens Claude Code's completions menu; the Enter
/// that follows the paste takes the completion and closes the menu without submitting.
#[test]
fn a_prompt_ending_in_a_file_mention_is_submitted() {
    let c = Claude::new();
    std::fs::write(c.project.join("notes.md"), "a note\n").unwrap();
    c.start("mention");
    c.wait_ready("mention");
    let text = "please read @notes.md";
    let (code, _, err) = c.send("mention", text);
    assert_eq!(code, 0, "{err}");
    c.wait_status("mention", "done", TURN);
    assert!(api().prompts().iter().any(|p| p.contains(text)), "{:?}", api().prompts());
}

/// Waits until the pane of `name` shows what `is` looks for (the status a hook wrote can
/// come before Claude Code drew, and takes keys in, what it announced).
fn wait_screen(c: &Claude, name: &str, what: &str, is: impl Fn(&PaneView) -> bool) {
    let target = format!("={name}:");
    let ok = common::tmux::wait_for(TURN, || is(&pane::read(&c.t.capture(&target))));
    assert!(ok, "{name}: no {what} on screen:\n{}", c.t.capture(&target));
}

fn permission_dialog(c: &Claude, name: &str) {
    wait_screen(c, name, "permission dialog", |v| matches!(v, PaneView::Permission { .. }));
}

/// Seconds since the epoch, as the status files count.
fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Waits until `secs` past the row's timestamp (a notification of Claude Code's that must
/// change nothing is due by then), then returns the row as `navi list` shows it.
fn row_after(c: &Claude, name: &str, row: &serde_json::Value, secs: i64) -> serde_json::Value {
    let due = row["timestamp"].as_i64().unwrap() + secs;
    assert!(common::tmux::wait_for(Duration::from_secs(secs as u64 + 30), || now() > due));
    c.row(name).unwrap()
}

#[test]
fn a_permission_granted_runs_the_tool_and_ends_done() {
    let c = Claude::new();
    c.start("grant");
    c.wait_ready("grant");
    let (code, _, err) = c.send("grant", "RUN-TOOL: touch granted");
    assert_eq!(code, 0, "{err}");
    let row = c.wait_status("grant", "permission", TURN);
    assert!(row["message"].as_str().unwrap().contains("Bash (touch granted)"), "{row}");
    // Claude Code's permission_prompt notification comes 6 s later.
    let row = row_after(&c, "grant", &row, 7);
    assert_eq!(row["status"], "permission", "{row}");
    permission_dialog(&c, "grant");
    c.press("grant", &["1"]);
    let row = c.wait_status("grant", "done", TURN);
    assert_eq!(row["message"], "Tool finished.", "{row}");
    assert!(c.project.join("granted").exists());
    // The idle notification comes 5 s after the turn (set so in Claude::new).
    let row = row_after(&c, "grant", &row, 6);
    assert_eq!(row["status"], "done", "{row}");
}

#[test]
fn no_to_a_permission_is_not_left_as_permission() {
    let c = Claude::new();
    c.start("refuse");
    c.wait_ready("refuse");
    let (code, _, err) = c.send("refuse", "RUN-TOOL: touch refused");
    assert_eq!(code, 0, "{err}");
    c.wait_status("refuse", "permission", TURN);
    permission_dialog(&c, "refuse");
    c.press("refuse", &["3"]);
    let row = c.wait_status("refuse", "idle", TURN);
    assert_eq!(row["message"], "Interrupted", "{row}");
    assert!(!c.project.join("refused").exists());
}

#[test]
fn esc_during_a_turn_is_not_left_as_working() {
    let c = Claude::new();
    c.start("esc");
    c.wait_ready("esc");
    let text = "a reply held until Esc";
    let _gate = api().gate(text);
    let (code, _, err) = c.send("esc", text);
    assert_eq!(code, 0, "{err}");
    c.wait_status("esc", "working", TURN);
    // The turn on screen (its spinner, "esc to interrupt"): an Esc before it reaches the
    // input box instead.
    wait_screen(&c, "esc", "running turn", |v| matches!(v, PaneView::Busy { .. }));
    c.press("esc", &["Escape"]);
    c.wait_status("esc", "idle", TURN);
}

#[test]
fn questions_and_plans_wait_with_what_they_ask() {
    let c = Claude::new();
    c.start("ask");
    c.start_with("plan", "--permission-mode plan");
    c.wait_ready("ask");
    let question = r#"RUN-JSON: AskUserQuestion {"questions":[{"question":"Which colour?","header":"Colour","multiSelect":false,"options":[{"label":"Red","description":"warm"},{"label":"Blue","description":"cool"}]}]}"#;
    let (code, _, err) = c.send("ask", question);
    assert_eq!(code, 0, "{err}");
    let row = c.wait_status("ask", "waiting", TURN);
    let message = row["message"].as_str().unwrap();
    assert!(message.contains("Which colour?") && message.contains("Red") && message.contains("Blue"), "{row}");
    let row = row_after(&c, "ask", &row, 7);
    assert_eq!(row["status"], "waiting", "{row}");

    c.wait_ready("plan");
    let (code, _, err) = c.send("plan", r#"RUN-JSON: ExitPlanMode {"plan":"1. Paint the shed"}"#);
    assert_eq!(code, 0, "{err}");
    let row = c.wait_status("plan", "waiting", TURN);
    assert!(row["message"].as_str().unwrap().starts_with("Plan ready for approval: "), "{row}");
    assert!(row["message"].as_str().unwrap().contains("Paint the shed"), "{row}");
}

#[test]
fn an_api_failure_is_an_error_with_its_reason() {
    let c = Claude::new();
    c.start("fail");
    c.wait_ready("fail");
    let (code, _, err) = c.send("fail", "API-FAIL please");
    assert_eq!(code, 0, "{err}");
    let row = c.wait_status("fail", "error", TURN);
    assert!(row["message"].as_str().unwrap().contains("stand-in failed on purpose"), "{row}");
}

#[test]
fn a_new_session_whose_agent_is_not_there_is_an_error_with_what_the_pane_says() {
    let c = Claude::new();
    let (code, _, err) = common::tmux::outcome(
        c.navi().env("PATH", "/usr/local/bin:/usr/bin:/bin").args(["new", "nowhere", "--dir"]).arg(&c.project),
    );
    assert_eq!(code, 0, "navi new: {err}");
    let row = c.wait_status("nowhere", "error", START);
    assert!(row["message"].as_str().unwrap().contains("claude: command not found"), "{row}");
}

#[test]
fn the_status_line_records_what_claude_code_gives_it_and_shows_navis_line() {
    let c = Claude::new();
    c.start("line");
    c.wait_ready("line");
    let (code, _, err) = c.send("line", "hello");
    assert_eq!(code, 0, "{err}");
    c.wait_status("line", "done", TURN);
    // Claude Code runs `navi statusline` (install-hooks set it) after the reply.
    let recorded = || c.row("line").filter(|r| r["model"]["display_name"].is_string() && r["cost"].is_object());
    assert!(common::tmux::wait_for(TURN, || recorded().is_some()), "{:?}", c.row("line"));
    let row = recorded().unwrap();
    assert!(row["cost"]["total_cost_usd"].is_number(), "{row}");
    let model = row["model"]["display_name"].as_str().unwrap().to_string();
    // The user had no status line of their own: navi's short one is on Claude Code's screen.
    c.t.wait_text("=line:", &format!("{model} · "), TURN);
}
