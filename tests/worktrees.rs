//! Worktree sessions through the CLI, on real git repositories in temp folders and a real
//! private tmux server: create (with `.worktreeinclude` and a setup command), `G`'s view
//! against the base, hostile names and branches, reuse, and a worktree removed by hand.
//! Finishing is in `worktrees/finish.rs`, the dashboard in `worktrees/dashboard.rs`, the
//! same over SSH in `worktrees/remote.rs`.

mod common;
#[path = "worktrees/dashboard.rs"]
mod dashboard;
#[path = "worktrees/finish.rs"]
mod finish;
#[path = "worktrees/remote.rs"]
mod remote;

use common::tmux::{TmuxServer, wait_for};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// Runs git in `dir`; panics when it fails; returns its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).env("HOME", dir).output().unwrap();
    assert!(out.status.success(), "git {args:?} in {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

/// Commits `text` into `file` in the checkout `dir`.
pub fn commit(dir: &Path, file: &str, text: &str, message: &str) {
    std::fs::write(dir.join(file), text).unwrap();
    git(dir, &["add", file]);
    git(dir, &["commit", "-q", "-m", message]);
}

struct Env {
    t: TmuxServer,
    repo: PathBuf,
    path: String,
    claude_log: PathBuf,
}

impl Env {
    /// A repository `repo` on branch main with one commit, a git identity of its own, and
    /// a stand-in `claude` (and any other program put in `bin/`) on navi's PATH.
    fn new() -> Self {
        let t = TmuxServer::new();
        let bin = t.dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let claude_log = t.dir.path().join("claude-args");
        let script = format!("#!/bin/sh\nprintf '%s\\n' \"$PWD\" >> '{}'\nexec sleep 600\n", claude_log.display());
        write_program(&bin.join("claude"), &script);
        t.new_session("keepalive", &t.home, "");
        assert!(t.tmux(&["set-option", "-g", "default-command", "exec sh"]).status.success());
        let repo = t.dir.path().canonicalize().unwrap().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["config", "user.name", "t"]);
        git(&repo, &["config", "user.email", "t@t"]);
        commit(&repo, "a.txt", "one\n", "first");
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        Env { t, repo, path, claude_log }
    }

    fn navi(&self, args: &[&str]) -> (i32, String, String) {
        common::tmux::outcome(self.t.navi().env("PATH", &self.path).args(args))
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.navi(args);
        assert_eq!(code, 0, "navi {args:?}: {err}");
        out
    }

    fn fails(&self, args: &[&str]) -> String {
        let (code, out, err) = self.navi(args);
        assert_ne!(code, 0, "navi {args:?} should fail: {out}");
        err
    }

    /// Where the default location puts session `name`'s worktree.
    fn worktree(&self, name: &str) -> PathBuf {
        self.repo.parent().unwrap().join("repo.worktrees").join(name)
    }

    fn new_session(&self, name: &str) -> PathBuf {
        self.ok(&["new", name, "--worktree", "--dir", self.repo.to_str().unwrap()]);
        self.worktree(name)
    }

    fn config(&self, yaml: &str) {
        let dir = self.t.home.join(".config/navi");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.yaml"), yaml).unwrap();
    }

    fn branches(&self) -> String {
        git(&self.repo, &["branch", "--format=%(refname:short)"])
    }
}

pub fn write_program(path: &Path, script: &str) {
    std::fs::write(path, script).unwrap();
    Command::new("chmod").arg("755").arg(path).status().unwrap();
}

