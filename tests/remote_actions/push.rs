//! Pushed changes against a real sshd with the built navi installed on the remote side:
//! a hook run there reaches the poller without a poll; the stream killed is started again
//! and nothing is lost; a remote without navi stays in poll mode and says why; a stream
//! that floods or prints garbage is dropped for polling.

use crate::common::sshd::{Options, Sshd, run};
use navi::app::Msg;
use navi::backend::SessionBackend;
use navi::backend::remote::RemoteBackend;
use navi::config::parse_remotes;
use navi::push::link::Mode;
use navi::ssh::Pool;
use navi::tui::pollers::{HostKeys, Poller, ShellPoller};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(60);
/// Longer than any test: a listing that arrives came from the stream (or a fallback).
const NO_POLL: Duration = Duration::from_secs(3600);

fn fake_navi(sshd: &Sshd, script: &str) {
    let path = sshd.remote_home.join("fake-navi");
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    sshd.install_navi(&path);
}

struct Follow {
    backend: Arc<RemoteBackend>,
    rx: mpsc::UnboundedReceiver<Msg>,
    _poller: Poller,
    _pause: tokio::sync::watch::Sender<bool>,
}

impl Follow {
    fn start(sshd: &Sshd, every: Duration) -> Self {
        let loaded = parse_remotes(&sshd.remotes_yaml("box"), Path::new("/nonexistent-home")).unwrap();
        let cfg = loaded.config;
        let pool = Arc::new(Pool::new(&cfg));
        let log = sshd.remote_home.parent().unwrap().join("push.log");
        let backend = Arc::new(
            RemoteBackend::new(cfg.remotes[0].clone(), pool, cfg.known_hosts.clone(), cfg.host_key_checking)
                .with_push_log(log),
        );
        let (tx, rx) = mpsc::unbounded_channel();
        let (pause, paused) = tokio::sync::watch::channel(false);
        let poller = Poller::start(backend.clone(), Some(every), tx, HostKeys::default(), paused, None, None);
        Follow { backend, rx, _poller: poller, _pause: pause }
    }

