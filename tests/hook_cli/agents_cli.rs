//! Codex, Gemini CLI and OpenCode through the real binary: `install-hooks --agent …` on real
//! config files holding comments and other hooks, `navi hook --agent …` from inside a tmux
//! pane, and `navi new --agent …`.

use crate::common;
use common::tmux::{TmuxServer, outcome_within, wait_for};
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

const CODEX_CONFIG: &str = "# mine\nmodel = \"gpt-5-codex\" # keep\n\n[mcp_servers.docs]\ncommand = \"docs-mcp\"\n";

fn read_json(p: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn install_hooks_for_every_agent_merges_and_uninstalls_exactly() {
    let t = TmuxServer::new();
    let h = &t.home;
    for d in [".claude", ".codex", ".gemini", ".config/opencode"] {
        std::fs::create_dir_all(h.join(d)).unwrap();
    }
    let codex_hooks = json!({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]}});
    let gemini = json!({"theme": "Dracula", "hooks": {"AfterTool": [{"matcher": "write_file",
        "hooks": [{"name": "fmt", "type": "command", "command": "prettier --write", "timeout": 5000}]}]}});
    std::fs::write(h.join(".codex/hooks.json"), codex_hooks.to_string()).unwrap();
    std::fs::write(h.join(".codex/config.toml"), CODEX_CONFIG).unwrap();
    std::fs::write(h.join(".gemini/settings.json"), gemini.to_string()).unwrap();

    let (code, out, err) = t.run_navi(&["install-hooks", "--agent", "all"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("run /hooks in Codex"), "{out}");
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_navi")).unwrap();
    let v = read_json(&h.join(".codex/hooks.json"));
    assert_eq!(v["hooks"]["Stop"][0], codex_hooks["hooks"]["Stop"][0], "the user's hook stays first");
    assert_eq!(v["hooks"]["Stop"][1]["hooks"][0]["command"], format!("{} hook --agent codex", exe.display()));
    let toml = std::fs::read_to_string(h.join(".codex/config.toml")).unwrap();
    assert!(toml.starts_with(CODEX_CONFIG) && toml.contains("hooks = true"), "{toml}");
    let v = read_json(&h.join(".gemini/settings.json"));
    assert_eq!(v["theme"], "Dracula");
    assert_eq!(v["hooks"]["AfterTool"][0], gemini["hooks"]["AfterTool"][0]);
    assert_eq!(v["hooks"]["AfterAgent"][0]["hooks"][0]["timeout"], 10000, "milliseconds for Gemini CLI");
    let plugin = std::fs::read_to_string(h.join(".config/opencode/plugins/navi.js")).unwrap();
    assert!(plugin.contains("\"hook\",\"--agent\",\"opencode\""), "{plugin}");
    assert!(read_json(&h.join(".claude/settings.json"))["hooks"]["Stop"].is_array());

    let (_, again, _) = t.run_navi(&["install-hooks", "--agent", "all"]);
    assert_eq!(again.matches("already up to date").count(), 5, "{again}");

    let (code, _, err) = t.run_navi(&["install-hooks", "--agent", "all", "--uninstall"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(read_json(&h.join(".codex/hooks.json")), codex_hooks);
    assert_eq!(std::fs::read_to_string(h.join(".codex/config.toml")).unwrap(), CODEX_CONFIG);
    assert_eq!(read_json(&h.join(".gemini/settings.json")), gemini);
    assert!(!h.join(".config/opencode/plugins/navi.js").exists());

    // `all` leaves out the agents this machine does not have; naming one installs it.
    std::fs::remove_dir_all(h.join(".gemini")).unwrap();
    let (_, out, _) = t.run_navi(&["install-hooks", "--agent", "all"]);
    assert!(out.contains("Gemini CLI:") && out.contains("skipped"), "{out}");
    assert!(!h.join(".gemini").exists());
    assert_eq!(t.run_navi(&["install-hooks", "--agent", "gemini"]).0, 0);
    assert!(h.join(".gemini/settings.json").exists());
}

fn fixture(agent: &str, name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/agents/{agent}/{name}.json", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn a_gemini_session_reports_through_the_hook_and_lists_as_gemini() {
    let t = TmuxServer::new();
    t.new_session("gem", &t.home, "");
    let out = t.tmux(&["display-message", "-p", "-t", "=gem:", "#{pane_id}"]);
    let pane = String::from_utf8_lossy(&out.stdout).trim().to_string();
    for name in ["SessionStart.startup", "BeforeAgent", "Notification.ToolPermission.exec"] {
        let mut cmd = t.navi();
        cmd.args(["hook", "--agent", "gemini"])
            .env("TMUX", format!("{},1,0", t.socket.display()))
            .env("TMUX_PANE", &pane);
        let (code, stdout, stderr) = outcome_within(&mut cmd, &fixture("gemini", name), Duration::from_secs(10));
        // Gemini CLI reads a hook's stdout as JSON: `{}` asks for nothing.
        assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "{}\n", ""), "{name}");
    }
    let v = t.read_status("gem").unwrap();
    assert_eq!((v["agent"].as_str(), v["status"].as_str()), (Some("gemini"), Some("permission")));
    assert_eq!(v["message"], "Permission needed: Shell (npm run build)");
    let (_, out, _) = t.run_navi(&["list", "--json", "--agent", "gemini"]);
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!((rows.len(), rows[0]["agent"].as_str()), (1, Some("gemini")));
    let (_, out, _) = t.run_navi(&["list"]);
    assert!(out.contains("gem gemini  permission"), "{out}");
    let (_, out, _) = t.run_navi(&["list", "--json", "--agent", "claude"]);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&out).unwrap().len(), 0);
    // Codex's notify program, in another session: the event comes as an argument, and
    // stdin (a terminal here) need not close.
    t.new_session("cx", &t.home, "");
    let out = t.tmux(&["display-message", "-p", "-t", "=cx:", "#{pane_id}"]);
    let pane = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut cmd = t.navi();
    cmd.args(["hook", "--agent", "codex"])
        .arg(String::from_utf8(fixture("codex", "notify.agent-turn-complete")).unwrap())
        .env("TMUX", format!("{},1,0", t.socket.display()))
        .env("TMUX_PANE", &pane)
        .stdin(std::process::Stdio::inherit());
    assert_eq!(common::tmux::outcome(&mut cmd).0, 0);
    let v = t.read_status("cx").unwrap();
    assert_eq!(
        (v["agent"].as_str(), v["status"].as_str(), v["message"].as_str()),
        (Some("codex"), Some("done"), Some("Clippy is clean."))
    );
}

#[test]
fn new_starts_the_chosen_agent() {
    let t = TmuxServer::new();
    let bin = t.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = t.dir.path().join("gemini-args");
    let script = format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec sleep 600\n", log.display());
    std::fs::write(bin.join("gemini"), script).unwrap();
    Command::new("chmod").arg("+x").arg(bin.join("gemini")).status().unwrap();
    t.new_session("keepalive", &t.home, "");
    assert!(t.tmux(&["set-option", "-g", "default-command", "exec sh"]).status.success());
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let dir = t.home.to_str().unwrap();
    let args = ["new", "g", "--dir", dir, "--agent", "gemini", "--skip-permissions"];
    let (code, _, err) = common::tmux::outcome(t.navi().env("PATH", &path).args(args));
    assert_eq!(code, 0, "{err}");
    assert!(wait_for(Duration::from_secs(30), || std::fs::read_to_string(&log).is_ok_and(|l| l.ends_with('\n'))));
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "--yolo\n");
    assert_eq!(t.read_status("g").unwrap()["agent"], "gemini");
}
