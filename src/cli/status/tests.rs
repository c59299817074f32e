use super::*;
use crate::sessions::StatusFile;
use serde_json::{Value, json};

const NOW: i64 = 10_000;

fn file(name: &str, status: Status, at: i64, message: &str) -> StatusFile {
    let mut f = StatusFile::new(name, status);
    f.timestamp = Some(at);
    f.message = Some(message.into());
    f
}

/// Local sessions in `dir/sessions`, the summary in `dir/state`.
fn setup(local: &[StatusFile], summary: Option<&Summary>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("sessions"));
    for f in local {
        store.write(f).unwrap();
    }
    if let Some(s) = summary {
        crate::summary::write(&dir.path().join("state"), s).unwrap();
    }
    dir
}

fn report(dir: &tempfile::TempDir, remotes: &[&str]) -> Report {
    let names: Vec<String> = remotes.iter().map(|r| r.to_string()).collect();
    gather(&dir.path().join("sessions"), &dir.path().join("state"), &names, NOW)
}

#[test]
fn counts_local_and_remote_and_names_the_pick() {
    let mut s = Summary::default();
    let far = [file("api", Status::Permission, NOW - 300, "Allow Bash"), file("job", Status::Working, NOW, "")];
    s.record_remote("box", RemoteState::Up, &far, NOW - 5);
    // A remote no longer in remotes.yaml is not counted.
    s.record_remote("gone", RemoteState::Up, &[file("old", Status::Waiting, 1, "")], NOW - 5);
    let dir = setup(
        &[file("web", Status::Waiting, NOW - 30, "Which file?"), file("cli", Status::Working, NOW - 2, "")],
        Some(&s),
    );
    let r = report(&dir, &["box"]);
    assert_eq!((r.local, r.remote), (2, 2));
    let plain = render(&r, StatusFormat::Plain, NOW);
    assert!(plain.starts_with("sessions: 1 permission, 1 waiting, 2 working (2 local, 2 remote)\n"), "{plain}");
    assert!(plain.contains("waited longest: api [box] permission since 5m ago: Allow Bash\n"), "{plain}");
    assert!(plain.contains("box: up, 5s ago\n"), "{plain}");
    assert!(!plain.contains("stale") && !plain.contains("gone"), "{plain}");
    let tmux = render(&r, StatusFormat::Tmux, NOW);
    assert_eq!(tmux, "❓1 ⏳1 ⚙️2 · api@box 5m\n");
    let json: Value = serde_json::from_str(&render(&r, StatusFormat::Json, NOW)).unwrap();
    assert_eq!(json["counts"], json!({"permission": 1, "waiting": 1, "working": 2}));
    assert_eq!(
        json["attention"],
        json!([{"session": "api", "remote": "box", "status": "permission", "since": NOW - 300},
               {"session": "web", "remote": null, "status": "waiting", "since": NOW - 30}])
    );
    assert_eq!(json["remotes"], json!({"box": {"state": "up", "age_seconds": 5}}));
}

#[test]
fn a_stale_summary_says_how_old_it_is() {
    let mut s = Summary::default();
    s.record_remote("box", RemoteState::Up, &[file("api", Status::Done, NOW - 400, "")], NOW - 180);
    s.record_remote("db", RemoteState::Unreachable("connection refused".into()), &[], NOW - 10);
    let dir = setup(&[], Some(&s));
    let r = report(&dir, &["box", "db", "new"]);
    let plain = render(&r, StatusFormat::Plain, NOW);
    assert!(plain.contains("box: up, 3m ago, stale: is the dashboard or navi watch running?\n"), "{plain}");
    assert!(plain.contains("db: unreachable (connection refused), 10s ago\n"), "{plain}");
    assert!(plain.contains("new: not listed yet\n"), "{plain}");
    let tmux = render(&r, StatusFormat::Tmux, NOW);
    assert_eq!(tmux, "✅1 · api@box 6m #[dim]box 3m old db unreachable#[nodim]\n");
    let json: Value = serde_json::from_str(&render(&r, StatusFormat::Json, NOW)).unwrap();
    assert_eq!(json["remotes"]["box"], json!({"state": "up", "age_seconds": 180}));
    assert_eq!(json["remotes"]["db"]["reason"], "connection refused");
    assert_eq!(json["remotes"]["new"], json!({"state": "unknown", "age_seconds": null}));
}

#[test]
fn no_summary_is_said_in_plain_only_and_only_with_remotes() {
    let dir = setup(&[file("web", Status::Idle, NOW, "")], None);
    let r = report(&dir, &["box"]);
    assert_eq!(r.summary, SummaryNote::Missing);
    let plain = render(&r, StatusFormat::Plain, NOW);
    assert!(plain.ends_with("no summary: run the dashboard or navi watch\n"), "{plain}");
    assert_eq!(render(&r, StatusFormat::Tmux, NOW), "⏸1\n");
    let plain = render(&report(&dir, &[]), StatusFormat::Plain, NOW);
    assert_eq!(plain, "sessions: 1 idle (1 local, 0 remote)\n");
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(render(&report(&empty, &[]), StatusFormat::Plain, NOW), "no sessions\n");
    assert_eq!(render(&report(&empty, &[]), StatusFormat::Tmux, NOW), "\n");
}

#[test]
fn hostile_names_and_messages_inject_no_tmux_format_or_escape() {
    let mut s = Summary::default();
    let evil = file("#[fg=red]x#(reboot)\x1b[31m", Status::Permission, NOW - 60, "#{pane_id}\x1b]0;t\x07");
    s.record_remote("r#{host}", RemoteState::Up, &[evil], NOW - 100);
    // A remote found down: its reason is shown (its last-seen sessions are not counted).
    s.record_remote("q#{host}", RemoteState::Down("#[bg=red]\x1b[2J".into()), &[], NOW - 100);
    let dir = setup(&[file("odd", Status::Other("#[blink]".into()), NOW, "")], Some(&s));
    let r = report(&dir, &["r#{host}", "q#{host}"]);
    let tmux = render(&r, StatusFormat::Tmux, NOW);
    // Every `#` navi did not write itself is doubled: tmux shows it as text.
    let ours = tmux.replace("#[dim]", "").replace("#[nodim]", "");
    assert!(!ours.replace("##", "").contains('#'), "{tmux}");
    assert!(tmux.contains("##[fg=red]x##(reboot)@r##{host}"), "{tmux}");
    assert!(tmux.contains("○1"), "an unknown status counts as other: {tmux}");
    for format in [StatusFormat::Plain, StatusFormat::Tmux, StatusFormat::Json] {
        let out = render(&r, format, NOW);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{format:?}: {out:?}");
        assert_eq!(out.matches('\n').count(), if format == StatusFormat::Plain { 4 } else { 1 }, "{out}");
    }
    let json: Value = serde_json::from_str(&render(&r, StatusFormat::Json, NOW)).unwrap();
    assert_eq!(json["counts"], json!({"permission": 1, "other": 1}));
    // JSON escapes control characters itself: what a script decodes must be clean too.
    let decoded = json.to_string().replace("\\u001b", "\x1b");
    assert!(!format!("{json:?}").contains('\x1b') && !decoded.contains('\x1b'), "{json}");
    assert_eq!(json["remotes"]["q#{host}"]["reason"], json!("#[bg=red]"), "{json}");
}
