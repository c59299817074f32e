//! A private tmux server per test (socket in a temp folder, killed on drop), with HOME,
//! XDG folders and the sessions folder inside the same temp folder. Never touches the
//! user's own tmux server or files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct TmuxServer {
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
    pub home: PathBuf,
    pub sessions: PathBuf,
    /// More environment for every navi this server's tests run (e.g. a session bus).
    pub env: Vec<(String, String)>,
}

/// Fails (never skips) when a program the tests need is missing.
pub fn require(program: &str, package: &str) {
    let found = Command::new("sh").arg("-c").arg(format!("command -v {program}")).output().map(|o| o.status.success());
    assert!(found.unwrap_or(false), "{program} is required for this test: install {package} (scripts/test does)");
}

impl TmuxServer {
    pub fn new() -> Self {
        require("tmux", "tmux");
        let dir = tempfile::Builder::new().prefix("navi-test-").tempdir().expect("temp dir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let sessions = home.join(".claude-sessions");
        let socket = dir.path().join("tmux.sock");
        TmuxServer { dir, socket, home, sessions, env: Vec::new() }
    }

    /// `tmux -S <socket> ARGS`, with a clean environment. Its panes (a dashboard in them)
    /// get this test's TMUX_TMPDIR, so `-L` servers there (agent shells) are private too.
    pub fn tmux_cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-u").arg("-S").arg(&self.socket).env_remove("TMUX").env_remove("TMUX_PANE").env("HOME", &self.home);
        c.env("TMUX_TMPDIR", self.tmux_tmpdir());
        c
    }

    /// Where `tmux -L NAME` servers of this test live (never the user's own).
    pub fn tmux_tmpdir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// `tmux -L navi-agents ARGS`: this test's agent-shell server.
    pub fn agents(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-u", "-L", "navi-agents"])
            .args(args)
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .env("HOME", &self.home)
            .env("TMUX_TMPDIR", self.tmux_tmpdir())
            .output()
            .expect("running tmux")
    }

