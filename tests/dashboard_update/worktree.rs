//! Worktree sessions in the pure update: the finish key and its choices, the kill that asks
//! about the worktree, the second confirmation when work would be lost, and the
//! new-session form's worktree box.

use navi::app::dialog::Dialog;
use navi::app::input::{Key, KeyCode};
use navi::app::keys::KeyMap;
use navi::app::model::{Model, SessionKey};
use navi::app::{Effect, Msg, Update, update};
use navi::backend::Session;
use navi::backend::worktree::Finish;
use navi::sessions::worktree::Worktree;
use navi::sessions::{Status, StatusFile};

const NOW: i64 = 1_700_000_000;

fn tree() -> Worktree {
    Worktree {
        path: "/src/r.worktrees/wt".into(),
        branch: "navi/wt".into(),
        base: "main".into(),
        repo: "/src/r".into(),
    }
}

/// `wt` (a worktree session, selected first: it waits) and `plain`.
fn model() -> Model {
    let mut m = Model::new(KeyMap::default(), "/home/u".into(), "/src".into(), vec![], NOW);
    update(&mut m, Msg::Resize(100, 40));
    let mut wt = StatusFile::new("wt", Status::Waiting);
    wt.timestamp = Some(NOW);
    wt.set_worktree(&tree());
    let mut plain = StatusFile::new("plain", Status::Done);
    plain.timestamp = Some(NOW - 10);
    let rows = vec![Session { file: wt, remote: None }, Session { file: plain, remote: None }];
    update(&mut m, Msg::Listing { remote: None, result: Ok((rows, vec![])) });
    m
}

fn ch(m: &mut Model, c: char) -> Update {
    update(m, Msg::Key(Key::ch(c)))
}

fn wt() -> SessionKey {
    SessionKey { remote: None, name: "wt".into() }
}

#[test]
fn finish_asks_how_and_a_refusal_asks_again_before_losing_work() {
    let mut m = model();
    assert!(ch(&mut m, 'F').effects.is_empty());
    assert_eq!(m.dialog, Some(Dialog::Finish { key: wt(), worktree: tree() }));
    assert!(ch(&mut m, 'z').effects.is_empty(), "another key changes nothing");
    assert_eq!(ch(&mut m, 'm').effects, vec![Effect::Finish { key: wt(), how: Finish::Merge, force: false }]);
    assert_eq!(m.dialog, None);

    let lost = vec!["1 uncommitted change(s) in /src/r.worktrees/wt:".to_string(), "  ?? draft.txt".into()];
    update(&mut m, Msg::FinishRefused { key: wt(), how: Finish::Remove, lost });
    let Some(Dialog::Confirm { text, .. }) = &m.dialog else { panic!("{:?}", m.dialog) };
    assert!(text.contains("would lose") && text.contains("?? draft.txt"), "{text}");
    assert!(ch(&mut m, 'n').effects.is_empty());
    update(&mut m, Msg::FinishRefused { key: wt(), how: Finish::Remove, lost: vec!["x".into()] });
    assert_eq!(ch(&mut m, 'y').effects, vec![Effect::Finish { key: wt(), how: Finish::Remove, force: true }]);

    ch(&mut m, 'F');
    assert_eq!(ch(&mut m, 'p').effects, vec![Effect::Finish { key: wt(), how: Finish::PullRequest, force: false }]);
    ch(&mut m, 'j');
    assert!(ch(&mut m, 'F').effects.is_empty());
    assert_eq!(m.dialog, None, "plain is not a worktree session");
    assert!(m.status.as_ref().is_some_and(|s| s.text.contains("not a worktree session")), "{:?}", m.status);
}

#[test]
fn kill_of_a_worktree_session_keeps_the_worktree_unless_asked() {
    let mut m = model();
    ch(&mut m, 'x');
    assert_eq!(m.dialog, Some(Dialog::KillWorktree { key: wt(), worktree: tree() }));
    assert_eq!(update(&mut m, Msg::Key(Key::plain(KeyCode::Enter))).effects, vec![Effect::Kill(wt())]);
    ch(&mut m, 'x');
    assert_eq!(ch(&mut m, 'w').effects, vec![Effect::Finish { key: wt(), how: Finish::Remove, force: false }]);
    ch(&mut m, 'x');
    assert!(update(&mut m, Msg::Key(Key::plain(KeyCode::Esc))).effects.is_empty());
    assert_eq!(m.dialog, None);
    ch(&mut m, 'j');
    ch(&mut m, 'x');
    assert!(matches!(m.dialog, Some(Dialog::Confirm { .. })), "a plain session: the usual confirmation");
}

#[test]
fn the_new_session_form_has_a_worktree_box_with_a_branch_and_base_checked_as_typed() {
    use navi::backend::worktree::Start;
    let mut m = model();
    let tab = |m: &mut Model| update(m, Msg::Key(Key::plain(KeyCode::Tab)));
    let form = |m: &Model| match &m.dialog {
        Some(Dialog::New(f)) => f.clone(),
        other => panic!("{other:?}"),
    };
    ch(&mut m, 'n');
    assert_eq!(form(&m).fields(), 5, "name, directory, skip permissions, worktree, agent");
    for _ in 0..3 {
        tab(&mut m);
    }
    ch(&mut m, ' ');
    assert!(form(&m).worktree);
    assert_eq!(form(&m).fields(), 7, "then branch and base");
    tab(&mut m);
    for c in "a..b".chars() {
        ch(&mut m, c);
    }
    assert!(form(&m).branch_error.is_some_and(|e| e.contains("'..'")));
    assert!(update(&mut m, Msg::Key(Key::plain(KeyCode::Enter))).effects.is_empty(), "refused while wrong");
    update(&mut m, Msg::Key(Key::ctrl('u')));
    assert_eq!(form(&m).branch_error, None);
    tab(&mut m);
    ch(&mut m, '-');
    assert!(form(&m).branch_error.is_some_and(|e| e.contains("cannot be a git revision")));
    update(&mut m, Msg::Key(Key::plain(KeyCode::Backspace)));
    for c in "dev".chars() {
        ch(&mut m, c);
    }
    tab(&mut m);
    assert_eq!(form(&m).field, form(&m).agent_field(), "the agent comes last");
    tab(&mut m);
    assert_eq!(form(&m).field, 0, "wraps to the name");
    ch(&mut m, ' ');
    assert!(form(&m).branch_error.is_some_and(|e| e.contains("navi/claude ")), "the default branch from the name");
    update(&mut m, Msg::Key(Key::plain(KeyCode::Backspace)));
    let up = update(&mut m, Msg::Key(Key::plain(KeyCode::Enter)));
    let start = Start { name: "claude".into(), dir: "/src".into(), base: Some("dev".into()), ..Default::default() };
    assert_eq!(up.effects, vec![Effect::CreateWorktree { remote: None, start }]);
}

#[test]
fn an_existing_branch_is_offered_for_reuse() {
    use navi::backend::worktree::Start;
    let mut m = model();
    let start = Start { name: "again".into(), dir: "/src/r".into(), ..Default::default() };
    update(&mut m, Msg::BranchExists { remote: None, start: start.clone() });
    let Some(Dialog::Confirm { text, .. }) = &m.dialog else { panic!("{:?}", m.dialog) };
    assert!(text.contains("Branch navi/again exists already"), "{text}");
    let reuse = Start { reuse: true, ..start };
    assert_eq!(ch(&mut m, 'y').effects, vec![Effect::CreateWorktree { remote: None, start: reuse }]);
}
