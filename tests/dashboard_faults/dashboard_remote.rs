//! The dashboard with a real remote (OpenSSH sshd on 127.0.0.1): an unknown host key is
//! asked about in a dialog and trusted, then the remote's sessions appear with their
//! `[remote]` label, the footer counts the connection, and attach/detach works over ssh.

use crate::common::sshd::Sshd;
use crate::common::tmux::TmuxServer;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn screen(t: &TmuxServer) -> String {
    t.capture("ui")
}

fn wait(t: &TmuxServer, what: &str) {
    t.wait_text("ui", what, WAIT);
}

fn keys(t: &TmuxServer, keys: &[&str]) {
    t.keys("ui", keys);
}

#[test]
fn unknown_host_key_is_asked_then_remote_rows_appear_and_attach() {
    let sshd = Sshd::start();
    std::fs::write(&sshd.known_hosts, "").unwrap();
    sshd.new_session("far", "");
    sshd.tmux(&["send-keys", "-t", "=far:", "echo REMOTE-''PANE", "Enter"]);
    let now = navi::text::now_unix();
    sshd.write_status(&json!({"tmux_session": "far", "status": "waiting", "timestamp": now,
        "message": "remote says hi", "cwd": sshd.remote_home}));

    let t = TmuxServer::new();
    t.launch_dashboard(Some(&sshd.remotes_yaml("box")));

    wait(&t, "Unknown host key");
    // The row comes with the listing the poller sends right after the dialog's message.
    wait(&t, "box unreachable");
    keys(&t, &["Y"]);
    wait(&t, "trusted the host key of box");
    wait(&t, "remote says hi");
    wait(&t, "remotes 1/1 up");
    let line = screen(&t).lines().find(|l| l.contains("far")).unwrap_or_default().to_string();
    assert!(line.contains("[box]"), "{line:?}");
    let known = std::fs::read_to_string(&sshd.known_hosts).unwrap();
    assert!(known.contains(&format!("[127.0.0.1]:{}", sshd.port)), "{known}");

    // Attach over ssh and detach back to the list.
    keys(&t, &["Enter"]);
    wait(&t, "REMOTE-PANE");
    keys(&t, &["C-b", "d"]);
    wait(&t, "remote says hi");
    wait(&t, "1 sessions");
}

#[test]
fn a_remote_session_whose_agent_never_started_shows_the_error_its_pane_shows() {
    let sshd = Sshd::start();
    sshd.session_that_ran("broken", "nope");
    sshd.write_status(&json!({"tmux_session": "broken", "status": "working", "cwd": sshd.remote_home,
        "timestamp": navi::text::now_unix() - 60, "message": "Starting Claude Code"}));

    let t = TmuxServer::new();
    t.launch_dashboard(Some(&sshd.remotes_yaml("box")));
    // The remote's poll checks the pane and corrects the file over ssh.
    // bash says "nope: command not found", dash "nope: not found".
    wait(&t, "nope: ");
    wait(&t, "not found");
    assert_eq!(sshd.read_status("broken").unwrap()["status"], "error");
}

/// A remote without navi is polled, and the footer offers to set it up; `S`, then `y`,
/// installs navi there, and its changes are pushed from then on.
#[test]
fn a_remote_without_navi_is_offered_setup_and_then_streams() {
    let sshd = Sshd::start();
    sshd.new_session("far", "");
    sshd.write_status(&json!({"tmux_session": "far", "status": "waiting", "message": "polled for now"}));
    let t = TmuxServer::new();
    t.launch_dashboard(Some(&sshd.remotes_yaml("box")));
    wait(&t, "polled for now");
    wait(&t, "no navi on box: S sets it up");
    keys(&t, &["S"]);
    wait(&t, "set up box");
    keys(&t, &["y"]);
    wait(&t, "box is set up");
    assert!(sshd.remote_home.join(".local/bin/navi").exists());
    // The stream is tried again at once: the offer goes, and a remote navi streams.
    t.wait_text_gone("ui", "S sets it up", WAIT);
    let streaming = crate::common::tmux::wait_for(WAIT, || !sshd.streams().is_empty());
    assert!(streaming, "no stream started after the set-up");
    sshd.write_status(&json!({"tmux_session": "far", "status": "waiting", "message": "pushed now"}));
    wait(&t, "pushed now");
}
