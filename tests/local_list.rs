//! `navi list` against a real private tmux server: the join with tmux, stale cleanup only
//! after tmux answered, JSON output, malformed files skipped and reported.

mod common;
use common::tmux::TmuxServer;
use serde_json::{Value, json};

fn list_json(t: &TmuxServer) -> (Vec<Value>, String) {
    let (code, out, err) = t.run_navi(&["list", "--json"]);
    assert_eq!(code, 0, "stderr: {err}");
    (serde_json::from_str(&out).expect("list --json prints JSON"), err)
}

#[test]
fn joins_status_files_with_tmux_and_removes_stale_ones() {
    let t = TmuxServer::new();
    t.new_session("api", &t.home, "");
    t.new_session("web", &t.home, "");
    let now = navi::text::now_unix();
    t.write_status(
        &json!({"tmux_session":"api","status":"waiting","message":"Need input","timestamp":now,"custom":{"k":1}}),
    );
    t.write_status(&json!({"tmux_session":"web","status":"done","timestamp":now - 100}));
    t.write_status(&json!({"tmux_session":"gone","status":"working","timestamp":now}));

    let (rows, _) = list_json(&t);
    let names: Vec<&str> = rows.iter().map(|r| r["tmux_session"].as_str().unwrap()).collect();
    assert_eq!(names, ["api", "web"], "waiting first, stale session not listed");
    assert_eq!(rows[0]["remote"], Value::Null);
    assert_eq!(rows[0]["custom"], json!({"k":1}), "unknown fields are carried");
    assert_eq!(rows[0]["message"], "Need input");
    assert!(!t.status_path("gone").exists(), "stale file removed");
    assert!(t.status_path("api").exists() && t.status_path("web").exists());

    let (code, out, _) = t.run_navi(&["list"]);
    assert_eq!(code, 0);
    assert!(out.contains("⏳ api") && out.contains("Need input"), "{out}");
    assert!(out.contains("✅ web") && out.contains("1m ago"), "{out}");
}

#[test]
fn no_tmux_server_means_no_sessions() {
    let t = TmuxServer::new();
    t.write_status(&json!({"tmux_session":"old","status":"done"}));
    let (rows, _) = list_json(&t);
    assert!(rows.is_empty());
    assert!(!t.status_path("old").exists(), "no server running is an answer: the file is stale");
}

#[test]
fn files_are_kept_when_tmux_does_not_answer() {
    let t = TmuxServer::new();
    t.write_status(&json!({"tmux_session":"keep","status":"done"}));
    // A PATH without tmux: the question was never answered, so nothing may be deleted.
    let bin = t.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink("/bin/sh", bin.join("sh")).unwrap();
    let out = t.navi().env("PATH", &bin).args(["list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tmux"), "the failure is reported: {err}");
    assert!(t.status_path("keep").exists(), "file kept when tmux did not answer");
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 1, "sessions are still shown");
}

#[test]
fn malformed_files_are_skipped_and_reported() {
    let t = TmuxServer::new();
    t.new_session("ok", &t.home, "");
    t.write_status(&json!({"tmux_session":"ok","status":"idle"}));
    std::fs::write(t.sessions.join("broken.json"), "{\"tmux_session\": \"x\", \"stat").unwrap();
    std::fs::write(t.sessions.join("binary.json"), b"\xff\xfe\x00garbage").unwrap();
    std::fs::write(t.sessions.join("empty.json"), "").unwrap();
    let (rows, err) = list_json(&t);
    assert_eq!(rows.len(), 1);
    for f in ["broken.json", "binary.json", "empty.json"] {
        assert_eq!(err.matches(f).count(), 1, "{f} reported once: {err}");
    }
    assert!(t.sessions.join("broken.json").exists(), "a malformed file is not deleted");
}

#[test]
fn filter_local_and_remote() {
    let t = TmuxServer::new();
    t.new_session("a", &t.home, "");
    t.write_status(&json!({"tmux_session":"a","status":"idle"}));
    let (code, out, _) = t.run_navi(&["list", "--json", "--filter", "remote"]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), json!([]));
    let (code, out, _) = t.run_navi(&["list", "--json", "--filter", "local"]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&out).unwrap().len(), 1);
}

#[test]
fn escape_sequences_never_reach_the_terminal() {
    let t = TmuxServer::new();
    t.new_session("evil", &t.home, "");
    t.write_status(&json!({"tmux_session":"evil","status":"done","message":"hi\u{1b}]0;pwned\u{7}\u{1b}[2Jthere\u{1b}[31m","cwd":"/tmp/\u{1b}[1mx"}));
    let (code, out, _) = t.run_navi(&["list"]);
    assert_eq!(code, 0);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("hithere"), "{out:?}");
}