    /// Starts an agent shell by hand, as the MCP side would: a detached session named
    /// `name` on the agent-shell server, running `cmd` in `dir`.
    pub fn new_agent_shell(&self, name: &str, dir: &Path, cmd: &str) {
        let dir = dir.to_string_lossy();
        // `exec`: under dash (no SHELL in CI's environment) `sh -c CMD` would fork.
        let cmd = format!("exec {cmd}");
        let out = self.agents(&["new-session", "-d", "-x", "100", "-y", "30", "-s", name, "-c", &dir, &cmd]);
        assert!(out.status.success(), "new agent shell {name:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// The sessions on the agent-shell server.
    pub fn agent_shells_alive(&self) -> Vec<String> {
        let out = self.agents(&["list-sessions", "-F", "#{session_name}"]);
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
    }

    pub fn tmux(&self, args: &[&str]) -> Output {
        self.tmux_cmd().args(args).output().expect("running tmux")
    }

    /// Starts a detached session running `cmd` (a shell when empty) in `dir`.
    pub fn new_session(&self, name: &str, dir: &Path, cmd: &str) {
        let mut c = self.tmux_cmd();
        c.args(["new-session", "-d", "-x", "120", "-y", "40", "-s", name, "-c"]).arg(dir);
        if !cmd.is_empty() {
            c.arg(cmd);
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "new-session {name:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Waits until tmux reports `dir` as the session's pane directory (right after start,
    /// tmux may not know the shell's directory yet).
    pub fn wait_pane_dir(&self, name: &str, dir: &Path) {
        let want = std::fs::canonicalize(dir).unwrap();
        let ok = wait_for(Duration::from_secs(10), || {
            let out = self.tmux(&["display-message", "-p", "-t", &format!("={name}:"), "#{pane_current_path}"]);
            std::path::Path::new(String::from_utf8_lossy(&out.stdout).trim()) == want
        });
        assert!(ok, "tmux never reported {} for {name}", want.display());
    }

    pub fn sessions_alive(&self) -> Vec<String> {
        let out = self.tmux(&["list-sessions", "-F", "#{session_name}"]);
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
    }

    /// Waits until the pane `target` shows `what`; fails with the screen if it never does.
    pub fn wait_text(&self, target: &str, what: &str, timeout: Duration) {
        let ok = wait_for(timeout, || self.capture(target).contains(what));
        assert!(ok, "waited for {what:?}; screen:\n{}", self.capture(target));
    }

    /// Waits until the pane `target` no longer shows `what`.
    pub fn wait_text_gone(&self, target: &str, what: &str, timeout: Duration) {
        let ok = wait_for(timeout, || !self.capture(target).contains(what));
        assert!(ok, "waited for {what:?} to go; screen:\n{}", self.capture(target));
    }

    /// `send-keys -t target KEYS…`.
    pub fn keys(&self, target: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", target];
        args.extend(keys);
        self.tmux(&args);
    }

    /// The first screen line of the selected row: the one that starts with the selection marker.
    pub fn selected_line(&self, target: &str) -> String {
        selected_in(&self.capture(target)).1
    }

    /// Presses `key` until the selected row names `what`. After each press it waits for the
    /// selection to move, so a screen that is slow to redraw never makes it press past (the
    /// list wraps). A move is the marker on another screen line or another row under it;
    /// the row's age ticking by itself ("5s ago", "unreachable for 3s") is not one, or the
    /// next press would go out while this one is still on its way.
    pub fn select(&self, target: &str, what: &str, key: &str) {
        let spot = |screen: &str| {
            let (at, line) = selected_in(screen);
            (at, line.chars().filter(|c| !c.is_ascii_digit()).collect::<String>())
        };
        for _ in 0..20 {
            let screen = self.capture(target);
            if selected_in(&screen).1.contains(what) {
                return;
            }
            let before = spot(&screen);
            self.keys(target, &[key]);
            let moved = wait_for(Duration::from_secs(30), || spot(&self.capture(target)) != before);
            assert!(moved, "{key} did not move the selection; screen:\n{}", self.capture(target));
        }
        panic!("no row names {what:?}; screen:\n{}", self.capture(target));
    }

    /// Waits until the program in the foreground of pane `target` is `command` (tmux's
    /// `pane_current_command`): text on the screen can come before the program that is to
    /// read the keys, or be checked by navi, has started (a `cat` or `sh` still running).
    pub fn wait_command(&self, target: &str, command: &str, timeout: Duration) {
        let current = || {
            let out = self.tmux(&["display-message", "-p", "-t", target, "#{pane_current_command}"]);
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let ok = wait_for(timeout, || current() == command);
        assert!(ok, "{target} runs {:?}, not {command:?}; screen:\n{}", current(), self.capture(target));
    }

    /// Waits until the tmux client that runs in pane `pane` of `outer` (attached to this
    /// server) passes keys typed into it on to this server. Keys typed into a client that
    /// has just attached can be taken for its terminal's answers to its queries and lost on
    /// a loaded machine: a key bound here is pressed there until it has done its work.
    pub fn wait_client_takes_keys(&self, outer: &TmuxServer, pane: &str) {
        let probe = |value: &str| self.tmux(&["set-option", "-g", "@navi-test-probe", value]);
        let seen = || {
            let out = self.tmux(&["show-options", "-gv", "@navi-test-probe"]);
            String::from_utf8_lossy(&out.stdout).trim() == "1"
        };
        probe("0");
        assert!(self.tmux(&["bind-key", "Y", "set-option", "-g", "@navi-test-probe", "1"]).status.success());
        let ok = wait_for(Duration::from_secs(60), || {
            outer.keys(pane, &["C-b", "Y"]);
            wait_for(Duration::from_secs(2), seen)
        });
        assert!(ok, "the client never passed a key on; its pane:\n{}", outer.capture(pane));
        self.tmux(&["unbind-key", "Y"]);
    }

    pub fn capture(&self, target: &str) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", target]).stdout).into_owned()
    }

    /// The navi binary with this server's socket, HOME and sessions folder.
    pub fn navi(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_navi"));
        c.env("HOME", &self.home)
            .env("NAVI_TMUX_SOCKET", &self.socket)
            .env("TMUX_TMPDIR", self.tmux_tmpdir())
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_STATE_HOME")
            .env_remove("NAVI_SESSIONS_DIR")
            .env_remove("NAVI_REMOTES")
            // Desktop notices only where a test gives its own bus.
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// Starts the dashboard in session `ui` of this server (its HOME, its socket), 110×30,
    /// with `remotes` as remotes.yaml when given; the pane stays after navi exits.
    pub fn launch_dashboard(&self, remotes: Option<&str>) {
        if let Some(yaml) = remotes {
            let config = self.home.join(".config/navi");
            std::fs::create_dir_all(&config).unwrap();
            std::fs::write(config.join("remotes.yaml"), yaml).unwrap();
        }
        let extra: Vec<String> =
            self.env.iter().map(|(k, v)| format!("{k}={}", shlex::try_quote(v).unwrap())).collect();
        let cmd = format!(
            "env -u DBUS_SESSION_BUS_ADDRESS HOME={} NAVI_TMUX_SOCKET={} TMUX_TMPDIR={} {} {}",
            shlex::try_quote(&self.home.to_string_lossy()).unwrap(),
            shlex::try_quote(&self.socket.to_string_lossy()).unwrap(),
            shlex::try_quote(&self.tmux_tmpdir().to_string_lossy()).unwrap(),
            extra.join(" "),
            env!("CARGO_BIN_EXE_navi")
        );
        let out =
            self.tmux_cmd().args(["new-session", "-d", "-x", "110", "-y", "30", "-s", "ui", &cmd]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        self.tmux(&["set-option", "-t", "ui", "remain-on-exit", "on"]);
    }

    /// `navi hook` as Claude Code starts it from inside `pane` (its TMUX and TMUX_PANE), run
    /// in the test's folder, with `input` on its stdin (then closed).
    pub fn spawn_hook(&self, pane: &str, input: &[u8]) -> std::process::Child {
        use std::io::Write;
        let mut child = self
            .navi()
            .arg("hook")
            .current_dir(self.dir.path())
            .env("TMUX", format!("{},1,0", self.socket.display()))
            .env("TMUX_PANE", pane)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child
    }

    /// Runs navi with `args`; returns (exit code, stdout, stderr).
    pub fn run_navi(&self, args: &[&str]) -> (i32, String, String) {
        outcome(self.navi().args(args))
    }

    pub fn status_path(&self, name: &str) -> PathBuf {
        self.sessions.join(format!("{name}.json"))
    }

    pub fn write_status(&self, json: &serde_json::Value) {
        std::fs::create_dir_all(&self.sessions).unwrap();
        let name = json["tmux_session"].as_str().unwrap();
        std::fs::write(self.status_path(name), serde_json::to_vec(json).unwrap()).unwrap();
    }

    pub fn read_status(&self, name: &str) -> Option<serde_json::Value> {
        std::fs::read(self.status_path(name)).ok().map(|b| serde_json::from_slice(&b).unwrap())
    }
}

impl Drop for TmuxServer {
    fn drop(&mut self) {
        end_servers(&[&|a| self.agents(a), &|a| self.tmux(a)]);
    }
}

/// Runs tmux with these arguments against one server.
pub type RunTmux<'a> = dyn Fn(&[&str]) -> Output + 'a;

/// Ends tmux servers (each given as a way to run tmux against it) and waits, up to 10 s,
/// for every process they ran to end, so that none writes into a test's temp dir after it
/// is removed (a shell's history, Claude Code's project files, an agent shell's output).
pub fn end_servers(servers: &[&RunTmux<'_>]) {
    let mut pids = Vec::new();
    for tmux in servers {
        let out = tmux(&["display-message", "-p", "#{pid}"]);
        if let Ok(pid) = String::from_utf8_lossy(&out.stdout).trim().parse::<u32>() {
            let mut i = pids.len();
            pids.push(pid);
            while i < pids.len() {
                pids.extend(super::sshd::children_of(pids[i]));
                i += 1;
            }
        }
    }
    for tmux in servers {
        let _ = tmux(&["kill-server"]);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while pids.iter().any(|p| running(*p)) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The process still runs (not gone, not a zombie).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next().map(|st| st != "Z")))
        .unwrap_or(false)
}

/// The selection marker's screen line (its index) and that line; none and "" when no row
/// is selected on `screen`.
fn selected_in(screen: &str) -> (Option<usize>, String) {
    screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.starts_with('▌'))
        .map_or((None, String::new()), |(i, l)| (Some(i), l.to_string()))
}

/// Runs `cmd` to its end; returns (exit code, or -1 after a signal; stdout; stderr).
pub fn outcome(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("running a command");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Polls `f` until it returns true or `timeout` passes; returns the last result.
pub fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if f() {
            return true;
        }
        if start.elapsed() > timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// [`outcome`] for a command that must finish within `timeout` (a "does not hang" check):
/// `stdin` is written to it; past the deadline it is killed and the test fails saying so.
pub fn outcome_within(cmd: &mut Command, stdin: &[u8], timeout: Duration) -> (i32, String, String) {
    use std::io::{Read, Write};
    use std::process::Stdio;
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // A command that exits without reading its input is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = r.by_ref().take(64 << 20).read_to_end(&mut out);
            String::from_utf8_lossy(&out).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (code, out.join().unwrap(), err.join().unwrap())
}
