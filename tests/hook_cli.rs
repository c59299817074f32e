//! `navi hook` run for real: from inside a tmux pane, outside tmux, with bad input, and
//! 100 concurrent writers against a reader that must never see a torn file.
//! `navi install-hooks` through the CLI with HOME in a temp folder.

#[path = "hook_cli/agents_cli.rs"]
mod agents_cli;
mod common;
#[path = "hook_cli/statusline.rs"]
mod statusline;
#[path = "hook_cli/stuck_tmux.rs"]
mod stuck_tmux;
#[path = "hook_cli/transcript.rs"]
mod transcript;
use common::tmux::{TmuxServer, outcome_within, wait_for};
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

fn navi_path() -> &'static str {
    env!("CARGO_BIN_EXE_navi")
}

fn pane_id(t: &TmuxServer, session: &str) -> String {
    let out = t.tmux(&["display-message", "-p", "-t", &format!("={session}:"), "#{pane_id}"]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs `navi hook` as Claude Code would from inside the pane `pane` of the test server.
fn hook_in_pane(t: &TmuxServer, pane: &str, event: &Value) -> std::process::Output {
    t.spawn_hook(pane, event.to_string().as_bytes()).wait_with_output().unwrap()
}

#[test]
fn hook_run_from_inside_a_pane_writes_the_sessions_file() {
    let t = TmuxServer::new();
    let event = t.dir.path().join("event.json");
    std::fs::write(
        &event,
        json!({"hook_event_name":"PermissionRequest","session_id":"sid-1","cwd":"/w","tool_name":"Bash",
               "tool_input":{"command":"rm -rf build"}})
        .to_string(),
    )
    .unwrap();
    // The command runs inside the pane: TMUX and TMUX_PANE come from tmux itself.
    let cmd = format!("'{}' hook < '{}'; exec sleep 600", navi_path(), event.display());
    t.new_session("in pane", &t.home, &cmd);
    assert!(wait_for(Duration::from_secs(30), || t.status_path("in pane").exists()));
    let v = t.read_status("in pane").unwrap();
    assert_eq!(v["tmux_session"], "in pane");
    assert_eq!(v["status"], "permission");
    assert_eq!(v["message"], "Permission needed: Bash (rm -rf build)");
    assert_eq!(v["session_id"], "sid-1");
    assert_eq!(v["cwd"], "/w");
    assert!(v["metrics"]["time"]["started"].is_i64());

    let (code, out, _) = t.run_navi(&["list", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&out).unwrap()[0]["status"], "permission");
}

#[test]
fn outside_tmux_the_hook_writes_nothing_and_exits_0() {
    let t = TmuxServer::new();
    let mut child = t.navi().arg("hook").stdin(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(br#"{"hook_event_name":"Stop"}"#).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(!t.sessions.exists() || std::fs::read_dir(&t.sessions).unwrap().next().is_none());
}

#[test]
fn bad_input_exits_0_and_is_logged() {
    let t = TmuxServer::new();
    t.new_session("s", &t.home, "");
    let pane = pane_id(&t, "s");
    let out = t.spawn_hook(&pane, b"{not json").wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "a hook prints nothing");
    let log = std::fs::read_to_string(t.home.join(".local/state/navi/hook.log")).unwrap();
    assert!(log.contains("not valid JSON"), "{log}");
    assert!(!t.status_path("s").exists());

    // A corrupt status file is set aside, not overwritten blindly, and the hook goes on.
    std::fs::create_dir_all(&t.sessions).unwrap();
    std::fs::write(t.status_path("s"), "{broken").unwrap();
    let out = hook_in_pane(&t, &pane, &json!({"hook_event_name":"UserPromptSubmit"}));
    assert!(out.status.success());
    assert_eq!(t.read_status("s").unwrap()["status"], "working");
    let aside = std::fs::read_dir(t.home.join(".local/state/navi/corrupt")).unwrap().count();
    assert_eq!(aside, 1);
}

#[test]
fn hundred_concurrent_hooks_never_tear_a_file_nor_lose_an_update() {
    let t = TmuxServer::new();
    t.new_session("busy", &t.home, "");
    let pane = pane_id(&t, "busy");
    let path = t.status_path("busy");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (path, done) = (path.clone(), done.clone());
        std::thread::spawn(move || {
            let (mut reads, mut torn) = (0u32, Vec::new());
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(bytes) = std::fs::read(&path) {
                    reads += 1;
                    if serde_json::from_slice::<Value>(&bytes).is_err() {
                        torn.push(String::from_utf8_lossy(&bytes).into_owned());
                    }
                }
            }
            (reads, torn)
        })
    };
    let children: Vec<_> = (0..100)
        .map(|i| {
            let mut c = t
                .navi()
                .arg("hook")
                .env("TMUX", format!("{},1,0", t.socket.display()))
                .env("TMUX_PANE", &pane)
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            let ev = json!({"hook_event_name":"PostToolUse","tool_name": if i % 2 == 0 { "Bash" } else { "Edit" }});
            c.stdin.take().unwrap().write_all(ev.to_string().as_bytes()).unwrap();
            c
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let (reads, torn) = reader.join().unwrap();
    assert!(torn.is_empty(), "{} torn reads of {reads}: {:?}", torn.len(), torn.first());
    assert!(reads > 0);
    let v = t.read_status("busy").unwrap();
    assert_eq!(v["metrics"]["tools"]["counts"]["Bash"], 50, "no update lost");
    assert_eq!(v["metrics"]["tools"]["counts"]["Edit"], 50, "no update lost");
    assert_eq!(v["metrics"]["tools"]["recent"].as_array().unwrap().len(), 10);
    let leftovers: Vec<_> = std::fs::read_dir(&t.sessions)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn install_hooks_merges_into_claude_settings_and_uninstalls() {
    let t = TmuxServer::new();
    let settings = t.home.join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let mine = json!({"theme":"dark","hooks":{"Stop":[{"hooks":[{"type":"command","command":"say done"}]}]}});
    std::fs::write(&settings, mine.to_string()).unwrap();

    let (code, out, err) = t.run_navi(&["install-hooks"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("backup"), "{out}");
    let v: Value = serde_json::from_slice(&std::fs::read(&settings).unwrap()).unwrap();
    assert_eq!(v["theme"], "dark");
    let stop = v["hooks"]["Stop"].as_array().unwrap();
    assert_eq!(stop[0], mine["hooks"]["Stop"][0]);
    let cmd = stop[1]["hooks"][0]["command"].as_str().unwrap();
    let exe = std::fs::canonicalize(navi_path()).unwrap();
    assert_eq!(cmd, format!("{} hook", exe.display()), "absolute path of the binary");

    let (code, out, _) = t.run_navi(&["install-hooks"]);
    assert_eq!(code, 0);
    assert!(out.contains("already up to date"), "{out}");

    let (code, _, _) = t.run_navi(&["install-hooks", "--uninstall"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_slice(&std::fs::read(&settings).unwrap()).unwrap();
    assert_eq!(v, mine);

    let custom = t.dir.path().join("custom.json");
    let (code, _, _) = t.run_navi(&["install-hooks", "--settings", custom.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(custom.exists());

    // The installed command really runs: it is what Claude Code will execute.
    let status =
        Command::new("sh").arg("-c").arg(format!("echo '{{}}' | {cmd}")).env("HOME", &t.home).status().unwrap();
    assert!(status.success());
}

/// Runs `navi hook` for `pane` and requires it to finish, quietly and with 0, in 30 s (a
/// hang guard: never endless, however loaded the machine).
fn hook_finishes(t: &TmuxServer, pane: &str, event: &Value) {
    let mut cmd = t.navi();
    cmd.arg("hook").env("TMUX", format!("{},1,0", t.socket.display())).env("TMUX_PANE", pane);
    let (code, out, err) = outcome_within(&mut cmd, event.to_string().as_bytes(), Duration::from_secs(30));
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""), "a hook exits 0 and prints nothing");
}

fn hook_log(t: &TmuxServer) -> String {
    std::fs::read_to_string(t.home.join(".local/state/navi/hook.log")).unwrap_or_default()
}

fn mkfifo(path: &std::path::Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

#[test]
fn a_fifo_or_a_dangling_symlink_at_the_lock_path_never_hangs_the_hook() {
    let t = TmuxServer::new();
    t.new_session("s", &t.home, "");
    let pane = pane_id(&t, "s");
    std::fs::create_dir_all(&t.sessions).unwrap();
    let lock = t.sessions.join(".navi.lock");
    mkfifo(&lock);
    hook_finishes(&t, &pane, &json!({"hook_event_name":"UserPromptSubmit"}));
    assert!(hook_log(&t).contains(".navi.lock: is not a regular file"), "{}", hook_log(&t));

    std::fs::remove_file(&lock).unwrap();
    let outside = t.dir.path().join("outside");
    std::os::unix::fs::symlink(&outside, &lock).unwrap();
    hook_finishes(&t, &pane, &json!({"hook_event_name":"UserPromptSubmit"}));
    assert!(hook_log(&t).contains("symbolic link"), "{}", hook_log(&t));
    assert!(!outside.exists(), "no file created outside the sessions folder");
    assert!(!t.status_path("s").exists(), "nothing written without the lock");
}

#[test]
fn a_special_status_file_is_left_alone_and_logged() {
    let t = TmuxServer::new();
    t.new_session("s", &t.home, "");
    let pane = pane_id(&t, "s");
    std::fs::create_dir_all(&t.sessions).unwrap();
    mkfifo(&t.status_path("s"));
    hook_finishes(&t, &pane, &json!({"hook_event_name":"UserPromptSubmit"}));
    assert!(hook_log(&t).contains("not a regular file"), "{}", hook_log(&t));
    assert!(!t.home.join(".local/state/navi/corrupt").exists(), "a FIFO is not corrupt data");
    let meta = std::fs::symlink_metadata(t.status_path("s")).unwrap();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()), "left where it was");
}

#[test]
fn valid_json_of_odd_types_is_updated_not_set_aside() {
    let t = TmuxServer::new();
    t.new_session("s", &t.home, "");
    let pane = pane_id(&t, "s");
    t.write_status(&json!({"tmux_session":"s","status":"done","session_id":5,"cwd":7,
        "metrics":{"time":{"total_seconds":12.7},"tools":[],"tokens":{"in":3}}}));
    hook_finishes(&t, &pane, &json!({"hook_event_name":"UserPromptSubmit"}));
    assert!(!t.home.join(".local/state/navi/corrupt").exists(), "{}", hook_log(&t));
    let v = t.read_status("s").unwrap();
    assert_eq!(v["status"], "working");
    assert_eq!((&v["session_id"], &v["cwd"]), (&json!(5), &json!(7)), "kept as they were");
    assert_eq!(v["metrics"]["tools"], json!([]));
    assert_eq!(v["metrics"]["tokens"], json!({"in":3}));
    assert!(v["metrics"]["time"]["total_seconds"].is_i64(), "repaired by the hook that owns it: {v}");
}

#[test]
fn a_set_aside_never_replaces_an_earlier_one() {
    let t = TmuxServer::new();
    t.new_session("s", &t.home, "");
    let pane = pane_id(&t, "s");
    let corrupt = t.home.join(".local/state/navi/corrupt");
    std::fs::create_dir_all(&corrupt).unwrap();
    // Earlier set-asides under every name this run could pick for the seconds around it.
    let now = navi::text::now_unix();
    for s in now - 1..now + 30 {
        std::fs::write(corrupt.join(format!("s.json.{s}")), "earlier").unwrap();
    }
    std::fs::create_dir_all(&t.sessions).unwrap();
    std::fs::write(t.status_path("s"), "{broken").unwrap();
    hook_finishes(&t, &pane, &json!({"hook_event_name":"UserPromptSubmit"}));
    assert_eq!(t.read_status("s").unwrap()["status"], "working", "{}", hook_log(&t));
    let mut kept = Vec::new();
    for e in std::fs::read_dir(&corrupt).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        kept.push(String::from_utf8(bytes).unwrap());
    }
    assert_eq!(kept.len(), 32, "{kept:?}");
    assert_eq!(kept.iter().filter(|k| *k == "earlier").count(), 31, "every earlier one kept");
    assert!(kept.contains(&"{broken".to_string()));
}

#[test]
fn empty_navi_variables_are_unset_ones_and_never_fail_the_hook() {
    let mut t = TmuxServer::new();
    for var in ["NAVI_SESSIONS_DIR", "NAVI_REMOTES", "NAVI_TMUX_SOCKET"] {
        t.env.push((var.into(), String::new()));
    }
    t.new_session("api", &t.home, "");
    let out = hook_in_pane(&t, &pane_id(&t, "api"), &json!({"hook_event_name":"Stop","last_assistant_message":"ok"}));
    // Claude Code takes a hook's exit 2 (what a usage error gives) for "block".
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(t.read_status("api").unwrap()["status"], "done", "written where an unset variable puts it");
    // Any bad argument too.
    let out = t.navi().args(["hook", "--no-such-flag"]).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    // Other commands take them as unset as well.
    let (code, out, err) = t.run_navi(&["status"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 done"), "{out}");
}

#[test]
fn a_teammate_in_the_same_tmux_session_never_takes_over_the_leads_row() {
    let t = TmuxServer::new();
    t.new_session("team", &t.home, "");
    let pane = pane_id(&t, "team");
    let claude = |name: &str| -> Value {
        let path = format!("{}/tests/fixtures/claude-code/{name}.json", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let mut prompt = claude("UserPromptSubmit");
    prompt["session_id"] = "lead".into();
    hook_finishes(&t, &pane, &prompt);
    // The teammate's own hooks: its session_id, the lead's pane's tmux session.
    for name in ["SessionStart.startup", "PermissionRequest.Bash", "Stop"] {
        let mut e = claude(name);
        e["session_id"] = "mate".into();
        hook_finishes(&t, &pane, &e);
    }
    let mut idle = claude("Stop");
    idle["hook_event_name"] = "TeammateIdle".into();
    idle["session_id"] = "mate".into();
    idle["teammate_name"] = "alice".into();
    idle["team_name"] = "core".into();
    hook_finishes(&t, &pane, &idle);
    let v = t.read_status("team").unwrap();
    assert_eq!((v["status"].as_str(), v["session_id"].as_str()), (Some("working"), Some("lead")));
    assert_eq!(v["team"]["name"], "core");
    assert_eq!(v["team"]["agents"][0]["name"], "alice");
    assert_eq!(v["team"]["agents"][0]["status"], "idle");
    // The lead's subagent shows while it runs.
    let mut sub = claude("SubagentStart");
    sub["session_id"] = "lead".into();
    hook_finishes(&t, &pane, &sub);
    let (code, out, _) = t.run_navi(&["list", "--json"]);
    assert_eq!(code, 0);
    let row = &serde_json::from_str::<Vec<Value>>(&out).unwrap()[0];
    assert_eq!(row["status"], "working");
    assert_eq!(row["subagents"][0]["type"], "general-purpose");
}
