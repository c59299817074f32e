//! The real Claude Code (2.1.197 from npm; scripts/test installs it) in tests, offline:
//! a stand-in for the Anthropic Messages API on 127.0.0.1 ([`api`], one per test binary)
//! and [`Claude`], an isolated HOME where Claude Code starts straight at its prompt with
//! navi's hooks installed, on a private tmux server whose sessions reach only the stand-in.

use super::tmux::{TmuxServer, wait_for};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

mod api;
pub use api::api;

/// The version the tests are written against (see shared reference/claude-code).
pub const VERSION: &str = "2.1.197";
/// Any key of the right shape: Claude Code only checks it was approved in `~/.claude.json`.
const KEY: &str = "sk-ant-api03-navi-test-key-0000000000000000000000000000000000000000-AAAAAAAA";
/// Long enough for a slow start on a loaded machine.
pub const START: Duration = Duration::from_secs(60);
/// The pane check's quiet and start thresholds in these tests, in seconds.
pub const QUIET_SECS: u64 = 4;

/// The native binary npm put in the test cache (override with `NAVI_TEST_CLAUDE`).
pub fn binary() -> PathBuf {
    let path = std::env::var_os("NAVI_TEST_CLAUDE").map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        let arch = if std::env::consts::ARCH == "aarch64" { "arm64" } else { "x64" };
        home.join(format!(".cache/navi-test/claude-code/node_modules/@anthropic-ai/claude-code-linux-{arch}/claude"))
    });
    assert!(
        path.is_file(),
        "Claude Code {VERSION} is required at {}: run scripts/test, or \
         npm install --prefix ~/.cache/navi-test/claude-code @anthropic-ai/claude-code@{VERSION}",
        path.display()
    );
    path
}

/// Writes Claude Code's `~/.claude.json` in `home`: onboarding done, the fake key approved,
/// `project` trusted, so it starts straight at its prompt there.
pub fn configure(home: &std::path::Path, project: &std::path::Path) {
    let config = json!({
        "hasCompletedOnboarding": true,
        "lastOnboardingVersion": VERSION,
        "numStartups": 1,
        "customApiKeyResponses": {"approved": [&KEY[KEY.len() - 20..]], "rejected": []},
        "messageIdleNotifThresholdMs": 5000,
        "projects": {project.to_string_lossy(): {"hasTrustDialogAccepted": true}},
    });
    std::fs::write(home.join(".claude.json"), serde_json::to_vec_pretty(&config).unwrap()).unwrap();
}

