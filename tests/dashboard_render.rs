//! Rendering snapshots (TestBackend + insta) of the dashboard's main states. Times are
//! fixed by the model's clock and paths are fixed strings, so nothing varies per run.

use navi::app::dialog::Dialog;
use navi::app::input::{Key, KeyCode};
use navi::app::keys::KeyMap;
use navi::app::model::{GitKey, Model, SessionKey};
use navi::app::{Msg, update};
use navi::backend::{GitInfo, Session};
use navi::sessions::{Metrics, Status, StatusFile, TimeMetrics, ToolMetrics};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "dashboard_render/shells.rs"]
mod shells;
#[path = "dashboard_render/usage.rs"]
mod usage;

const NOW: i64 = 1_700_000_000;

fn session(name: &str, status: Status, age: i64, cwd: &str, msg: Option<&str>, remote: Option<&str>) -> Session {
    let mut f = StatusFile::new(name, status);
    f.timestamp = Some(NOW - age);
    f.cwd = Some(cwd.into());
    f.message = msg.map(str::to_string);
    Session { file: f, remote: remote.map(str::to_string) }
}

fn sessions() -> Vec<Session> {
    let mut api = session("api", Status::Waiting, 12, "/home/u/src/api", Some("Which database should I use?"), None);
    let mut tools = serde_json::Map::new();
    tools.insert("Bash".into(), 12.into());
    tools.insert("Edit".into(), 5.into());
    tools.insert("Read".into(), 9.into());
    api.file.metrics = Some(Metrics {
        time: Some(TimeMetrics {
            started: Some(NOW - 3900),
            total_seconds: 3900,
            working_seconds: 3000,
            waiting_seconds: 900,
            ..Default::default()
        }),
        tools: Some(ToolMetrics { recent: vec!["Edit".into(), "Bash".into()], counts: tools, ..Default::default() }),
        ..Default::default()
    });
    vec![
        api,
        session("web", Status::Working, 300, "/home/u/src/web", Some("Running the test suite"), None),
        session(
            "docs",
            Status::Done,
            3 * 3600,
            "/home/u/docs",
            Some("Updated the README and fixed two broken links"),
            None,
        ),
        session("hostile", Status::Permission, 40, "/tmp/x", Some("\x1b[31mred\x1b]0;pwned\x07 text\x1b[2J"), None),
        session("batch", Status::Idle, 90_000, "/srv/batch", None, Some("gpu-box")),
    ]
}

fn model(w: u16, h: u16) -> Model {
    let mut m =
        Model::new(KeyMap::default(), "/home/u".into(), "/home/u/src".into(), vec!["gpu-box".into(), "db".into()], NOW);
    update(&mut m, Msg::Resize(w, h));
    let (local, remote): (Vec<_>, Vec<_>) = sessions().into_iter().partition(|s| s.remote.is_none());
    update(&mut m, Msg::Listing { remote: None, result: Ok((local, vec![])) });
    update(&mut m, Msg::Listing { remote: Some("gpu-box".into()), result: Ok((remote, vec![])) });
    update(&mut m, Msg::Listing { remote: Some("db".into()), result: Err("connection refused".into()) });
    let info = GitInfo { branch: "main".into(), dirty: true, insertions: 3, deletions: 1, ..Default::default() };
    update(&mut m, Msg::Git { key: GitKey { remote: None, cwd: "/home/u/src/api".into() }, result: Ok(info) });
    m
}

fn key(m: &mut Model, k: Key) {
    update(m, Msg::Key(k));
}

fn render(m: &Model) -> String {
    let (w, h) = m.size;
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| navi::ui::draw(f, m)).unwrap();
    format!("{}", t.backend())
}

#[test]
fn list() {
    let m = model(100, 24);
    let out = render(&m);
    assert!(!out.contains('\x1b'), "an escape sequence reached the screen");
    insta::assert_snapshot!(out);
}

