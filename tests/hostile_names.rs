//! Hostile session names and directories through every action: nothing runs, and no
//! other session or file is touched.

mod common;
use common::tmux::TmuxServer;
use serde_json::{Value, json};

const NAMES: &[&str] =
    &["$(touch pwned)", "a'b\"c", "`touch pwned`", "x;touch pwned", "two words", "ünï😀", "-lead", "al", "alpha"];

fn run(t: &TmuxServer, args: &[&str]) -> (i32, String, String) {
    common::tmux::outcome(t.navi().current_dir(t.dir.path()).args(args))
}

fn no_pwned(t: &TmuxServer) {
    for dir in [t.dir.path(), t.home.as_path()] {
        assert!(!dir.join("pwned").exists(), "a name ran a command in {}", dir.display());
    }
}

#[test]
fn every_action_on_hostile_names() {
    let t = TmuxServer::new();
    t.new_session("keepalive", &t.home, "");
    t.tmux(&["set-option", "-g", "default-command", "exec sh"]);
    let dir = t.dir.path().join("d $(touch pwned) `x` ; 'q'\nline two");
    std::fs::create_dir_all(&dir).unwrap();
    for name in NAMES {
        let (code, _, err) = run(&t, &["new", name, "--dir", dir.to_str().unwrap()]);
        assert_eq!(code, 0, "new {name:?}: {err}");
    }
    let mut alive = t.sessions_alive();
    alive.sort();
    let mut want: Vec<String> = NAMES.iter().map(|s| s.to_string()).chain(["keepalive".to_string()]).collect();
    want.sort();
    assert_eq!(alive, want, "tmux holds exactly these names");

    let (code, out, _) = run(&t, &["list", "--json"]);
    assert_eq!(code, 0);
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.len(), NAMES.len());
    for r in &rows {
        assert_eq!(r["cwd"], dir.to_str().unwrap());
    }

    for name in NAMES {
        assert_eq!(run(&t, &["send", name, "echo hi"]).0, 0, "send {name:?}");
        assert_eq!(run(&t, &["dismiss", name]).0, 0, "dismiss {name:?}");
        assert_eq!(run(&t, &["preview", name]).0, 0, "preview {name:?}");
        // A shell, no permission dialog: a clear refusal naming the session, nothing typed.
        for verb in ["approve", "deny"] {
            let (code, _, err) = run(&t, &[verb, name]);
            assert!(code == 1 && err.contains("nothing typed"), "{verb} {name:?}: {err}");
        }
    }
    let renamed = format!("{}-2", NAMES[0]);
    assert_eq!(run(&t, &["rename", NAMES[0], &renamed]).0, 0);
    assert!(t.status_path(&renamed).exists());

    // Killing "al" must leave "alpha" alone; killing "-lead" must not be read as a flag.
    for name in ["al", "-lead", renamed.as_str()] {
        let (code, _, err) = run(&t, &["kill", name]);
        assert_eq!(code, 0, "kill {name:?}: {err}");
        assert!(!t.sessions_alive().contains(&name.to_string()));
        assert!(!t.status_path(name).exists());
    }
    assert!(t.sessions_alive().contains(&"alpha".to_string()));
    assert!(t.status_path("alpha").exists());
    assert_eq!(t.sessions_alive().len(), NAMES.len() - 2);
    no_pwned(&t);
}

#[test]
fn names_tmux_would_rewrite_are_refused() {
    let t = TmuxServer::new();
    for bad in ["a\nb", "a.b", "a:b", "", "a/b", "tab\there"] {
        let (code, _, err) = run(&t, &["new", bad, "--dir", "/tmp"]);
        assert_ne!(code, 0, "{bad:?}");
        assert!(err.contains("invalid name"), "{bad:?}: {err}");
    }
    assert!(t.sessions_alive().is_empty());
}

#[test]
fn hostile_status_file_contents_do_not_run() {
    let t = TmuxServer::new();
    t.new_session("s", &t.home, "");
    t.write_status(&json!({"tmux_session":"s","status":"idle","cwd":"$(touch pwned)"}));
    let (code, _, err) = run(&t, &["git", "s"]);
    assert_ne!(code, 0);
    assert!(err.contains("directory does not exist"), "{err}");
    no_pwned(&t);
}

#[test]
fn a_name_that_looks_like_a_session_id_targets_itself() {
    let t = TmuxServer::new();
    // The first session gets id $0; a session *named* "$0" must not be confused with it.
    t.new_session("victim", &t.home, "");
    t.new_session("$0", &t.home, "");
    t.new_session("*", &t.home, "");
    for name in ["$0", "*"] {
        t.write_status(&json!({"tmux_session":name,"status":"done"}));
    }
    let (code, _, err) = run(&t, &["kill", "$0"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&t, &["kill", "*"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(t.sessions_alive(), ["victim"]);
    let (code, _, err) = run(&t, &["kill", "$0"]);
    assert_ne!(code, 0);
    assert!(err.contains("no session named"), "{err}");
    assert_eq!(t.sessions_alive(), ["victim"]);
}

#[test]
fn names_tmux_stores_escaped_keep_their_status_files() {
    let t = TmuxServer::new();
    t.new_session("keepalive", &t.home, "");
    t.tmux(&["set-option", "-g", "default-command", "exec sh"]);
    // tmux stores `$HOME` as `\$HOME` and doubles a backslash: the status file must carry
    // the stored name, or the next list would take the live session's file for stale.
    for (typed, stored) in [("$HOME", "\\$HOME"), ("a\\b", "a\\\\b"), ("ünï $x", "ünï \\$x")] {
        let (code, out, err) = run(&t, &["new", typed, "--dir", t.home.to_str().unwrap()]);
        assert_eq!(code, 0, "{typed:?}: {err}");
        assert!(out.contains(stored), "{out}");
        let (_, out, _) = run(&t, &["list", "--json"]);
        let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
        assert!(rows.iter().any(|r| r["tmux_session"] == stored), "{typed:?} listed as {stored:?}: {out}");
        assert!(t.status_path(stored).exists());
        let renamed = format!("{stored}-r");
        let (code, _, err) = run(&t, &["rename", stored, &format!("{typed}-r")]);
        assert_eq!(code, 0, "{err}");
        assert!(t.status_path(&renamed).exists(), "renamed file carries tmux's name {renamed:?}");
        let (_, out, _) = run(&t, &["list", "--json"]);
        assert!(
            serde_json::from_str::<Vec<Value>>(&out).unwrap().iter().any(|r| r["tmux_session"] == renamed.as_str())
        );
        let (code, _, err) = run(&t, &["kill", &renamed]);
        assert_eq!(code, 0, "{err}");
    }
    assert_eq!(t.sessions_alive(), ["keepalive"]);
}

#[test]
fn a_directory_that_looks_like_an_option_is_a_directory() {
    let t = TmuxServer::new();
    t.new_session("keepalive", &t.home, "");
    t.tmux(&["set-option", "-g", "default-command", "exec sh"]);
    let dir = t.dir.path().join("-P");
    std::fs::create_dir_all(&dir).unwrap();
    let out = t.navi().current_dir(t.dir.path()).args(["new", "opt", "--dir", "-P"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(t.read_status("opt").unwrap()["cwd"], std::fs::canonicalize(&dir).unwrap().to_str().unwrap());
    t.write_status(&json!({"tmux_session":"opt","status":"idle","cwd":"-P"}));
    let out = t.navi().current_dir(t.dir.path()).args(["git", "opt"]).output().unwrap();
    // "-P" relative to navi's directory on the host is not a repository: not $HOME's git.
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a git repository"));
}
