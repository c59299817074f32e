//! Every action on a remote session through the CLI, against a real sshd and the remote
//! user's own tmux server: list (tagged, stale files cleaned), preview, send, dismiss,
//! rename, kill, create, git; hostile names; the original's quoted-`$HOME` bug.

mod common;
#[path = "remote_actions/push.rs"]
mod push;
#[path = "remote_actions/remote_faults.rs"]
mod remote_faults;
#[path = "remote_actions/remotes_add.rs"]
mod remotes_add;
#[path = "remote_actions/setup.rs"]
mod setup;

use common::sshd::Sshd;
use common::tmux::{TmuxServer, wait_for};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

struct Env {
    local: TmuxServer,
    sshd: Sshd,
    remotes: PathBuf,
}

impl Env {
    fn new() -> Self {
        let local = TmuxServer::new();
        let sshd = Sshd::start();
        let remotes = local.dir.path().join("remotes.yaml");
        std::fs::write(&remotes, sshd.remotes_yaml("box")).unwrap();
        Env { local, sshd, remotes }
    }

    fn navi(&self, args: &[&str]) -> (i32, String, String) {
        common::tmux::outcome(self.local.navi().env("NAVI_REMOTES", &self.remotes).args(args))
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.navi(args);
        assert_eq!(code, 0, "navi {args:?}: {err}");
        out
    }

    fn list(&self) -> Vec<Value> {
        serde_json::from_str(&self.ok(&["list", "--json"])).unwrap()
    }
}

fn status(name: &str, status: &str, message: &str) -> Value {
    json!({"tmux_session": name, "status": status, "message": message, "cwd": "/srv/x", "timestamp": 1_700_000_000,
           "session_id": "abc", "agents": ["kept"]})
}

