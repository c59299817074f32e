//! Update logic without a terminal: keys, mouse and background results in, state and
//! effects out.

#[path = "dashboard_update/marks.rs"]
mod marks;
#[path = "dashboard_update/shells.rs"]
mod shells;
#[path = "dashboard_update/worktree.rs"]
mod worktree;

use navi::app::dialog::Dialog;
use navi::app::input::{Key, KeyCode, Mouse, MouseKind};
use navi::app::keys::KeyMap;
use navi::app::model::{Location, Model, PreviewLayout, SessionKey, SortMode};
use navi::app::{Effect, Msg, Update, update};
use navi::backend::Session;
use navi::sessions::{Status, StatusFile};

const NOW: i64 = 1_700_000_000;

fn s(name: &str, status: Status, age: i64, msg: &str) -> Session {
    let mut f = StatusFile::new(name, status);
    f.timestamp = Some(NOW - age);
    f.cwd = Some(format!("/src/{name}"));
    f.message = Some(msg.into());
    Session { file: f, remote: None }
}

fn list() -> Vec<Session> {
    vec![
        s("alpha", Status::Done, 100, "all good"),
        s("beta", Status::Waiting, 50, "need input"),
        s("gamma", Status::Working, 10, "building"),
        s("delta", Status::Offline, 5000, "gone"),
    ]
}

fn model_with(remotes: Vec<String>) -> Model {
    let mut m = Model::new(KeyMap::default(), "/home/u".into(), "/src".into(), remotes, NOW);
    update(&mut m, Msg::Resize(100, 40));
    update(&mut m, Msg::Listing { remote: None, result: Ok((list(), vec![])) });
    m
}

fn model() -> Model {
    model_with(vec![])
}

fn press(m: &mut Model, k: Key) -> Update {
    update(m, Msg::Key(k))
}

fn ch(m: &mut Model, c: char) -> Update {
    press(m, Key::ch(c))
}

fn typed(m: &mut Model, text: &str) {
    for c in text.chars() {
        ch(m, c);
    }
}

fn names(m: &Model) -> Vec<String> {
    m.visible.iter().map(|i| m.rows[*i].session().unwrap().name().to_string()).collect()
}

fn selected(m: &Model) -> String {
    m.selected_session().unwrap().name().to_string()
}

fn key(name: &str) -> SessionKey {
    SessionKey { remote: None, name: name.into() }
}

#[test]
fn default_order_and_wrapping_moves() {
    let mut m = model();
    assert_eq!(names(&m), ["beta", "gamma", "alpha", "delta"]);
    assert_eq!(selected(&m), "beta");
    ch(&mut m, 'k');
    assert_eq!(selected(&m), "delta", "k wraps to the bottom");
    press(&mut m, Key::plain(KeyCode::Down));
    assert_eq!(selected(&m), "beta", "down wraps to the top");
    ch(&mut m, 'j');
    assert_eq!(selected(&m), "gamma");
}

#[test]
fn selection_follows_the_session_across_refreshes() {
    let mut m = model();
    ch(&mut m, 'j');
    assert_eq!(selected(&m), "gamma");
    let mut l = list();
    l.push(s("aaa", Status::Waiting, 1, "new"));
    update(&mut m, Msg::Listing { remote: None, result: Ok((l, vec![])) });
    assert_eq!(selected(&m), "gamma");
}

#[test]
fn an_unchanged_listing_or_tick_draws_nothing() {
    let mut m = model();
    let up = update(&mut m, Msg::Listing { remote: None, result: Ok((list(), vec![])) });
    assert!(!up.redraw);
    // Ages in minutes do not change within the same minute... but "10s ago" does.
    let up = update(&mut m, Msg::Tick(NOW));
    assert!(!up.redraw);
    let up = update(&mut m, Msg::Tick(NOW + 1));
    assert!(up.redraw, "a seconds-resolution age changed");
}

#[test]
fn enter_attaches_the_selected_session() {
    let mut m = model();
    let up = press(&mut m, Key::plain(KeyCode::Enter));
    assert_eq!(up.effects, vec![Effect::Attach(key("beta"))]);
}

