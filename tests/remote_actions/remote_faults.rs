//! Remotes that fail: a port that accepts TCP and never answers, a closed port, an
//! encrypted key with and without ssh-agent. Local sessions keep working and every
//! failure is named; `navi remotes` reports each remote's state.

use crate::common::sshd::{Sshd, keygen};
use crate::common::tmux::TmuxServer;
use serde_json::Value;
use std::process::{Child, Command, Stdio};

fn navi(t: &TmuxServer, remotes: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    crate::common::tmux::outcome(t.navi().env("NAVI_REMOTES", remotes).env_remove("SSH_AUTH_SOCK").args(args))
}

#[test]
fn dead_remotes_are_named_and_the_rest_still_list() {
    let t = TmuxServer::new();
    let sshd = Sshd::start();
    // Accepts connections (the kernel completes the handshake) and never says a word.
    let black_hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hole_port = black_hole.local_addr().unwrap().port();
    let closed_port = crate::common::sshd::free_port();
    let remotes = t.dir.path().join("remotes.yaml");
    let mut yaml = sshd.remotes_yaml("box");
    yaml.push_str(&format!(
        "  - name: hole\n    host: 127.0.0.1\n    port: {hole_port}\n    user: u\n    key: {k}\n\
         \x20 - name: closed\n    host: 127.0.0.1\n    port: {closed_port}\n    user: u\n    key: {k}\n\
         \x20 - name: behind\n    host: 127.0.0.9\n    user: u\n    key: {k}\n    jump_host: 127.0.0.1:{hole_port}\n",
        k = sshd.user_key.display()
    ));
    std::fs::write(&remotes, yaml).unwrap();
    t.new_session("here", &t.home, "");
    t.write_status(&serde_json::json!({"tmux_session": "here", "status": "done"}));
    sshd.new_session("there", "");
    sshd.write_status(&serde_json::json!({"tmux_session": "there", "status": "working"}));

    let (code, out, err) = navi(&t, &remotes, &["list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["tmux_session"].as_str().unwrap()).collect();
    assert!(names.contains(&"here") && names.contains(&"there"), "{names:?}");
    assert!(err.contains("hole unreachable: timed out after 10s connecting to 127.0.0.1"), "{err}");
    assert!(err.contains("closed unreachable: cannot connect to 127.0.0.1"), "{err}");
    // The hop that failed is named: here the jump host, never the target behind it.
    let hop = format!(
        "behind unreachable: timed out after 10s connecting to 127.0.0.1:{hole_port} (jump host 127.0.0.1:{hole_port})"
    );
    assert!(err.contains(&hop), "{err}");
    assert!(t.status_path("here").exists(), "local files are untouched");

    let (code, out, err) = navi(&t, &remotes, &["remotes", "--json"]);
    assert_eq!(code, 1, "a dead remote makes `navi remotes` fail: {err}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["name"], "box");
    assert_eq!(rows[0]["state"], "connected");
    assert!(rows[0]["rtt_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(rows[1]["state"], "error");
    assert!(rows[1]["last_error"].as_str().unwrap().contains("timed out"), "{}", rows[1]);
    assert!(rows[2]["last_error"].as_str().unwrap().contains("refused"), "{}", rows[2]);
    let (_, text, _) = navi(&t, &remotes, &["remotes"]);
    assert!(text.contains("box  connected") && text.contains("hole  error"), "{text}");
    drop(black_hole);
}

struct Agent {
    child: Child,
    sock: std::path::PathBuf,
}

impl Agent {
    fn start(dir: &std::path::Path) -> Self {
        let sock = dir.join("agent.sock");
        let child = Command::new("ssh-agent").arg("-D").arg("-a").arg(&sock).stdout(Stdio::null()).spawn().unwrap();
        assert!(crate::common::tmux::wait_for(std::time::Duration::from_secs(30), || sock.exists()));
        Agent { child, sock }
    }

    /// Adds a key protected by `passphrase` (given through SSH_ASKPASS).
    fn add(&self, key: &std::path::Path, passphrase: &str, dir: &std::path::Path) {
        let askpass = dir.join("askpass");
        std::fs::write(&askpass, format!("#!/bin/sh\necho '{passphrase}'\n")).unwrap();
        Command::new("chmod").arg("755").arg(&askpass).status().unwrap();
        let out = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.sock)
            .env("SSH_ASKPASS", &askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .env("DISPLAY", ":0")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "ssh-add: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn encrypted_key_needs_the_agent() {
    let t = TmuxServer::new();
    let sshd = Sshd::start();
    let key = sshd.dir.path().join("locked_key");
    keygen(&key, "ed25519", "secret pass");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    std::fs::write(sshd.dir.path().join("authorized_keys"), public).unwrap();
    let remotes = t.dir.path().join("remotes.yaml");
    let yaml = sshd.remotes_yaml("box").replace(&sshd.user_key.display().to_string(), &key.display().to_string());
    std::fs::write(&remotes, yaml).unwrap();

    // No agent: a clear error naming the key and the agent.
    let (code, _, err) = navi(&t, &remotes, &["list", "--filter", "remote"]);
    assert_eq!(code, 0);
    assert!(err.contains("box unreachable: authentication failed"), "{err}");
    assert!(err.contains("locked_key is encrypted") && err.contains("ssh-agent"), "{err}");

    // With the key in ssh-agent, it logs in.
    let agent = Agent::start(t.dir.path());
    agent.add(&key, "secret pass", t.dir.path());
    let out = t.navi().env("NAVI_REMOTES", &remotes).env("SSH_AUTH_SOCK", &agent.sock).args(["remotes"]).output();
    let out = out.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("box  connected"), "{text} {}", String::from_utf8_lossy(&out.stderr));

    // A key file that does not exist also falls back to the agent.
    std::fs::remove_file(&key).unwrap();
    let out = t.navi().env("NAVI_REMOTES", &remotes).env("SSH_AUTH_SOCK", &agent.sock).args(["remotes"]).output();
    assert!(out.unwrap().status.success());
    drop(agent);
    let (_, _, err) = navi(&t, &remotes, &["list", "--filter", "remote"]);
    assert!(err.contains("does not exist") && err.contains("ssh-agent"), "{err}");
}
