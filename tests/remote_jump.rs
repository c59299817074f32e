//! A target reachable only through a jump host (three network namespaces): navi reaches
//! it over a direct-tcpip channel, checks the target's own host key, and names the hop
//! that failed.

mod common;

use common::netns::{Chain, JUMP_ADDR, TARGET_ADDR};
use common::sshd::{Options, Sshd};
use common::tmux::TmuxServer;
use serde_json::Value;
use std::process::Command;

struct Env {
    t: TmuxServer,
    chain: Chain,
    jump: Sshd,
    target: Sshd,
    remotes: std::path::PathBuf,
}

impl Env {
    fn new() -> Self {
        let t = TmuxServer::new();
        let chain = Chain::new();
        let jump =
            Sshd::start_with(Options { netns: Some((chain.jump.clone(), JUMP_ADDR.into())), ..Default::default() });
        let target =
            Sshd::start_with(Options { netns: Some((chain.target.clone(), TARGET_ADDR.into())), ..Default::default() });
        // The jump host's user and key log in on both hops.
        let public = std::fs::read_to_string(jump.user_key.with_extension("pub")).unwrap();
        std::fs::write(target.dir.path().join("authorized_keys"), public).unwrap();
        let known_hosts = t.dir.path().join("known_hosts");
        std::fs::write(&known_hosts, format!("{}{}", jump.known_hosts_line(), target.known_hosts_line())).unwrap();
        let remotes = t.dir.path().join("remotes.yaml");
        std::fs::write(
            &remotes,
            format!(
                "known_hosts: {kh}\nremotes:\n  - name: tgt\n    host: {TARGET_ADDR}\n    user: navi-test\n    key: {k}\n\
                 \x20   jump_host: {JUMP_ADDR}:22\n  - name: direct\n    host: {TARGET_ADDR}\n    user: navi-test\n    key: {k}\n",
                kh = known_hosts.display(),
                k = jump.user_key.display()
            ),
        )
        .unwrap();
        Env { t, chain, jump, target, remotes }
    }

    /// Runs navi inside the client namespace.
    fn navi(&self, args: &[&str]) -> (i32, String, String) {
        common::tmux::outcome(
            Command::new("ip")
                .args(["netns", "exec", &self.chain.client, env!("CARGO_BIN_EXE_navi")])
                .args(args)
                .env("HOME", &self.t.home)
                .env("NAVI_TMUX_SOCKET", &self.t.socket)
                .env("NAVI_REMOTES", &self.remotes)
                .env_remove("TMUX")
                .env_remove("XDG_CONFIG_HOME")
                .env_remove("NAVI_SESSIONS_DIR")
                .env_remove("SSH_AUTH_SOCK"),
        )
    }

    fn remotes(&self) -> Vec<Value> {
        let (_, out, err) = self.navi(&["remotes", "--json"]);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"))
    }
}

#[test]
fn target_behind_a_jump_host() {
    let env = Env::new();
    env.target.new_session("far", "");
    env.target.write_status(&serde_json::json!({"tmux_session": "far", "status": "waiting", "message": "hi"}));

    let rows = env.remotes();
    assert_eq!(rows[0]["name"], "tgt");
    assert_eq!(rows[0]["state"], "connected", "{}", rows[0]);
    assert_eq!(rows[0]["jump_host"], format!("{JUMP_ADDR}:22"));
    assert_eq!(rows[1]["state"], "error", "the target is not reachable directly: {}", rows[1]);

    let (code, out, err) = env.navi(&["list", "--json", "--filter", "remote"]);
    assert_eq!(code, 0, "{err}");
    let sessions: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(sessions.len(), 1, "{out}");
    assert_eq!(sessions[0]["tmux_session"], "far");
    assert_eq!(sessions[0]["remote"], "tgt");
    assert!(err.contains("direct unreachable"), "{err}");
    env.navi(&["dismiss", "far", "--remote", "tgt"]);
    assert_eq!(env.target.read_status("far").unwrap()["status"], "working");
    assert!(env.jump.log().contains("Accepted publickey"));
}

