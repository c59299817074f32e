//! `navi approve` / `navi deny` against the real Claude Code's permission dialog, offline
//! (tests/common/claude.rs), on this machine and over a real sshd: the tool runs (the
//! stand-in API gets its result) or is refused, `--always` stops the next identical call
//! from asking, and a pane that shows no permission dialog gets nothing typed.

#[path = "approve/checks.rs"]
mod checks;
mod common;

use common::claude::{Claude, START, api, binary, configure, environment};
use common::sshd::Sshd;
use common::tmux::{outcome, wait_for};
use navi::backend::pane::{self, PaneView};
use std::path::PathBuf;
use std::time::Duration;

const TURN: Duration = Duration::from_secs(60);
/// A hostile name: a leading `-`, quotes, `$()`, `;`.
const HOSTILE: &str = "-y 'q' \"$(touch pwned)\";x";

fn is_permission(screen: &str) -> bool {
    matches!(pane::read(screen), PaneView::Permission { .. })
}

/// Asks for a Bash tool call of `cmd` in a ready session and waits for its dialog.
fn ask(c: &Claude, name: &str, cmd: &str) {
    let (code, _, err) = c.send(name, &format!("RUN-TOOL: {cmd}"));
    assert_eq!(code, 0, "{name}: navi send failed: {err}");
    let target = format!("={name}:");
    let ok = wait_for(TURN, || is_permission(&c.t.capture(&target)));
    assert!(ok, "{name}: no permission dialog; screen:\n{}", c.t.capture(&target));
}

fn navi(c: &Claude, args: &[&str]) -> (i32, String, String) {
    outcome(c.navi().args(args))
}

#[test]
fn approve_runs_the_tool_and_the_dialog_goes() {
    let c = Claude::new();
    c.start(HOSTILE);
    c.wait_ready(HOSTILE);
    // `echo` alone runs unasked: the `touch` makes Claude Code ask.
    ask(&c, HOSTILE, "touch approved-local && echo navi-approved-local");
    let (code, out, err) = navi(&c, &["approve", HOSTILE]);
    assert_eq!(code, 0, "navi approve: {err}");
    assert!(out.contains("pressed 1. Yes") && out.contains("touch approved-local"), "{out}");
    assert!(!is_permission(&c.t.capture(&format!("={HOSTILE}:"))), "the dialog is gone");
    let row = c.wait_status(HOSTILE, "done", TURN);
    assert_eq!(row["message"], "Tool finished.", "{row}");
    assert!(api().tool_results().iter().any(|r| r.contains("navi-approved-local")), "{:?}", api().tool_results());
    assert!(c.project.join("approved-local").exists());
    assert!(!c.t.home.join("pwned").exists() && !c.project.join("pwned").exists());
}

#[test]
fn deny_refuses_the_tool() {
    let c = Claude::new();
    c.start("refuse");
    c.wait_ready("refuse");
    ask(&c, "refuse", "touch denied-by-navi");
    let (code, out, err) = navi(&c, &["deny", "refuse"]);
    assert_eq!(code, 0, "navi deny: {err}");
    assert!(out.contains("denied refuse: pressed 3. No"), "{out}");
    // No hook event comes for a "No": the pane check sees Claude Code's "Interrupted".
    let row = c.wait_status("refuse", "idle", TURN);
    assert_eq!(row["message"], "Interrupted", "{row}");
    assert!(!c.project.join("denied-by-navi").exists());
}

#[test]
fn always_stops_the_next_identical_call_from_asking() {
    let c = Claude::new();
    c.start("always");
    c.wait_ready("always");
    let made = c.project.join("navi-always");
    ask(&c, "always", "touch navi-always");
    let (code, out, err) = navi(&c, &["approve", "--always", "always"]);
    assert_eq!(code, 0, "navi approve --always: {err}");
    assert!(out.contains("pressed 2. Yes, and"), "{out}");
    assert!(wait_for(TURN, || made.exists()), "the tool never ran");
    c.wait_status("always", "done", TURN);

    std::fs::remove_file(&made).unwrap();
    let (code, _, err) = c.send("always", "RUN-TOOL: touch navi-always");
    assert_eq!(code, 0, "{err}");
    // Not asked again: the tool runs with nobody answering.
    assert!(wait_for(TURN, || made.exists()), "asked again:\n{}", c.t.capture("=always:"));
}

