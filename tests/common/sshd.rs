//! A real OpenSSH sshd per test: its own folder, a free port on 127.0.0.1 (or an address
//! inside a network namespace), generated host and user keys, a private known_hosts, and
//! a remote HOME and TMUX_TMPDIR of its own (through `SetEnv`), so parallel tests never
//! share a tmux server or a sessions folder. Killed on drop with its per-connection
//! children. Logs in as the dedicated user `navi-test`, created when missing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const USER: &str = "navi-test";
/// The same, with bash as login shell (bash runs ~/.bashrc for commands run over ssh).
pub const BASH_USER: &str = "navi-test-bash";

pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub addr: String,
    pub port: u16,
    /// The user's private key (ed25519, no passphrase) and the known_hosts line for the server.
    pub user_key: PathBuf,
    pub known_hosts: PathBuf,
    /// The remote user's HOME (owned by `navi-test`); `bin/` under `dir` is first on its PATH.
    pub remote_home: PathBuf,
    pub netns: Option<String>,
    /// Who logs in: [`USER`], or [`BASH_USER`] with `Options::bash_user`.
    pub user: &'static str,
    extra: String,
    child: Option<Child>,
}

/// How to start a server.
#[derive(Default, Clone)]
pub struct Options {
    /// Extra sshd_config lines (e.g. `MaxSessions 64`); OpenSSH's defaults otherwise.
    pub extra: String,
    /// Run inside this network namespace, listening on `addr`.
    pub netns: Option<(String, String)>,
    /// The host key type (`ed25519` by default).
    pub host_key_type: Option<String>,
    /// A second host key of this type (`host_key2`), offered too.
    pub second_host_key: Option<String>,
    /// Log in as [`BASH_USER`] instead of [`USER`].
    pub bash_user: bool,
}

pub(crate) fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Makes sure the test user exists and can log in with a key; the tests run as root.
pub fn ensure_user() {
    assert!(
        Path::new("/usr/sbin/sshd").exists(),
        "/usr/sbin/sshd is required: install openssh-server (scripts/test does)"
    );
    super::tmux::require("ssh-keygen", "openssh-client");
    let me = run(Command::new("id").arg("-u"));
    assert_eq!(String::from_utf8_lossy(&me.stdout).trim(), "0", "the SSH tests must run as root (they start sshd)");
    std::fs::create_dir_all("/run/sshd").expect("creating /run/sshd");
    // Once per test binary: parallel useradd/usermod calls would fight over /etc/passwd.
    static USERS: std::sync::Once = std::sync::Once::new();
    USERS.call_once(|| {
        for (user, shell) in [(USER, "/bin/sh"), (BASH_USER, "/bin/bash")] {
            if !Command::new("id").arg(user).output().map(|o| o.status.success()).unwrap_or(false) {
                run(Command::new("useradd").args(["-m", "-s", shell, user]));
            }
            run(Command::new("usermod").args(["-p", "*", user]));
        }
    });
}

