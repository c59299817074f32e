//! Agent shells in the pure update: their group below the sessions, the header never
//! selected, attach and kill on their rows, session-only keys refused in the footer,
//! filters and listings.

use navi::app::dialog::Dialog;
use navi::app::input::{Key, KeyCode, Mouse, MouseKind};
use navi::app::keys::KeyMap;
use navi::app::model::{Location, Model, Row, SessionKey};
use navi::app::{Effect, Msg, Update, update};
use navi::backend::Session;
use navi::backend::agent_shells::AgentShell;
use navi::sessions::{Status, StatusFile};

const NOW: i64 = 1_700_000_000;

fn session(name: &str, remote: Option<&str>) -> Session {
    let mut f = StatusFile::new(name, Status::Waiting);
    f.timestamp = Some(NOW - 10);
    Session { file: f, remote: remote.map(str::to_string) }
}

fn shell(name: &str, remote: Option<&str>) -> AgentShell {
    AgentShell {
        remote: remote.map(str::to_string),
        name: name.into(),
        command: "sleep".into(),
        cwd: "/work".into(),
        idle_seconds: 65,
        attached: false,
        created: Some(NOW - 100),
        dead: false,
    }
}

/// Sessions alpha (local) and far (box); shells a-00000002 (local), a-00000001 (box).
fn model() -> Model {
    let mut m = Model::new(KeyMap::default(), "/home/u".into(), "/src".into(), vec!["box".into()], NOW);
    update(&mut m, Msg::Resize(100, 40));
    // Shells first, as they may arrive: the sessions still get the selection.
    update(&mut m, Msg::Shells { remote: None, result: Ok(vec![shell("a-00000002", None)]) });
    update(&mut m, Msg::Shells { remote: Some("box".into()), result: Ok(vec![shell("a-00000001", Some("box"))]) });
    update(&mut m, Msg::Listing { remote: None, result: Ok((vec![session("alpha", None)], vec![])) });
    update(
        &mut m,
        Msg::Listing { remote: Some("box".into()), result: Ok((vec![session("far", Some("box"))], vec![])) },
    );
    m
}

/// The visible rows as text: a session's name, `--` for the header, `$name@host` a shell.
fn rows(m: &Model) -> Vec<String> {
    m.visible
        .iter()
        .map(|i| match &m.rows[*i] {
            Row::Session(s) => s.name().to_string(),
            Row::ShellsHeader => "--".into(),
            Row::Shell(s) => format!("${}@{}", s.name, s.host()),
            Row::Unreachable { remote, .. } => format!("!{remote}"),
        })
        .collect()
}

fn selected(m: &Model) -> String {
    rows(m)[m.selected].clone()
}

fn ch(m: &mut Model, c: char) -> Update {
    update(m, Msg::Key(Key::ch(c)))
}

fn shell_key(name: &str, remote: Option<&str>) -> SessionKey {
    SessionKey { remote: remote.map(str::to_string), name: name.into() }
}

#[test]
fn shells_are_a_group_below_the_sessions_and_the_header_is_never_selected() {
    let mut m = model();
    assert_eq!(rows(&m), ["alpha", "far", "--", "$a-00000002@local", "$a-00000001@box"]);
    assert_eq!(selected(&m), "alpha", "the first session, though the shells were listed first");
    ch(&mut m, 'j');
    ch(&mut m, 'j');
    assert_eq!(selected(&m), "$a-00000002@local", "down steps over the header");
    ch(&mut m, 'k');
    assert_eq!(selected(&m), "far", "and so does up");
    ch(&mut m, 'k');
    ch(&mut m, 'k');
    assert_eq!(selected(&m), "$a-00000001@box", "up from the top wraps to the last shell");
    // A click on the header selects nothing; a double click on a shell attaches it.
    let click = |row: u16, at_ms: u64| Msg::Mouse(Mouse { kind: MouseKind::Click, col: 5, row, at_ms });
    let before = m.selected;
    assert_eq!(update(&mut m, click(1 + 2 * 3, 0)), Update::default());
    assert_eq!(m.selected, before);
    update(&mut m, click(1 + 3 * 3, 1000));
    let up = update(&mut m, click(1 + 3 * 3, 1100));
    assert_eq!(selected(&m), "$a-00000002@local");
    assert!(up.effects.contains(&Effect::AttachShell(shell_key("a-00000002", None))), "{up:?}");
}

#[test]
fn attach_and_kill_act_on_the_shell_and_session_keys_say_they_do_not_apply() {
    let mut m = model();
    ch(&mut m, 'k');
    assert_eq!(selected(&m), "$a-00000001@box");
    let up = update(&mut m, Msg::Key(Key::plain(KeyCode::Enter)));
    assert_eq!(up.effects, [Effect::AttachShell(shell_key("a-00000001", Some("box")))]);
    ch(&mut m, 'x');
    match &m.dialog {
        Some(Dialog::Confirm { text, effect, .. }) => {
            assert!(text.contains("a-00000001") && text.contains("on box"), "{text}");
            assert_eq!(*effect, Effect::KillShell(shell_key("a-00000001", Some("box"))));
        }
        other => panic!("{other:?}"),
    }
    let up = ch(&mut m, 'y');
    assert_eq!(up.effects, [Effect::KillShell(shell_key("a-00000001", Some("box")))]);
    for (c, what) in [('R', "rename"), ('d', "dismiss"), ('a', "approve"), ('D', "deny"), ('m', "send"), (' ', "mark")]
    {
        let up = ch(&mut m, c);
        assert!(up.effects.is_empty() && m.dialog.is_none(), "{c:?}: {up:?}");
        let status = m.status.as_ref().map(|s| s.text.clone()).unwrap_or_default();
        assert!(status.starts_with(&format!("{what} does not apply to an agent shell")), "{c:?}: {status}");
    }
    assert!(m.marks.is_empty());
}

#[test]
fn filters_hide_shells_as_they_hide_sessions_and_listings_replace_them() {
    let mut m = model();
    ch(&mut m, 'f');
    assert_eq!(m.location, Location::Local);
    assert_eq!(rows(&m), ["alpha", "--", "$a-00000002@local"]);
    ch(&mut m, 'f');
    assert_eq!(rows(&m), ["far", "--", "$a-00000001@box"]);
    ch(&mut m, 'f');
    // A status filter: shells have no status.
    ch(&mut m, '1');
    assert_eq!(rows(&m), ["alpha", "far"], "no header without shells under it");
    ch(&mut m, '0');
    // A shell killed elsewhere is gone with the next listing; a failed listing shows none.
    update(&mut m, Msg::Shells { remote: None, result: Ok(vec![]) });
    assert_eq!(rows(&m), ["alpha", "far", "--", "$a-00000001@box"]);
    update(&mut m, Msg::Shells { remote: Some("box".into()), result: Err("box unreachable".into()) });
    assert_eq!(rows(&m), ["alpha", "far"]);
    // The same listing again draws nothing new.
    let again = update(&mut m, Msg::Shells { remote: None, result: Ok(vec![]) });
    assert_eq!(again, Update::default());
}

#[test]
fn a_selected_shell_keeps_the_selection_across_listings() {
    let mut m = model();
    ch(&mut m, 'k');
    let mut moved = shell("a-00000001", Some("box"));
    moved.idle_seconds = 3;
    update(&mut m, Msg::Shells { remote: Some("box".into()), result: Ok(vec![moved]) });
    update(
        &mut m,
        Msg::Listing { remote: None, result: Ok((vec![session("alpha", None), session("zed", None)], vec![])) },
    );
    assert_eq!(selected(&m), "$a-00000001@box");
}