#[test]
fn j_selects_and_attaches_the_session_waiting_longest() {
    let mut m = model();
    let far = Session { remote: Some("box".into()), ..s("far", Status::Permission, 20, "Allow Bash") };
    update(&mut m, Msg::Listing { remote: Some("box".into()), result: Ok((vec![far], vec![])) });
    ch(&mut m, 'j');
    // Permission before waiting, wherever it lives, even hidden by a filter.
    ch(&mut m, '1');
    let up = ch(&mut m, 'J');
    let far_key = SessionKey { remote: Some("box".into()), name: "far".into() };
    assert_eq!(up.effects.last(), Some(&Effect::Attach(far_key)));
    ch(&mut m, '0');
    let up = ch(&mut m, 'J');
    assert_eq!(selected(&m), "far", "the row is selected when shown");
    assert!(up.effects.contains(&Effect::Attach(SessionKey { remote: Some("box".into()), name: "far".into() })));
    // Without it: waiting (beta) before done (alpha), however old alpha is.
    update(&mut m, Msg::Listing { remote: Some("box".into()), result: Ok((vec![], vec![])) });
    let up = ch(&mut m, 'J');
    assert_eq!(selected(&m), "beta");
    assert_eq!(up.effects.last(), Some(&Effect::Attach(key("beta"))));
    // Nothing waiting: said, nothing attached.
    let mut quiet = Model::new(KeyMap::default(), "/home/u".into(), "/src".into(), vec![], NOW);
    update(&mut quiet, Msg::Listing { remote: None, result: Ok((vec![s("w", Status::Working, 1, "")], vec![])) });
    let up = ch(&mut quiet, 'J');
    assert!(!up.effects.iter().any(|e| matches!(e, Effect::Attach(_))), "{:?}", up.effects);
    assert!(format!("{:?}", quiet.status).contains("nothing is waiting for you"));
}

#[test]
fn kill_asks_first() {
    let mut m = model();
    let up = ch(&mut m, 'x');
    assert!(up.effects.is_empty());
    assert!(matches!(m.dialog, Some(Dialog::Confirm { .. })));
    let up = ch(&mut m, 'n');
    assert!(up.effects.is_empty() && m.dialog.is_none());
    ch(&mut m, 'x');
    let up = ch(&mut m, 'y');
    assert_eq!(up.effects, vec![Effect::Kill(key("beta"))]);
    assert!(m.dialog.is_none());
}

#[test]
fn rename_validates_inline() {
    let mut m = model();
    ch(&mut m, 'R');
    typed(&mut m, ".x");
    let Some(Dialog::Rename { error, .. }) = &m.dialog else { panic!("no rename dialog") };
    assert!(error.as_ref().unwrap().contains("'.'"));
    press(&mut m, Key::ctrl('u'));
    typed(&mut m, "gamma");
    let up = press(&mut m, Key::plain(KeyCode::Enter));
    assert!(up.effects.is_empty(), "a taken name is refused");
    let Some(Dialog::Rename { error, .. }) = &m.dialog else { panic!("dialog closed") };
    assert!(error.as_ref().unwrap().contains("already exists"));
    press(&mut m, Key::ctrl('u'));
    typed(&mut m, "b2");
    let up = press(&mut m, Key::plain(KeyCode::Enter));
    assert_eq!(up.effects, vec![Effect::Rename(key("beta"), "b2".into())]);
}

#[test]
fn new_session_form_checks_name_and_directory() {
    let mut m = model();
    let up = ch(&mut m, 'n');
    assert_eq!(up.effects, vec![Effect::CheckDir("/src".into())]);
    let Some(Dialog::New(f)) = &m.dialog else { panic!("no form") };
    assert_eq!(f.name.value, "claude");
    press(&mut m, Key::plain(KeyCode::Tab));
    typed(&mut m, "/nope");
    update(&mut m, Msg::DirChecked { dir: "/src/nope".into(), exists: false });
    let up = press(&mut m, Key::plain(KeyCode::Enter));
    assert!(up.effects.is_empty());
    let Some(Dialog::New(f)) = &m.dialog else { panic!("form closed") };
    assert_eq!(f.dir_error.as_deref(), Some("no such directory"));
    for _ in 0..5 {
        press(&mut m, Key::plain(KeyCode::Backspace));
    }
    update(&mut m, Msg::DirChecked { dir: "/src".into(), exists: true });
    press(&mut m, Key::plain(KeyCode::Tab));
    ch(&mut m, ' ');
    // Past the worktree box, the last field chooses the agent.
    press(&mut m, Key::plain(KeyCode::Tab));
    press(&mut m, Key::plain(KeyCode::Tab));
    ch(&mut m, ' ');
    let up = press(&mut m, Key::plain(KeyCode::Enter));
    assert_eq!(
        up.effects,
        vec![Effect::Create {
            remote: None,
            name: "claude".into(),
            dir: "/src".into(),
            skip_permissions: true,
            agent: navi::sessions::agent::Agent::Codex
        }]
    );
}

#[test]
fn search_jumps_and_n_n_cycle_matches() {
    let mut m = model();
    ch(&mut m, '/');
    typed(&mut m, "a");
    // First match at or after the cursor: beta.
    assert_eq!(selected(&m), "beta");
    press(&mut m, Key::plain(KeyCode::Enter));
    ch(&mut m, 'n');
    assert_eq!(selected(&m), "gamma");
    ch(&mut m, 'n');
    assert_eq!(selected(&m), "alpha");
    ch(&mut m, 'N');
    assert_eq!(selected(&m), "gamma");
    press(&mut m, Key::plain(KeyCode::Esc));
    assert!(m.search.is_none());
    let up = ch(&mut m, 'n');
    assert!(matches!(m.dialog, Some(Dialog::New(_))), "without a search n is new: {up:?}");
}