#[test]
fn nothing_is_typed_into_a_shell_or_a_claude_code_without_a_dialog() {
    let c = Claude::new();
    c.t.new_session("plain", &c.project, "");
    let ok = wait_for(START, || c.t.capture("=plain:").trim_end().ends_with(['$', '#']));
    assert!(ok, "no shell prompt:\n{}", c.t.capture("=plain:"));
    for args in [&["approve", "plain"][..], &["approve", "--always", "plain"], &["deny", "plain"]] {
        let (code, out, err) = navi(&c, args);
        assert_eq!(code, 1, "{args:?}: {out}");
        assert!(err.contains("nothing typed") && err.contains("shell prompt"), "{err}");
    }
    // Whatever was typed would show before this marker on the prompt line.
    c.t.tmux(&["send-keys", "-t", "=plain:", "-l", "MARK"]);
    c.t.wait_text("=plain:", "MARK", START);
    let screen = c.t.capture("=plain:");
    let line = screen.lines().find(|l| l.contains("MARK")).unwrap();
    let before_mark = line.trim_end().strip_suffix("MARK").unwrap_or("").trim_end();
    assert!(before_mark.ends_with(['$', '#']), "something was typed: {line:?}");

    c.start("quiet");
    c.wait_ready("quiet");
    let before = pane::input_text(&c.t.capture("=quiet:"));
    let (code, _, err) = navi(&c, &["approve", "quiet"]);
    assert_eq!(code, 1);
    assert!(err.contains("input box, no dialog"), "{err}");
    assert_eq!(pane::input_text(&c.t.capture("=quiet:")), before, "the box got nothing");
    let (code, _, err) = navi(&c, &["deny", "nobody"]);
    assert_eq!(code, 1);
    assert!(err.contains("nobody"), "{err}");
}

/// Claude Code on the far side of a real sshd: the remote user's tmux runs it, with the
/// stand-in API (on this machine's loopback) as its API.
struct Remote {
    sshd: Sshd,
    remotes: PathBuf,
    project: PathBuf,
}

impl Remote {
    fn new(local: &Claude) -> Self {
        let sshd = Sshd::start();
        let claude = sshd.dir.path().join("bin/claude");
        // The test user cannot reach root's npm cache: its own link (or copy) of the binary.
        if std::fs::hard_link(binary(), &claude).is_err() {
            std::fs::copy(binary(), &claude).unwrap();
        }
        let project = sshd.remote_home.join("project");
        std::fs::create_dir_all(&project).unwrap();
        let project = std::fs::canonicalize(&project).unwrap();
        configure(&sshd.remote_home, &project);
        // navi's hooks there too, as a user of the remote would have them.
        let settings = sshd.remote_home.join(".claude/settings.json");
        let (code, _, err) = local.t.run_navi(&["install-hooks", "--settings", &settings.to_string_lossy()]);
        assert_eq!(code, 0, "{err}");
        let owned = std::process::Command::new("chown").args(["-R", sshd.user]).arg(&sshd.remote_home).status();
        assert!(owned.unwrap().success());
        let remotes = local.t.dir.path().join("remotes.yaml");
        std::fs::write(&remotes, sshd.remotes_yaml("box")).unwrap();
        Remote { sshd, remotes, project }
    }

    fn start(&self, name: &str) {
        let q = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let path = format!("{}/bin:/usr/local/bin:/usr/bin:/bin", self.sshd.dir.path().display());
        let vars: Vec<String> =
            environment(&self.sshd.remote_home, &path).iter().map(|(k, v)| q(&format!("{k}={v}"))).collect();
        let claude = self.sshd.dir.path().join("bin/claude");
        let cmd = format!(
            "cd {} && exec env -i TERM=\"$TERM\" TMUX=\"$TMUX\" TMUX_PANE=\"$TMUX_PANE\" {} {}",
            q(&self.project.to_string_lossy()),
            vars.join(" "),
            claude.display()
        );
        self.sshd.new_session(name, &cmd);
        let ok = wait_for(START, || pane::input_text(&self.capture(name)).is_some());
        assert!(ok, "{name}: Claude Code never showed its input box:\n{}", self.capture(name));
    }

