//! The checks around an answer, on panes that show a real captured screen of Claude Code
//! 2.1.197 (printed by `cat`, so the screen stays put whatever is typed): a dialog other
//! than the one the user was shown, `--always` without such a choice, a question dialog,
//! and a dialog that does not go away. Whatever was typed shows on the pane's last line,
//! before a marker typed afterwards.

use crate::common::tmux::{TmuxServer, outcome, wait_for};
use navi::backend::LocalBackend;
use navi::backend::answer::{self, AnswerError};
use navi::backend::pane::Answer;
use std::path::PathBuf;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude-code").join(name);
    std::fs::read_to_string(path).unwrap()
}

/// A session whose pane shows `screen` and then waits, in a program named `claude` (a
/// `sleep` under that name: navi types only into what can be Claude Code); returns once
/// it is drawn.
fn showing(t: &TmuxServer, name: &str, screen: &str) {
    shown_by(t, name, screen, &stand_in(t).to_string_lossy());
}

/// `sleep`, under the name `claude`.
fn stand_in(t: &TmuxServer) -> PathBuf {
    let bin = t.dir.path().join("fake-bin");
    let claude = bin.join("claude");
    if !claude.exists() {
        std::fs::create_dir_all(&bin).unwrap();
        let sleep = String::from_utf8(
            std::process::Command::new("sh").args(["-c", "command -v sleep"]).output().unwrap().stdout,
        )
        .unwrap();
        std::os::unix::fs::symlink(sleep.trim(), &claude).unwrap();
    }
    claude
}

/// A session whose pane shows `screen`, then runs `then` (with the argument 600); returns
/// once it is drawn and `then` runs (until then navi would find `cat` or `sh` there).
fn shown_by(t: &TmuxServer, name: &str, screen: &str, then: &str) {
    let file = t.dir.path().join(format!("{name}.txt"));
    std::fs::write(&file, format!("{}\n", screen.trim_end())).unwrap();
    t.new_session(name, t.dir.path(), &format!("cat {}; exec {then} 600", file.display()));
    let last = screen.trim_end().lines().last().unwrap().trim().to_string();
    t.wait_text(&format!("={name}:"), &last, WAIT);
    let program = std::path::Path::new(then).file_name().unwrap().to_string_lossy().into_owned();
    t.wait_command(&format!("={name}:"), &program, WAIT);
}

/// What was typed into the pane since it was drawn (echoed by its terminal).
fn typed(t: &TmuxServer, name: &str) -> String {
    let target = format!("={name}:");
    t.tmux(&["send-keys", "-t", &target, "-l", "MARK"]);
    t.wait_text(&target, "MARK", WAIT);
    let screen = t.capture(&target);
    let line = screen.lines().find(|l| l.contains("MARK")).unwrap().to_string();
    line.trim_end().strip_suffix("MARK").unwrap().trim_start().to_string()
}

fn navi(t: &TmuxServer, args: &[&str]) -> (i32, String, String) {
    outcome(t.navi().args(args))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dialog_other_than_the_one_shown_gets_nothing() {
    let t = TmuxServer::new();
    showing(&t, "perm", &fixture("permission-dialog.txt"));
    let b = LocalBackend::new(t.sessions.clone(), Some(t.socket.clone()));
    let mut shown = answer::read(&b, "perm").await.unwrap();
    assert_eq!(shown.body, ["touch navi-perm-probe", "Run the probe command"]);
    shown.body[0] = "rm -rf something-else".into();
    match answer::answer(&b, "perm", Answer::Approve, Some(&shown)).await {
        Err(AnswerError::Changed { now, .. }) => assert!(now.contains("touch navi-perm-probe"), "{now}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(typed(&t, "perm"), "");
}

#[test]
fn always_without_such_a_choice_and_a_question_get_nothing() {
    let t = TmuxServer::new();
    let two = fixture("permission-dialog.txt")
        .replace("   2. Yes, and always allow access to repo/ from this project\n", "")
        .replace("3. No", "2. No");
    showing(&t, "two", &two);
    let (code, _, err) = navi(&t, &["approve", "--always", "two"]);
    assert_eq!(code, 1);
    assert!(err.contains("offers no \"Yes, and don't ask again\" choice") && err.contains("1. Yes / 2. No"), "{err}");
    assert_eq!(typed(&t, "two"), "");

    showing(&t, "ask", &fixture("askuserquestion-dialog.txt"));
    let (code, _, err) = navi(&t, &["approve", "ask"]);
    assert_eq!(code, 1);
    assert!(err.contains("a question from Claude Code") && err.contains("Which colour do you want?"), "{err}");
    assert_eq!(typed(&t, "ask"), "");
}

#[test]
fn a_dialog_that_stays_is_reported() {
    let t = TmuxServer::new();
    showing(&t, "stuck", &fixture("permission-dialog.txt"));
    let (code, _, err) = navi(&t, &["deny", "stuck"]);
    assert_eq!(code, 1);
    assert!(err.contains("pressed 3 (No)") && err.contains("still there"), "{err}");
    assert!(wait_for(WAIT, || t.capture("=stuck:").contains('3')));
    assert_eq!(typed(&t, "stuck"), "3", "the digit alone, no Enter");
}

#[test]
fn a_dialog_left_on_screen_by_an_exited_claude_code_or_shown_by_another_program_gets_nothing() {
    let t = TmuxServer::new();
    // Claude Code exited: its last screen stays above the shell's prompt.
    let screen = format!("{}\n", fixture("permission-dialog.txt").trim_end());
    let file = t.dir.path().join("left.txt");
    std::fs::write(&file, &screen).unwrap();
    t.new_session("left", t.dir.path(), &format!("cat {}; exec bash --norc", file.display()));
    t.wait_text("=left:", "Esc to cancel", WAIT);
    // Its prompt drawn: bash runs there (not `cat` or `sh` any more).
    t.wait_command("=left:", "bash", WAIT);
    assert!(wait_for(WAIT, || t.capture("=left:").trim_end().ends_with(['#', '$'])), "{}", t.capture("=left:"));
    for args in [&["approve", "left"][..], &["deny", "left"], &["approve", "--always", "left"]] {
        let (code, _, err) = navi(&t, args);
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains("nothing typed") && err.contains("a shell prompt (bash)"), "{err}");
    }
    // Only the prompt before the marker: nothing was typed at it.
    let line = typed(&t, "left");
    assert!(line.trim_end().ends_with(['#', '$']), "{line:?}");
    // A program that is not Claude Code printing one.
    shown_by(&t, "pager", &fixture("permission-dialog.txt"), "sleep");
    let (code, _, err) = navi(&t, &["approve", "pager"]);
    assert_eq!(code, 1);
    assert!(err.contains("sleep, not Claude Code"), "{err}");
    assert_eq!(typed(&t, "pager"), "");
    // Claude Code's pane in copy mode: the digit would be a repeat count.
    showing(&t, "copy", &fixture("permission-dialog.txt"));
    t.tmux(&["copy-mode", "-t", "=copy:"]);
    let (code, _, err) = navi(&t, &["approve", "copy"]);
    assert_eq!(code, 1);
    assert!(err.contains("copy mode"), "{err}");
}