#[test]
fn sort_cycles_through_every_order() {
    let mut m = model();
    let mut seen = vec![m.sort];
    for _ in 0..5 {
        ch(&mut m, 's');
        seen.push(m.sort);
    }
    assert_eq!(
        seen,
        [SortMode::Priority, SortMode::Name, SortMode::Age, SortMode::Status, SortMode::Directory, SortMode::Priority]
    );
    ch(&mut m, 's');
    assert_eq!(names(&m), ["alpha", "beta", "delta", "gamma"]);
}

#[test]
fn status_filters_offline_and_escape() {
    let mut m = model();
    ch(&mut m, '1');
    assert_eq!(names(&m), ["beta"]);
    ch(&mut m, '2');
    assert_eq!(names(&m), ["beta", "gamma"]);
    ch(&mut m, '1');
    assert_eq!(names(&m), ["gamma"]);
    ch(&mut m, '0');
    assert_eq!(names(&m).len(), 4);
    ch(&mut m, 'o');
    assert!(!names(&m).contains(&"delta".to_string()));
    ch(&mut m, '/');
    typed(&mut m, "zz");
    press(&mut m, Key::plain(KeyCode::Enter));
    press(&mut m, Key::plain(KeyCode::Esc));
    assert!(m.search.is_none() && m.hide_offline, "Esc clears the search first");
    press(&mut m, Key::plain(KeyCode::Esc));
    assert!(!m.hide_offline && names(&m).len() == 4, "then the filters");
}

#[test]
fn the_agent_filter_and_search_find_other_agents_sessions() {
    use navi::sessions::agent::{Agent, set_agent};
    let mut sessions = list();
    set_agent(&mut sessions[0].file, Agent::Codex);
    set_agent(&mut sessions[2].file, Agent::Gemini);
    let mut m = model();
    update(&mut m, Msg::Listing { remote: None, result: Ok((sessions, vec![])) });
    ch(&mut m, 'e');
    assert_eq!(m.agent_filter, Some(Agent::Claude));
    assert_eq!(names(&m), ["beta", "delta"]);
    ch(&mut m, 'e');
    assert_eq!(names(&m), ["alpha"], "codex only");
    ch(&mut m, 'e');
    assert_eq!(names(&m), ["gamma"], "gemini only");
    ch(&mut m, 'e');
    ch(&mut m, 'e');
    assert_eq!((m.agent_filter, names(&m).len()), (None, 4), "opencode, then all again");
    ch(&mut m, 'e');
    press(&mut m, Key::plain(KeyCode::Esc));
    assert_eq!((m.agent_filter, names(&m).len()), (None, 4), "Esc clears it with the other filters");
    // The search matches the agent's name.
    ch(&mut m, '/');
    typed(&mut m, "gemini");
    assert_eq!(navi::app::view::match_positions(&m).len(), 1);
}

#[test]
fn location_filter_needs_remotes() {
    let mut m = model();
    ch(&mut m, 'f');
    assert_eq!(m.location, Location::All);
    assert!(m.status.as_ref().unwrap().text.contains("no remotes"));
    let mut m = model_with(vec!["box".into()]);
    update(&mut m, Msg::Listing { remote: Some("box".into()), result: Err("box unreachable: refused".into()) });
    assert_eq!(m.visible.len(), 5, "an unreachable remote is a row");
    ch(&mut m, 'f');
    assert_eq!((m.location, m.visible.len()), (Location::Local, 4));
    ch(&mut m, 'f');
    assert_eq!((m.location, m.visible.len()), (Location::Remote, 1));
    ch(&mut m, 'f');
    assert_eq!(m.location, Location::All);
}

