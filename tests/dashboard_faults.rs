//! The dashboard against failing remotes: a port that accepts TCP and never answers must not
//! freeze the screen or hold back local rows; `f` filters All / Local / Remote; a remote whose
//! sshd dies shows as unreachable and its rows come back by themselves when it returns.

mod common;
#[path = "dashboard_faults/dashboard_remote.rs"]
mod dashboard_remote;

use common::sshd::Sshd;
use common::tmux::TmuxServer;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn screen(t: &TmuxServer) -> String {
    t.capture("ui")
}

fn wait(t: &TmuxServer, what: &str) {
    t.wait_text("ui", what, WAIT);
}

fn wait_gone(t: &TmuxServer, what: &str) {
    t.wait_text_gone("ui", what, WAIT);
}

fn keys(t: &TmuxServer, keys: &[&str]) {
    t.keys("ui", keys);
}

fn launch(t: &TmuxServer, remotes_yaml: &str) {
    t.launch_dashboard(Some(remotes_yaml));
}

fn local_session(t: &TmuxServer, name: &str) {
    t.new_session(name, &t.home, "");
    t.write_status(&json!({"tmux_session": name, "status": "waiting", "timestamp": navi::text::now_unix(),
        "message": format!("{name} is local")}));
}

#[test]
fn a_black_holed_remote_never_freezes_the_dashboard() {
    // Accepts TCP connections and never says a word: the SSH handshake can only time out.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hole.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in hole.incoming().flatten() {
            held.push(c);
        }
    });
    let t = TmuxServer::new();
    local_session(&t, "loc");
    let key = t.home.join("id_ed25519");
    std::fs::write(&key, "not a key").unwrap();
    launch(
        &t,
        &format!(
            "known_hosts: {}\nremotes:\n  - name: hole\n    host: 127.0.0.1\n    port: {port}\n    user: nobody\n    key: {}\n",
            t.home.join("kh").display(),
            key.display()
        ),
    );

    // Local rows and keys work while the remote is still being tried.
    wait(&t, "loc is local");
    keys(&t, &["?"]);
    wait(&t, "previous session");
    keys(&t, &["Escape"]);
    wait_gone(&t, "previous session");

    // The remote ends up as a row saying why, and the local session is still there.
    wait(&t, "hole unreachable");
    let s = screen(&t);
    assert!(s.contains("loc is local"), "{s}");
    assert!(s.to_lowercase().contains("timed out") || s.contains("timeout"), "{s}");

    // f: All -> Local -> Remote -> All.
    keys(&t, &["f"]);
    wait(&t, "[Local]");
    assert!(!screen(&t).contains("hole unreachable"), "{}", screen(&t));
    assert!(screen(&t).contains("loc is local"));
    keys(&t, &["f"]);
    wait(&t, "[Remote]");
    wait_gone(&t, "loc is local");
    assert!(screen(&t).contains("hole unreachable"));
    keys(&t, &["f"]);
    wait(&t, "[All]");
    wait(&t, "loc is local");
}

#[test]
fn remote_rows_come_back_after_sshd_restarts() {
    let mut sshd = Sshd::start();
    sshd.new_session("far", "");
    sshd.write_status(&json!({"tmux_session": "far", "status": "done", "timestamp": navi::text::now_unix(),
        "message": "far away", "cwd": sshd.remote_home}));
    let t = TmuxServer::new();
    local_session(&t, "loc");
    launch(&t, &sshd.remotes_yaml("box"));
    wait(&t, "far away");
    wait(&t, "loc is local");

    sshd.kill();
    keys(&t, &["r"]);
    // Its sessions stay, as last seen, marked; the reason on the status line.
    wait(&t, "box unreachable");
    wait(&t, "unreachable for");
    let s = screen(&t);
    assert!(s.contains("far away") && s.contains("loc is local"), "{s}");
    // Acting on them says why, instead of failing somewhere in ssh.
    t.select("ui", "far [box]", "j");
    keys(&t, &["x"]);
    wait(&t, "box is unreachable (for");
    // `navi list` prints them from the summary the dashboard keeps, marked. The summary is
    // written a moment after the screen changed (changes settle first): wait for it.
    let mut rows: Vec<serde_json::Value> = Vec::new();
    let written = common::tmux::wait_for(WAIT, || {
        let (code, out, err) = t.run_navi(&["list", "--json"]);
        assert_eq!(code, 0, "{err}");
        rows = serde_json::from_str(&out).unwrap();
        rows.iter().any(|r| r["tmux_session"] == "far" && r["reachable"] == false)
    });
    assert!(written, "far never listed as unreachable: {rows:?}");
    let far = rows.iter().find(|r| r["tmux_session"] == "far").expect("far as last seen");
    assert_eq!(far["reachable"], false, "{far}");
    assert_eq!(far["remote"], "box");
    assert!(far["as_of"].as_i64().is_some_and(|t| t > navi::text::now_unix() - 120), "{far}");
    let (_, text, _) = t.run_navi(&["list"]);
    assert!(text.contains("box is unreachable; its sessions as last seen"), "{text}");

    sshd.restart();
    keys(&t, &["r"]);
    wait_gone(&t, "unreachable for");
    assert!(screen(&t).contains("far away") && screen(&t).contains("loc is local"));
}