    /// Waits for a listing in which `session` has `status`.
    async fn until_status(&mut self, session: &str, status: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let msg = tokio::time::timeout(left, self.rx.recv()).await;
            let Ok(Some(msg)) = msg else { panic!("{session} never became {status}: {:?}", self.backend.push_mode()) };
            if let Msg::Listing { result: Ok((sessions, _)), .. } = msg
                && sessions.iter().any(|s| s.file.tmux_session == session && s.file.status.as_str() == status)
            {
                return;
            }
        }
    }

    async fn until_mode(&self, want: impl Fn(&Mode) -> bool) -> Mode {
        let deadline = Instant::now() + WAIT;
        loop {
            let mode = self.backend.push_mode();
            if want(&mode) {
                return mode;
            }
            assert!(Instant::now() < deadline, "mode stayed {mode:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Runs the installed `navi hook` on the remote for `session`'s pane, as Claude Code does.
fn hook(sshd: &Sshd, session: &str, event: &str) {
    let pane = sshd.tmux(&["display-message", "-p", "-t", &format!("={session}:"), "#{pane_id}"]);
    let pane = String::from_utf8_lossy(&pane.stdout).trim().to_string();
    let payload = format!(r#"{{"hook_event_name":"{event}","session_id":"s-1","cwd":"/tmp","prompt":"go"}}"#);
    sshd.as_user(&format!("printf '%s' '{payload}' | TMUX_PANE='{pane}' ~/.local/bin/navi hook"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_on_the_remote_arrives_without_a_poll_and_a_killed_stream_comes_back() {
    let sshd = Sshd::start();
    sshd.install_navi(Path::new(env!("CARGO_BIN_EXE_navi")));
    sshd.new_session("agent", "");
    let mut f = Follow::start(&sshd, NO_POLL);
    let mode = f.until_mode(|m| matches!(m, Mode::Push { .. })).await;
    assert_eq!(mode, Mode::Push { version: env!("CARGO_PKG_VERSION").into() });
    assert!(f.backend.pushed());

    hook(&sshd, "agent", "UserPromptSubmit");
    f.until_status("agent", "working").await;
    hook(&sshd, "agent", "Stop");
    f.until_status("agent", "done").await;
    assert!(matches!(f.backend.push_mode(), Mode::Push { .. }), "the stream carried both: no poll ran");

    // The remote navi killed: polled meanwhile, then streamed again; nothing is lost.
    let before = sshd.streams();
    assert_eq!(before.len(), 1, "one stream per remote: {before:?}");
    run(Command::new("kill").arg("-9").arg(before[0].to_string()));
    hook(&sshd, "agent", "UserPromptSubmit");
    f.until_status("agent", "working").await;
    f.until_mode(|m| matches!(m, Mode::Push { .. })).await;
    hook(&sshd, "agent", "Stop");
    f.until_status("agent", "done").await;
    let after = sshd.streams();
    assert_eq!(after.len(), 1, "the old stream is gone, one new one runs: {after:?}");
    assert_ne!(after, before);
    // Its follower gone (the dashboard quit), the remote navi ends too.
    drop(f);
    let ended = tokio::task::spawn_blocking(move || crate::common::tmux::wait_for(WAIT, || sshd.streams().is_empty()));
    assert!(ended.await.unwrap(), "the remote navi outlived its channel");
}

/// Commands sshd started (its log at `LogLevel VERBOSE`).
fn commands_run(sshd: &Sshd) -> usize {
    sshd.log().matches("Starting session: command").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_shells_come_on_the_stream_and_listing_them_runs_no_command() {
    let sshd = Sshd::start_with(Options { extra: "LogLevel VERBOSE".into(), ..Default::default() });
    sshd.install_navi(Path::new(env!("CARGO_BIN_EXE_navi")));
    let f = Follow::start(&sshd, NO_POLL);
    f.until_mode(|m| matches!(m, Mode::Push { .. })).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_pause, paused) = tokio::sync::watch::channel(false);
    // The dashboard's agent-shell lister, ticking every second.
    let _shells = ShellPoller::start(f.backend.clone(), Duration::from_secs(1), tx, paused);
    let mut next_listing = async || match tokio::time::timeout(WAIT, rx.recv()).await {
        Ok(Some(Msg::Shells { result, .. })) => result.expect("a listing"),
        other => panic!("no listing of agent shells: {other:?}"),
    };

    // The stream's first answer (no agent shells yet) in before the shell starts: a poll
    // that ran meanwhile could otherwise see the shell, then the stream's older answer not.
    let deadline = Instant::now() + WAIT;
    while f.backend.pushed_shells().is_none() {
        assert!(Instant::now() < deadline, "the stream never sent agent shells");
        next_listing().await;
    }
    sshd.new_agent_shell("a-00c0ffee", "sleep 300");
    let deadline = Instant::now() + WAIT;
    loop {
        let shells = next_listing().await;
        if shells.iter().any(|s| s.name == "a-00c0ffee" && s.command == "sleep") {
            assert_eq!(shells[0].remote.as_deref(), Some("box"));
            assert!(f.backend.pushed_shells().is_some_and(|p| p.is_ok_and(|p| p.len() == 1)));
            break;
        }
        assert!(Instant::now() < deadline, "the new agent shell never came: {shells:?}");
    }
    // From here on nothing is asked of the remote: listings come from what it pushed, and
    // idle time counts on between them.
    let before = commands_run(&sshd);
    let first = next_listing().await;
    for _ in 0..2 {
        next_listing().await;
    }
    let later = next_listing().await;
    assert!(later[0].idle_seconds > first[0].idle_seconds, "{first:?} then {later:?}");
    sshd.agents(&["kill-session", "-t", "=a-00c0ffee"]);
    let deadline = Instant::now() + WAIT;
    while !next_listing().await.is_empty() {
        assert!(Instant::now() < deadline, "the killed agent shell stayed");
    }
    assert_eq!(commands_run(&sshd), before, "a pushed remote's agent shells were asked for: {}", sshd.log());
    assert!(matches!(f.backend.push_mode(), Mode::Push { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_without_navi_is_polled_and_says_why() {
    let sshd = Sshd::start();
    sshd.new_session("agent", "");
    let mut f = Follow::start(&sshd, Duration::from_millis(300));
    let mode = f.until_mode(|m| matches!(m, Mode::Poll { .. })).await;
    assert!(matches!(&mode, Mode::Poll { reason, .. } if reason.contains("not installed")), "{mode:?}");
    // Polling still lists it.
    sshd.write_status(&serde_json::json!({"tmux_session": "agent", "status": "waiting"}));
    f.until_status("agent", "waiting").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_navi_without_stream_mode_is_polled() {
    let sshd = Sshd::start();
    fake_navi(&sshd, "echo \"error: unexpected argument '--stream' found\" >&2; exit 2");
    let f = Follow::start(&sshd, Duration::from_millis(300));
    let mode = f.until_mode(|m| matches!(m, Mode::Poll { .. })).await;
    assert!(matches!(&mode, Mode::Poll { reason, .. } if reason.contains("no stream mode")), "{mode:?}");
}

/// A stand-in navi's snapshot: one session, waiting (`printf '%s'`: dash's `echo` would
/// read the backslashes).
const SNAPSHOT: &str = r#"line() { printf '%s\n' "$1"; }
line '{"hello":{"protocol":1,"version":"evil"}}'
line '{"tmux":{"status":0,"stdout":"0 agent\n","stderr":""}}'
line '{"file":{"name":"agent.json","text":"{\"tmux_session\":\"agent\",\"status\":\"waiting\"}"}}'
line '"synced"'"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_stream_is_dropped_for_polling() {
    let sshd = Sshd::start();
    sshd.new_session("agent", "");
    fake_navi(&sshd, &format!("{SNAPSHOT}\nsleep 1\nexec yes '{{\"beat\":1}}'"));
    let mut f = Follow::start(&sshd, NO_POLL);
    f.until_status("agent", "waiting").await;
    let mode = f.until_mode(|m| matches!(m, Mode::Poll { .. })).await;
    assert!(matches!(&mode, Mode::Poll { reason, .. } if reason.contains("lines a second")), "{mode:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_garbage_is_skipped_then_dropped_and_nothing_reaches_the_screen() {
    let sshd = Sshd::start();
    sshd.new_session("agent", "");
    // Garbage between good lines: skipped, the good ones applied; then too much of it.
    let garbage = r#"printf '\033]0;pwned\007 not json\n{"file":{"name":"../../etc/x.json","text":"{}"}}\n'"#;
    let script = format!(
        "{SNAPSHOT}\n{garbage}\n\
         line '{{\"file\":{{\"name\":\"agent.json\",\"text\":\"{{\\\"tmux_session\\\":\\\"agent\\\",\\\"status\\\":\\\"error\\\",\\\"message\\\":\\\"\\\\u001b[2Jboom\\\"}}\"}}}}'\n\
         sleep 1; i=0; while [ $i -lt 200 ]; do {garbage}; i=$((i+1)); done; sleep 30"
    );
    fake_navi(&sshd, &script);
    let mut f = Follow::start(&sshd, NO_POLL);
    f.until_status("agent", "error").await;
    let mode = f.until_mode(|m| matches!(m, Mode::Poll { .. })).await;
    let Mode::Poll { reason, .. } = &mode else { unreachable!() };
    assert!(reason.contains("malformed"), "{reason}");
    let log = std::fs::read_to_string(sshd.remote_home.parent().unwrap().join("push.log")).unwrap();
    assert!(log.contains("malformed line") && log.contains("not a status file's name"), "{log}");
    assert!(!log.contains('\x1b') && !log.contains('\x07'), "escapes reached the log: {log:?}");
}

#[test]
fn navi_remotes_says_push_or_poll_and_why() {
    let e = crate::Env::new();
    let out = e.ok(&["remotes"]);
    assert!(out.contains("poll: navi is not installed there"), "{out}");
    e.sshd.install_navi(Path::new(env!("CARGO_BIN_EXE_navi")));
    let out = e.ok(&["remotes"]);
    assert!(out.contains(&format!("push (navi {})", env!("CARGO_PKG_VERSION"))), "{out}");
    let rows: serde_json::Value = serde_json::from_str(&e.ok(&["remotes", "--json"])).unwrap();
    assert_eq!(rows[0]["mode"], "push");
    assert_eq!(rows[0]["navi_version"], env!("CARGO_PKG_VERSION"));
}
