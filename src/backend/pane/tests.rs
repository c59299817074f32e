//! The reader on every captured screen of the real Claude Code 2.1.197 (and screens built
//! from them), and the policy on what those screens say about a status file.

use super::*;
use crate::sessions::{Status, StatusFile};
use std::path::PathBuf;

pub(super) fn screen(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude-code").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(super) fn choice(number: u32, label: &str, selected: bool) -> Choice {
    Choice { number, label: label.into(), selected }
}

fn input(text: &str, interrupted: bool) -> PaneView {
    PaneView::Input { text: text.into(), interrupted }
}

fn busy(spinner: &str) -> PaneView {
    PaneView::Busy { spinner: spinner.into() }
}

fn shell(last: Option<&str>) -> PaneView {
    PaneView::Shell { last_line: last.map(str::to_string) }
}

/// Every captured screen and what it shows; a new capture without a line here fails.
#[test]
fn every_captured_screen_is_read() {
    let want = [
        (
            "askuserquestion-dialog.txt",
            PaneView::Question {
                header: Some("Colour".into()),
                question: "Which colour do you want?".into(),
                choices: vec![
                    choice(1, "Red", true),
                    choice(2, "Blue", false),
                    choice(3, "Type something.", false),
                    choice(4, "Chat about this", false),
                ],
            },
        ),
        (
            "permission-dialog.txt",
            PaneView::Permission {
                title: "Bash command".into(),
                body: vec!["touch navi-perm-probe".into(), "Run the probe command".into()],
                question: "Do you want to proceed?".into(),
                choices: vec![
                    choice(1, "Yes", true),
                    choice(2, "Yes, and always allow access to repo/ from this project", false),
                    choice(3, "No", false),
                ],
            },
        ),
        ("plan-approval-dialog.txt", PaneView::Plan { choices: vec![choice(1, "Yes", true), choice(2, "No", false)] }),
        ("screens/busy-long.txt", busy("✢ Discombobulating… (37s)")),
        ("screens/busy-spinner.txt", busy("✻ Wrangling…")),
        ("screens/busy-typed.txt", busy("✻ Wrangling…")),
        ("screens/exited-resume.txt", shell(Some("claude --resume 94898bab-eaff-45c3-bb6e-3965f934818f"))),
        ("screens/idle-after-turn.txt", input("", false)),
        ("screens/idle-typed.txt", input("say hi", false)),
        ("screens/idle-welcome.txt", input("", false)),
        ("screens/interrupted-typed.txt", input("queued text", true)),
        ("screens/mention-menu.txt", input("@", false)),
        ("screens/mention-pasted.txt", input("please read @README.md", false)),
        ("screens/multiline-typed.txt", input("first line\nsecond line", false)),
        ("screens/not-found.txt", shell(Some("-bash: claude: command not found"))),
        ("screens/permission-refused.txt", input("", true)),
        (
            "screens/permission-write.txt",
            PaneView::Permission {
                title: "Create file".into(),
                body: vec!["notes.txt".into(), "1 first line".into(), "2 second line".into()],
                question: "Do you want to create notes.txt?".into(),
                choices: vec![
                    choice(1, "Yes", true),
                    choice(2, "Yes, allow all edits during this session (shift+tab)", false),
                    choice(3, "No", false),
                ],
            },
        ),
        (
            "screens/plan-mode-approval.txt",
            PaneView::Plan { choices: vec![choice(1, "Yes", true), choice(2, "No", false)] },
        ),
        ("screens/plan-mode-idle.txt", input("", false)),
        ("screens/plan-rejected.txt", input("", true)),
        (
            "screens/root-refused.txt",
            shell(Some("--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons")),
        ),
        ("screens/slash-menu-long.txt", input("/cl", false)),
        ("screens/slash-menu.txt", input("/clear", false)),
    ];
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude-code");
    let mut found: Vec<String> = ["", "screens/"]
        .iter()
        .flat_map(|sub| {
            std::fs::read_dir(dir.join(sub)).unwrap().filter_map(move |e| {
                let name = e.unwrap().file_name().to_string_lossy().to_string();
                name.ends_with(".txt").then(|| format!("{sub}{name}"))
            })
        })
        .collect();
    found.sort();
    assert_eq!(found, want.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>());
    for (name, view) in want {
        let text = screen(name);
        assert_eq!(read(&text), view, "{name}");
        // `capture-pane -J` pads every row to the pane's width: same reading.
        let padded: String = text.lines().map(|l| format!("{l:<140}\n")).collect();
        assert_eq!(read(&padded), view, "{name}, padded");
    }
}

