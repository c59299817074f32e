//! Dismiss and rename beside many concurrent `navi hook` runs, locally and over SSH: every
//! read-modify-write happens under the folder lock the hook takes, so no hook update (a
//! tool-count increment) is ever lost, and the final file is what some sequential order of
//! all the writes would give.

mod common;
use common::sshd::Sshd;
use common::tmux::TmuxServer;
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Child, Command, Stdio};

/// Hooks per test: enough to overlap the action loop many times on two cores.
const HOOKS: usize = 60;

fn event(i: usize) -> Value {
    json!({"hook_event_name": "PostToolUse", "tool_name": if i.is_multiple_of(2) { "Bash" } else { "Edit" }})
}

/// Starts `cmd` with `input` on its stdin.
fn start(mut cmd: Command, input: &Value) -> Child {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    child
}

fn all_succeed(children: Vec<Child>) {
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Both tools counted once per hook: nothing lost.
fn assert_counts(file: &Value) {
    let counts = &file["metrics"]["tools"]["counts"];
    assert_eq!(counts["Bash"], HOOKS / 2, "no update lost: {file}");
    assert_eq!(counts["Edit"], HOOKS / 2, "no update lost: {file}");
}

/// Runs `action` (a navi command line, with `{}` for the name) over and over, alternating
/// between `names`, until `hooks` are done; returns the name the session ends with.
fn loop_beside(hooks: Vec<Child>, names: [&str; 2], run: impl Fn(usize) -> (i32, String, String)) -> String {
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let waiter = {
        let done = done.clone();
        std::thread::spawn(move || {
            all_succeed(hooks);
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    let mut i = 0;
    while !done.load(std::sync::atomic::Ordering::SeqCst) {
        let (code, _, err) = run(i);
        assert_eq!(code, 0, "round {i}: {err}");
        i += 1;
    }
    waiter.join().unwrap();
    assert!(i > 0);
    names[i % 2].to_string()
}

fn local_hook(t: &TmuxServer, pane: &str, i: usize) -> Child {
    let mut cmd = t.navi();
    cmd.arg("hook").env("TMUX", format!("{},1,0", t.socket.display())).env("TMUX_PANE", pane);
    start(cmd, &event(i))
}

fn local_pane(t: &TmuxServer, name: &str) -> String {
    let out = t.tmux(&["display-message", "-p", "-t", &format!("={name}:"), "#{pane_id}"]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn local_dismiss_loop_loses_no_hook_update() {
    let t = TmuxServer::new();
    t.new_session("busy", &t.home, "");
    t.write_status(&json!({"tmux_session": "busy", "status": "waiting"}));
    let pane = local_pane(&t, "busy");
    let hooks = (0..HOOKS).map(|i| local_hook(&t, &pane, i)).collect();
    loop_beside(hooks, ["busy", "busy"], |_| t.run_navi(&["dismiss", "busy"]));
    assert_counts(&t.read_status("busy").unwrap());
}

#[test]
fn local_rename_loop_loses_no_hook_update() {
    let t = TmuxServer::new();
    t.new_session("one", &t.home, "");
    t.write_status(&json!({"tmux_session": "one", "status": "waiting"}));
    let pane = local_pane(&t, "one");
    let hooks = (0..HOOKS).map(|i| local_hook(&t, &pane, i)).collect();
    let names = ["one", "two"];
    let last = loop_beside(hooks, names, |i| t.run_navi(&["rename", names[i % 2], names[(i + 1) % 2]]));
    let file = t.read_status(&last).unwrap();
    assert_eq!(file["tmux_session"], last.as_str());
    assert_counts(&file);
    let other = if last == "one" { "two" } else { "one" };
    assert!(!t.status_path(other).exists(), "no file left under the old name");
}

/// A remote where the hooks run as the remote user, from the session's pane.
struct Remote {
    local: TmuxServer,
    sshd: Sshd,
    remotes: std::path::PathBuf,
    navi: std::path::PathBuf,
}

impl Remote {
    fn new() -> Self {
        let local = TmuxServer::new();
        let sshd = Sshd::start();
        let remotes = local.dir.path().join("remotes.yaml");
        std::fs::write(&remotes, sshd.remotes_yaml("box")).unwrap();
        // The remote's own navi (the hook Claude Code runs there), where its user can run it.
        let navi = sshd.dir.path().join("bin/navi");
        std::fs::copy(env!("CARGO_BIN_EXE_navi"), &navi).unwrap();
        Remote { local, sshd, remotes, navi }
    }

    fn navi(&self, args: &[&str]) -> (i32, String, String) {
        common::tmux::outcome(self.local.navi().env("NAVI_REMOTES", &self.remotes).args(args))
    }

    fn pane(&self, name: &str) -> String {
        let out = self.sshd.tmux(&["display-message", "-p", "-t", &format!("={name}:"), "#{pane_id}"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn hook(&self, pane: &str, i: usize) -> Child {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid", self.sshd.user, "--regid", self.sshd.user, "--init-groups"])
            .arg(&self.navi)
            .arg("hook")
            .env_clear()
            .env("HOME", &self.sshd.remote_home)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("TMUX", format!("{},1,0", self.sshd.tmux_socket().display()))
            .env("TMUX_PANE", pane);
        start(cmd, &event(i))
    }
}

#[test]
fn remote_dismiss_loop_loses_no_hook_update() {
    let r = Remote::new();
    r.sshd.new_session("busy", "");
    r.sshd.write_status(&json!({"tmux_session": "busy", "status": "waiting"}));
    let pane = r.pane("busy");
    let hooks = (0..HOOKS).map(|i| r.hook(&pane, i)).collect();
    loop_beside(hooks, ["busy", "busy"], |_| r.navi(&["dismiss", "busy", "--remote", "box"]));
    assert_counts(&r.sshd.read_status("busy").unwrap());
}

#[test]
fn remote_rename_loop_loses_no_hook_update() {
    let r = Remote::new();
    r.sshd.new_session("one", "");
    r.sshd.write_status(&json!({"tmux_session": "one", "status": "waiting"}));
    let pane = r.pane("one");
    let hooks = (0..HOOKS).map(|i| r.hook(&pane, i)).collect();
    let names = ["one", "two"];
    let last = loop_beside(hooks, names, |i| r.navi(&["rename", names[i % 2], names[(i + 1) % 2], "--remote", "box"]));
    let file = r.sshd.read_status(&last).unwrap();
    assert_eq!(file["tmux_session"], last.as_str());
    assert_counts(&file);
    let other = if last == "one" { "two" } else { "one" };
    assert!(!r.sshd.status_path(other).exists(), "no file left under the old name");
}

#[test]
fn a_remote_rename_to_a_name_tmux_escapes_keeps_the_file() {
    let r = Remote::new();
    r.sshd.new_session("plain", "");
    r.sshd.write_status(&json!({"tmux_session": "plain", "status": "waiting", "keep": {"me": [1]}}));
    let (code, _, err) = r.navi(&["rename", "plain", "a$HOME\\b \"q\"", "--remote", "box"]);
    assert_eq!(code, 0, "{err}");
    let stored = "a\\$HOME\\\\b \"q\"";
    assert_eq!(r.sshd.sessions_alive(), [stored]);
    let file = r.sshd.read_status(stored).expect("the file carries tmux's name");
    assert_eq!(file["tmux_session"], stored);
    assert_eq!(file["keep"], json!({"me": [1]}));
    assert_eq!(file["status"], "waiting");
    assert!(!r.sshd.status_path("plain").exists());
}

/// A hook that writes between navi's read and its write: the write must not overwrite it.
fn hook_wrote(path: std::path::PathBuf) -> (navi::backend::Edit, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    let edit: navi::backend::Edit = Box::new(move |file| {
        if counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            let hook = json!({"tmux_session": "s", "status": "permission", "message": "Permission needed: Bash",
                              "metrics": {"tools": {"counts": {"Bash": 1}}}});
            std::fs::write(&path, hook.to_string()).unwrap();
        }
        file.status = navi::sessions::Status::Working;
        file.message = None;
    });
    (edit, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_file_changed_after_the_read_is_read_again() {
    use navi::backend::SessionBackend;
    let sshd = Sshd::start();
    sshd.write_status(&json!({"tmux_session": "s", "status": "waiting", "message": "old"}));
    let loaded = navi::config::parse_remotes(&sshd.remotes_yaml("box"), std::path::Path::new("/nonexistent")).unwrap();
    let config = loaded.config;
    let pool = std::sync::Arc::new(navi::ssh::Pool::new(&config));
    let backend = navi::backend::remote::RemoteBackend::new(
        config.remotes[0].clone(),
        pool,
        config.known_hosts.clone(),
        config.host_key_checking,
    );
    let (edit, calls) = hook_wrote(sshd.status_path("s"));
    backend.update_status("s", edit).await.unwrap().expect("the file is there");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2, "edited again on a fresh read");
    // The sequential order: the hook's write, then the dismiss.
    let file = sshd.read_status("s").unwrap();
    assert_eq!(file["status"], "working");
    assert!(file.get("message").is_none(), "{file}");
    assert_eq!(file["metrics"]["tools"]["counts"]["Bash"], 1, "the hook's update is kept: {file}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_edit_runs_under_the_folder_lock() {
    use navi::backend::SessionBackend;
    let t = TmuxServer::new();
    t.write_status(&json!({"tmux_session": "s", "status": "waiting"}));
    let backend = navi::backend::LocalBackend::new(t.sessions.clone(), Some(t.socket.clone()));
    let lock_path = t.sessions.join(".navi.lock");
    let edit: navi::backend::Edit = Box::new(move |file| {
        // A hook could not come in now: the lock is held from before the read.
        let other = std::fs::OpenOptions::new().write(true).open(&lock_path).unwrap();
        assert!(other.try_lock().is_err(), "the folder lock is not held during the edit");
        file.status = navi::sessions::Status::Working;
    });
    backend.update_status("s", edit).await.unwrap().expect("the file is there");
    assert_eq!(t.read_status("s").unwrap()["status"], "working");
}
