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

const WAIT: Duration = Duration::from_secs(60);

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
    // It prints a line (what attach shows), then runs sleep.
    t.new_agent_shell("a-0123abcd", &work, "sh -c 'echo SHELL-$((40+2)); exec sleep 300'");
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

    // An agent filter lists agents' sessions only: a shell runs no agent of its own.
    let (code, out, err) = t.run_navi(&["list", "--json", "--agent", "claude"]);
    assert_eq!(code, 0, "{err}");
    let only: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert!(only.len() == 1 && only[0]["kind"] == "agent", "{out}");

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

#[test]
fn the_dashboard_shows_agent_shells_in_their_own_group_and_attaches_and_kills_them() {
    let (t, _) = local_setup();
    t.launch_dashboard(None);
    // The shells and the sessions are listed apart: either may be on screen first.
    t.wait_text("ui", "agent shells (2)", WAIT);
    t.wait_text("ui", "running sleep", WAIT);
    t.wait_text("ui", "api says hi", WAIT);
    let screen = t.capture("ui");
    let (api, header) = (screen.find("api says hi").unwrap(), screen.find("agent shells (2)").unwrap());
    let (first, second) = (screen.find("a-0123abcd").unwrap(), screen.find("a-89abcdef").unwrap());
    assert!(api < header && header < first && first < second, "sessions, the header, then the shells: {screen}");
    let row = screen.lines().find(|l| l.contains("a-0123abcd")).unwrap();
    assert!(row.contains("[local]") && row.contains("idle"), "{row:?}");
    assert!(!screen.contains("not-a-shell") && !screen.contains("a-0123ABCD"), "{screen}");
    assert!(screen.contains("1 sessions · 2 agent shells"), "{screen}");

    // Down from the session steps over the header onto the first shell; up comes back.
    t.keys("ui", &["j"]);
    assert!(wait_for(WAIT, || t.selected_line("ui").contains("a-0123abcd")), "{}", t.capture("ui"));
    t.keys("ui", &["k"]);
    assert!(wait_for(WAIT, || t.selected_line("ui").contains("api")), "{}", t.capture("ui"));
    t.keys("ui", &["j"]);
    assert!(wait_for(WAIT, || t.selected_line("ui").contains("a-0123abcd")), "{}", t.capture("ui"));

    // Keys for an agent's session say so instead of acting.
    t.keys("ui", &["R"]);
    t.wait_text("ui", "rename does not apply to an agent shell", WAIT);
    t.keys("ui", &["a"]);
    t.wait_text("ui", "approve does not apply to an agent shell", WAIT);
    assert_eq!(t.agent_shells_alive().len(), 4);

    // Enter attaches to the shell (a tmux client of its own server) and detach comes back.
    t.keys("ui", &["Enter"]);
    t.wait_text("ui", "SHELL-42", WAIT);
    t.wait_text_gone("ui", "agent shells (2)", WAIT);
    t.keys("ui", &["C-b", "d"]);
    t.wait_text("ui", "agent shells (2)", WAIT);
    assert!(wait_for(WAIT, || t.selected_line("ui").contains("a-0123abcd")), "{}", t.capture("ui"));

    // The preview shows the shell's pane, beside the list: watching without attaching.
    t.keys("ui", &["p"]);
    t.wait_text("ui", "a-0123abcd [local] agent shell", WAIT);
    t.wait_text("ui", "SHELL-42", WAIT);
    assert!(t.capture("ui").contains("agent shells (2)"), "{}", t.capture("ui"));
    t.keys("ui", &["p"]);
    t.wait_text_gone("ui", "SHELL-42", WAIT);

    // Kill asks first, like for any row; no leaves it running, yes ends it.
    t.keys("ui", &["x"]);
    t.wait_text("ui", "Kill agent shell \"a-0123abcd\"", WAIT);
    t.keys("ui", &["n"]);
    t.wait_text_gone("ui", "Kill agent shell", WAIT);
    assert!(t.agent_shells_alive().contains(&"a-0123abcd".to_string()));
    t.keys("ui", &["x"]);
    t.wait_text("ui", "Kill agent shell \"a-0123abcd\"", WAIT);
    t.keys("ui", &["y"]);
    t.wait_text("ui", "killed agent shell a-0123abcd", WAIT);
    t.wait_text("ui", "agent shells (1)", WAIT);
    let alive = t.agent_shells_alive();
    assert!(!alive.contains(&"a-0123abcd".to_string()) && alive.contains(&"a-89abcdef".to_string()), "{alive:?}");
    assert!(t.sessions_alive().contains(&"api".to_string()), "the user's sessions are left alone");

    // A shell started later appears with the next poll, without a key.
    t.new_agent_shell("a-00000001", &t.home, "sleep 300");
    t.wait_text("ui", "agent shells (2)", WAIT);
    t.wait_text("ui", "a-00000001", WAIT);
}

#[test]
fn the_dashboard_shows_a_remotes_agent_shells_and_attaches_over_ssh() {
    let sshd = Sshd::start();
    // navi there too: the remote streams its agent shells (`navi list` above polls them).
    sshd.install_navi(std::path::Path::new(env!("CARGO_BIN_EXE_navi")));
    sshd.new_agent_shell("a-00c0ffee", "sh -c 'echo FAR-$((40+2)); exec sleep 300'");
    let t = TmuxServer::new();
    t.launch_dashboard(Some(&sshd.remotes_yaml("box")));
    t.wait_text("ui", "agent shells (1)", WAIT);
    t.wait_text("ui", "running sleep", WAIT);
    let screen = t.capture("ui");
    let row = screen.lines().find(|l| l.contains("a-00c0ffee")).unwrap_or_default();
    assert!(row.contains("[box]"), "{screen}");
    // The only row: selected from the start.
    assert!(wait_for(WAIT, || t.selected_line("ui").contains("a-00c0ffee")), "{}", t.capture("ui"));
    t.keys("ui", &["Enter"]);
    t.wait_text("ui", "FAR-42", WAIT);
    t.keys("ui", &["C-b", "d"]);
    t.wait_text("ui", "agent shells (1)", WAIT);
    t.keys("ui", &["x"]);
    t.wait_text("ui", "Kill agent shell \"a-00c0ffee\" on box", WAIT);
    t.keys("ui", &["y"]);
    t.wait_text("ui", "killed agent shell a-00c0ffee", WAIT);
    t.wait_text_gone("ui", "agent shells (", WAIT);
    let out = sshd.agents(&["list-sessions", "-F", "#{session_name}"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("a-00c0ffee"));
}