#[test]
fn list_tags_remote_sessions_and_cleans_stale_files_on_the_remote() {
    let env = Env::new();
    env.local.new_session("here", &env.local.home, "");
    env.local.write_status(&status("here", "done", "local one"));
    env.sshd.new_session("alpha", "");
    env.sshd.write_status(&status("alpha", "permission", "needs you"));
    env.sshd.write_status(&status("gone", "done", "stale"));
    std::fs::write(env.sshd.remote_home.join(".claude-sessions/broken.json"), "{not json").unwrap();

    let (code, out, err) = env.navi(&["list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let by_name = |n: &str| rows.iter().find(|r| r["tmux_session"] == n).cloned();
    let alpha = by_name("alpha").expect("the remote session is listed");
    assert_eq!(alpha["remote"], "box");
    assert_eq!(alpha["status"], "permission");
    assert_eq!(alpha["agents"], json!(["kept"]));
    assert_eq!(by_name("here").unwrap()["remote"], Value::Null);
    assert!(by_name("gone").is_none());
    assert!(!env.sshd.status_path("gone").exists(), "the stale file on the remote is removed");
    assert!(env.sshd.status_path("alpha").exists());
    assert!(err.contains("box: broken.json:"), "the broken file is reported: {err}");

    let text = env.ok(&["list"]);
    assert!(text.contains("alpha [box]"), "{text}");
    let text = env.ok(&["list", "--filter", "local"]);
    assert!(text.contains("here") && !text.contains("alpha"), "{text}");
    let text = env.ok(&["list", "--filter", "remote"]);
    assert!(!text.contains("here") && text.contains("alpha"), "{text}");
}

#[test]
fn preview_send_and_git_over_ssh() {
    let env = Env::new();
    env.sshd.as_user(
        "mkdir -p repo && cd repo && git init -q -b main && git config user.email t@e && git config user.name t \
         && echo a > f && git add f && git commit -qm 'first commit' && echo b >> f",
    );
    env.sshd.new_session("work", "");
    let repo = env.sshd.remote_home.join("repo");
    env.sshd.write_status(&json!({"tmux_session": "work", "status": "working", "cwd": repo}));
    env.ok(&["send", "work", "--remote", "box", "echo sent-$((20+3))"]);
    assert!(wait_for(WAIT, || String::from_utf8_lossy(&env.sshd.tmux(&["capture-pane", "-p", "-t", "work"]).stdout)
        .contains("sent-23")));
    let preview = env.ok(&["preview", "work", "--remote", "box", "--lines", "5"]);
    assert!(preview.contains("sent-23"), "{preview}");
    let git: Value = serde_json::from_str(&env.ok(&["git", "work", "--remote", "box", "--json"])).unwrap();
    assert_eq!(git["branch"], "main", "{git}");
    assert!(git["last_commit"].as_str().unwrap().contains("first commit"), "{git}");
    let (code, _, err) = env.navi(&["preview", "nosuch", "--remote", "box"]);
    assert_ne!(code, 0);
    assert!(err.contains("nosuch"), "{err}");
}

#[test]
fn dismiss_rewrites_the_file_under_the_remote_home() {
    // The original quoted "$HOME" in single quotes, so the shell never expanded it and the
    // file stayed as it was while the command "succeeded". Check the file's content.
    let env = Env::new();
    env.sshd.new_session("dm", "");
    env.sshd.write_status(&status("dm", "waiting", "answer me"));
    env.ok(&["dismiss", "dm", "--remote", "box"]);
    let file = env.sshd.read_status("dm").unwrap();
    assert_eq!(file["status"], "working");
    assert!(file.get("message").is_none(), "{file}");
    assert!(file["timestamp"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(file["session_id"], "abc");
    assert_eq!(file["agents"], json!(["kept"]), "unknown fields survive");
    // Written atomically: no temp file left behind (the folder lock's file stays).
    let leftovers: Vec<_> = std::fs::read_dir(env.sshd.remote_home.join(".claude-sessions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".navi.lock")
        .collect();
    assert_eq!(leftovers, ["dm.json"]);
}

#[test]
fn rename_kill_and_create_over_ssh() {
    let env = Env::new();
    std::fs::write(env.sshd.dir.path().join("bin/claude"), "#!/bin/sh\nexec sleep 600\n").unwrap();
    std::process::Command::new("chmod").arg("755").arg(env.sshd.dir.path().join("bin/claude")).status().unwrap();
    env.sshd.new_session("old", "");
    env.sshd.new_session("old-longer", "");
    env.sshd.write_status(&status("old", "done", "m"));
    env.ok(&["rename", "old", "new", "--remote", "box"]);
    let mut alive = env.sshd.sessions_alive();
    alive.sort();
    assert_eq!(alive, ["new", "old-longer"]);
    assert!(!env.sshd.status_path("old").exists());
    assert_eq!(env.sshd.read_status("new").unwrap()["tmux_session"], "new");

    env.ok(&["kill", "new", "--remote", "box"]);
    assert_eq!(env.sshd.sessions_alive(), ["old-longer"]);
    assert!(!env.sshd.status_path("new").exists());

    env.sshd.as_user("mkdir -p 'proj dir'");
    env.ok(&["new", "fresh", "--remote", "box", "--dir", "~/proj dir"]);
    assert!(env.sshd.sessions_alive().contains(&"fresh".to_string()));
    let file = env.sshd.read_status("fresh").unwrap();
    assert_eq!(file["cwd"], env.sshd.remote_home.join("proj dir").to_string_lossy().as_ref());
    let (code, _, err) = env.navi(&["new", "other", "--remote", "box", "--dir", "~/missing"]);
    assert_ne!(code, 0);
    assert!(err.contains("no such directory"), "{err}");
    let rows = env.list();
    assert!(rows.iter().any(|r| r["tmux_session"] == "fresh" && r["remote"] == "box"));
}

#[test]
fn hostile_names_and_directories_never_run_anything_over_ssh() {
    let env = Env::new();
    // Relative to the remote HOME, where every remote command starts.
    let canary = env.sshd.remote_home.join("pwned");
    let names = [
        "q'uote $(touch pwned)".to_string(),
        "back`touch pwned`tick".to_string(),
        "semi;touch pwned".to_string(),
        "-leading dash".to_string(),
        "ünï cødé ✓".to_string(),
        "$1".to_string(),
        "$2 and more".to_string(),
    ];
    for name in &names {
        // `cat` echoes what it is sent without running it.
        env.sshd.new_session(name, "cat");
        env.sshd.write_status(&status(name, "waiting", "hostile"));
    }
    let rows = env.list();
    for name in &names {
        assert!(rows.iter().any(|r| r["tmux_session"] == name.as_str()), "{name:?} listed: {rows:?}");
        env.ok(&["dismiss", name, "--remote", "box"]);
        assert_eq!(env.sshd.read_status(name).unwrap()["status"], "working", "{name:?}");
        env.ok(&["preview", name, "--remote", "box"]);
    }
    let text = "typed $(touch pwned) `touch pwned` ; touch pwned";
    env.ok(&["send", &names[5], "--remote", "box", text]);
    assert!(wait_for(WAIT, || env.ok(&["preview", &names[5], "--remote", "box"]).contains(text)));
    env.ok(&["rename", &names[0], "renamed ok", "--remote", "box"]);
    assert_eq!(env.sshd.read_status("renamed ok").unwrap()["message"], Value::Null);
    env.ok(&["kill", &names[1], "--remote", "box"]);
    assert!(!env.sshd.sessions_alive().contains(&names[1]));
    env.sshd.as_user("mkdir -p \"$HOME\"/'d $(touch pwned) `x`\nline two'");
    env.ok(&["new", "in-hostile-dir", "--remote", "box", "--dir", "~/d $(touch pwned) `x`\nline two"]);
    let file = env.sshd.read_status("in-hostile-dir").unwrap();
    assert!(file["cwd"].as_str().unwrap().ends_with("/d $(touch pwned) `x`\nline two"), "{file}");
    assert!(!canary.exists(), "a hostile value ran on the remote");
    // tmux reads "$1" as a session id; the kill takes the session named "$1" and no other.
    env.ok(&["kill", "$1", "--remote", "box"]);
    assert!(!env.sshd.sessions_alive().contains(&"$1".to_string()));
    assert!(env.sshd.sessions_alive().contains(&"$2 and more".to_string()));
    assert!(env.sshd.status_path("$2 and more").exists());
}

#[test]
fn a_chatty_bashrc_on_the_remote_breaks_nothing() {
    // Every remote command's output is taken from after a marker its script prints first;
    // bash runs ~/.bashrc for every command run over ssh; this one prints on both streams.
    let local = TmuxServer::new();
    let sshd = Sshd::start_with(common::sshd::Options { bash_user: true, ..Default::default() });
    std::fs::write(sshd.remote_home.join(".bashrc"), "echo 'Welcome to the box'\necho 'motd' >&2\n").unwrap();
    let remotes = local.dir.path().join("remotes.yaml");
    std::fs::write(&remotes, sshd.remotes_yaml("box")).unwrap();
    let env = Env { local, sshd, remotes };
    std::fs::write(env.sshd.dir.path().join("bin/claude"), "#!/bin/sh\nexec sleep 600\n").unwrap();
    std::process::Command::new("chmod").arg("755").arg(env.sshd.dir.path().join("bin/claude")).status().unwrap();

    env.sshd.new_session("alpha", "");
    env.sshd.write_status(&status("alpha", "permission", "needs you"));
    let rows = env.list();
    let alpha = rows.iter().find(|r| r["tmux_session"] == "alpha").expect("listed despite the banner");
    assert_eq!(alpha["status"], "permission");
    env.ok(&["dismiss", "alpha", "--remote", "box"]);
    assert_eq!(env.sshd.read_status("alpha").unwrap()["status"], "working");
    let preview = env.ok(&["preview", "alpha", "--remote", "box", "--lines", "5"]);
    assert!(!preview.contains("Welcome"), "{preview}");
    let (code, _, err) = env.navi(&["preview", "nosuch", "--remote", "box"]);
    assert_ne!(code, 0);
    assert!(!err.contains("motd"), "{err}");

    env.sshd.as_user("mkdir -p proj");
    env.ok(&["new", "fresh", "--remote", "box", "--dir", "~/proj"]);
    let file = env.sshd.read_status("fresh").unwrap();
    assert_eq!(file["tmux_session"], "fresh");
    assert_eq!(file["cwd"], env.sshd.remote_home.join("proj").to_string_lossy().as_ref());
}

#[test]
fn a_poll_killed_midway_is_an_error_not_an_empty_remote() {
    let env = Env::new();
    env.sshd.write_status(&status("alpha", "done", "m"));
    // A tmux that takes its shell down with it: the poll never finishes.
    let fake = env.sshd.dir.path().join("bin/tmux");
    std::fs::write(&fake, "#!/bin/sh\nkill -KILL $PPID\n").unwrap();
    std::process::Command::new("chmod").arg("755").arg(&fake).status().unwrap();
    let (code, out, err) = env.navi(&["list", "--json", "--filter", "remote"]);
    assert!(err.contains("box unreachable") && err.contains("poll"), "the remote is reported: {code} {out} {err}");
    assert!(env.sshd.status_path("alpha").exists(), "nothing was cleaned up on a half answer");
}

#[test]
fn list_corrects_a_remote_session_whose_agent_never_started_from_its_pane() {
    let env = Env::new();
    env.sshd.session_that_ran("broken", "nope");
    let mut file = status("broken", "working", "Starting Claude Code");
    file["timestamp"] = json!(navi::text::now_unix() - 60);
    env.sshd.write_status(&file);

    let rows = env.list();
    let row = rows.iter().find(|r| r["tmux_session"] == "broken").expect("listed");
    assert_eq!(row["status"], "error", "{row}");
    assert!(row["message"].as_str().unwrap().contains("nope: "), "{row}");
    assert!(row["message"].as_str().unwrap().contains("not found"), "{row}");
    let written = env.sshd.read_status("broken").unwrap();
    assert_eq!(written["status"], "error", "the correction is written on the remote: {written}");
    assert_eq!(written["agents"], json!(["kept"]));
}
