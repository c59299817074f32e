//! Agent shells (the `connect_session` tool's tmux sessions on `tmux -L navi-agents`) as a
//! human sees them: `navi list` and `navi list --json`, the dashboard's own group, attach
//! and kill, locally and on a remote through a real sshd. The agent-shell servers are
//! private to each test (TMUX_TMPDIR in its temp folder) and their sessions are made by
//! hand, as the MCP side would make them.

mod common;

use common::sshd::Sshd;
use common::tmux::{TmuxServer, wait_for};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn list_json(t: &TmuxServer, extra: &[(&str, &std::path::Path)]) -> Vec<Value> {
    let mut cmd = t.navi();
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let (code, out, err) = common::tmux::outcome(cmd.args(["list", "--json"]));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn shell_rows(rows: &[Value]) -> Vec<Value> {
    rows.iter().filter(|r| r["kind"] == "agent-shell").cloned().collect()
}

/// A local session with a status file and two agent shells (one running `sleep`, one idle
/// in a directory with a hostile name), plus sessions on the agent-shell server whose names
/// are not agent-shell names.
fn local_setup() -> (TmuxServer, std::path::PathBuf) {
    let t = TmuxServer::new();
    t.new_session("api", &t.home, "");
    t.write_status(&json!({"tmux_session": "api", "status": "waiting", "message": "api says hi",
        "timestamp": navi::text::now_unix()}));
    let work = t.home.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let evil = t.home.join("ev\til\u{1b}[31mdir");
    std::fs::create_dir_all(&evil).unwrap();
    t.new_agent_shell("a-0123abcd", &work, "sleep 300");
    t.new_agent_shell("a-89abcdef", &evil, "sleep 301");
    t.new_agent_shell("not-a-shell", &work, "sleep 302");
    t.new_agent_shell("a-0123ABCD", &work, "sleep 303");
    (t, work)
}

#[test]
fn list_json_shows_agent_shells_with_their_kind_and_command() {
    let (t, work) = local_setup();
    let mut rows = Vec::new();
    let ready = wait_for(WAIT, || {
        rows = list_json(&t, &[]);
        shell_rows(&rows).iter().all(|r| r["command"] == "sleep") && shell_rows(&rows).len() == 2
    });
    assert!(ready, "{rows:#?}");
    let agent: Vec<&Value> = rows.iter().filter(|r| r["kind"] == "agent").collect();
    assert_eq!(agent.len(), 1, "the session row says it is an agent's: {rows:#?}");
    assert_eq!(agent[0]["tmux_session"], "api");
    let shells = shell_rows(&rows);
    let names: Vec<&str> = shells.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a-0123abcd", "a-89abcdef"], "other names on that server are skipped");
    let a = &shells[0];
    assert_eq!(a["remote"], Value::Null);
    assert_eq!(a["cwd"], work.to_string_lossy().as_ref());
    assert_eq!(a["attached"], false);
    assert!(a["idle_seconds"].as_i64().is_some_and(|s| (0..120).contains(&s)), "{a}");
    let evil = shells[1]["cwd"].as_str().unwrap();
    assert!(evil.ends_with("ev ildir"), "tab and escape cleaned: {evil:?}");

    let (code, out, err) = t.run_navi(&["list"]);
    assert_eq!(code, 0, "{err}");
    let at = out.find("agent shells:").unwrap_or_else(|| panic!("a section of their own: {out}"));
    assert!(out[..at].contains("api"), "sessions first: {out}");
    let section = &out[at..];
    assert!(section.contains("a-0123abcd") && section.contains("sleep") && section.contains("idle"), "{out}");
    assert!(section.contains("~/work"), "{out}");
    assert!(!out.contains("not-a-shell") && !out.contains("a-0123ABCD"), "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains('\t'), "{out:?}");
}

#[test]
fn no_agent_shell_server_means_no_section_and_no_error() {
    let t = TmuxServer::new();
    t.new_session("api", &t.home, "");
    t.write_status(&json!({"tmux_session": "api", "status": "done"}));
    let (code, out, err) = t.run_navi(&["list"]);
    assert_eq!(code, 0);
    assert!(err.is_empty(), "{err}");
    assert!(out.contains("api") && !out.contains("agent shells"), "{out}");
    let rows = list_json(&t, &[]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["kind"], "agent");
    // Agent shells alone are listed after the hint that there are no sessions.
    let t = TmuxServer::new();
    t.new_agent_shell("a-0000beef", &t.home, "sleep 300");
    let (code, out, err) = t.run_navi(&["list"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("No sessions") && out.contains("agent shells:") && out.contains("a-0000beef"), "{out}");
}

/// A remote through the sshd fixture: its agent shells are listed (tagged with the remote)
/// by the same command as local ones.
#[test]
fn a_remotes_agent_shells_are_listed_through_ssh() {
    let t = TmuxServer::new();
    let sshd = Sshd::start();
    let remotes = t.dir.path().join("remotes.yaml");
    std::fs::write(&remotes, sshd.remotes_yaml("box")).unwrap();
    sshd.new_agent_shell("a-00c0ffee", "sleep 300");
    sshd.new_agent_shell("other", "sleep 300");
    t.new_agent_shell("a-0000beef", &t.home, "sleep 300");
    let mut rows = Vec::new();
    let ready = wait_for(WAIT, || {
        rows = list_json(&t, &[("NAVI_REMOTES", &remotes)]);
        shell_rows(&rows).iter().filter(|r| r["command"] == "sleep").count() == 2
    });
    assert!(ready, "{rows:#?}");
    let shells = shell_rows(&rows);
    let far = shells.iter().find(|r| r["name"] == "a-00c0ffee").expect("the remote's shell");
    assert_eq!(far["remote"], "box");
    assert_eq!(far["cwd"], sshd.remote_home.to_string_lossy().as_ref());
    assert!(!shells.iter().any(|r| r["name"] == "other"));
    let near = shells.iter().find(|r| r["name"] == "a-0000beef").expect("the local shell");
    assert_eq!(near["remote"], Value::Null);

    let (code, out, err) = common::tmux::outcome(t.navi().env("NAVI_REMOTES", &remotes).arg("list"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("a-00c0ffee [box]") && out.contains("a-0000beef"), "{out}");
    let (_, out, _) = common::tmux::outcome(t.navi().env("NAVI_REMOTES", &remotes).args(["list", "--filter", "local"]));
    assert!(!out.contains("a-00c0ffee") && out.contains("a-0000beef"), "{out}");
}