    fn capture(&self, name: &str) -> String {
        let out = self.sshd.tmux(&["capture-pane", "-p", "-t", &format!("={name}:")]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn navi(&self, local: &Claude, args: &[&str]) -> (i32, String, String) {
        outcome(local.navi().env("NAVI_REMOTES", &self.remotes).args(args))
    }

    fn ask(&self, local: &Claude, name: &str, cmd: &str) {
        let (code, _, err) = self.navi(local, &["send", "--remote", "box", name, &format!("RUN-TOOL: {cmd}")]);
        assert_eq!(code, 0, "{name}: navi send failed: {err}");
        let ok = wait_for(TURN, || is_permission(&self.capture(name)));
        assert!(ok, "{name}: no permission dialog; screen:\n{}", self.capture(name));
    }
}

#[test]
fn approve_and_deny_over_ssh() {
    let local = Claude::new();
    let r = Remote::new(&local);
    r.start("far");
    r.start("far-no");

    // Claude Code asks a user other than root only for files outside the project.
    let home = |f: &str| r.sshd.remote_home.join(f);
    r.ask(&local, "far", "touch ../approved-far");
    let (code, out, err) = r.navi(&local, &["approve", "--remote", "box", "far"]);
    assert_eq!(code, 0, "navi approve --remote: {err}");
    assert!(out.contains("pressed 1. Yes"), "{out}");
    assert!(wait_for(TURN, || home("approved-far").exists()), "{}", r.capture("far"));

    r.ask(&local, "far-no", "touch ../denied-far");
    let (code, out, err) = r.navi(&local, &["deny", "--remote", "box", "far-no"]);
    assert_eq!(code, 0, "navi deny --remote: {err}");
    assert!(out.contains("pressed 3. No"), "{out}");
    let ok = wait_for(TURN, || matches!(pane::read(&r.capture("far-no")), PaneView::Input { interrupted: true, .. }));
    assert!(ok, "{}", r.capture("far-no"));
    assert!(!home("denied-far").exists());

    // Once more on the far side, where the answer was "always".
    r.ask(&local, "far", "touch ../always-far");
    let (code, out, err) = r.navi(&local, &["approve", "--always", "--remote", "box", "far"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("pressed 2. Yes, and"), "{out}");
    assert!(wait_for(TURN, || home("always-far").exists()));
    std::fs::remove_file(home("always-far")).unwrap();
    let (code, _, err) = r.navi(&local, &["send", "--remote", "box", "far", "RUN-TOOL: touch ../always-far"]);
    assert_eq!(code, 0, "{err}");
    assert!(wait_for(TURN, || home("always-far").exists()), "asked again:\n{}", r.capture("far"));

    // A remote shell prompt gets nothing.
    r.sshd.new_session("far-shell", "");
    assert!(wait_for(START, || r.capture("far-shell").trim_end().ends_with(['$', '#'])));
    let (code, _, err) = r.navi(&local, &["approve", "--remote", "box", "far-shell"]);
    assert_eq!(code, 1);
    assert!(err.contains("shell prompt"), "{err}");
}

#[test]
fn the_dashboard_shows_the_dialog_before_approving_it() {
    let c = Claude::new();
    c.start("dash");
    c.wait_ready("dash");
    ask(&c, "dash", "touch approved-from-the-dashboard");
    c.wait_status("dash", "permission", TURN);
    c.t.launch_dashboard(None);
    let screen = || c.t.capture("=ui:");
    assert!(wait_for(START, || screen().contains("dash")), "{}", screen());
    c.t.tmux(&["send-keys", "-t", "=ui:", "a"]);
    let shown = wait_for(TURN, || {
        let s = screen();
        s.contains("Bash command") && s.contains("touch approved-from-the-dashboard") && s.contains("→ 1. Yes")
    });
    assert!(shown, "no confirmation with the command:\n{}", screen());
    assert!(!c.project.join("approved-from-the-dashboard").exists(), "nothing before the answer");
    assert!(is_permission(&c.t.capture("=dash:")));
    c.t.tmux(&["send-keys", "-t", "=ui:", "y"]);
    assert!(wait_for(TURN, || c.project.join("approved-from-the-dashboard").exists()), "{}", screen());
    assert!(wait_for(TURN, || screen().contains("approved dash")), "{}", screen());
}
