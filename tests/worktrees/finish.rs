//! Finishing worktree sessions on this machine: merge (fast-forward and a real merge), a
//! conflict that leaves the main checkout untouched, refusals to lose work, and a pull
//! request through a stand-in `gh` that records its arguments.

use super::{Env, commit, git, write_program};

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