#[test]
fn preview_keys() {
    let mut m = model();
    let up = ch(&mut m, 'p');
    assert!(m.preview.visible);
    assert_eq!(up.effects, vec![Effect::SchedulePreview(0)]);
    let up = update(&mut m, Msg::PreviewDue);
    assert_eq!(up.effects, vec![Effect::FetchPreview(key("beta"))], "no refresh is timed before the answer");
    let text = (0..100).map(|i| format!("l{i}")).collect::<Vec<_>>().join("\n");
    let up = update(&mut m, Msg::Preview { key: key("beta"), result: Ok(text) });
    assert_eq!(up.effects, vec![Effect::SchedulePreview(1500)], "the next refresh counts from the answer");
    press(&mut m, Key::plain(KeyCode::Tab));
    assert!(m.preview.focused && m.preview.follow);
    ch(&mut m, 'k');
    assert!(!m.preview.follow);
    let top = m.preview.scroll;
    press(&mut m, Key::plain(KeyCode::PageUp));
    assert_eq!(m.preview.scroll, top - 10);
    ch(&mut m, 'g');
    assert_eq!(m.preview.scroll, 0);
    ch(&mut m, 'G');
    assert!(m.preview.follow);
    press(&mut m, Key::plain(KeyCode::Esc));
    assert!(!m.preview.focused);
    // Moving the cursor asks for a preview 100 ms later.
    let up = ch(&mut m, 'j');
    assert!(up.effects.contains(&Effect::SchedulePreview(100)));
    let w = navi::app::geometry::preview_width(&m, 100);
    for _ in 0..20 {
        ch(&mut m, '[');
    }
    assert_eq!(m.preview.width, Some(30), "the minimum width");
    ch(&mut m, ']');
    assert_eq!(m.preview.width, Some(35));
    assert_eq!(w, 50);
    ch(&mut m, 'L');
    assert_eq!(m.preview.layout, PreviewLayout::Bottom);
    ch(&mut m, 'W');
    assert!(m.preview.wrap);
}

#[test]
fn preview_of_another_session_is_ignored() {
    let mut m = model();
    ch(&mut m, 'p');
    let up = update(&mut m, Msg::Preview { key: key("gamma"), result: Ok("x".into()) });
    assert!(!up.redraw && m.preview.content.is_none());
}

#[test]
fn the_prompt_box_takes_new_lines_with_alt_or_shift_enter() {
    let mut m = model();
    ch(&mut m, 'm');
    typed(&mut m, "first");
    // Shift-Enter reaches the update as Alt-Enter (see the terminal input conversion).
    press(&mut m, Key { code: KeyCode::Enter, ctrl: false, alt: true });
    typed(&mut m, "second");
    assert!(matches!(&m.dialog, Some(Dialog::Send { input, .. }) if input.value == "first\nsecond"));
    let up = press(&mut m, Key::plain(KeyCode::Enter));
    assert_eq!(up.effects, vec![Effect::Send(key("beta"), "first\nsecond".into())]);
}

#[test]
fn send_git_metrics_help_quit() {
    let mut m = model();
    ch(&mut m, 'm');
    let up = press(&mut m, Key::plain(KeyCode::Enter));
    assert!(up.effects.is_empty(), "empty prompt refused");
    typed(&mut m, "run tests");
    let up = press(&mut m, Key::plain(KeyCode::Enter));
    assert_eq!(up.effects, vec![Effect::Send(key("beta"), "run tests".into())]);
    let up = ch(&mut m, 'G');
    assert_eq!(up.effects, vec![Effect::FetchGitDetail(key("beta"))]);
    ch(&mut m, 'j');
    assert!(matches!(m.dialog, Some(Dialog::Git { scroll: 0, .. })), "nothing to scroll while loading");
    press(&mut m, Key::plain(KeyCode::Esc));
    ch(&mut m, 'i');
    assert!(matches!(m.dialog, Some(Dialog::Metrics { .. })));
    ch(&mut m, 'i');
    ch(&mut m, '?');
    assert!(matches!(m.dialog, Some(Dialog::Help { .. })));
    assert_eq!(press(&mut m, Key::ctrl('c')).effects, vec![Effect::Quit]);
    press(&mut m, Key::plain(KeyCode::Esc));
    assert_eq!(ch(&mut m, 'q').effects, vec![Effect::Quit]);
    assert_eq!(ch(&mut m, 'd').effects, vec![Effect::Dismiss(key("beta"))]);
    assert_eq!(ch(&mut m, 'r').effects, vec![Effect::Refresh(None)]);
    assert_eq!(ch(&mut m, 'M').effects, vec![Effect::ToggleMute]);
}

#[test]
fn mouse_click_wheel_and_double_click() {
    let mut m = model();
    // Rows start below the one-line header, three lines each.
    let click = |row, at_ms| Msg::Mouse(Mouse { kind: MouseKind::Click, col: 5, row, at_ms });
    update(&mut m, click(1 + 3 * 2, 1000));
    assert_eq!(selected(&m), "alpha");
    let up = update(&mut m, click(1 + 3 * 2 + 1, 1200));
    assert_eq!(up.effects.last(), Some(&Effect::Attach(key("alpha"))));
    let up = update(&mut m, click(1, 5000));
    assert!(!up.effects.contains(&Effect::Attach(key("beta"))));
    update(&mut m, Msg::Mouse(Mouse { kind: MouseKind::ScrollDown, col: 5, row: 3, at_ms: 6000 }));
    assert_eq!(selected(&m), "gamma");
    update(&mut m, Msg::Mouse(Mouse { kind: MouseKind::ScrollUp, col: 5, row: 3, at_ms: 6100 }));
    update(&mut m, Msg::Mouse(Mouse { kind: MouseKind::ScrollUp, col: 5, row: 3, at_ms: 6200 }));
    assert_eq!(selected(&m), "beta", "the wheel does not wrap");
}