#[test]
fn list_at_60_columns() {
    insta::assert_snapshot!(render(&model(60, 24)));
}

#[test]
fn list_at_250_columns() {
    let out = render(&model(250, 20));
    assert!(out.lines().any(|l| l.contains("12s ago")));
}

#[test]
fn empty_state() {
    let mut m = Model::new(KeyMap::default(), "/home/u".into(), "/home/u".into(), vec![], NOW);
    update(&mut m, Msg::Resize(80, 20));
    update(&mut m, Msg::Listing { remote: None, result: Ok((vec![], vec![])) });
    insta::assert_snapshot!(render(&m));
}

fn with_preview(side: bool) -> Model {
    let mut m = model(100, 30);
    key(&mut m, Key::ch('p'));
    if !side {
        key(&mut m, Key::ch('L'));
    }
    let k = SessionKey { remote: None, name: "api".into() };
    let text = (1..=40).map(|i| format!("line {i} of the pane \x1b[1mbold\x1b[0m")).collect::<Vec<_>>().join("\n");
    update(&mut m, Msg::Preview { key: k, result: Ok(text) });
    m
}

#[test]
fn preview_side() {
    insta::assert_snapshot!(render(&with_preview(true)));
}

#[test]
fn preview_bottom() {
    insta::assert_snapshot!(render(&with_preview(false)));
}

#[test]
fn dialog_kill() {
    let mut m = model(80, 24);
    key(&mut m, Key::ch('x'));
    insta::assert_snapshot!(render(&m));
}

/// Two marked rows (one remote), then `a`: the confirmation shows each dialog as read
/// (hostile text sanitised), and the session without one with the reason.
#[test]
fn dialog_approve_on_marked_rows() {
    use navi::app::dialog::Found;
    use navi::backend::pane::{Answer, Choice};
    let mut m = model(100, 30);
    key(&mut m, Key::ch(' '));
    for _ in 0..4 {
        key(&mut m, Key::ch('j'));
    }
    key(&mut m, Key::ch(' '));
    let list = render(&m);
    assert!(list.contains("2 marked"), "{list}");
    let choice = |number, label: &str| Choice { number, label: label.into(), selected: number == 1 };
    let dialog = navi::backend::answer::Dialog {
        title: "Bash command".into(),
        body: vec!["rm -rf build \x1b[31mred".into(), "Clean the build".into()],
        question: "Do you want to proceed?".into(),
        choices: vec![
            choice(1, "Yes"),
            choice(2, "Yes, and always allow access to build/ from this project"),
            choice(3, "No"),
        ],
    };
    let found = vec![
        Found { key: SessionKey { remote: None, name: "api".into() }, dialog: Ok(dialog) },
        Found {
            key: SessionKey { remote: Some("gpu-box".into()), name: "batch".into() },
            dialog: Err("nothing typed: the pane of \"batch\" shows a shell prompt".into()),
        },
    ];
    update(&mut m, Msg::DialogsRead { answer: Answer::ApproveAlways, found });
    insta::assert_snapshot!(render(&m));
}

#[test]
fn dialog_rename_with_error() {
    let mut m = model(80, 24);
    key(&mut m, Key::ch('R'));
    for c in ":web".chars() {
        key(&mut m, Key::ch(c));
    }
    insta::assert_snapshot!(render(&m));
}

#[test]
fn dialog_new() {
    let mut m = model(80, 24);
    key(&mut m, Key::ch('n'));
    update(&mut m, Msg::DirChecked { dir: "~/src".into(), exists: true });
    key(&mut m, Key::plain(KeyCode::Tab));
    key(&mut m, Key::plain(KeyCode::Backspace));
    update(&mut m, Msg::DirChecked { dir: "~/sr".into(), exists: false });
    insta::assert_snapshot!(render(&m));
}

#[test]
fn dialog_send() {
    let mut m = model(80, 24);
    key(&mut m, Key::ch('m'));
    for c in "run the tests".chars() {
        key(&mut m, Key::ch(c));
    }
    insta::assert_snapshot!(render(&m));
}