#[test]
fn the_targets_own_host_key_is_checked_and_failures_name_the_hop() {
    let mut env = Env::new();
    // known_hosts knows only the jump host: the target is refused, named as such.
    let kh = env.t.dir.path().join("known_hosts");
    std::fs::write(&kh, env.jump.known_hosts_line()).unwrap();
    let rows = env.remotes();
    let err = rows[0]["last_error"].as_str().unwrap();
    assert!(err.contains(TARGET_ADDR) && err.contains("is not in") && err.contains("SHA256:"), "{err}");
    assert!(err.contains(&format!("remote tgt via jump host {JUMP_ADDR}:22")), "{err}");

    std::fs::write(&kh, format!("{}{}", env.jump.known_hosts_line(), env.target.known_hosts_line())).unwrap();
    env.target.kill();
    let rows = env.remotes();
    let err = rows[0]["last_error"].as_str().unwrap();
    assert!(err.contains("jump host could not open a tunnel"), "{err}");

    env.jump.kill();
    let rows = env.remotes();
    let err = rows[0]["last_error"].as_str().unwrap();
    assert!(err.contains(&format!("jump host {JUMP_ADDR}:22")) && err.contains("cannot connect"), "{err}");
}

#[test]
fn the_attach_ssh_command_checks_and_logs_in_on_both_hops_non_interactively() {
    let env = Env::new();
    let text = std::fs::read_to_string(&env.remotes).unwrap();
    let cfg = navi::config::parse_remotes(&text, std::path::Path::new("/nonexistent")).unwrap().config;
    let state = tempfile::tempdir().unwrap();
    let openssh = navi::ssh::openssh::OpenSsh {
        known_hosts: cfg.known_hosts.clone(),
        policy: cfg.host_key_checking,
        config_dir: state.path().into(),
    };
    // The command `navi attach` runs, with `echo` in place of tmux; an empty HOME, so
    // ssh's own defaults (known_hosts, keys) hold nothing that could help either hop.
    let cmd = openssh.command(cfg.get("tgt").unwrap(), false, "echo attached-$((40+2))").unwrap();
    let out = run_ssh_in(&env.chain.client, &cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "attached-42\n", "{stderr}");
    assert!(out.status.success(), "{stderr}");
    assert!(env.jump.log().contains("Accepted publickey"));

    // A jump host whose key is not on file is refused, not asked about.
    std::fs::write(&cfg.known_hosts, env.target.known_hosts_line()).unwrap();
    let cmd = openssh.command(cfg.get("tgt").unwrap(), false, "echo attached").unwrap();
    let out = run_ssh_in(&env.chain.client, &cmd);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Host key verification failed"), "{out:?}");
}