pub fn keygen(path: &Path, kind: &str, passphrase: &str) {
    let mut c = Command::new("ssh-keygen");
    c.args(["-q", "-t", kind, "-N", passphrase, "-C", "navi-test", "-f"]).arg(path);
    if kind == "rsa" {
        c.args(["-b", "2048"]);
    }
    run(&mut c);
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Sshd {
    pub fn start() -> Self {
        Self::start_with(Options::default())
    }

    pub fn start_with(opts: Options) -> Self {
        ensure_user();
        let dir = tempfile::Builder::new().prefix("navi-sshd-").tempdir().unwrap();
        let d = dir.path();
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        keygen(&d.join("host_key"), opts.host_key_type.as_deref().unwrap_or("ed25519"), "");
        let mut host_keys = format!("HostKey {}/host_key\n", d.display());
        if let Some(kind) = &opts.second_host_key {
            keygen(&d.join("host_key2"), kind, "");
            host_keys.push_str(&format!("HostKey {}/host_key2\n", d.display()));
        }
        keygen(&d.join("user_key"), "ed25519", "");
        std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).unwrap();
        std::fs::set_permissions(d.join("authorized_keys"), std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        let remote_home = d.join("home");
        std::fs::create_dir_all(&remote_home).unwrap();
        std::fs::create_dir_all(d.join("bin")).unwrap();
        std::fs::create_dir_all(d.join("tmux")).unwrap();
        let user = if opts.bash_user { BASH_USER } else { USER };
        run(Command::new("chown").arg(user).arg(&remote_home).arg(d.join("tmux")));
        let (netns, addr) = match opts.netns {
            Some((ns, addr)) => (Some(ns), addr),
            None => (None, "127.0.0.1".to_string()),
        };
        let port = if netns.is_some() { 22 } else { free_port() };
        let mut s = Sshd {
            user_key: d.join("user_key"),
            known_hosts: d.join("known_hosts"),
            remote_home,
            addr,
            port,
            netns,
            user,
            extra: format!("{host_keys}{}", opts.extra),
            child: None,
            dir,
        };
        // The port was free when picked, and another test may take it before sshd binds it
        // (or, worse, a server of another test may listen there already): another port then.
        for _ in 0..5 {
            std::fs::write(&s.known_hosts, s.known_hosts_line()).unwrap();
            match s.try_launch() {
                Ok(()) => return s,
                Err(log) if s.netns.is_none() && log.contains("Address already in use") => s.port = free_port(),
                Err(log) => panic!("sshd did not start listening: {log}"),
            }
        }
        panic!("sshd found no free port: {}", s.log());
    }

    /// `[addr]:port type base64` (plain `addr` on port 22) for this server's host key.
    pub fn known_hosts_line(&self) -> String {
        self.known_hosts_line_for("host_key")
    }

    /// The same for one of its host keys by file name (`host_key`, `host_key2`).
    pub fn known_hosts_line_for(&self, file: &str) -> String {
        let public = std::fs::read_to_string(self.dir.path().join(file).with_extension("pub")).unwrap();
        let mut parts = public.split_whitespace();
        let (kind, b64) = (parts.next().unwrap(), parts.next().unwrap());
        if self.port == 22 {
            format!("{} {kind} {b64}\n", self.addr)
        } else {
            format!("[{}]:{} {kind} {b64}\n", self.addr, self.port)
        }
    }

    fn write_config(&self) -> PathBuf {
        let d = self.dir.path();
        let config = format!(
            "Port {port}\nListenAddress {addr}\nPidFile {d}/sshd.pid\n\
             AuthorizedKeysFile {d}/authorized_keys\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             UsePAM no\nStrictModes no\nMaxStartups 64:30:128\nSetEnv HOME={home} TMUX_TMPDIR={d}/tmux PATH={d}/bin:/usr/local/bin:/usr/bin:/bin\n{extra}\n",
            port = self.port,
            addr = self.addr,
            d = d.display(),
            home = self.remote_home.display(),
            extra = self.extra,
        );
        let path = d.join("sshd_config");
        std::fs::write(&path, config).unwrap();
        run(Command::new("/usr/sbin/sshd").arg("-t").arg("-f").arg(&path));
        path
    }

    fn launch(&mut self) {
        if let Err(log) = self.try_launch() {
            panic!("sshd did not start listening again on port {}: {log}", self.port);
        }
    }

    /// Starts sshd and waits until it listens: its own log says so (a connection could
    /// reach another test's server on the same port), or it ended (its log is the error).
    fn try_launch(&mut self) -> Result<(), String> {
        let config = self.write_config();
        let log = std::fs::File::create(self.dir.path().join("sshd.log")).unwrap();
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "/usr/sbin/sshd"]);
                c
            }
            None => Command::new("/usr/sbin/sshd"),
        };
        cmd.arg("-D").arg("-e").arg("-f").arg(&config).stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
        self.child = Some(cmd.spawn().expect("starting sshd"));
        if self.netns.is_none() {
            let listening = format!("Server listening on 127.0.0.1 port {}.", self.port);
            let mut ended = false;
            let up = super::tmux::wait_for(Duration::from_secs(30), || {
                ended = self.child.as_mut().is_some_and(|c| c.try_wait().is_ok_and(|s| s.is_some()));
                ended || self.log().contains(&listening)
            });
            if ended || !up {
                self.kill();
                return Err(self.log());
            }
        } else {
            let ns = self.netns.clone().unwrap();
            let probe = format!("exec 3<>/dev/tcp/{}/{}", self.addr, self.port);
            let up = super::tmux::wait_for(Duration::from_secs(30), || {
                Command::new("ip")
                    .args(["netns", "exec", &ns, "bash", "-c", &probe])
                    .output()
                    .map(|o| o.status.success())
                    .unwrap_or(false)
            });
            assert!(up, "sshd in {ns} did not start listening: {}", self.log());
        }
        Ok(())
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// Kills the listening sshd and every connection it serves (connections die too).
    pub fn kill(&mut self) {
        // Every connection's sshd processes (monitor, then the user's), found before the
        // parent goes so they can still be told apart.
        let doomed = self.connection_pids();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for p in doomed {
            let _ = Command::new("kill").arg("-9").arg(p.to_string()).output();
        }
    }

    /// The sshd processes serving connections (the listener's descendants that are sshd).
    fn connection_pids(&self) -> Vec<u32> {
        let Some(child) = self.child.as_ref() else { return Vec::new() };
        let mut all = vec![child.id()];
        let mut i = 0;
        while i < all.len() {
            let kids = children_of(all[i]).into_iter().filter(|k| is_sshd(*k));
            all.extend(kids);
            i += 1;
        }
        all.split_off(1)
    }

    /// Cuts every connection (kills the sshd processes serving them, as a network that
    /// drops would end them); the server keeps listening.
    pub fn cut_connections(&self) {
        for p in self.connection_pids() {
            let _ = Command::new("kill").arg("-9").arg(p.to_string()).output();
        }
    }

    /// Starts the server again on the same address, port and keys.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// The remote user's default tmux socket (TMUX_TMPDIR points into this folder).
    pub fn tmux_socket(&self) -> PathBuf {
        let uid = String::from_utf8(run(Command::new("id").args(["-u", self.user])).stdout).unwrap();
        self.dir.path().join("tmux").join(format!("tmux-{}", uid.trim())).join("default")
    }

    /// The remote user's agent-shell server (`tmux -L navi-agents` there).
    pub fn agents_socket(&self) -> PathBuf {
        self.tmux_socket().with_file_name("navi-agents")
    }

    /// Runs tmux against the remote user's agent-shell server.
    pub fn agents(&self, args: &[&str]) -> std::process::Output {
        let mut c = Command::new("tmux");
        c.arg("-u").arg("-S").arg(self.agents_socket()).args(args).env_remove("TMUX");
        c.output().unwrap()
    }

    /// Puts `program` (the built navi, or a stand-in script) at the remote user's
    /// `~/.local/bin/navi`, where navi looks for itself on a remote.
    pub fn install_navi(&self, program: &Path) {
        let bin = self.remote_home.join(".local/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::copy(program, bin.join("navi")).unwrap();
        run(Command::new("chown").arg("-R").arg(self.user).arg(self.remote_home.join(".local")));
    }

    /// Starts an agent shell on the remote by hand, as its user: session `name` on the
    /// agent-shell server there, running `cmd`.
    pub fn new_agent_shell(&self, name: &str, cmd: &str) {
        let mut c = Command::new("setpriv");
        c.args(["--reuid", self.user, "--regid", self.user, "--init-groups", "tmux", "-L", "navi-agents"])
            .args(["new-session", "-d", "-x", "100", "-y", "30", "-s", name, "-c"])
            .arg(&self.remote_home)
            // `exec`: under dash (no SHELL in CI's environment) `sh -c CMD` forks, and the
            // pane's command would read `sh`.
            .arg(format!("exec {cmd}"))
            .env("HOME", &self.remote_home)
            .env("TMUX_TMPDIR", self.dir.path().join("tmux"))
            .env_remove("TMUX");
        run(&mut c);
    }

    /// Runs tmux against the remote user's server.
    pub fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux").arg("-u").arg("-S").arg(self.tmux_socket()).args(args).env_remove("TMUX").output().unwrap()
    }

    /// A remotes.yaml entry for this server (no leading `remotes:`).
    pub fn remote_entry(&self, name: &str, sessions_dir: &str) -> String {
        format!(
            "  - name: {name}\n    host: {}\n    port: {}\n    user: {}\n    key: {}\n    sessions_dir: {sessions_dir}\n",
            self.addr,
            self.port,
            self.user,
            self.user_key.display()
        )
    }

    /// A whole remotes.yaml with one remote named `name`.
    pub fn remotes_yaml(&self, name: &str) -> String {
        format!(
            "known_hosts: {}\nremotes:\n{}",
            self.known_hosts.display(),
            self.remote_entry(name, "~/.claude-sessions")
        )
    }

    /// Runs a script on the "remote" as the test user, with its HOME and PATH; panics when
    /// it fails.
    pub fn as_user(&self, script: &str) -> String {
        let path = format!("{}/bin:/usr/local/bin:/usr/bin:/bin", self.dir.path().display());
        let out = Command::new("setpriv")
            .args(["--reuid", self.user, "--regid", self.user, "--init-groups", "sh", "-c", script])
            .env_clear()
            .env("HOME", &self.remote_home)
            .env("TMUX_TMPDIR", self.dir.path().join("tmux"))
            .env("PATH", path)
            .current_dir(&self.remote_home)
            .output()
            .unwrap();
        assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A status file in the remote user's default sessions folder.
    pub fn status_path(&self, name: &str) -> PathBuf {
        self.remote_home.join(".claude-sessions").join(format!("{name}.json"))
    }

    /// Writes a status file on the remote, as its user.
    pub fn write_status(&self, json: &serde_json::Value) {
        let name = json["tmux_session"].as_str().unwrap();
        let dir = self.remote_home.join(".claude-sessions");
        self.as_user(&format!("mkdir -p '{}'", dir.display()));
        std::fs::write(self.status_path(name), serde_json::to_vec(json).unwrap()).unwrap();
        run(Command::new("chown").arg(self.user).arg(self.status_path(name)));
    }

    pub fn read_status(&self, name: &str) -> Option<serde_json::Value> {
        std::fs::read(self.status_path(name)).ok().map(|b| serde_json::from_slice(&b).unwrap())
    }

    /// Starts a detached tmux session on the remote running `cmd` (a shell when empty).
    pub fn new_session(&self, name: &str, cmd: &str) {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid",
            self.user,
            "--regid",
            self.user,
            "--init-groups",
            "tmux",
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
        ])
        .args(["-s", name, "-c"])
        .arg(&self.remote_home)
        .env("HOME", &self.remote_home)
        .env("TMUX_TMPDIR", self.dir.path().join("tmux"))
        .env_remove("TMUX");
        if !cmd.is_empty() {
            c.arg(cmd);
        }
        run(&mut c);
    }

    /// A session whose shell ran `command` and failed: typed only once the shell's prompt
    /// shows (keys sent earlier end up above the prompt). Returns the pane's text, which
    /// holds the shell's "not found" (bash: "command not found", dash: "not found").
    pub fn session_that_ran(&self, name: &str, command: &str) -> String {
        self.new_session(name, "");
        let target = format!("={name}:");
        let pane = || String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", &target]).stdout).into_owned();
        let wait = std::time::Duration::from_secs(20);
        assert!(super::tmux::wait_for(wait, || pane().trim_end().ends_with(['$', '#'])), "no prompt: {}", pane());
        self.tmux(&["send-keys", "-t", &target, command, "Enter"]);
        assert!(super::tmux::wait_for(wait, || pane().contains("not found")), "{}", pane());
        pane()
    }

    /// This server's user's `navi watch --stream` processes (told apart by their HOME).
    pub fn streams(&self) -> Vec<u32> {
        let home = format!("HOME={}", self.remote_home.display());
        processes_with("navi watch --stream")
            .into_iter()
            .filter(|p| {
                std::fs::read(format!("/proc/{p}/environ"))
                    .is_ok_and(|env| env.split(|&b| b == 0).any(|v| v == home.as_bytes()))
            })
            .collect()
    }

    pub fn sessions_alive(&self) -> Vec<String> {
        let out = self.tmux(&["list-sessions", "-F", "#{session_name}"]);
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
    }
}

