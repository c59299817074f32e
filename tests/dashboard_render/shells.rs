//! Agent shells as drawn: their group's header below the sessions, each row's host,
//! name, command, directory and idle time, cut to narrow widths, hostile text cleaned.

use super::{NOW, key, render};
use navi::app::input::Key;
use navi::app::keys::KeyMap;
use navi::app::model::Model;
use navi::app::{Msg, update};
use navi::backend::Session;
use navi::backend::agent_shells::AgentShell;
use navi::sessions::{Status, StatusFile};

fn shell(name: &str, remote: Option<&str>, command: &str, cwd: &str, idle: i64) -> AgentShell {
    AgentShell {
        remote: remote.map(str::to_string),
        name: name.into(),
        command: command.into(),
        cwd: cwd.into(),
        idle_seconds: idle,
        attached: false,
        created: Some(NOW - 1000),
        dead: false,
    }
}

fn model(w: u16, h: u16) -> Model {
    let mut m = Model::new(KeyMap::default(), "/home/u".into(), "/home/u".into(), vec!["gpu-box".into()], NOW);
    update(&mut m, Msg::Resize(w, h));
    let mut f = StatusFile::new("api", Status::Waiting);
    f.timestamp = Some(NOW - 12);
    f.cwd = Some("/home/u/src/api".into());
    f.message = Some("Which database should I use?".into());
    update(&mut m, Msg::Listing { remote: None, result: Ok((vec![Session { file: f, remote: None }], vec![])) });
    let local = vec![shell("a-0123abcd", None, "cargo", "/home/u/src/app", 12)];
    update(&mut m, Msg::Shells { remote: None, result: Ok(local) });
    let mut far = shell("a-89abcdef", Some("gpu-box"), "bash", "/srv/data/a very long directory name/with more", 242);
    far.attached = true;
    let mut ended = shell("a-00000001", Some("gpu-box"), "bash", "/srv", 90_000);
    ended.dead = true;
    update(&mut m, Msg::Shells { remote: Some("gpu-box".into()), result: Ok(vec![far, ended]) });
    m
}

#[test]
fn shells_below_the_sessions() {
    let mut m = model(100, 20);
    key(&mut m, Key::ch('j'));
    let out = render(&m);
    assert!(out.contains("agent shells (3)"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn shells_at_40_columns() {
    insta::assert_snapshot!(render(&model(40, 20)));
}