#[test]
fn user_keys_change_bindings_and_hints() {
    let keys = KeyMap::with_overrides("kill: X\nhelp: F1\n").unwrap();
    let mut m = Model::new(keys, "/h".into(), "/h".into(), vec![], NOW);
    update(&mut m, Msg::Listing { remote: None, result: Ok((list(), vec![])) });
    ch(&mut m, 'x');
    assert!(m.dialog.is_none());
    ch(&mut m, 'X');
    assert!(matches!(m.dialog, Some(Dialog::Confirm { .. })));
    assert!(m.keys.hints().iter().any(|(k, what)| k == "X" && *what == "kill"));
    assert!(m.keys.hints().iter().any(|(k, what)| k == "F1" && *what == "help"));
}

#[test]
fn failed_action_shows_then_expires() {
    let mut m = model();
    let up = update(&mut m, Msg::ActionDone { done: "x".into(), result: Err("no session named \"q\"".into()) });
    assert!(up.redraw && up.effects == vec![Effect::Refresh(None)]);
    assert!(m.status.as_ref().unwrap().text.contains("no session"));
    update(&mut m, Msg::Tick(NOW + 10));
    assert!(m.status.is_none());
}

#[test]
fn many_rows_scroll_into_view() {
    let mut m = Model::new(KeyMap::default(), "/h".into(), "/h".into(), vec![], NOW);
    update(&mut m, Msg::Resize(80, 20));
    let many: Vec<Session> = (0..1000).map(|i| s(&format!("s{i:04}"), Status::Done, i, "m")).collect();
    update(&mut m, Msg::Listing { remote: None, result: Ok((many, vec![])) });
    ch(&mut m, 'k');
    assert_eq!(m.selected, 999);
    let page = navi::app::geometry::rows_per_page(&m);
    assert_eq!(m.offset, 1000 - page);
    ch(&mut m, 'j');
    assert_eq!((m.selected, m.offset), (0, 0));
}

#[test]
fn new_session_on_a_remote_host() {
    let mut m = model_with(vec!["box".into()]);
    let mut remote = s("far", Status::Waiting, 1, "there");
    remote.remote = Some("box".into());
    update(&mut m, Msg::Listing { remote: Some("box".into()), result: Ok((vec![remote], vec![])) });
    assert_eq!(selected(&m), "beta", "the selection stays on its session");
    ch(&mut m, 'k');
    assert_eq!(selected(&m), "far");
    let up = ch(&mut m, 'n');
    assert!(up.effects.is_empty(), "a remote directory is not checked locally");
    let Some(Dialog::New(f)) = &m.dialog else { panic!("no form") };
    assert_eq!((f.remote.as_deref(), f.dir.value.as_str(), f.fields()), (Some("box"), "~", 6));
    for _ in 0..3 {
        press(&mut m, Key::plain(KeyCode::Tab));
    }
    let up = ch(&mut m, ' ');
    assert_eq!(up.effects, vec![Effect::CheckDir("/src".into())]);
    let Some(Dialog::New(f)) = &m.dialog else { panic!("no form") };
    assert_eq!(f.remote, None);
    press(&mut m, Key::plain(KeyCode::Left));
    let up = press(&mut m, Key::plain(KeyCode::Enter));
    assert_eq!(
        up.effects,
        vec![Effect::Create {
            remote: Some("box".into()),
            name: "claude".into(),
            dir: "~".into(),
            skip_permissions: false,
            agent: navi::sessions::agent::Agent::Claude
        }]
    );
}

#[test]
fn esc_then_a_key_read_as_alt_is_both_keys() {
    let mut m = model();
    ch(&mut m, 'i');
    assert!(matches!(m.dialog, Some(Dialog::Metrics { .. })));
    let up = press(&mut m, Key { code: KeyCode::Char('G'), ctrl: false, alt: true });
    assert!(matches!(m.dialog, Some(Dialog::Git { .. })), "Esc closed metrics, G opened git");
    assert_eq!(up.effects, vec![Effect::FetchGitDetail(key("beta"))]);
}