#[test]
fn new_makes_a_worktree_copies_included_files_runs_setup_then_the_agent() {
    let env = Env::new();
    std::fs::write(env.repo.join(".gitignore"), ".env\nsecrets/\nbuild/\n").unwrap();
    std::fs::write(env.repo.join(".worktreeinclude"), ".env\nsecrets/*.key\n").unwrap();
    commit(&env.repo, ".gitignore", ".env\nsecrets/\nbuild/\n", "ignore");
    std::fs::write(env.repo.join(".env"), "TOKEN=1\n").unwrap();
    std::fs::create_dir_all(env.repo.join("secrets")).unwrap();
    std::fs::write(env.repo.join("secrets/a.key"), "k").unwrap();
    std::fs::write(env.repo.join("secrets/notes.txt"), "not listed").unwrap();
    std::fs::create_dir_all(env.repo.join("build")).unwrap();
    std::fs::write(env.repo.join("build/out"), "big").unwrap();
    env.config("worktrees:\n  setup:\n    - repo: \"*/nomatch\"\n      command: touch wrong\n    - repo: \"*/repo\"\n      command: \"pwd > setup-ran; echo SETUP-$((40 + 2))\"\n");

    // Any folder of the repository will do.
    std::fs::create_dir_all(env.repo.join("sub")).unwrap();
    let out = env.ok(&["new", "feat", "--worktree", "--dir", env.repo.join("sub").to_str().unwrap()]);
    let wt = env.worktree("feat");
    assert!(out.contains(&format!("in new worktree {}", wt.display())), "{out}");
    assert!(out.contains("copied 2 file(s)"), "{out}");
    assert_eq!(git(&wt, &["rev-parse", "--abbrev-ref", "HEAD"]), "navi/feat");
    assert_eq!(std::fs::read_to_string(wt.join(".env")).unwrap(), "TOKEN=1\n");
    assert_eq!(std::fs::read_to_string(wt.join("secrets/a.key")).unwrap(), "k");
    assert!(!wt.join("secrets/notes.txt").exists() && !wt.join("build").exists(), "only what the file names");

    // The setup ran in the worktree, in the session (its output shows there), then the agent.
    assert!(wait_for(WAIT, || wt.join("setup-ran").exists()));
    assert_eq!(std::fs::read_to_string(wt.join("setup-ran")).unwrap().trim(), wt.to_str().unwrap());
    assert!(!wt.join("wrong").exists(), "the first matching rule wins");
    env.t.wait_text("=feat:", "SETUP-42", WAIT);
    assert!(wait_for(WAIT, || std::fs::read_to_string(&env.claude_log).is_ok_and(|l| l.contains(wt.to_str().unwrap()))));

    let file = env.t.read_status("feat").unwrap();
    assert_eq!(file["cwd"], wt.to_str().unwrap());
    assert_eq!(
        file["worktree"],
        serde_json::json!({"path": wt, "branch": "navi/feat", "base": "main", "repo": env.repo})
    );

    // A hook event keeps the field; `git` compares with the base.
    commit(&wt, "b.txt", "new\n", "add b");
    std::fs::write(wt.join("a.txt"), "one\nchanged\n").unwrap();
    let v: Value = serde_json::from_str(&env.ok(&["git", "feat", "--json", "--diff"])).unwrap();
    assert_eq!(v["branch"], "navi/feat");
    assert_eq!(v["base"], "main");
    assert_eq!((v["base_ahead"].as_u64(), v["base_behind"].as_u64()), (Some(1), Some(0)));
    assert!(v["commits"][0].as_str().unwrap().ends_with(" add b"), "{v}");
    let diff = v["diff"].as_str().unwrap();
    assert!(diff.contains("+new") && diff.contains("+changed"), "committed and uncommitted work: {diff}");
    let text = env.ok(&["git", "feat"]);
    assert!(text.contains("base:        main (1 ahead, 0 behind)"), "{text}");
}

#[test]
fn hostile_names_and_branches_are_refused_before_anything_exists_or_survive_verbatim() {
    let env = Env::new();
    let dir = env.repo.to_str().unwrap();
    for (name, branch, why) in [
        ("ok", "a..b", "must not contain '..'"),
        ("ok", "-x", "must not start with '-'"),
        ("ok", "has space", "must not contain ' '"),
        ("with space", "", "must not contain ' '"),
        ("a.b", "", "invalid name"),
    ] {
        let mut args = vec!["new", name, "--worktree", "--dir", dir];
        if !branch.is_empty() {
            args.extend(["--branch", branch]);
        }
        let err = env.fails(&args);
        assert!(err.contains(why), "{name:?} {branch:?}: {err}");
    }
    let err = env.fails(&["new", "ok", "--worktree", "--dir", dir, "--base", "--upload-pack=touch pwned"]);
    assert!(err.contains("cannot be a git revision"), "{err}");
    let err = env.fails(&["new", "ok", "--worktree", "--dir", dir, "--base", "no-such-ref"]);
    assert!(err.contains("not a commit"), "{err}");
    assert!(!env.repo.parent().unwrap().join("repo.worktrees").exists(), "nothing was created");
    assert_eq!(env.branches(), "main");

    // tmux keeps these names as typed; git takes the branch (a `${` would be rewritten by
    // tmux in a session name, not in a branch).
    let name = "it's-$(id)-`id`;x\"q";
    let branch = "feat/$(touch${IFS}pwned)-`touch${IFS}pwned`";
    env.ok(&["new", name, "--worktree", "--dir", dir, "--branch", branch]);
    let wt = env.worktree(name);
    assert!(wt.is_dir(), "{}", wt.display());
    assert_eq!(git(&wt, &["rev-parse", "--abbrev-ref", "HEAD"]), branch);
    assert_eq!(env.t.read_status(name).unwrap()["worktree"]["branch"], branch);
    let listed = env.ok(&["worktrees"]);
    assert!(listed.contains(branch) && listed.contains(name), "{listed}");
    env.ok(&["finish", name]);
    assert!(!wt.exists());
    let pwned = |d: &Path| d.join("pwned").exists();
    assert!(!pwned(&env.repo) && !pwned(env.t.dir.path()) && !pwned(&env.t.home), "nothing ran");
}