/// A target known only as a `Host` alias of ~/.ssh/config (found through an `Include`),
/// whose `ProxyJump` names two more aliases, and whose key is `IdentityFile ~/.ssh/id_%h`;
/// four namespaces in a row, navi in the first: the target is reachable only through
/// both hops. remotes.yaml names the alias and nothing else about it.
#[test]
fn a_two_hop_proxy_jump_chain_from_ssh_config() {
    use common::netns::Row;
    let t = TmuxServer::new();
    let row = Row::new(4);
    let sshd =
        |k: usize| Sshd::start_with(Options { netns: Some((row.ns[k].clone(), Row::addr(k))), ..Default::default() });
    let (hop1, hop2, target) = (sshd(1), sshd(2), sshd(3));
    // One key logs in everywhere: the target's file, by the name `%h` gives it.
    let public = std::fs::read_to_string(hop1.user_key.with_extension("pub")).unwrap();
    for s in [&hop2, &target] {
        std::fs::write(s.dir.path().join("authorized_keys"), &public).unwrap();
    }
    let ssh = t.home.join(".ssh");
    std::fs::create_dir_all(ssh.join("conf.d")).unwrap();
    std::fs::copy(&hop1.user_key, ssh.join(format!("id_{}", Row::addr(3)))).unwrap();
    std::fs::write(
        ssh.join("config"),
        format!(
            "Include conf.d/*\nHost far\n  HostName {}\n  User navi-test\n  IdentityFile ~/.ssh/id_%h\n  ProxyJump hop1,hop2\n",
            Row::addr(3)
        ),
    )
    .unwrap();
    std::fs::write(
        ssh.join("conf.d/hops"),
        format!("Host hop1\n  HostName {}\nHost hop2\n  HostName {}\n", Row::addr(1), Row::addr(2)),
    )
    .unwrap();
    let known_hosts = t.dir.path().join("known_hosts");
    let lines = [&hop1, &hop2, &target].map(|s| s.known_hosts_line()).concat();
    std::fs::write(&known_hosts, lines).unwrap();
    let remotes = t.dir.path().join("remotes.yaml");
    std::fs::write(
        &remotes,
        format!("known_hosts: {}\nremotes:\n  - name: far\n    host: far\n", known_hosts.display()),
    )
    .unwrap();
    target.new_session("deep", "");
    target.write_status(&serde_json::json!({"tmux_session": "deep", "status": "waiting", "message": "two hops"}));
    let navi = |args: &[&str]| {
        common::tmux::outcome(
            Command::new("ip")
                .args(["netns", "exec", &row.ns[0], env!("CARGO_BIN_EXE_navi")])
                .args(args)
                .env("HOME", &t.home)
                .env("NAVI_TMUX_SOCKET", &t.socket)
                .env("NAVI_REMOTES", &remotes)
                .env_remove("TMUX")
                .env_remove("XDG_CONFIG_HOME")
                .env_remove("NAVI_SESSIONS_DIR")
                .env_remove("SSH_AUTH_SOCK"),
        )
    };
    let (_, out, err) = navi(&["remotes", "--json"]);
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    assert_eq!(rows[0]["state"], "connected", "{}", rows[0]);
    assert_eq!(rows[0]["host"], Row::addr(3));
    assert_eq!(rows[0]["jump_host"], format!("{}:22,{}:22", Row::addr(1), Row::addr(2)));
    let (code, out, err) = navi(&["list", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("two hops"), "{out}");
    for s in [&hop1, &hop2, &target] {
        assert!(s.log().contains("Accepted publickey"), "{}", s.log());
    }
    // The attach command (`echo` for tmux) gets through both hops with ssh itself.
    let cfg = navi::config::parse_remotes(&std::fs::read_to_string(&remotes).unwrap(), &t.home).unwrap().config;
    let openssh = navi::ssh::openssh::OpenSsh {
        known_hosts: cfg.known_hosts.clone(),
        policy: cfg.host_key_checking,
        config_dir: t.dir.path().join("state"),
    };
    let cmd = openssh.command(cfg.get("far").unwrap(), false, "echo attached-$((40+2))").unwrap();
    let attach = run_ssh_in(&row.ns[0], &cmd);
    let said = String::from_utf8_lossy(&attach.stdout);
    assert!(said.contains("attached-42"), "{said}{}", String::from_utf8_lossy(&attach.stderr));
    // The second hop down: the error names it.
    drop(hop2);
    let (_, out, _) = navi(&["remotes", "--json"]);
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let err = rows[0]["last_error"].as_str().unwrap_or_default();
    assert!(err.contains(&format!("(jump host 2 of 2 {}:22)", Row::addr(2))) && err.contains("tunnel"), "{err}");
}

/// Runs an ssh command navi built inside namespace `ns`, with an empty HOME (ssh's own
/// defaults hold nothing that could help a hop) and no agent.
fn run_ssh_in(ns: &str, cmd: &Command) -> std::process::Output {
    let empty_home = tempfile::tempdir().unwrap();
    Command::new("ip")
        .args(["netns", "exec", ns])
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env("HOME", empty_home.path())
        .env_remove("SSH_AUTH_SOCK")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}