#[test]
fn unknown_host_key_dialog_asks_once() {
    use navi::app::remotes::{HostKeyPrompt, LinkState, RemoteStatus};
    let mut m = model_with(vec!["box".into()]);
    let prompt = HostKeyPrompt {
        remote: "box".into(),
        hop: "remote box".into(),
        host: "10.0.0.5".into(),
        port: 22,
        algorithm: "ssh-ed25519".into(),
        fingerprint: "SHA256:abc".into(),
        key: "ssh-ed25519 AAAAabc".into(),
        known_hosts: "/h/.ssh/known_hosts".into(),
    };
    update(&mut m, Msg::UnknownHostKey(prompt.clone()));
    assert!(matches!(m.dialog, Some(Dialog::HostKey(_))));
    ch(&mut m, 'n');
    assert!(m.dialog.is_none());
    update(&mut m, Msg::UnknownHostKey(prompt.clone()));
    assert!(m.dialog.is_none(), "a refused key is not asked again");
    let mut other = prompt;
    other.fingerprint = "SHA256:new".into();
    other.key = "ssh-ed25519 AAAAnew".into();
    update(&mut m, Msg::UnknownHostKey(other.clone()));
    assert_eq!(ch(&mut m, 'Y').effects, vec![Effect::AcceptHostKey(other)], "the key shown is the key accepted");
    // Pool statuses replace those derived from listings.
    let st = vec![RemoteStatus { name: "box".into(), state: LinkState::Connected, last_error: None, setup: false }];
    update(&mut m, Msg::RemoteStatuses(st.clone()));
    update(&mut m, Msg::Listing { remote: Some("box".into()), result: Err("box unreachable: x".into()) });
    assert_eq!(m.remotes, st);
}

