//! Worktree sessions through the CLI, on real git repositories in temp folders and a real
//! private tmux server: create (with `.worktreeinclude` and a setup command), `G`'s view
//! against the base, finish by merge (fast-forward and a real merge), a conflict that
//! leaves the main checkout untouched, refusals to lose work, `--pr` with a stand-in `gh`,
//! hostile names and branches, reuse, and a worktree removed by hand. The same over SSH
//! is in `worktrees/remote.rs`.

mod common;
#[path = "worktrees/remote.rs"]
mod remote;

use common::tmux::{TmuxServer, wait_for};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

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
fn finish_merge_fast_forwards_then_cleans_everything() {
    let env = Env::new();
    let wt = env.new_session("ff");
    commit(&wt, "b.txt", "b\n", "add b");
    let out = env.ok(&["finish", "ff", "--merge"]);
    assert!(out.contains("merged navi/ff into main (fast-forward)"), "{out}");
    assert!(out.contains("branch navi/ff deleted"), "{out}");
    assert_eq!(git(&env.repo, &["log", "-1", "--format=%s"]), "add b");
    assert_eq!(git(&env.repo, &["rev-list", "--count", "--merges", "HEAD"]), "0");
    assert!(env.repo.join("b.txt").exists(), "the main checkout has the work");
    assert!(!wt.exists());
    assert_eq!(env.branches(), "main");
    assert!(!env.t.sessions_alive().contains(&"ff".to_string()));
    assert!(!env.t.status_path("ff").exists());
    assert!(env.ok(&["worktrees"]).contains("no worktrees"));
}

#[test]
fn finish_merge_makes_a_merge_commit_when_the_base_moved() {
    let env = Env::new();
    let wt = env.new_session("real");
    commit(&wt, "b.txt", "b\n", "add b");
    commit(&env.repo, "c.txt", "c\n", "add c on main");
    let out = env.ok(&["finish", "real", "--merge"]);
    assert!(out.contains("merged navi/real into main\n"), "{out}");
    assert_eq!(git(&env.repo, &["rev-list", "--count", "--merges", "HEAD"]), "1");
    assert!(env.repo.join("b.txt").exists() && env.repo.join("c.txt").exists());
    assert!(git(&env.repo, &["status", "--porcelain"]).is_empty());
    assert!(!wt.exists());
    assert_eq!(env.branches(), "main");
}

#[test]
fn a_conflict_stops_the_merge_and_leaves_the_main_checkout_exactly_as_it_was() {
    let env = Env::new();
    let wt = env.new_session("clash");
    commit(&wt, "a.txt", "theirs\n", "change a in the worktree");
    commit(&env.repo, "a.txt", "ours\n", "change a on main");
    std::fs::write(env.repo.join("untracked.txt"), "mine").unwrap();
    let head = git(&env.repo, &["rev-parse", "HEAD"]);
    let status = git(&env.repo, &["status", "--porcelain"]);

    let err = env.fails(&["finish", "clash", "--merge"]);
    assert!(err.contains("conflicts in a.txt") && err.contains("as it was"), "{err}");
    assert_eq!(git(&env.repo, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&env.repo, &["status", "--porcelain"]), status);
    assert_eq!(std::fs::read_to_string(env.repo.join("a.txt")).unwrap(), "ours\n");
    assert!(!env.repo.join(".git/MERGE_HEAD").exists());
    assert!(wt.exists(), "the worktree stays");
    assert!(env.t.sessions_alive().contains(&"clash".to_string()), "so does the session");
    assert!(env.t.status_path("clash").exists());
}

#[test]
fn finish_refuses_to_lose_work_and_says_what_unless_forced() {
    let env = Env::new();
    let wt = env.new_session("work");
    commit(&wt, "b.txt", "b\n", "keep me");
    std::fs::write(wt.join("draft.txt"), "unsaved").unwrap();

    let err = env.fails(&["finish", "work"]);
    assert!(err.contains("would lose work"), "{err}");
    assert!(err.contains("?? draft.txt"), "the uncommitted file is named: {err}");
    assert!(err.contains("keep me"), "the unmerged commit is named: {err}");
    let err = env.fails(&["finish", "work", "--merge"]);
    assert!(err.contains("?? draft.txt") && !err.contains("keep me"), "a merge carries the commits: {err}");
    assert!(wt.join("draft.txt").exists() && env.branches().contains("navi/work"));
    assert!(env.t.sessions_alive().contains(&"work".to_string()));

    // The main checkout must be on the base and clean; --force does not change that.
    git(&env.repo, &["checkout", "-q", "-b", "other"]);
    std::fs::remove_file(wt.join("draft.txt")).unwrap();
    let err = env.fails(&["finish", "work", "--merge", "--force"]);
    assert!(err.contains("main checkout is on \"other\"") && err.contains("nothing was changed"), "{err}");
    git(&env.repo, &["checkout", "-q", "main"]);
    git(&env.repo, &["branch", "-q", "-D", "other"]);
    std::fs::write(env.repo.join("a.txt"), "edited\n").unwrap();
    let err = env.fails(&["finish", "work", "--merge"]);
    assert!(err.contains("uncommitted changes: M a.txt") || err.contains("uncommitted changes:  M a.txt"), "{err}");
    git(&env.repo, &["checkout", "--", "a.txt"]);

    std::fs::write(wt.join("draft.txt"), "unsaved").unwrap();
    let out = env.ok(&["finish", "work", "--force"]);
    assert!(out.contains("branch navi/work deleted"), "{out}");
    assert!(!wt.exists());
    assert_eq!(env.branches(), "main");
    assert!(!env.t.sessions_alive().contains(&"work".to_string()));
}