/// Claude Code's whole environment: only the stand-in is reachable (any other traffic goes
/// to a closed local port), and nothing of the caller's leaks in (a CLAUDECODE from a
/// surrounding Claude Code session would change its behaviour).
pub fn environment(home: &std::path::Path, path: &str) -> Vec<(&'static str, String)> {
    let base = format!("http://127.0.0.1:{}", api().port);
    [
        ("HOME", &*home.to_string_lossy()),
        ("PATH", path),
        ("LANG", "C.UTF-8"),
        ("SHELL", "/bin/bash"),
        ("ANTHROPIC_API_KEY", KEY),
        ("ANTHROPIC_BASE_URL", base.as_str()),
        ("DISABLE_AUTOUPDATER", "1"),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
        ("DISABLE_TELEMETRY", "1"),
        ("DISABLE_ERROR_REPORTING", "1"),
        ("CLAUDE_CODE_MAX_RETRIES", "0"),
        ("HTTP_PROXY", "http://127.0.0.1:9"),
        ("HTTPS_PROXY", "http://127.0.0.1:9"),
        ("NO_PROXY", "127.0.0.1,localhost"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

/// An isolated HOME with Claude Code set up, its project folder and a private tmux server.
pub struct Claude {
    pub t: TmuxServer,
    pub project: PathBuf,
}

impl Claude {
    pub fn new() -> Self {
        let t = TmuxServer::new();
        let claude = binary();
        let project = t.home.join("project");
        let bin = t.dir.path().join("bin");
        std::fs::create_dir_all(&project).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(&claude, bin.join("claude")).unwrap();
        let project = std::fs::canonicalize(&project).unwrap();
        configure(&t.home, &project);
        let (code, _, err) = t.run_navi(&["install-hooks"]);
        assert_eq!(code, 0, "navi install-hooks: {err}");
        // The server's environment is every session's (see [`environment`]).
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
        let mut start = t.tmux_cmd();
        start.env_clear().envs(environment(&t.home, &path)).args(["new-session", "-d", "-s", "keep"]);
        let out = start.output().unwrap();
        assert!(out.status.success(), "starting tmux: {}", String::from_utf8_lossy(&out.stderr));
        Claude { t, project }
    }

    /// Starts Claude Code in session `name` (the pane stays after it exits, so `/exit`
    /// leaves an offline session); does not wait for it.
    pub fn start(&self, name: &str) {
        self.start_with(name, "");
    }

    /// [`Claude::start`] with arguments for Claude Code (e.g. `--permission-mode plan`).
    pub fn start_with(&self, name: &str, args: &str) {
        // By its path: tmux gives a new session the PATH of the client that asked for it.
        let claude = self.t.dir.path().join("bin/claude");
        self.t.new_session(name, &self.project, format!("{} {args}", claude.to_string_lossy()).trim());
        self.t.tmux(&["set-option", "-t", name, "remain-on-exit", "on"]);
    }

    /// Presses `keys` (tmux key names) in the session.
    pub fn press(&self, name: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", name];
        args.extend(keys);
        assert!(self.t.tmux(&args).status.success(), "send-keys {keys:?} to {name}");
    }

    /// navi with the pane check's thresholds shortened (the defaults make tests slow).
    pub fn navi(&self) -> std::process::Command {
        let mut c = self.t.navi();
        c.env(navi::backend::pane::QUIET_ENV, QUIET_SECS.to_string());
        c.env(navi::backend::pane::START_ENV, QUIET_SECS.to_string());
        c
    }

    /// Waits until Claude Code shows its input box and SessionStart made the session idle.
    pub fn wait_ready(&self, name: &str) {
        self.wait_box(name);
        self.wait_status(name, "idle", START);
    }

    /// Waits until the input box is on screen.
    pub fn wait_box(&self, name: &str) {
        let ok = wait_for(START, || navi::backend::pane::input_text(&self.t.capture(name)).is_some());
        assert!(ok, "{name}: Claude Code never showed its input box:\n{}", self.t.capture(name));
    }

    /// Claude Code's process id (the pane's own program).
    pub fn pid(&self, name: &str) -> i32 {
        let out = self.t.tmux(&["display-message", "-p", "-t", &format!("={name}:"), "#{pane_pid}"]);
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    /// `navi list --json`, the session named `name`.
    pub fn row(&self, name: &str) -> Option<Value> {
        let (code, out, err) = super::tmux::outcome(self.navi().args(["list", "--json"]));
        assert_eq!(code, 0, "navi list: {err}");
        let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
        rows.into_iter().find(|r| r["tmux_session"] == name)
    }

    /// Waits until `navi list` shows the session with `status`; returns its row.
    pub fn wait_status(&self, name: &str, status: &str, timeout: Duration) -> Value {
        let mut last = None;
        let ok = wait_for(timeout, || {
            last = self.row(name);
            last.as_ref().is_some_and(|r| r["status"] == status)
        });
        assert!(ok, "{name}: waited for {status}; last row {last:?}; screen:\n{}", self.t.capture(name));
        last.unwrap()
    }

    /// `navi send NAME TEXT`: (exit code, stdout, stderr).
    pub fn send(&self, name: &str, text: &str) -> (i32, String, String) {
        super::tmux::outcome(self.navi().args(["send", name, text]))
    }
}
