use super::*;
use std::os::unix::fs::PermissionsExt;

fn file(name: &str, status: Status, at: i64) -> StatusFile {
    let mut f = StatusFile::new(name, status);
    f.timestamp = Some(at);
    f.message = Some("m".repeat(1000));
    f
}

#[test]
fn written_private_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    assert!(read(&state).unwrap().is_none(), "no summary yet");
    let mut s = Summary::default();
    s.record_remote("box", RemoteState::Up, &[file("a", Status::Waiting, 90)], 100);
    s.record_remote("db", RemoteState::HostKey("changed".into()), &[], 100);
    write(&state, &s).unwrap();
    let back = read(&state).unwrap().unwrap();
    assert_eq!(back, s);
    let row = &back.remotes["box"].sessions[0];
    assert_eq!((row.name.as_str(), row.since), ("a", Some(90)));
    assert!(row.message.as_ref().unwrap().chars().count() <= MESSAGE_MAX, "messages are cut");
    let mode = std::fs::metadata(path(&state)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(path(&state)).unwrap();
    assert!(text.contains(r#""state":"host-key","reason":"changed""#), "{text}");
    assert!(text.contains(r#""state":"up","at":100"#), "{text}");
}

#[test]
fn a_writer_never_replaces_fresher_news_of_another() {
    let dir = tempfile::tempdir().unwrap();
    let mut dashboard = Summary::default();
    dashboard.record_remote("box", RemoteState::Up, &[file("new", Status::Done, 1)], 200);
    write(dir.path(), &dashboard).unwrap();
    // A second writer with older news of box and news of its own remote.
    let mut watch = Summary::default();
    watch.record_remote("box", RemoteState::Unreachable("old".into()), &[], 150);
    watch.record_remote("db", RemoteState::Up, &[], 150);
    write(dir.path(), &watch).unwrap();
    let s = read(dir.path()).unwrap().unwrap();
    assert_eq!(s.remotes["box"].state, RemoteState::Up);
    assert_eq!(s.remotes["box"].sessions[0].name, "new");
    assert_eq!(s.remotes["db"].at, 150);
    assert_eq!(s.age("box", 230), Some(30));
    assert_eq!(s.age("none", 230), None);
}

#[test]
fn remotes_unheard_of_for_a_week_are_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Summary::default();
    s.record_remote("gone", RemoteState::Up, &[], 1_000);
    write(dir.path(), &s).unwrap();
    let mut later = Summary::default();
    later.record_remote("box", RemoteState::Up, &[], 1_000 + FORGET_AFTER);
    write(dir.path(), &later).unwrap();
    let s = read(dir.path()).unwrap().unwrap();
    assert_eq!(s.remotes.keys().collect::<Vec<_>>(), ["box"]);
}

#[test]
fn bad_files_are_errors_that_name_the_file_and_a_writer_replaces_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(path(dir.path()), "{not json").unwrap();
    let e = read(dir.path()).unwrap_err().to_string();
    assert!(e.contains(FILE) && e.contains("not a navi summary"), "{e}");
    let mut s = Summary::default();
    s.record_remote("box", RemoteState::Up, &[], 5);
    write(dir.path(), &s).unwrap();
    assert_eq!(read(dir.path()).unwrap().unwrap(), s);

    std::fs::remove_file(path(dir.path())).unwrap();
    crate::sessions::read::tests::mkfifo(&path(dir.path()));
    let e = read(dir.path()).unwrap_err().to_string();
    assert!(e.contains("not a regular file"), "{e}");
    std::fs::remove_file(path(dir.path())).unwrap();
    std::fs::write(path(dir.path()), vec![b' '; MAX_BYTES as usize + 1]).unwrap();
    assert!(read(dir.path()).unwrap_err().to_string().contains("larger than"));
}

#[test]
fn unknown_states_and_fields_are_read_as_not_up() {
    let text = r#"{"remotes":{"x":{"state":"sleeping","reason":"zz","at":3,"sessions":[],"new":1}},"v":2}"#;
    let s: Summary = serde_json::from_str(text).unwrap();
    assert_eq!(s.remotes["x"].state, RemoteState::Down("sleeping zz".into()));
    let s: Summary = serde_json::from_str(r#"{"remotes":{"x":{"state":"up","at":3}}}"#).unwrap();
    assert!(s.remotes["x"].sessions.is_empty());
}

#[test]
fn a_listing_error_says_how_the_remote_is() {
    let ssh = |e: SshError| BackendError::Ssh(Box::new(e));
    let changed = ssh(SshError::HostKeyChanged {
        remote: "r".into(),
        hop: "remote r".into(),
        host: "h".into(),
        port: 22,
        expected: "a".into(),
        actual: "b".into(),
        line: 1,
        known_hosts: "k".into(),
    });
    assert!(matches!(RemoteState::from_error(&changed), RemoteState::HostKey(r) if r.contains("HOST KEY CHANGED")));
    let refused =
        ssh(SshError::Connect { host: "h".into(), port: 22, hop: "remote r".into(), reason: "refused".into() });
    assert!(matches!(RemoteState::from_error(&refused), RemoteState::Unreachable(r) if r.contains("refused")));
    let lost = ssh(SshError::Disconnected("eof".into()));
    assert_eq!(RemoteState::from_error(&lost).name(), "down");
    let failed = BackendError::Command("tmux \x1b[31mbroke".into());
    assert_eq!(RemoteState::from_error(&failed), RemoteState::Down("tmux broke".into()));
}

#[test]
fn two_writers_at_once_lose_nothing_of_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let writers: Vec<_> = ["dashboard", "watch"]
        .into_iter()
        .map(|remote| {
            let state = dir.path().to_path_buf();
            std::thread::spawn(move || {
                for at in 1..=40 {
                    let mut s = Summary::default();
                    s.record_remote(remote, RemoteState::Up, &[], at);
                    write(&state, &s).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let s = read(dir.path()).unwrap().unwrap();
    assert_eq!((s.remotes["dashboard"].at, s.remotes["watch"].at), (40, 40), "{s:?}");
}

#[test]
fn a_failure_keeps_the_sessions_last_listed_and_when() {
    let d = tempfile::tempdir().unwrap();
    let mut up = Summary::default();
    up.record_remote("box", RemoteState::Up, &[file("a", Status::Waiting, 90)], 100);
    write(d.path(), &up).unwrap();
    // What a keeper sends when the listing fails: the failure alone.
    let mut down = Summary::default();
    down.record_remote("box", RemoteState::Unreachable("timeout".into()), &[], 160);
    write(d.path(), &down).unwrap();
    let e = read(d.path()).unwrap().unwrap().remotes["box"].clone();
    assert_eq!(e.state, RemoteState::Unreachable("timeout".into()));
    assert_eq!((e.at, e.listed_at), (160, Some(100)));
    assert_eq!(e.sessions.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["a"]);
    // In one process too, and a later failure keeps the first listing's time.
    up.record_remote("box", RemoteState::Down("dropped".into()), &[], 170);
    up.record_remote("box", RemoteState::Down("dropped".into()), &[], 180);
    assert_eq!(up.remotes["box"].listed_at, Some(100));
    assert_eq!(up.remotes["box"].sessions.len(), 1);
    // Back up: what it lists now.
    up.record_remote("box", RemoteState::Up, &[], 190);
    assert_eq!((up.remotes["box"].listed_at, up.remotes["box"].sessions.len()), (Some(190), 0));
}

#[test]
fn news_from_the_future_is_dropped_not_kept_forever() {
    let d = tempfile::tempdir().unwrap();
    let now = crate::text::now_unix();
    let mut future = Summary::default();
    future.record_remote("box", RemoteState::Up, &[file("ghost", Status::Permission, now)], now + 3600);
    future.record_remote("box2", RemoteState::Up, &[], now + 9 * 86_400);
    future.record_remote("db", RemoteState::Up, &[], now - 10);
    std::fs::write(path(d.path()), serde_json::to_vec(&future).unwrap()).unwrap();
    let mut fresh = Summary::default();
    fresh.record_remote("box", RemoteState::Unreachable("timeout".into()), &[], now);
    write(d.path(), &fresh).unwrap();
    let s = read(d.path()).unwrap().unwrap();
    assert_eq!(s.remotes["box"].state, RemoteState::Unreachable("timeout".into()));
    assert!(s.remotes["box"].sessions.is_empty(), "the ghost from the future is gone");
    assert!(!s.remotes.contains_key("box2"));
    assert!(s.remotes.contains_key("db"), "a remote heard of 10 s ago is kept");
}
