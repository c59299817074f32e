//! `navi jump` from tmux's key binding (`run-shell`, no terminal), with a real client:
//! an outer tmux whose pane runs `tmux attach` to the server under test. The client is
//! switched to the session waiting longest; a remote one opens in a new window attached
//! over ssh (real sshd); nothing waiting is exit 1 with a message.

mod common;

use common::sshd::Sshd;
use common::tmux::{TmuxServer, wait_for};
use navi::sessions::{Status, StatusFile};
use navi::summary::{RemoteState, Summary};
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// The server under test with sessions `names`, and an outer tmux whose pane is a client
/// attached to the first of them.
struct Setup {
    t: TmuxServer,
    outer: TmuxServer,
}

impl Setup {
    fn new(names: &[&str]) -> Setup {
        let t = TmuxServer::new();
        for n in names {
            t.new_session(n, &t.home, "");
        }
        // `navi jump` as the documented binding runs it (docs/status-bar.md), with this
        // test's HOME and no private-socket flag: $TMUX names the server.
        let navi = format!(
            "env -u NAVI_TMUX_SOCKET -u XDG_STATE_HOME -u XDG_CONFIG_HOME -u NAVI_SESSIONS_DIR -u NAVI_REMOTES HOME={} {} jump 2>&1",
            shlex::try_quote(&t.home.to_string_lossy()).unwrap(),
            env!("CARGO_BIN_EXE_navi")
        );
        let out = t.tmux(&["bind-key", "J", "run-shell", &navi]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let outer = TmuxServer::new();
        let attach = format!(
            "tmux -S {} attach-session -t ={}",
            shlex::try_quote(&t.socket.to_string_lossy()).unwrap(),
            names[0]
        );
        let out = outer.tmux_cmd().args(["new-session", "-d", "-x", "100", "-y", "30", "-s", "term", &attach]).output();
        assert!(out.unwrap().status.success());
        let s = Setup { t, outer };
        assert!(wait_for(WAIT, || s.client_session() == names[0]), "no client: {:?}", s.client_session());
        // Attached is not yet taking keys: prefix + J pressed too early could be lost.
        s.t.wait_client_takes_keys(&s.outer, "term");
        s
    }

    fn client_session(&self) -> String {
        let out = self.t.tmux(&["list-clients", "-F", "#{client_session}"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// prefix + J, typed into the client's terminal.
    fn press_jump(&self) {
        self.outer.keys("term", &["C-b", "J"]);
    }
}

#[test]
fn the_key_binding_switches_the_client_to_the_session_waiting_longest() {
    let s = Setup::new(&["home", "newer", "older", "busy"]);
    let t = &s.t;
    let now = navi::text::now_unix();
    t.write_status(&json!({"tmux_session": "home", "status": "working", "timestamp": now}));
    t.write_status(&json!({"tmux_session": "busy", "status": "done", "timestamp": now - 900}));
    t.write_status(&json!({"tmux_session": "newer", "status": "waiting", "timestamp": now - 10}));
    t.write_status(&json!({"tmux_session": "older", "status": "waiting", "timestamp": now - 300}));
    s.press_jump();
    assert!(wait_for(WAIT, || s.client_session() == "older"), "client on {:?}", s.client_session());
    // Waiting goes before done, however old the done one is; then the next waiting one.
    t.write_status(&json!({"tmux_session": "older", "status": "working", "timestamp": now}));
    s.press_jump();
    assert!(wait_for(WAIT, || s.client_session() == "newer"), "client on {:?}", s.client_session());
    t.write_status(&json!({"tmux_session": "newer", "status": "working", "timestamp": now}));
    s.press_jump();
    assert!(wait_for(WAIT, || s.client_session() == "busy"), "client on {:?}", s.client_session());
    // Nothing waits: the binding shows navi's message in the client (tmux's view mode).
    t.write_status(&json!({"tmux_session": "busy", "status": "working", "timestamp": now}));
    s.press_jump();
    let said = wait_for(WAIT, || s.outer.capture("term").contains("navi: nothing is waiting for you"));
    assert!(said, "{}", s.outer.capture("term"));
    assert_eq!(s.client_session(), "busy");
}

#[test]
fn with_navi_socket_set_to_the_clients_own_server_the_client_switches_too() {
    let s = Setup::new(&["home", "wants"]);
    let t = &s.t;
    let navi = format!(
        "env -u XDG_STATE_HOME -u XDG_CONFIG_HOME HOME={} NAVI_TMUX_SOCKET={} {} jump 2>&1",
        shlex::try_quote(&t.home.to_string_lossy()).unwrap(),
        shlex::try_quote(&t.socket.to_string_lossy()).unwrap(),
        env!("CARGO_BIN_EXE_navi")
    );
    assert!(t.tmux(&["bind-key", "J", "run-shell", &navi]).status.success());
    let now = navi::text::now_unix();
    t.write_status(&json!({"tmux_session": "wants", "status": "permission", "timestamp": now}));
    s.press_jump();
    assert!(wait_for(WAIT, || s.client_session() == "wants"), "client on {:?}", s.client_session());
    // Switched, not a new window holding tmux inside itself.
    let windows = t.tmux(&["list-windows", "-a", "-F", "#{session_name}:#{window_name}"]);
    let windows = String::from_utf8_lossy(&windows.stdout).into_owned();
    assert_eq!(windows.lines().count(), 2, "{windows}");
}

#[test]
fn nothing_waiting_is_exit_1_with_a_message() {
    let t = TmuxServer::new();
    t.new_session("busy", &t.home, "");
    t.write_status(&json!({"tmux_session": "busy", "status": "working", "timestamp": navi::text::now_unix()}));
    let (code, out, err) = t.run_navi(&["jump"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("nothing is waiting for you"), "{err}");
    // A waiting file whose tmux session is gone is no reason to jump.
    t.write_status(&json!({"tmux_session": "gone", "status": "waiting", "timestamp": 1}));
    let (code, _, err) = t.run_navi(&["jump"]);
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = t.run_navi(&["jump", "--remote", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("no remote named \"nope\""), "{err}");
}

#[test]
fn a_remote_session_opens_in_a_new_window_attached_over_ssh() {
    let sshd = Sshd::start();
    sshd.new_session("far", "");
    sshd.tmux(&["send-keys", "-t", "=far:", "echo REMOTE-''PANE", "Enter"]);
    let s = Setup::new(&["home"]);
    let t = &s.t;
    let now = navi::text::now_unix();
    t.write_status(&json!({"tmux_session": "home", "status": "working", "timestamp": now}));
    let config = t.home.join(".config/navi");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("remotes.yaml"), sshd.remotes_yaml("box")).unwrap();
    // What the dashboard recorded about box; choosing needs no connection.
    let mut summary = Summary::default();
    let mut far = StatusFile::new("far", Status::Permission);
    far.timestamp = Some(now - 30);
    summary.record_remote("box", RemoteState::Up, &[far], now);
    navi::summary::write(&t.home.join(".local/state/navi"), &summary).unwrap();

    s.press_jump();
    let window = "=home:far@box";
    let shown = wait_for(WAIT, || t.capture(window).contains("REMOTE-PANE"));
    assert!(
        shown,
        "windows: {}\n{}",
        String::from_utf8_lossy(&t.tmux(&["list-windows", "-a"]).stdout),
        t.capture(window)
    );
    assert_eq!(s.client_session(), "home", "the client stays in its session, on the new window");
}