#[test]
fn dialog_send_multi_line() {
    let mut m = model(80, 24);
    key(&mut m, Key::ch('m'));
    for (i, line) in ["run the tests", "then fix what fails", "and commit"].iter().enumerate() {
        if i > 0 {
            key(&mut m, Key { code: KeyCode::Enter, ctrl: false, alt: true });
        }
        for c in line.chars() {
            key(&mut m, Key::ch(c));
        }
    }
    insta::assert_snapshot!(render(&m));
}

#[test]
fn dialog_git() {
    let mut m = model(90, 26);
    key(&mut m, Key::ch('G'));
    let info = GitInfo {
        branch: "feat/login".into(),
        dirty: true,
        changed_files: 1,
        insertions: 1,
        deletions: 1,
        remote_url: Some("git@github.com:o/r.git".into()),
        last_commit: Some("abc1234 Add login form".into()),
        ahead: Some(2),
        behind: Some(0),
        pr: None,
        diff: Some(" a.rs | 2 +-\n\ndiff --git a/a.rs b/a.rs\n@@ -1 +1 @@\n-old \x1b[31mline\n+new line".into()),
        ..Default::default()
    };
    let k = SessionKey { remote: None, name: "api".into() };
    update(&mut m, Msg::GitDetail { key: k, result: Ok(info) });
    let out = render(&m);
    assert!(!out.contains('\x1b'));
    insta::assert_snapshot!(out);
}

#[test]
fn dialog_metrics() {
    let mut m = model(90, 26);
    key(&mut m, Key::ch('i'));
    assert!(matches!(m.dialog, Some(Dialog::Metrics { .. })));
    insta::assert_snapshot!(render(&m));
}

#[test]
fn help_overlay() {
    let mut m = model(100, 50);
    key(&mut m, Key::ch('?'));
    insta::assert_snapshot!(render(&m));
}

#[test]
fn search_and_filters_in_header_and_footer() {
    let mut m = model(100, 24);
    key(&mut m, Key::ch('/'));
    for c in "we".chars() {
        key(&mut m, Key::ch(c));
    }
    key(&mut m, Key::plain(KeyCode::Enter));
    key(&mut m, Key::ch('o'));
    insta::assert_snapshot!(render(&m));
}

#[test]
fn tiny_and_odd_sizes_never_panic() {
    let openers: &[&[Key]] = &[
        &[],
        &[Key::ch('p')],
        &[Key::ch('p'), Key::ch('L')],
        &[Key::ch('x')],
        &[Key::ch('R')],
        &[Key::ch('n')],
        &[Key::ch('m')],
        &[Key::ch('G')],
        &[Key::ch('i')],
        &[Key::ch('?')],
        &[Key::ch('/'), Key::ch('a')],
    ];
    for (w, h) in [(1, 1), (2, 2), (10, 3), (20, 5), (30, 8), (59, 12), (61, 40), (250, 3)] {
        for keys in openers {
            let mut m = model(w, h);
            for k in *keys {
                key(&mut m, *k);
            }
            for _ in 0..3 {
                key(&mut m, Key::ch('j'));
                key(&mut m, Key::plain(KeyCode::PageDown));
            }
            let _ = render(&m);
        }
    }
}

#[test]
fn dialog_host_key() {
    let mut m = model(100, 24);
    let prompt = navi::app::remotes::HostKeyPrompt {
        remote: "db".into(),
        hop: "remote db".into(),
        host: "10.0.0.5".into(),
        port: 2222,
        algorithm: "ssh-ed25519".into(),
        fingerprint: "SHA256:Zm9vYmFyYmF6cXV4".into(),
        key: "ssh-ed25519 AAAAZm9v".into(),
        known_hosts: "/home/u/.ssh/known_hosts".into(),
    };
    update(&mut m, Msg::UnknownHostKey(prompt));
    insta::assert_snapshot!(render(&m));
}

