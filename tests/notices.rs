//! Local notices with nothing but the hook running: the hook run from inside a pane of a
//! private tmux server starts `navi notice`, which runs the user's command with the notice
//! in its environment — once per transition, never while a client shows the session, and
//! never running anything built from session data.

mod common;

use common::dbus::Bus;
use common::sshd::Sshd;
use common::tmux::{TmuxServer, wait_for};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A config whose command appends one line per notice to `log` (the notice only in the
/// environment, as a user's ntfy or script would get it).
fn configure(t: &TmuxServer, log: &Path, extra: &str) {
    configure_with(t, log, false, extra)
}

fn configure_with(t: &TmuxServer, log: &Path, desktop: bool, extra: &str) {
    let dir = t.home.join(".config/navi");
    std::fs::create_dir_all(&dir).unwrap();
    let script = format!(
        "printf '%s|%s|%s|%s|%s\\n' \"$NAVI_SESSION\" \"$NAVI_REMOTE\" \"$NAVI_STATUS\" \"$NAVI_REASON\" \"$NAVI_MESSAGE\" >> '{}'",
        log.display()
    );
    let yaml = format!(
        "notify:\n  desktop: {desktop}\n  tmux: false\n  cooldown_seconds: 0\n  command: [sh, -c, {}]\n{extra}",
        serde_json::to_string(&script).unwrap()
    );
    std::fs::write(dir.join("config.yaml"), yaml).unwrap();
}

fn pane_id(t: &TmuxServer, session: &str) -> String {
    let out = t.tmux(&["list-panes", "-a", "-F", "#{session_name}\t#{pane_id}"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().find_map(|l| l.strip_prefix(&format!("{session}\t")).map(str::to_string)).unwrap()
}

/// Runs `navi hook` as Claude Code would from inside `pane`, from the test's folder.
fn hook(t: &TmuxServer, pane: &str, event: Value) {
    assert!(t.spawn_hook(pane, event.to_string().as_bytes()).wait().unwrap().success());
}

fn lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log).unwrap_or_default().lines().map(str::to_string).collect()
}

fn wait_lines(log: &Path, n: usize) -> Vec<String> {
    assert!(wait_for(Duration::from_secs(60), || lines(log).len() >= n), "{n} notices expected: {:?}", lines(log));
    lines(log)
}

fn notices_log(t: &TmuxServer) -> PathBuf {
    t.home.join(".local/state/navi/notices/notices.log")
}

#[test]
fn a_permission_is_one_notice_and_its_reminder_none() {
    let t = TmuxServer::new();
    let log = t.dir.path().join("notices.txt");
    configure(&t, &log, "");
    t.new_session("api", &t.home, "");
    let pane = pane_id(&t, "api");
    hook(&t, &pane, json!({"hook_event_name":"UserPromptSubmit","prompt":"go"}));
    hook(
        &t,
        &pane,
        json!({"hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{"command":"terraform plan"}}),
    );
    let got = wait_lines(&log, 1);
    assert_eq!(got, ["api||permission|permission|Permission needed: Bash (terraform plan)"]);
    // Claude Code's reminder 6 s later keeps the same question: no second notice.
    hook(
        &t,
        &pane,
        json!({"hook_event_name":"Notification","notification_type":"permission_prompt","message":"Claude needs your permission"}),
    );
    hook(&t, &pane, json!({"hook_event_name":"PostToolUse","tool_name":"Bash"}));
    hook(&t, &pane, json!({"hook_event_name":"Stop","last_assistant_message":"All tests pass"}));
    let got = wait_lines(&log, 2);
    assert_eq!(got[1], "api||done|done|All tests pass", "{got:?}");
    hook(
        &t,
        &pane,
        json!({"hook_event_name":"Notification","notification_type":"idle_prompt","message":"Claude is waiting for your input"}),
    );
    hook(
        &t,
        &pane,
        json!({"hook_event_name":"StopFailure","error":"server_error","last_assistant_message":"API Error: boom"}),
    );
    let got = wait_lines(&log, 3);
    assert_eq!(got.len(), 3, "the idle reminder made no notice: {got:?}");
    assert_eq!(got[2], "api||error|error|API Error: boom");
}

#[test]
fn hostile_names_and_messages_never_run_anything() {
    let t = TmuxServer::new();
    let log = t.dir.path().join("notices.txt");
    configure(&t, &log, "");
    // Run from the test's folder: anything run by mistake would make `pwned` there.
    let pwned = t.dir.path().join("pwned");
    let name = "x$(touch pwned)`touch pwned`;touch pwned";
    t.new_session(name, &t.home, "");
    let pane = pane_id(&t, name);
    hook(&t, &pane, json!({"hook_event_name":"Stop","last_assistant_message":"$(touch pwned) \u{1b}]0;t\u{7}ok"}));
    let got = wait_lines(&log, 1);
    assert!(got[0].starts_with(&format!("{name}||done|done|$(touch pwned)")), "{got:?}");
    assert!(got[0].ends_with(" ok") && !got[0].contains('\u{1b}'), "{got:?}");
    assert!(!pwned.exists());
}

#[test]
fn no_notice_while_a_client_shows_the_session_and_none_while_muted() {
    let t = TmuxServer::new();
    let log = t.dir.path().join("notices.txt");
    configure(&t, &log, "");
    t.new_session("watched", &t.home, "");
    t.new_session("away", &t.home, "");
    // A client of the same server, attached to "watched" from a pane of its own.
    let attach = format!("env -u TMUX tmux -S '{}' attach -t '=watched'", t.socket.display());
    t.new_session("viewer", &t.home, &attach);
    assert!(wait_for(Duration::from_secs(30), || {
        let out = t.tmux(&["display-message", "-p", "-t", "=watched:", "#{session_attached}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }));
    hook(&t, &pane_id(&t, "watched"), json!({"hook_event_name":"Stop","last_assistant_message":"seen"}));
    assert!(
        wait_for(Duration::from_secs(30), || std::fs::read_to_string(notices_log(&t))
            .is_ok_and(|l| l.contains("not sent (Looking): watched is done"))),
        "{:?}",
        std::fs::read_to_string(notices_log(&t))
    );
    hook(&t, &pane_id(&t, "away"), json!({"hook_event_name":"Stop","last_assistant_message":"unseen"}));
    assert_eq!(wait_lines(&log, 1), ["away||done|done|unseen"]);

    let (code, out, _) = t.run_navi(&["mute", "1h"]);
    assert_eq!((code, out.trim()), (0, "notices are muted for 1h 0m"));
    hook(&t, &pane_id(&t, "away"), json!({"hook_event_name":"StopFailure","last_assistant_message":"muted"}));
    assert!(wait_for(Duration::from_secs(30), || std::fs::read_to_string(notices_log(&t))
        .is_ok_and(|l| l.contains("not sent (Muted): away stopped with an error: muted"))));
    let (code, out, _) = t.run_navi(&["mute", "off"]);
    assert_eq!((code, out.trim()), (0, "notices are on"));
    hook(&t, &pane_id(&t, "away"), json!({"hook_event_name":"PermissionRequest","tool_name":"Read"}));
    let got = wait_lines(&log, 2);
    assert_eq!(got[1], "away||permission|permission|Permission needed: Read", "the muted error stayed unsent: {got:?}");
    let (code, _, err) = t.run_navi(&["mute", "soon"]);
    assert!(code != 0 && err.contains("not a duration"), "{err}");
}

/// `navi watch` run by a test: its stderr goes to a file; stopped with SIGTERM on drop.
struct Watch {
    child: std::process::Child,
    err: PathBuf,
}

impl Watch {
    fn start(t: &TmuxServer) -> Watch {
        let err = t.dir.path().join(format!("watch-{}.err", uuid()));
        let child = t
            .navi()
            .arg("watch")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        Watch { child, err }
    }

    fn said(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    fn wait_said(&self, what: &str) {
        assert!(
            wait_for(Duration::from_secs(60), || self.said().contains(what)),
            "waited for {what:?}: {}",
            self.said()
        );
    }

    /// SIGTERM; returns whether it exited cleanly.
    fn stop(&mut self) -> bool {
        let _ = std::process::Command::new("kill").arg(self.child.id().to_string()).status();
        self.child.wait().unwrap().success()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn uuid() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

#[test]
fn watch_tells_a_remote_transition_once_on_the_desktop_and_is_one_per_user() {
    let bus = Bus::start();
    let sshd = Sshd::start();
    let mut t = TmuxServer::new();
    t.env.push(("DBUS_SESSION_BUS_ADDRESS".into(), bus.address.clone()));
    let log = t.dir.path().join("notices.txt");
    configure_with(&t, &log, true, "");
    std::fs::write(t.home.join(".config/navi/remotes.yaml"), sshd.remotes_yaml("box")).unwrap();
    sshd.new_session("far", "");
    let now = navi::text::now_unix();
    sshd.write_status(&json!({"tmux_session": "far", "status": "working", "timestamp": now - 10}));

    let mut watch = Watch::start(&t);
    watch.wait_said("box: 1 session\n");
    let (code, _, err) = t.run_navi(&["watch"]);
    assert!(code != 0 && err.contains("navi watch is already running (pid"), "{err}");

    sshd.write_status(&json!({"tmux_session": "far", "status": "permission", "timestamp": now,
        "message": "Permission needed: Bash (terraform plan)", "prompt": {"kind": "permission"}}));
    let calls = bus.wait_calls(1);
    assert_eq!(
        calls[0],
        ("far (box) needs permission".to_string(), "Permission needed: Bash (terraform plan)".to_string())
    );
    assert_eq!(wait_lines(&log, 1), ["far|box|permission|permission|Permission needed: Bash (terraform plan)"]);
    // The watch keeps the summary `navi status` reads (no SSH connection of its own).
    let status = || {
        let (code, out, err) = t.run_navi(&["status", "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    assert!(wait_for(Duration::from_secs(60), || status()["counts"]["permission"] == 1), "{}", status());
    let s = status();
    assert_eq!(s["remotes"]["box"]["state"], "up", "{s}");
    assert_eq!(s["attention"][0]["session"], "far", "{s}");
    assert_eq!(s["attention"][0]["remote"], "box", "{s}");

    // A local session's notice, from the hook, reaches the same desktop.
    t.new_session("api", &t.home, "");
    hook(&t, &pane_id(&t, "api"), json!({"hook_event_name":"Stop","last_assistant_message":"All <b>tests</b> pass"}));
    let calls = bus.wait_calls(2);
    assert_eq!(calls[1], ("api is done".to_string(), "All &lt;b&gt;tests&lt;/b&gt; pass".to_string()));

    assert!(watch.stop(), "navi watch exits cleanly on SIGTERM: {}", watch.said());
    assert!(watch.said().contains("navi watch: stopped"), "{}", watch.said());
    assert!(!t.home.join(".local/state/navi/watch/pid").exists());
    assert_eq!(bus.calls().len(), 2, "one Notify per notice: {:?}", bus.calls());
    assert_eq!(lines(&log).len(), 2);
}

#[test]
fn hook_dashboard_and_watch_together_tell_each_of_20_transitions_once() {
    let t = TmuxServer::new();
    let log = t.dir.path().join("notices.txt");
    configure(&t, &log, "");
    let names: Vec<String> = (0..20).map(|i| format!("s{i:02}")).chain(["quiet".to_string()]).collect();
    let mut panes = Vec::new();
    for name in &names {
        // Not a shell: the dashboard's pane check would take a shell prompt for an agent
        // that exited (an error: a notice of its own).
        t.new_session(name, &t.home, "cat");
        let pane = pane_id(&t, name);
        hook(&t, &pane, json!({"hook_event_name":"UserPromptSubmit","prompt":"go"}));
        panes.push(pane);
    }
    t.launch_dashboard(None);
    t.wait_text("ui", "21 sessions", Duration::from_secs(60));
    // The dashboard's selected row is looked at (no notice for it): select the quiet one.
    t.keys("ui", &["/", "quiet", "Enter"]);
    t.wait_text("ui", "/quiet  1/1 matches", Duration::from_secs(60));
    let watch = Watch::start(&t);
    watch.wait_said("this machine: 21 sessions");

    let hooks: Vec<_> = panes[..20]
        .iter()
        .map(|p| {
            t.spawn_hook(
                p,
                json!({"hook_event_name":"Stop","last_assistant_message":"finished"}).to_string().as_bytes(),
            )
        })
        .collect();
    for mut h in hooks {
        assert!(h.wait().unwrap().success());
    }
    wait_lines(&log, 20);
    // The dashboard and the watch saw the same transitions: give their dispatches time to
    // land (there is no event for "nothing more came").
    std::thread::sleep(Duration::from_secs(4));
    let mut got = lines(&log);
    got.sort();
    let want: Vec<String> = names[..20].iter().map(|n| format!("{n}||done|done|finished")).collect();
    assert_eq!(got, want, "each transition exactly once");
    drop(watch);
}

#[test]
fn the_dashboard_rings_its_terminal_for_a_notice() {
    let t = TmuxServer::new();
    let log = t.dir.path().join("notices.txt");
    configure(&t, &log, "");
    for name in ["api", "quiet"] {
        t.new_session(name, &t.home, "cat");
        hook(&t, &pane_id(&t, name), json!({"hook_event_name":"UserPromptSubmit","prompt":"go"}));
    }
    // The dashboard on a pty of its own whose every byte `script` records (outside tmux:
    // no passthrough wrapping).
    let bytes = t.dir.path().join("terminal.bytes");
    let cmd = format!(
        "env -u TMUX -u DBUS_SESSION_BUS_ADDRESS HOME={home} NAVI_TMUX_SOCKET={sock} script -qfc {navi} {out}",
        home = shlex::try_quote(&t.home.to_string_lossy()).unwrap(),
        sock = shlex::try_quote(&t.socket.to_string_lossy()).unwrap(),
        navi = env!("CARGO_BIN_EXE_navi"),
        out = shlex::try_quote(&bytes.to_string_lossy()).unwrap(),
    );
    let out = t.tmux_cmd().args(["new-session", "-d", "-x", "110", "-y", "30", "-s", "ui", &cmd]).output().unwrap();
    assert!(out.status.success());
    t.wait_text("ui", "2 sessions", Duration::from_secs(60));
    t.keys("ui", &["/", "quiet", "Enter"]);
    t.wait_text("ui", "/quiet  1/1 matches", Duration::from_secs(60));

    hook(&t, &pane_id(&t, "api"), json!({"hook_event_name":"Stop","last_assistant_message":"All good"}));
    assert_eq!(wait_lines(&log, 1), ["api||done|done|All good"]);
    let osc777 = b"\x1b]777;notify;api is done;All good\x1b\\".to_vec();
    let osc9 = b"\x1b]9;api is done: All good\x1b\\".to_vec();
    let has = |needle: &[u8]| std::fs::read(&bytes).unwrap_or_default().windows(needle.len()).any(|w| w == needle);
    assert!(wait_for(Duration::from_secs(60), || has(&osc777)), "no OSC 777 on the terminal");
    let mut rung = osc9.clone();
    rung.push(0x07);
    assert!(has(&rung), "OSC 9 then a bell");
    // M mutes for an hour (what `navi mute` reports), M again unmutes.
    t.keys("ui", &["M"]);
    t.wait_text("ui", "notices muted for 1h", Duration::from_secs(60));
    let (_, out, _) = t.run_navi(&["mute"]);
    assert!(out.starts_with("notices are muted for 59m") || out.starts_with("notices are muted for 1h"), "{out}");
    t.keys("ui", &["M"]);
    t.wait_text("ui", "notices are on", Duration::from_secs(60));
    assert_eq!(t.run_navi(&["mute"]).1.trim(), "notices are on");
    t.keys("ui", &["q"]);
}