#[test]
fn finish_pr_pushes_and_opens_a_pull_request_with_gh_keeping_the_unmerged_branch() {
    let env = Env::new();
    let origin = env.t.dir.path().join("origin.git");
    git(env.t.dir.path(), &["init", "-q", "--bare", origin.to_str().unwrap()]);
    git(&env.repo, &["remote", "add", "origin", origin.to_str().unwrap()]);
    git(&env.repo, &["push", "-q", "-u", "origin", "main"]);
    let gh_log = env.t.dir.path().join("gh-args");
    let gh = format!(
        "#!/bin/sh\nfor a do printf '%s\\n' \"$a\"; done > '{}'\necho https://example.invalid/o/r/pull/7\n",
        gh_log.display()
    );
    write_program(&env.t.dir.path().join("bin/gh"), &gh);

    let wt = env.new_session("pr");
    commit(&wt, "b.txt", "b\n", "feat: add b");
    let out = env.ok(&["finish", "pr", "--pr"]);
    assert!(out.contains("opened https://example.invalid/o/r/pull/7"), "{out}");
    assert!(out.contains("branch navi/pr kept"), "{out}");
    let args: Vec<String> = std::fs::read_to_string(&gh_log).unwrap().lines().map(str::to_string).collect();
    let expect = [
        "pr",
        "create",
        "--repo",
        origin.to_str().unwrap(),
        "--head",
        "navi/pr",
        "--base",
        "main",
        "--title",
        "feat: add b",
    ];
    assert_eq!(&args[..10], expect);
    assert_eq!(git(&origin, &["log", "-1", "--format=%s", "navi/pr"]), "feat: add b", "the branch was pushed");
    assert!(!wt.exists());
    assert!(env.branches().contains("navi/pr"), "the local branch is not merged: kept");
    assert!(!env.t.sessions_alive().contains(&"pr".to_string()));
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
    env.ok(&["kill", "again"]);
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
    let v: Value = serde_json::from_str(&env.ok(&["worktrees", "--json"])).unwrap();
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

#[test]
fn the_dashboard_finishes_asks_again_before_losing_work_and_kills_keeping_the_worktree() {
    let env = Env::new();
    let merged = env.new_session("merged");
    commit(&merged, "b.txt", "b\n", "add b");
    let kept = env.new_session("kept");
    let lose = env.new_session("lose");
    std::fs::write(lose.join("draft.txt"), "unsaved").unwrap();
    env.t.launch_dashboard(None);
    let ui = "=ui:";
    env.t.wait_text(ui, "merged ⎇ navi/merged", WAIT);
    let find = |name: &str| {
        env.t.keys(ui, &["Escape", "/", name, "Enter"]);
        env.t.wait_text(ui, "1/1 matches", WAIT);
    };

    find("merged");
    env.t.keys(ui, &["F"]);
    env.t.wait_text(ui, "Finish merged", WAIT);
    env.t.keys(ui, &["m"]);
    assert!(wait_for(WAIT, || !merged.exists()), "{}", env.t.capture(ui));
    assert_eq!(git(&env.repo, &["log", "-1", "--format=%s"]), "add b");

    find("lose");
    env.t.keys(ui, &["F"]);
    env.t.wait_text(ui, "Finish lose", WAIT);
    env.t.keys(ui, &["r"]);
    env.t.wait_text(ui, "Lose work?", WAIT);
    env.t.wait_text(ui, "?? draft.txt", WAIT);
    assert!(lose.join("draft.txt").exists(), "nothing lost before the second yes");
    env.t.keys(ui, &["y"]);
    assert!(wait_for(WAIT, || !lose.exists()), "{}", env.t.capture(ui));

    find("kept");
    env.t.keys(ui, &["x"]);
    env.t.wait_text(ui, "keep the worktree", WAIT);
    env.t.keys(ui, &["y"]);
    assert!(wait_for(WAIT, || !env.t.sessions_alive().contains(&"kept".to_string())), "{}", env.t.capture(ui));
    assert!(kept.join(".git").exists(), "the worktree stays");
    assert!(env.branches().contains("navi/kept"));
}