#[test]
fn several_warnings_are_shown_one_after_another() {
    let mut m = model();
    for w in ["remotes: entry #1: host missing", "remotes: entry #2: key missing", "keys: bad file"] {
        update(&mut m, Msg::Warning(w.into()));
    }
    update(&mut m, Msg::Warning("keys: bad file".into()));
    assert!(m.status.as_ref().unwrap().text.contains("entry #1"));
    assert_eq!(m.queued.len(), 2, "the repeated warning is not queued twice");
    let mut seen = vec![m.status.as_ref().unwrap().text.clone()];
    for i in 1..=3 {
        update(&mut m, Msg::Tick(NOW + 6 * i));
        if let Some(s) = &m.status {
            seen.push(s.text.clone());
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen[1].contains("entry #2") && seen[2].contains("keys: bad file"), "{seen:?}");
    assert!(m.status.is_none() && m.queued.is_empty());
}

#[test]
fn every_broken_status_file_of_a_listing_is_reported() {
    let mut m = model();
    let warnings = vec!["a.json: not JSON".to_string(), "b.json: empty".to_string(), "c.json: cut short".to_string()];
    update(&mut m, Msg::Listing { remote: None, result: Ok((list(), warnings.clone())) });
    assert!(m.status.as_ref().unwrap().text.contains("a.json"));
    let queued: Vec<&str> = m.queued.iter().map(|s| s.text.as_str()).collect();
    assert!(queued.len() == 2 && queued[0].contains("b.json") && queued[1].contains("c.json"), "{queued:?}");
    // The same problems in the next listing are not news.
    update(&mut m, Msg::Listing { remote: None, result: Ok((list(), warnings)) });
    assert_eq!(m.queued.len(), 2);
}

fn host_key(fingerprint: &str) -> navi::app::remotes::HostKeyPrompt {
    navi::app::remotes::HostKeyPrompt {
        remote: "box".into(),
        hop: "remote box".into(),
        host: "10.0.0.5".into(),
        port: 22,
        algorithm: "ssh-ed25519".into(),
        fingerprint: format!("SHA256:{fingerprint}"),
        key: format!("ssh-ed25519 {fingerprint}"),
        known_hosts: "/h/.ssh/known_hosts".into(),
    }
}

#[test]
fn host_key_dialog_waits_for_typing_and_wants_an_uppercase_yes() {
    let mut m = model_with(vec!["box".into()]);
    update(&mut m, Msg::Listing { remote: Some("box".into()), result: Err("box unreachable: unknown key".into()) });
    ch(&mut m, '/');
    update(&mut m, Msg::UnknownHostKey(host_key("A")));
    assert!(m.dialog.is_none(), "not opened over a search being typed");
    typed(&mut m, "yes");
    assert_eq!(m.search.as_ref().unwrap().query, "yes");
    press(&mut m, Key::plain(KeyCode::Esc));
    update(&mut m, Msg::UnknownHostKey(host_key("A")));
    assert!(matches!(m.dialog, Some(Dialog::HostKey(_))));
    assert!(ch(&mut m, 'y').effects.is_empty(), "a lowercase y trusts nothing");
    assert!(matches!(m.dialog, Some(Dialog::HostKey(_))));
    press(&mut m, Key::plain(KeyCode::Esc));
    assert!(m.dialog.is_none());
    // Enter on the remote's unreachable row asks again.
    let row = m.visible.iter().position(|i| m.rows[*i].session().is_none()).unwrap();
    m.selected = row;
    let up = press(&mut m, Key::plain(KeyCode::Enter));
    assert!(up.effects.is_empty(), "{up:?}");
    assert!(matches!(m.dialog, Some(Dialog::HostKey(ref p)) if p.fingerprint == "SHA256:A"));
    assert_eq!(ch(&mut m, 'Y').effects, vec![Effect::AcceptHostKey(host_key("A"))]);
}

#[test]
fn double_click_needs_the_same_session_under_the_pointer() {
    let mut m = model();
    let click = |row, at_ms| Msg::Mouse(Mouse { kind: MouseKind::Click, col: 5, row, at_ms });
    update(&mut m, click(1 + 3 * 2, 1000));
    assert_eq!(selected(&m), "alpha");
    // Between the clicks, alpha went elsewhere and another session took its place.
    let mut l = list();
    l.retain(|s| s.name() != "alpha");
    l.push(s("zeta", Status::Done, 100, "moved in"));
    update(&mut m, Msg::Listing { remote: None, result: Ok((l, vec![])) });
    let up = update(&mut m, click(1 + 3 * 2, 1200));
    assert!(!up.effects.iter().any(|e| matches!(e, Effect::Attach(_))), "{:?}", up.effects);
}

#[test]
fn a_status_line_never_hides_the_selected_row() {
    let mut m = model();
    update(&mut m, Msg::Resize(100, 15));
    let page = navi::app::geometry::rows_per_page(&m);
    let mut l = list();
    for i in 0..20 {
        l.push(s(&format!("extra{i:02}"), Status::Done, 200 + i, "x"));
    }
    update(&mut m, Msg::Listing { remote: None, result: Ok((l, vec![])) });
    for _ in 0..page - 1 {
        ch(&mut m, 'j');
    }
    assert_eq!(m.selected, m.offset + page - 1, "selected is the last row on screen");
    update(&mut m, Msg::Warning("something went wrong".into()));
    let page = navi::app::geometry::rows_per_page(&m);
    assert!(m.selected >= m.offset && m.selected < m.offset + page, "{} {} {page}", m.selected, m.offset);
    update(&mut m, Msg::Tick(NOW + 60));
    assert!(m.status.is_none());
    let page = navi::app::geometry::rows_per_page(&m);
    assert!(m.selected >= m.offset && m.selected < m.offset + page);
}

#[test]
fn a_remote_failing_one_poll_gets_its_selection_back() {
    let mut m = model_with(vec!["box".into()]);
    let mut far = s("far", Status::Permission, 1, "on box");
    far.remote = Some("box".into());
    let box_ok = || Msg::Listing { remote: Some("box".into()), result: Ok((vec![far.clone()], vec![])) };
    update(&mut m, box_ok());
    let at = m.visible.iter().position(|i| m.rows[*i].session().is_some_and(|s| s.name() == "far")).unwrap();
    navi::app::update(&mut m, Msg::Mouse(Mouse { kind: MouseKind::Click, col: 5, row: 1 + 3 * at as u16, at_ms: 10 }));
    assert_eq!(selected(&m), "far");
    update(&mut m, Msg::Listing { remote: Some("box".into()), result: Err("box unreachable: timeout".into()) });
    update(&mut m, box_ok());
    assert_eq!(selected(&m), "far", "the selection came back with the row");
}

#[test]
fn a_git_fetch_dropped_off_screen_is_fetched_again_when_the_row_returns() {
    use navi::app::model::GitKey;
    use navi::app::update::git_keys_on_screen;
    let mut m = Model::new(KeyMap::default(), "/home/u".into(), "/src".into(), vec![], NOW);
    update(&mut m, Msg::Resize(100, 12));
    let mut l = list();
    for i in 0..20 {
        l.push(s(&format!("extra{i:02}"), Status::Done, 200 + i, "x"));
    }
    let up = update(&mut m, Msg::Listing { remote: None, result: Ok((l, vec![])) });
    let fetched: Vec<GitKey> = up
        .effects
        .iter()
        .filter_map(|e| if let Effect::FetchGit { git, .. } = e { Some(git.clone()) } else { None })
        .collect();
    let first = GitKey { remote: None, cwd: "/src/beta".into() };
    assert!(fetched.contains(&first), "{fetched:?}");
    assert_eq!(fetched.iter().cloned().collect::<std::collections::HashSet<_>>(), git_keys_on_screen(&m));
    ch(&mut m, 'k');
    assert!(!git_keys_on_screen(&m).contains(&first), "beta scrolled away");
    // Its fetch waited for a slot and was dropped: not marked fetched, not asked again yet.
    let up = update(&mut m, Msg::GitSkipped(first.clone()));
    assert!(up.effects.is_empty(), "{:?}", up.effects);
    let e = &m.git[&first];
    assert!(!e.in_flight && e.fetched_at == 0 && e.info.is_none());
    let up = ch(&mut m, 'j');
    assert!(up.effects.iter().any(|e| matches!(e, Effect::FetchGit { git, .. } if *git == first)), "{:?}", up.effects);
}

#[test]
fn a_remote_that_drops_keeps_its_rows_as_last_seen_and_refuses_actions_on_them() {
    let mut m = model_with(vec!["box".into()]);
    let mut far = s("far", Status::Permission, 1, "on box");
    far.remote = Some("box".into());
    let box_ok = |f: &Session| Msg::Listing { remote: Some("box".into()), result: Ok((vec![f.clone()], vec![])) };
    update(&mut m, box_ok(&far));
    let at = m.visible.iter().position(|i| m.rows[*i].session().is_some_and(|s| s.name() == "far")).unwrap();
    navi::app::update(&mut m, Msg::Mouse(Mouse { kind: MouseKind::Click, col: 5, row: 1 + 3 * at as u16, at_ms: 10 }));
    update(&mut m, Msg::Listing { remote: Some("box".into()), result: Err("box unreachable: timeout".into()) });
    // Still listed, as last seen, with the reason on the status line.
    assert_eq!(selected(&m), "far");
    assert!(m.down(&Some("box".into())).is_some());
    assert!(
        m.status
            .as_ref()
            .unwrap()
            .text
            .contains("box unreachable: box unreachable: timeout (its sessions as last seen)")
    );
    update(&mut m, Msg::Tick(NOW + 125));
    for k in ['x', 'd', 'a', ' '] {
        let up = ch(&mut m, k);
        assert!(up.effects.is_empty(), "{k}: {:?}", up.effects);
        assert!(m.dialog.is_none(), "{k}");
        let text = &m.status.as_ref().unwrap().text;
        assert!(text.starts_with("box is unreachable (for 2m 5s)"), "{k}: {text}");
    }
    assert!(press(&mut m, Key::plain(KeyCode::Enter)).effects.is_empty(), "no attach");
    // Back: refreshed in place.
    let mut newer = far.clone();
    newer.file.status = Status::Working;
    update(&mut m, box_ok(&newer));
    assert!(m.down(&Some("box".into())).is_none());
    assert_eq!(selected(&m), "far");
    assert_eq!(
        ch(&mut m, 'd').effects,
        vec![Effect::Dismiss(SessionKey { remote: Some("box".into()), name: "far".into() })]
    );
}

#[test]
fn an_unreachable_remote_listed_first_does_not_keep_the_selection_at_the_bottom() {
    let mut m = model_with(vec!["box".into()]);
    update(&mut m, Msg::Listing { remote: Some("box".into()), result: Err("box unreachable: timeout".into()) });
    update(&mut m, Msg::Listing { remote: None, result: Ok((list(), vec![])) });
    assert!(m.selected_session().is_some(), "a session is selected, not the warning row");
    assert_eq!(m.selected, 0);
}

#[test]
fn refreshing_does_not_hide_a_remote_just_found_down() {
    let mut m = model_with(vec!["box".into()]);
    update(&mut m, Msg::Listing { remote: None, result: Ok((list(), Vec::new())) });
    let far = Session { remote: Some("box".into()), ..s("far", Status::Done, 60, "far away") };
    update(&mut m, Msg::Listing { remote: Some("box".into()), result: Ok((vec![far], Vec::new())) });
    update(&mut m, Msg::Listing { remote: Some("box".into()), result: Err("box unreachable: refused".into()) });
    assert!(m.status.as_ref().unwrap().text.contains("box unreachable"), "{:?}", m.status);
    assert_eq!(ch(&mut m, 'r').effects, vec![Effect::Refresh(None)]);
    assert!(m.status.as_ref().unwrap().text.contains("box unreachable"), "{:?}", m.status);
}

#[test]
fn marked_rows_acted_on_together_are_all_named() {
    let mut m = model();
    for name in ["alpha", "beta"] {
        update(&mut m, Msg::ActionDone { done: format!("killed {name}"), result: Ok(()) });
    }
    assert_eq!(m.status.as_ref().unwrap().text, "killed alpha, beta");
    update(&mut m, Msg::ActionDone { done: "dismissed gamma".into(), result: Ok(()) });
    assert_eq!(m.status.as_ref().unwrap().text, "dismissed gamma", "another action starts afresh");
    update(&mut m, Msg::ActionDone { done: "notices muted for 1h".into(), result: Ok(()) });
    update(&mut m, Msg::ActionDone { done: "notices are on".into(), result: Ok(()) });
    assert_eq!(m.status.as_ref().unwrap().text, "notices are on", "only what marks act on is joined");
}
