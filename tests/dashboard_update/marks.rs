//! Marks and the approve / deny confirmation, in the pure update: keys and background
//! results in, state and effects out.

use navi::app::dialog::{Dialog, Found};
use navi::app::input::Key;
use navi::app::keys::KeyMap;
use navi::app::model::{Model, SessionKey};
use navi::app::{Effect, Msg, Update, update};
use navi::backend::Session;
use navi::backend::answer::Dialog as PermissionDialog;
use navi::backend::pane::{Answer, Choice};
use navi::sessions::{Status, StatusFile};

const NOW: i64 = 1_700_000_000;

fn s(name: &str, status: Status, age: i64, remote: Option<&str>) -> Session {
    let mut f = StatusFile::new(name, status);
    f.timestamp = Some(NOW - age);
    Session { file: f, remote: remote.map(str::to_string) }
}

fn key(name: &str, remote: Option<&str>) -> SessionKey {
    SessionKey { remote: remote.map(str::to_string), name: name.into() }
}

/// beta (permission), alpha (waiting), gamma on box (done); in that order on screen.
fn model() -> Model {
    let mut m = Model::new(KeyMap::default(), "/home/u".into(), "/src".into(), vec!["box".into()], NOW);
    update(&mut m, Msg::Resize(100, 40));
    let local = vec![s("alpha", Status::Waiting, 50, None), s("beta", Status::Permission, 10, None)];
    update(&mut m, Msg::Listing { remote: None, result: Ok((local, vec![])) });
    let far = vec![s("gamma", Status::Done, 100, Some("box"))];
    update(&mut m, Msg::Listing { remote: Some("box".into()), result: Ok((far, vec![])) });
    m
}

fn ch(m: &mut Model, c: char) -> Update {
    update(m, Msg::Key(Key::ch(c)))
}

fn dialog() -> PermissionDialog {
    let choice = |number, label: &str| Choice { number, label: label.into(), selected: number == 1 };
    PermissionDialog {
        title: "Bash command".into(),
        body: vec!["touch x".into(), "Make x".into()],
        question: "Do you want to proceed?".into(),
        choices: vec![choice(1, "Yes"), choice(2, "Yes, and always allow access to x/"), choice(3, "No")],
    }
}

#[test]
fn without_marks_actions_use_the_selected_row_as_before() {
    let mut m = model();
    assert_eq!(ch(&mut m, 'd').effects, vec![Effect::Dismiss(key("beta", None))]);
    let up = ch(&mut m, 'a');
    assert_eq!(up.effects, vec![Effect::ReadDialogs { keys: vec![key("beta", None)], answer: Answer::Approve }]);
    assert_eq!(
        ch(&mut m, 'D').effects,
        vec![Effect::ReadDialogs { keys: vec![key("beta", None)], answer: Answer::Deny }]
    );
}

#[test]
fn marks_survive_relisting_vanish_with_their_rows_and_go_after_the_action() {
    let mut m = model();
    ch(&mut m, ' ');
    ch(&mut m, 'j');
    ch(&mut m, 'j');
    ch(&mut m, ' ');
    assert_eq!(m.marks.len(), 2);
    ch(&mut m, 'j');
    ch(&mut m, ' ');
    ch(&mut m, ' ');
    assert_eq!(m.marks.len(), 2, "space again unmarks");

    // The same listing again: kept. The remote's row gone: its mark goes too.
    let local = vec![s("alpha", Status::Waiting, 50, None), s("beta", Status::Permission, 10, None)];
    update(&mut m, Msg::Listing { remote: None, result: Ok((local, vec![])) });
    assert!(m.marks.contains(&key("gamma", Some("box"))));
    update(&mut m, Msg::Listing { remote: Some("box".into()), result: Ok((vec![], vec![])) });
    assert_eq!(m.marks.iter().cloned().collect::<Vec<_>>(), vec![key("beta", None)]);

    ch(&mut m, 'j');
    ch(&mut m, ' ');
    // One confirmation that lists both, in list order; nothing until it is answered.
    let up = ch(&mut m, 'x');
    assert!(up.effects.is_empty());
    let Some(Dialog::Confirm { text, .. }) = &m.dialog else { panic!("no confirmation: {:?}", m.dialog) };
    assert!(text.contains("these 2 sessions") && text.contains("beta") && text.contains("alpha"), "{text}");
    ch(&mut m, 'n');
    assert_eq!(m.marks.len(), 2, "no: the marks stay");
    ch(&mut m, 'x');
    let up = ch(&mut m, 'y');
    assert_eq!(
        up.effects,
        vec![Effect::Batch(vec![Effect::Kill(key("beta", None)), Effect::Kill(key("alpha", None))])]
    );
    assert!(m.marks.is_empty());
}

#[test]
fn approve_shows_each_dialog_then_answers_only_the_dialogs_shown() {
    let mut m = model();
    ch(&mut m, ' ');
    ch(&mut m, 'j');
    ch(&mut m, ' ');
    let up = ch(&mut m, 'A');
    let keys = vec![key("beta", None), key("alpha", None)];
    assert_eq!(up.effects, vec![Effect::ReadDialogs { keys, answer: Answer::ApproveAlways }]);
    let found = vec![
        Found { key: key("beta", None), dialog: Ok(dialog()) },
        Found { key: key("alpha", None), dialog: Err("nothing typed: the pane shows a shell prompt".into()) },
    ];
    update(&mut m, Msg::DialogsRead { answer: Answer::ApproveAlways, found });
    assert!(matches!(m.dialog, Some(Dialog::Answer { .. })));
    let up = ch(&mut m, 'y');
    let want = Effect::Answer { key: key("beta", None), answer: Answer::ApproveAlways, dialog: dialog() };
    assert_eq!(up.effects, vec![Effect::Batch(vec![want])]);
    assert!(m.marks.is_empty() && m.dialog.is_none());

    // Nothing to answer anywhere: no dialog, the reason in the footer.
    ch(&mut m, 'a');
    let found = vec![Found { key: key("beta", None), dialog: Err("the pane shows a shell prompt".into()) }];
    update(&mut m, Msg::DialogsRead { answer: Answer::Approve, found });
    assert!(m.dialog.is_none());
    assert!(m.status.as_ref().unwrap().text.contains("shell prompt"));
}