#[test]
fn the_input_box_text_is_there_while_a_turn_runs_and_absent_in_a_dialog() {
    assert_eq!(input_text(&screen("screens/busy-typed.txt")).as_deref(), Some("queued text"));
    assert_eq!(input_text(&screen("screens/busy-spinner.txt")).as_deref(), Some(""));
    assert_eq!(input_text(&screen("screens/idle-typed.txt")).as_deref(), Some("say hi"));
    assert_eq!(input_text(&screen("permission-dialog.txt")), None);
    assert_eq!(input_text(&screen("screens/not-found.txt")), None);
}

#[test]
fn every_spinner_glyph_and_form_is_busy_and_the_finished_form_is_not() {
    let base = screen("screens/busy-spinner.txt");
    for line in [
        "· Thinking…",
        "✢ Pondering… (esc to interrupt)",
        "✳ Baking… (3s · ↓ 12 tokens)",
        "✶ Brewing…",
        "✽ Cooking…",
        "* Musing... (1s)",
    ] {
        let text = base.replace("✻ Wrangling…", line).replace("esc to interrupt ·", "");
        assert_eq!(read(&text), busy(line), "{line}");
    }
    // The spinner scrolled away: the footer still says a turn runs.
    let text = base.replace("✻ Wrangling…", "");
    assert_eq!(read(&text), busy("esc to interrupt"));
    // The finished form, with no footer hint, is a quiet box.
    let text = base.replace("✻ Wrangling…", "✻ Baked for 0s").replace("esc to interrupt ·", "");
    assert_eq!(read(&text), input("", false));
}

#[test]
fn old_dialogs_and_prompts_in_the_history_do_not_count() {
    let text = screen("screens/idle-after-turn.txt").replace(
        "● Hi from the stand-in model.",
        "● Do you want to proceed?\n ❯ 1. Yes\n   2. No\n ☐ Colour\nWhich?\n❯ 1. Red\n  2. Blue",
    );
    assert_eq!(read(&text), input("", false));
}

#[test]
fn shells_and_the_unknown() {
    assert_eq!(
        read("me@box ~ % claude\nzsh: command not found: claude\nme@box ~ %"),
        shell(Some("zsh: command not found: claude"))
    );
    assert_eq!(read("$ claude\n$ "), shell(None), "the command echo is no output");
    assert_eq!(read("$"), shell(None));
    // Claude Code gone without a word, its last box still on screen, a prompt that starts
    // with its folder below: not a completions menu under a box.
    let rule = "─".repeat(40);
    let gone = format!("● Done.\n\n{rule}\n❯\u{a0}\n{rule}\n  ? for shortcuts\n/tmp/repo$");
    assert!(matches!(read(&gone), PaneView::Shell { .. }), "{:?}", read(&gone));
    assert_eq!(read(""), PaneView::Unknown);
    assert_eq!(read("root@vm:/w# claude\n\n\n"), PaneView::Unknown, "starting: only the typed command");
    assert_eq!(read("Compiling navi v0.1.0\n   Building [=====>   ] 12/40"), PaneView::Unknown);
    // A prompt sign alone is a shell only when no Claude Code box frames it.
    let text = screen("screens/idle-welcome.txt");
    assert!(matches!(read(&text), PaneView::Input { .. }));
}

fn file(status: Status, message: Option<&str>, timestamp: i64) -> StatusFile {
    let mut f = StatusFile::new("s", status);
    f.message = message.map(str::to_string);
    f.timestamp = Some(timestamp);
    f
}

fn fix(f: &StatusFile, screen_name: &str, now: i64) -> Option<(String, Option<String>)> {
    correct(f, &read(&screen(screen_name)), now, &Thresholds::default()).map(|c| (c.status.to_string(), c.message))
}

fn to(status: &str, message: Option<&str>) -> Option<(String, Option<String>)> {
    Some((status.into(), message.map(str::to_string)))
}

#[test]
fn a_question_whose_dialog_is_gone_is_over() {
    let perm = file(Status::Permission, Some("Permission needed: Bash (touch x)"), 100);
    assert_eq!(fix(&perm, "permission-dialog.txt", 200), None, "still asked");
    assert_eq!(fix(&perm, "screens/busy-spinner.txt", 110), to("working", None), "granted: the tool runs");
    assert_eq!(fix(&perm, "screens/busy-spinner.txt", 101), None, "too fresh: the dialog may not be drawn yet");
    assert_eq!(fix(&perm, "screens/permission-refused.txt", 104), to("idle", Some("Interrupted")), "refused");
    assert_eq!(fix(&perm, "screens/interrupted-typed.txt", 104), to("idle", Some("Interrupted")), "Esc");
    assert_eq!(fix(&perm, "screens/idle-after-turn.txt", 105), to("working", None));
    assert_eq!(fix(&perm, "screens/idle-after-turn.txt", 130), to("idle", None), "quiet for long: idle");
    let question = file(Status::Waiting, Some("Which colour do you want? [Red / Blue]"), 100);
    assert_eq!(fix(&question, "askuserquestion-dialog.txt", 500), None);
    assert_eq!(fix(&question, "screens/busy-long.txt", 110), to("working", None));
    let plan = file(Status::Waiting, Some("Plan ready for approval: 1. Touch a file"), 100);
    assert_eq!(fix(&plan, "plan-approval-dialog.txt", 500), None);
    assert_eq!(fix(&plan, "screens/plan-rejected.txt", 104), to("idle", Some("Interrupted")), "Esc on the plan");
    assert_eq!(fix(&plan, "screens/not-found.txt", 500), None, "a shell says nothing about a question");
}

