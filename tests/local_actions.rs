//! Every action through the CLI against a real private tmux server: preview, git, kill,
//! rename, dismiss, new, send; unknown sessions and bad names fail clearly.

mod common;
use common::tmux::{TmuxServer, wait_for};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git").args(args).current_dir(dir).env("HOME", dir).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A fake `claude` that records its arguments; returns its log and a PATH holding it.
/// tmux gives a new session the PATH of the client that created it (navi here).
fn fake_claude(t: &TmuxServer) -> (std::path::PathBuf, String) {
    let bin = t.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = t.dir.path().join("claude-args");
    std::fs::write(
        bin.join("claude"),
        format!("#!/bin/sh\nprintf '%s|%s\\n' \"$PWD\" \"$*\" >> '{}'\nexec sleep 600\n", log.display()),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(bin.join("claude")).status().unwrap();
    t.new_session("keepalive", &t.home, "");
    // A non-login shell, so /etc/profile does not reset PATH.
    assert!(t.tmux(&["set-option", "-g", "default-command", "exec sh"]).status.success());
    (log, format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
}

fn run_with_path(t: &TmuxServer, path: &str, args: &[&str]) -> (i32, String, String) {
    common::tmux::outcome(t.navi().env("PATH", path).args(args))
}

#[test]
fn preview_shows_the_pane_without_escapes() {
    let t = TmuxServer::new();
    let script = "printf 'line one\\n\\033[31mred\\033[0m text\\n\\033]0;title\\007last line\\n'; exec sleep 600";
    t.new_session("pv", &t.home, script);
    assert!(wait_for(WAIT, || t.capture("=pv:").contains("last line")));
    let (code, out, err) = t.run_navi(&["preview", "pv", "--lines", "3"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("line one") && out.contains("red text") && out.contains("last line"), "{out:?}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    let (_, out, _) = t.run_navi(&["preview", "pv", "--lines", "1"]);
    assert_eq!(out.trim(), "last line");
}

#[test]
fn git_reports_branch_dirty_remote_commit_and_ahead_behind() {
    let t = TmuxServer::new();
    let origin = t.dir.path().join("origin.git");
    let repo = t.dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(t.dir.path(), &["init", "-q", "--bare", origin.to_str().unwrap()]);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "first"]);
    git(&repo, &["remote", "add", "origin", origin.to_str().unwrap()]);
    git(&repo, &["push", "-q", "-u", "origin", "main"]);
    std::fs::write(repo.join("a.txt"), "one\ntwo\n").unwrap();
    git(&repo, &["add", "a.txt"]);
    git(&repo, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "add a"]);
    std::fs::write(repo.join("a.txt"), "one\nthree\nfour\n").unwrap();

    t.new_session("g", &repo, "");
    t.write_status(&json!({"tmux_session":"g","status":"idle","cwd":repo}));
    let (code, out, err) = t.run_navi(&["git", "g", "--json", "--diff"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["branch"], "main");
    assert_eq!(v["dirty"], true);
    assert_eq!((v["insertions"].as_u64(), v["deletions"].as_u64()), (Some(2), Some(1)));
    assert_eq!(v["ahead"], 1);
    assert_eq!(v["behind"], 0);
    assert_eq!(v["remote_url"], origin.to_str().unwrap());
    assert!(v["last_commit"].as_str().unwrap().ends_with(" add a"));
    assert!(v["diff"].as_str().unwrap().contains("+three"));
    assert!(v.get("pr").is_none(), "no gh or no PR: no PR and no error");

    // Without a status file, the pane's directory is used.
    t.new_session("g2", &repo, "");
    t.wait_pane_dir("g2", &repo);
    let (code, out, _) = t.run_navi(&["git", "g2"]);
    assert_eq!(code, 0);
    assert!(out.contains("main ● +2 -1 ↑1"), "{out}");

    t.new_session("nogit", t.dir.path(), "");
    t.wait_pane_dir("nogit", t.dir.path());
    let (code, _, err) = t.run_navi(&["git", "nogit"]);
    assert_ne!(code, 0);
    assert!(err.contains("not a git repository"), "{err}");
}

#[test]
fn kill_touches_only_the_exact_session() {
    let t = TmuxServer::new();
    for n in ["al", "alpha"] {
        t.new_session(n, &t.home, "");
        t.write_status(&json!({"tmux_session":n,"status":"done"}));
    }
    let (code, _, err) = t.run_navi(&["kill", "al"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(t.sessions_alive(), ["alpha"]);
    assert!(!t.status_path("al").exists());
    assert!(t.status_path("alpha").exists());

    let (code, _, err) = t.run_navi(&["kill", "al"]);
    assert_ne!(code, 0);
    assert!(err.contains("no session named \"al\""), "{err}");
    assert_eq!(t.sessions_alive(), ["alpha"]);
}

#[test]
fn rename_moves_session_and_file_keeping_fields() {
    let t = TmuxServer::new();
    t.new_session("old", &t.home, "");
    t.new_session("taken", &t.home, "");
    t.write_status(&json!({"tmux_session":"old","status":"waiting","message":"m","agents":[1],"x":{"y":true}}));

    for bad in ["a.b", "a:b", "", "a/b"] {
        let (code, _, err) = t.run_navi(&["rename", "old", bad]);
        assert_ne!(code, 0, "{bad:?}");
        assert!(err.contains("invalid name"), "{err}");
    }
    let (code, _, err) = t.run_navi(&["rename", "old", "taken"]);
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
    assert!(t.status_path("old").exists(), "a refused rename changes nothing");

    let (code, _, err) = t.run_navi(&["rename", "old", "new name"]);
    assert_eq!(code, 0, "{err}");
    let mut alive = t.sessions_alive();
    alive.sort();
    assert_eq!(alive, ["new name", "taken"]);
    assert!(!t.status_path("old").exists());
    let v = t.read_status("new name").unwrap();
    assert_eq!(v["tmux_session"], "new name");
    assert_eq!(v["agents"], json!([1]));
    assert_eq!(v["x"], json!({"y":true}));
    assert_eq!(v["message"], "m");
}

#[test]
fn dismiss_clears_the_message() {
    let t = TmuxServer::new();
    t.new_session("d", &t.home, "");
    t.write_status(&json!({"tmux_session":"d","status":"waiting","message":"Need input","timestamp":1,"keep":"me"}));
    let (code, _, err) = t.run_navi(&["dismiss", "d"]);
    assert_eq!(code, 0, "{err}");
    let v = t.read_status("d").unwrap();
    assert_eq!(v["status"], "working");
    assert!(v.get("message").is_none());
    assert!(v["timestamp"].as_i64().unwrap() > navi::text::now_unix() - 60);
    assert_eq!(v["keep"], "me");
    let (code, _, err) = t.run_navi(&["dismiss", "nope"]);
    assert_ne!(code, 0);
    assert!(err.contains("no session named"), "{err}");
}

#[test]
fn new_starts_claude_in_a_detached_session() {
    let t = TmuxServer::new();
    let (log, path) = fake_claude(&t);
    let dir = t.dir.path().join("proj dir $(x) 'q'");
    std::fs::create_dir_all(&dir).unwrap();
    let (code, out, err) = run_with_path(&t, &path, &["new", "work", "--dir", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("created work"), "{out}");
    assert!(t.sessions_alive().contains(&"work".to_string()));
    assert!(wait_for(WAIT, || std::fs::read_to_string(&log).is_ok_and(|l| l.ends_with('\n'))));
    let line = std::fs::read_to_string(&log).unwrap();
    assert_eq!(line, format!("{}|\n", dir.display()), "claude ran in the directory without flags");
    let v = t.read_status("work").unwrap();
    assert_eq!(v["status"], "working");
    assert_eq!(v["cwd"], dir.to_str().unwrap());

    let (code, _, err) =
        run_with_path(&t, &path, &["new", "skip", "--dir", dir.to_str().unwrap(), "--skip-permissions"]);
    assert_eq!(code, 0, "{err}");
    assert!(wait_for(WAIT, || std::fs::read_to_string(&log).unwrap().lines().count() == 2));
    assert!(std::fs::read_to_string(&log).unwrap().ends_with("|--dangerously-skip-permissions\n"));

    let (code, _, err) = t.run_navi(&["new", "work", "--dir", dir.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");
    let (code, _, err) = t.run_navi(&["new", "x", "--dir", "/no/such/dir"]);
    assert_ne!(code, 0);
    assert!(err.contains("no such directory"), "{err}");
    assert!(!t.sessions_alive().contains(&"x".to_string()));
}

#[test]
fn send_types_a_line_literally() {
    let t = TmuxServer::new();
    let out_file = t.dir.path().join("received");
    let script = format!("IFS= read -r line; printf '%s' \"$line\" > '{}'; exec sleep 600", out_file.display());
    t.new_session("s", &t.home, &script);
    let text = "-n $(touch pwned) `id` 'q' \"d\"; ünï";
    let (code, _, err) = t.run_navi(&["send", "s", text]);
    assert_eq!(code, 0, "{err}");
    assert!(wait_for(WAIT, || out_file.exists()));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), text);
    assert!(!t.home.join("pwned").exists());
    let (code, _, err) = t.run_navi(&["send", "missing", "hi"]);
    assert_ne!(code, 0);
    assert!(err.contains("no session named"), "{err}");
}

#[test]
fn help_version_and_completions() {
    let t = TmuxServer::new();
    let (code, out, _) = t.run_navi(&["--help"]);
    assert_eq!(code, 0);
    for cmd in ["list", "preview", "git", "kill", "rename", "dismiss", "new", "send", "install-hooks", "completions"] {
        assert!(out.contains(cmd), "{cmd} in help");
    }
    let (code, out, _) = t.run_navi(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("navi "), "{out}");
    let (code, out, _) = t.run_navi(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(out.contains("_navi"), "bash completion script");
}

#[test]
fn pr_comes_from_the_local_gh_when_it_answers() {
    let t = TmuxServer::new();
    let repo = t.dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "feat"]);
    git(&repo, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "c"]);
    git(&repo, &["remote", "add", "origin", "https://github.com/o/r.git"]);
    // A stand-in for an installed, logged-in gh: it checks it was asked about this branch
    // and repository, and answers like `gh pr view --json` does.
    let bin = t.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(
        bin.join("gh"),
        "#!/bin/sh\n[ \"$1 $2 $3 $4 $5\" = 'pr view feat --repo https://github.com/o/r.git' ] || exit 1\n\
         echo '{\"number\":42,\"state\":\"OPEN\",\"url\":\"https://github.com/o/r/pull/42\"}'\n",
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(bin.join("gh")).status().unwrap();
    t.new_session("g", &repo, "");
    t.wait_pane_dir("g", &repo);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = t.navi().env("PATH", &path).args(["git", "g"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("feat [PR#42 open]"), "{text}");
    assert!(text.contains("pull request: #42 OPEN https://github.com/o/r/pull/42"), "{text}");
}

#[test]
fn a_new_session_whose_status_file_cannot_be_written_is_undone() {
    let t = TmuxServer::new();
    let (_, path) = fake_claude(&t);
    // The sessions folder is a file: the first status file cannot be written.
    std::fs::write(&t.sessions, "not a folder").unwrap();
    let (code, _, err) = run_with_path(&t, &path, &["new", "work", "--dir", t.home.to_str().unwrap()]);
    assert_ne!(code, 0, "{err}");
    assert_eq!(t.sessions_alive(), ["keepalive"], "no session left running with claude typed into it");
}

#[test]
fn names_with_a_slash_have_no_status_file_but_every_action_works() {
    let t = TmuxServer::new();
    t.new_session("keepalive", &t.home, "");
    t.new_session("a/b", &t.home, "");
    let (code, _, err) = t.run_navi(&["dismiss", "a/b"]);
    assert_ne!(code, 0);
    assert!(err.contains("has no status file"), "{err}");
    let (code, _, err) = t.run_navi(&["rename", "a/b", "plain"]);
    assert_eq!(code, 0, "{err}");
    t.tmux(&["rename-session", "-t", "=plain", "c/d"]);
    let (code, out, err) = t.run_navi(&["kill", "c/d"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("killed c/d"), "{out}");
    assert_eq!(t.sessions_alive(), ["keepalive"]);
    let (code, _, err) = t.run_navi(&["kill", "c/d"]);
    assert_ne!(code, 0);
    assert!(err.contains("no session named"), "{err}");
}

#[test]
fn each_stale_file_is_removed_on_its_own() {
    let t = TmuxServer::new();
    t.new_session("live", &t.home, "");
    std::fs::create_dir_all(&t.sessions).unwrap();
    // Read first (sorted by name): its session name is too long to be a file name.
    let long = json!({"tmux_session": "x".repeat(300), "status": "done"});
    std::fs::write(t.sessions.join("a.json"), long.to_string()).unwrap();
    t.write_status(&json!({"tmux_session": "b", "status": "done"}));
    t.write_status(&json!({"tmux_session": "live", "status": "working"}));
    let (code, out, err) = t.run_navi(&["list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(!t.status_path("b").exists(), "the stale file after the failing one is removed too");
    assert!(t.status_path("live").exists());
}