fn is_sshd(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .is_ok_and(|c| matches!(c.trim(), "sshd" | "sshd-session" | "sshd-auth"))
}

/// PIDs whose parent is `pid`.
pub fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return out };
    for e in entries.flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else { continue };
        // The field after the parenthesised command name: state, then ppid.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
        if rest.split_whitespace().nth(1).and_then(|s| s.parse::<u32>().ok()) == Some(pid) {
            out.push(p);
        }
    }
    out
}

impl Drop for Sshd {
    fn drop(&mut self) {
        super::tmux::end_servers(&[&|a| self.agents(a), &|a| self.tmux(a)]);
        self.kill();
    }
}

/// PIDs of processes whose command line contains `needle`.
pub fn processes_with(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).replace('\0', " ").contains(needle) {
            out.push(pid);
        }
    }
    out
}

/// Established TCP connections to `port` on loopback, as the kernel sees them.
pub fn connections_to(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let port = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && f[2].ends_with(&port) && f[3] == "01"
        })
        .count()
}

/// Runs `n` commands on `remote` at once (each sleeps a little, so they overlap) and
/// checks every one printed its own output.
pub async fn commands_at_once(pool: &std::sync::Arc<navi::ssh::Pool>, remote: &str, n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (pool, remote) = (pool.clone(), remote.to_string());
            tokio::spawn(async move { pool.exec(&remote, &format!("sleep 0.3; echo {i}"), None).await })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        let out = t.await.unwrap().unwrap_or_else(|e| panic!("command {i}: {e}"));
        assert_eq!(out.stdout, format!("{i}\n").as_bytes());
    }
}