#[test]
fn a_working_session_at_a_quiet_box_is_idle() {
    let work = file(Status::Working, Some("All tests pass"), 100);
    assert_eq!(fix(&work, "screens/busy-long.txt", 500), None);
    assert_eq!(fix(&work, "screens/idle-after-turn.txt", 110), None, "not quiet long enough");
    assert_eq!(fix(&work, "screens/idle-after-turn.txt", 121), to("idle", Some("All tests pass")));
    assert_eq!(fix(&work, "screens/interrupted-typed.txt", 121), to("idle", Some("Interrupted")));
    let started = file(Status::Working, Some(STARTING), 100);
    assert_eq!(fix(&started, "screens/idle-welcome.txt", 130), to("idle", None));
    for done in [Status::Done, Status::Idle, Status::Error, Status::Offline] {
        assert_eq!(fix(&file(done.clone(), None, 100), "screens/busy-spinner.txt", 500), None, "{done}");
    }
}

#[test]
fn a_session_that_never_started_is_an_error_with_the_reason() {
    let started = file(Status::Working, Some(STARTING), 100);
    assert_eq!(fix(&started, "screens/not-found.txt", 105), None, "give it time");
    assert_eq!(fix(&started, "screens/not-found.txt", 110), to("error", Some("-bash: claude: command not found")));
    assert_eq!(
        fix(&started, "screens/root-refused.txt", 110),
        to(
            "error",
            Some("--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons")
        )
    );
    let f = correct(&started, &shell(None), 110, &Thresholds::default()).unwrap();
    assert_eq!(f.message.as_deref(), Some("Claude Code did not start: the pane shows a shell prompt"));
    // A running session whose Claude Code died without SessionEnd.
    let work = file(Status::Working, None, 100);
    assert_eq!(fix(&work, "screens/exited-resume.txt", 110), None);
    assert_eq!(
        fix(&work, "screens/exited-resume.txt", 130),
        to("error", Some("claude --resume 94898bab-eaff-45c3-bb6e-3965f934818f"))
    );
}

#[test]
fn only_statuses_that_may_be_stale_are_looked_at() {
    let t = Thresholds::default();
    let now = 1000;
    let look = |status: Status, message: Option<&str>, age: i64| needs_look(&file(status, message, now - age), now, &t);
    assert!(look(Status::Permission, Some("Bash (touch x)"), 5));
    assert!(look(Status::Waiting, None, 5));
    assert!(!look(Status::Permission, None, 1), "a hook just wrote it");
    assert!(!look(Status::Working, Some("Bash"), 10), "a turn with recent events");
    assert!(look(Status::Working, Some("Bash"), 20));
    assert!(look(Status::Working, Some(STARTING), 10), "a start that takes long");
    for quiet in [Status::Idle, Status::Done, Status::Error, Status::Offline] {
        assert!(!look(quiet.clone(), None, 500), "{quiet:?}");
    }
    // Another agent's screen is not Claude Code's: only a start that never came is looked at.
    let codex = |status: Status, message: Option<&str>| {
        let mut f = file(status, message, now - 500);
        crate::sessions::agent::set_agent(&mut f, crate::sessions::agent::Agent::Codex);
        needs_look(&f, now, &t)
    };
    assert!(!codex(Status::Permission, Some("Bash (touch x)")));
    assert!(!codex(Status::Working, Some("Bash")));
    assert!(codex(Status::Working, Some(STARTING)));
}

#[test]
fn a_host_with_many_stale_sessions_gets_a_bounded_number_of_captures_questions_first() {
    let t = Thresholds::default();
    let now = 10_000;
    let mut files: Vec<StatusFile> = (0..40).map(|i| file(Status::Working, None, now - 100 - i)).collect();
    files.push(file(Status::Permission, None, now - 5));
    files.push(file(Status::Idle, None, now - 900));
    let picked = crate::backend::panecheck::candidates(&files, now, &t);
    assert_eq!(picked.len(), crate::backend::panecheck::MAX_CAPTURES);
    assert_eq!(picked[0].status, Status::Permission);
    assert!(picked.iter().all(|f| f.status != Status::Idle));
}