#[test]
fn hostile_numbers_and_status_never_break_a_frame() {
    let mut m = Model::new(KeyMap::default(), "/home/u".into(), "/home/u".into(), vec![], NOW);
    update(&mut m, Msg::Resize(100, 30));
    let mut s = session("odd", Status::Other("\x1b[2Jevil\u{202E}txt".into()), 0, "/tmp", None, None);
    s.file.timestamp = Some(i64::MIN);
    let mut tools = serde_json::Map::new();
    tools.insert("Bash".into(), u64::MAX.into());
    tools.insert("Edit".into(), u64::MAX.into());
    s.file.metrics = Some(Metrics {
        time: Some(TimeMetrics { started: Some(i64::MIN), total_seconds: i64::MAX, ..Default::default() }),
        tools: Some(ToolMetrics { counts: tools, ..Default::default() }),
        ..Default::default()
    });
    update(&mut m, Msg::Listing { remote: None, result: Ok((vec![s], vec![])) });
    let list = render(&m);
    assert!(list.contains("evil") && !list.contains('\u{1b}') && !list.contains('\u{202E}'), "{list}");
    assert!(list.contains(&format!("{} tools", u64::MAX)), "{list}");
    key(&mut m, Key::ch('i'));
    assert!(matches!(m.dialog, Some(Dialog::Metrics { .. })));
    let metrics = render(&m);
    assert!(metrics.contains("Bash") && !metrics.contains('\u{1b}'), "{metrics}");
}

/// A worktree session: its row (mark and branch), `G` with the base, and the finish choice.
#[test]
fn worktree_session_row_git_and_finish() {
    let mut m = Model::new(KeyMap::default(), "/home/u".into(), "/home/u/src".into(), vec![], NOW);
    update(&mut m, Msg::Resize(90, 24));
    let mut s = session("login", Status::Working, 30, "/home/u/src/app.worktrees/login", Some("Adding tests"), None);
    s.file.set_worktree(&navi::sessions::worktree::Worktree {
        path: "/home/u/src/app.worktrees/login".into(),
        branch: "navi/login".into(),
        base: "main".into(),
        repo: "/home/u/src/app".into(),
    });
    let plain = session("web", Status::Done, 300, "/home/u/src/web", None, None);
    update(&mut m, Msg::Listing { remote: None, result: Ok((vec![s, plain], vec![])) });
    let list = render(&m);
    assert!(list.contains("login ⎇ navi/login"), "{list}");

    key(&mut m, Key::ch('G'));
    let info = GitInfo {
        branch: "navi/login".into(),
        base: Some("main".into()),
        base_ahead: Some(2),
        base_behind: Some(1),
        commits: vec!["b2c3d4e Test the login form".into(), "a1b2c3d Add the login form".into()],
        diff: Some(" a.rs | 1 +\n\ndiff --git a/a.rs b/a.rs\n@@ -0,0 +1 @@\n+login".into()),
        ..Default::default()
    };
    let k = SessionKey { remote: None, name: "login".into() };
    update(&mut m, Msg::GitDetail { key: k, result: Ok(info) });
    insta::assert_snapshot!("worktree_git", render(&m));
    key(&mut m, Key::plain(KeyCode::Esc));
    key(&mut m, Key::ch('F'));
    insta::assert_snapshot!("worktree_finish", render(&m));
    key(&mut m, Key::plain(KeyCode::Esc));
    key(&mut m, Key::ch('n'));
    for _ in 0..3 {
        key(&mut m, Key::plain(KeyCode::Tab));
    }
    key(&mut m, Key::ch(' '));
    key(&mut m, Key::plain(KeyCode::Tab));
    for c in "feat x".chars() {
        key(&mut m, Key::ch(c));
    }
    insta::assert_snapshot!("worktree_new_form", render(&m));
}