#[test]
fn a_name_tmux_stores_otherwise_is_the_one_recorded_everywhere() {
    let env = Env::new();
    let out = env.ok(&["new", "w-$HOME", "--worktree", "--dir", env.repo.to_str().unwrap()]);
    let stored = "w-\\$HOME";
    assert!(out.contains(&format!("created {stored} in")), "{out}");
    env.ok(&["kill", stored]);
    let listed = env.ok(&["worktrees"]);
    assert!(listed.lines().any(|l| l.starts_with("no session") && l.contains("navi/w-$HOME")), "{listed}");
    env.ok(&["finish", stored]);
    assert!(!env.worktree("w-$HOME").exists());
    assert_eq!(env.branches(), "main");
}

#[test]
fn an_existing_branch_or_folder_is_an_error_unless_reused() {
    let env = Env::new();
    let dir = env.repo.to_str().unwrap();
    git(&env.repo, &["branch", "navi/again"]);
    let err = env.fails(&["new", "again", "--worktree", "--dir", dir]);
    assert!(err.contains("branch already exists") && err.contains("--reuse"), "{err}");
    env.ok(&["new", "again", "--worktree", "--dir", dir, "--reuse"]);
    let wt = env.worktree("again");
    assert_eq!(git(&wt, &["rev-parse", "--abbrev-ref", "HEAD"]), "navi/again");

    // The branch's worktree is found again, under another session name.
    let out = env.ok(&["kill", "again"]);
    assert!(out.contains(&format!("its worktree {} stays", wt.display())), "{out}");
    assert!(wt.exists(), "kill keeps the worktree");
    let out = env.ok(&["new", "again2", "--worktree", "--dir", dir, "--branch", "navi/again", "--reuse"]);
    assert!(out.contains(&format!("in existing worktree {}", wt.display())), "{out}");

    std::fs::create_dir_all(env.worktree("taken")).unwrap();
    let err = env.fails(&["new", "taken", "--worktree", "--dir", dir]);
    assert!(err.contains("already exists"), "{err}");
    assert!(!env.branches().contains("navi/taken"));

    let err = env.fails(&["new", "x", "--worktree", "--dir", env.t.home.to_str().unwrap()]);
    assert!(err.contains("not inside a git repository"), "{err}");
}

#[test]
fn a_killed_session_and_a_worktree_removed_by_hand_are_listed_and_cleaned() {
    let env = Env::new();
    let kept = env.new_session("kept");
    let gone = env.new_session("gone");
    env.ok(&["kill", "kept"]);
    let listed = env.ok(&["worktrees"]);
    let line = |needle: &str| listed.lines().find(|l| l.contains(needle)).unwrap_or_default().to_string();
    assert!(line("navi/kept").starts_with("no session"), "{listed}");
    assert!(line("navi/gone").starts_with("gone"), "{listed}");
    assert!(line("navi/gone").contains("↑0 ↓0") && line("navi/gone").contains("clean"), "{listed}");

    std::fs::remove_dir_all(&gone).unwrap();
    // A repository listed twice (two creations at once) is read once.
    let registry = env.t.home.join(".local/state/navi/worktree-repos");
    let mut text = std::fs::read_to_string(&registry).unwrap();
    text.push_str(&format!("{}\n", env.repo.display()));
    std::fs::write(&registry, text).unwrap();
    let v: Value = serde_json::from_str(&env.ok(&["worktrees", "--json"])).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2, "{v}");
    let gone_row = v.as_array().unwrap().iter().find(|r| r["branch"] == "navi/gone").unwrap().clone();
    assert_eq!(gone_row["exists"], false);
    assert_eq!(gone_row["session"], "gone");
    env.ok(&["finish", "gone"]);
    env.ok(&["finish", "kept"]);
    assert!(!kept.exists());
    assert_eq!(env.branches(), "main");
    assert!(git(&env.repo, &["worktree", "list"]).lines().count() == 1);
    let err = env.fails(&["finish", "kept"]);
    assert!(err.contains("has no worktree of navi's"), "{err}");
}
