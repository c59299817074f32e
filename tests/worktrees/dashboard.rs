//! Worktree sessions on the dashboard, end to end: the real binary in a pane of a private
//! tmux server, driven with send-keys and read with capture-pane.

use super::common::tmux::wait_for;
use super::{Env, WAIT, commit, git};

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
        // This search's count: the last one's "1/1 matches" may still be on screen.
        env.t.wait_text(ui, &format!("/{name}  1/1 matches"), WAIT);
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

#[test]
fn the_new_session_form_starts_a_worktree_session_and_offers_an_existing_branch() {
    let env = Env::new();
    git(&env.repo, &["branch", "navi/again"]);
    env.t.launch_dashboard(None);
    let ui = "=ui:";
    env.t.wait_text(ui, "No Claude Code sessions", WAIT);
    let form = |name: &str| {
        env.t.keys(ui, &["n"]);
        env.t.wait_text(ui, "New session", WAIT);
        env.t.keys(ui, &["C-u", name, "Tab", "C-u", env.repo.to_str().unwrap(), "Tab", "Tab", "Space", "Enter"]);
    };
    form("fresh");
    assert!(wait_for(WAIT, || env.worktree("fresh").join(".git").exists()), "{}", env.t.capture(ui));
    env.t.wait_text(ui, "fresh ⎇ navi/fresh", WAIT);

    form("again");
    env.t.wait_text(ui, "Branch navi/again exists already", WAIT);
    assert!(!env.worktree("again").exists(), "nothing before the answer");
    env.t.keys(ui, &["y"]);
    assert!(wait_for(WAIT, || env.worktree("again").join(".git").exists()), "{}", env.t.capture(ui));
    assert_eq!(git(&env.worktree("again"), &["rev-parse", "--abbrev-ref", "HEAD"]), "navi/again");
}
