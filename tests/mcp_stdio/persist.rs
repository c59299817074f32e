//! Agent shells outlive `navi mcp`: another process (or the same one started again) takes
//! them up by id, reads on at the same offsets and gets the exit codes of commands that
//! ended meanwhile; two processes share them; the reaper and the cap count the host.

use super::{Client, read_all};
use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};

fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads the latest command's output from its start until a whole line is there (a single
/// wait of a few seconds could end before a slow machine printed it).
fn read_line(c: &mut Client, id: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = c.ok(json!({"operation": "read", "session_id": id, "wait_seconds": 1, "max_bytes": 64}));
        if r["data"].as_str().is_some_and(|d| d.contains('\n')) {
            return r;
        }
        assert!(Instant::now() < deadline, "no line came: {r}");
    }
}

/// Opens an agent shell on `host`; its id.
fn open(c: &mut Client, host: &str) -> String {
    c.ok(json!({"operation": "open", "hostname": host}))["session_id"].as_str().unwrap().to_string()
}

fn tmux_sessions(c: &Client) -> Vec<String> {
    let out = c.agents_tmux().args(["list-sessions", "-F", "#{session_name}"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect()
}

#[test]
fn a_session_outlives_a_killed_navi_mcp_and_reads_on_at_the_same_offset() {
    let home = super::Home::new();
    let mut a = Client::start_in(&home, &[]);
    a.handshake();
    let id = open(&mut a, "local");
    let (first, r) = {
        a.ok(json!({"operation": "send", "session_id": id, "command": "echo one"}));
        read_all(&mut a, &id, None)
    };
    assert_eq!((first.as_str(), r["exit_code"].as_i64()), ("one\n", Some(0)));
    // A command that is still running when navi mcp dies, and ends while none runs.
    let gate = home.path().join("gate");
    let cmd = format!("echo before; while [ ! -e {} ]; do sleep 0.05; done; echo after; (exit 7)", gate.display());
    let sent = a.ok(json!({"operation": "send", "session_id": id, "command": cmd}));
    let r = read_line(&mut a, &id);
    assert_eq!((r["data"].as_str(), r["finished"].as_bool()), (Some("before\n"), Some(false)), "{r}");
    let (start, cursor) = (r["offset"].as_u64().unwrap(), r["next_cursor"].as_u64().unwrap());
    a.child.kill().unwrap(); // SIGKILL: no clean-up at all
    a.child.wait().unwrap();
    std::fs::write(&gate, "").unwrap();
    assert!(tmux_sessions(&a).iter().any(|s| id.ends_with(s.as_str())), "the tmux session lives on");

    let mut b = Client::start_in(&home, &[]);
    b.handshake();
    let listed = b.ok(json!({"operation": "list"}));
    let row = listed["sessions"].as_array().unwrap().iter().find(|s| s["session_id"] == json!(id)).cloned();
    assert!(row.is_some(), "{listed}");
    let (rest, r) = read_all(&mut b, &id, Some(cursor));
    assert_eq!(
        (rest.as_str(), r["exit_code"].as_i64(), r["command_id"].as_u64()),
        ("after\n", Some(7), sent["command_id"].as_u64())
    );
    // The whole command's output from its start, as the first process numbered it.
    let (all, r) = read_all(&mut b, &id, Some(start));
    assert_eq!((all.as_str(), r["truncated"].as_bool()), ("before\nafter\n", Some(false)));
    // Earlier commands keep their ids and exit codes too.
    let r = b.ok(json!({"operation": "read", "session_id": id, "offset": 0}));
    assert_eq!(
        (r["data"].as_str(), r["command_id"].as_u64(), r["exit_code"].as_i64()),
        (Some("one\n"), Some(1), Some(0))
    );
    // And the session goes on: new commands get the next id.
    let s = b.ok(json!({"operation": "send", "session_id": id, "command": "echo $((6*7))"}));
    assert_eq!(s["command_id"].as_u64(), Some(sent["command_id"].as_u64().unwrap() + 1));
    let (out, _) = read_all(&mut b, &id, None);
    assert_eq!(out, "42\n");
    b.ok(json!({"operation": "close", "session_id": id}));
    assert!(tmux_sessions(&b).is_empty(), "closed means gone from tmux");
}

/// The latest command `c` knows of, once it is command `n` and finished: (its output from
/// its start, the read's answer).
fn latest_finished(c: &mut Client, id: &str, n: u64) -> (String, serde_json::Value) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = c.ok(json!({"operation": "read", "session_id": id, "wait_seconds": 1}));
        if r["command_id"].as_u64() == Some(n) && r["finished"] == json!(true) {
            return (r["data"].as_str().unwrap().to_string(), r);
        }
        assert!(Instant::now() < deadline, "command {n} never showed finished: {r}");
    }
}

/// Two `navi mcp` processes of one user, and an agent shell the first opened.
fn two_processes() -> (Client, Client, String) {
    let home = super::Home::new();
    let mut a = Client::start_in(&home, &[]);
    let mut b = Client::start_in(&home, &[]);
    a.handshake();
    b.handshake();
    let id = open(&mut a, "local");
    (a, b, id)
}

#[test]
fn two_processes_share_sessions_command_for_command() {
    let (mut a, mut b, id) = two_processes();
    a.ok(json!({"operation": "send", "session_id": id, "command": "echo a1"}));
    assert_eq!(read_all(&mut a, &id, None).0, "a1\n");
    // B takes the session up; then A types again. B sees A's command as A does: its id,
    // its output alone (no markers), its exit code.
    b.ok(json!({"operation": "read", "session_id": id}));
    let s = a.ok(json!({"operation": "send", "session_id": id, "command": "echo a2; (exit 3)"}));
    assert_eq!(s["command_id"].as_u64(), Some(2));
    let (out, r) = read_all(&mut a, &id, None);
    assert_eq!((out.as_str(), r["exit_code"].as_i64()), ("a2\n", Some(3)));
    let (out, r) = latest_finished(&mut b, &id, 2);
    assert_eq!((out.as_str(), r["exit_code"].as_i64()), ("a2\n", Some(3)), "{r}");
    // B's own command comes next, for both.
    let s = b.ok(json!({"operation": "send", "session_id": id, "command": "echo b1"}));
    assert_eq!(s["command_id"].as_u64(), Some(3));
    let (out, r) = read_all(&mut b, &id, None);
    assert_eq!((out.as_str(), r["exit_code"].as_i64()), ("b1\n", Some(0)));
    let (out, r) = latest_finished(&mut a, &id, 3);
    assert_eq!((out.as_str(), r["exit_code"].as_i64()), ("b1\n", Some(0)), "{r}");
    // Offsets agree: the whole output from the start, in both.
    let whole = |c: &mut Client| {
        let mut data = String::new();
        let mut at = 0;
        for _ in 0..10 {
            let r = c.ok(json!({"operation": "read", "session_id": id, "offset": at}));
            data.push_str(r["data"].as_str().unwrap());
            let next = r["next_cursor"].as_u64().unwrap();
            if next == at {
                break;
            }
            at = next;
        }
        data
    };
    let (in_a, in_b) = (whole(&mut a), whole(&mut b));
    assert_eq!(in_a, in_b);
    assert!(
        in_a.contains("a1\n") && in_a.contains("a2\n") && in_a.contains("b1\n") && !in_a.contains("NAVI"),
        "{in_a:?}"
    );
    let s = a.ok(json!({"operation": "send", "session_id": id, "command": "echo a3"}));
    assert_eq!(s["command_id"].as_u64(), Some(4));
    assert_eq!(read_all(&mut a, &id, None).0, "a3\n");
    // A command queued behind the other process's running one: typed when that one ends,
    // and each process reads both exactly.
    let s = b.ok(json!({"operation": "send", "session_id": id, "command": "sleep 2; echo b5"}));
    assert_eq!(s["command_id"].as_u64(), Some(5));
    eventually("A to learn of B's command", || {
        a.ok(json!({"operation": "read", "session_id": id}))["command_id"].as_u64() == Some(5)
    });
    let s = a.ok(json!({"operation": "send", "session_id": id, "command": "echo a6"}));
    assert_eq!((s["command_id"].as_u64(), s["queued"].as_bool()), (Some(6), Some(true)), "{s}");
    for c in [&mut a, &mut b] {
        let (out, r) = latest_finished(c, &id, 6);
        assert_eq!((out.as_str(), r["exit_code"].as_i64()), ("a6\n", Some(0)), "{r}");
    }
    let (in_a, in_b) = (whole(&mut a), whole(&mut b));
    assert_eq!(in_a, in_b);
    assert!(in_a.ends_with("a3\nb5\na6\n") && !in_a.contains("NAVI"), "{in_a:?}");
    drop(a.finish());
    assert_eq!(tmux_sessions(&b).len(), 1, "a process that ends lets its sessions live");
}

/// The whole output `c` holds of session `id`, cut where commands change: (command id,
/// output, exit code) in order.
fn by_command(c: &mut Client, id: &str) -> Vec<(Option<u64>, String, Option<i64>)> {
    let mut out: Vec<(Option<u64>, String, Option<i64>)> = Vec::new();
    let mut at = 0;
    loop {
        let r = c.ok(json!({"operation": "read", "session_id": id, "offset": at}));
        let (cmd, data, code) = (r["command_id"].as_u64(), r["data"].as_str().unwrap(), r["exit_code"].as_i64());
        match out.last_mut() {
            Some(last) if last.0 == cmd => {
                last.1.push_str(data);
                last.2 = last.2.or(code);
            }
            _ => out.push((cmd, data.to_string(), code)),
        }
        let next = r["next_cursor"].as_u64().unwrap();
        if next == at {
            return out;
        }
        at = next;
    }
}

#[test]
fn two_processes_sending_at_the_same_instant_never_share_an_id_or_mix_their_commands() {
    let (mut a, mut b, id) = two_processes();
    b.ok(json!({"operation": "read", "session_id": id}));
    // Each round both requests are written before either answer is read: the two
    // processes hand their commands to the host within the same instant.
    let mut sent: Vec<(u64, String, i64)> = Vec::new();
    for round in 0..10i64 {
        let long = "x".repeat(3000);
        for (c, who) in [(&mut a, "a"), (&mut b, "b")] {
            // Longer than one typed chunk: two commands typed at once would interleave.
            let command = format!("echo {who}{round} # {long}\n(exit {})", round + if who == "a" { 10 } else { 40 });
            let args = json!({"operation": "send", "session_id": id, "command": command});
            let rid = 1000 + round;
            c.write(&json!({"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": {"name": "connect_session", "arguments": args}}).to_string());
        }
        for (c, who) in [(&mut a, "a"), (&mut b, "b")] {
            let m = loop {
                let m = c.message();
                if m["id"] == json!(1000 + round) {
                    break m;
                }
            };
            let r = &m["result"]["structuredContent"];
            let n = r["command_id"].as_u64().unwrap_or_else(|| panic!("no id: {m}"));
            sent.push((n, format!("{who}{round}\n"), round + if who == "a" { 10 } else { 40 }));
        }
    }
    let mut ids: Vec<u64> = sent.iter().map(|s| s.0).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20, "every command its own id: {sent:?}");
    let mut seen = Vec::new();
    eventually("all 20 commands to finish in both processes", || {
        seen = by_command(&mut a, &id);
        seen.iter().filter(|s| s.2.is_some()).count() == 20 && by_command(&mut b, &id) == seen
    });
    for (n, out, code) in &sent {
        let got = seen.iter().find(|s| s.0 == Some(*n)).unwrap_or_else(|| panic!("command {n} missing: {seen:?}"));
        assert_eq!((&got.1, got.2), (out, Some(*code)), "command {n}: {seen:?}");
    }
}

#[test]
fn what_a_person_left_typed_in_the_shell_never_holds_up_the_agents_next_command() {
    let home = super::Home::new();
    let mut a = Client::start_in(&home, &[]);
    a.handshake();
    let id = open(&mut a, "local");
    let name = id.strip_prefix("local/").unwrap();
    a.ok(json!({"operation": "send", "session_id": id, "command": "sleep 1; echo one"}));
    // A person attached types while the command runs, and leaves the line unfinished.
    let typed = a.agents_tmux().args(["send-keys", "-t", name, "-l", "rm -rf nothing-here"]).status().unwrap();
    assert!(typed.success());
    assert_eq!(read_all(&mut a, &id, None).0, "one\n");
    a.ok(json!({"operation": "send", "session_id": id, "command": "echo next"}));
    let (out, r) = read_all(&mut a, &id, None);
    assert_eq!((out.as_str(), r["exit_code"].as_i64()), ("next\n", Some(0)), "{r}");
}

#[test]
fn a_person_attached_sees_the_output_without_navis_plumbing() {
    let home = super::Home::new();
    let mut a = Client::start_in(&home, &[]);
    a.handshake();
    let id = open(&mut a, "local");
    let name = id.strip_prefix("local/").unwrap().to_string();
    a.ok(json!({"operation": "send", "session_id": id, "command": "printf 'first\\nsecond\\n'"}));
    assert_eq!(read_all(&mut a, &id, None).0, "first\nsecond\n");
    let tmux = a.agents_tmux();
    let pane = || {
        let out = Command::new("tmux")
            .args(tmux.get_args())
            .envs(tmux.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .env_remove("TMUX")
            .args(["capture-pane", "-p", "-S", "-", "-t", &name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let mut screen = pane();
    eventually("the pane to show the output", || {
        screen = pane();
        screen.contains("second")
    });
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    // Each line at the left edge (no staircase), and no start-up line, prompt or marker.
    assert_eq!(lines, ["first", "second"], "{screen:?}");
    // A flood (22 MB): the pane shows part, says what it skipped, and ends with the
    // flood's last lines.
    a.ok(json!({"operation": "send", "session_id": id, "command": "seq 1 3000000; echo done"}));
    let (out, r) = read_all(&mut a, &id, None);
    assert!(out.ends_with("2999999\n3000000\ndone\n") && r["exit_code"] == json!(0), "{r}");
    eventually("the pane to show the flood's end", || {
        screen = pane();
        screen.trim_end().ends_with("2999999\n3000000\ndone")
    });
    assert!(screen.contains("bytes of output not shown here; the agent reads all of it"), "{screen}");
}

#[test]
fn a_shell_killed_by_a_person_is_not_found_by_a_new_process() {
    let home = super::Home::new();
    let mut a = Client::start_in(&home, &[]);
    a.handshake();
    let id = open(&mut a, "local");
    a.ok(json!({"operation": "send", "session_id": id, "command": "echo hi"}));
    read_all(&mut a, &id, None);
    drop(a.finish());
    // As the dashboard's `x` does.
    let name = id.strip_prefix("local/").unwrap();
    let mut b = Client::start_in(&home, &[]);
    b.handshake();
    assert!(b.agents_tmux().args(["kill-session", "-t", name]).status().unwrap().success());
    let gone = b.fails(json!({"operation": "read", "session_id": id}));
    assert!(gone.contains("session not found"), "{gone}");
}

#[test]
fn interrupting_an_agent_shells_program_escalates_ctrl_c_sigterm_sigkill_and_the_shell_lives() {
    let home = super::Home::new();
    let mut a = Client::start_in(&home, &[]);
    a.handshake();
    let id = open(&mut a, "local");
    let cmd = "bash -c \"trap 'echo gotINT' INT; trap 'echo gotTERM' TERM; trap 'echo gotQUIT' QUIT; \
               echo ready; while :; do sleep 0.1; done\"";
    a.ok(json!({"operation": "send", "session_id": id, "command": cmd}));
    read_line(&mut a, &id);
    let mut seen = String::new();
    let mut until = |a: &mut Client, what: &str| {
        eventually(what, || {
            let r = a.ok(json!({"operation": "read", "session_id": id, "wait_seconds": 1}));
            seen = r["data"].as_str().unwrap().to_string();
            seen.contains(what)
        })
    };
    a.ok(json!({"operation": "interrupt", "session_id": id}));
    until(&mut a, "gotINT");
    let r = a.ok(json!({"operation": "interrupt", "session_id": id}));
    assert_eq!(r["signal"], "terminate", "{r}");
    until(&mut a, "gotTERM");
    let r = a.ok(json!({"operation": "interrupt", "session_id": id}));
    assert_eq!(r["signal"], "kill", "{r}");
    let (out, r) = read_all(&mut a, &id, None);
    assert_eq!(r["exit_code"].as_i64(), Some(137), "{r}");
    assert!(!out.contains("gotQUIT") && !out.contains("Quit"), "{out:?}");
    // The program was killed, not the shell: the session goes on.
    a.ok(json!({"operation": "send", "session_id": id, "command": "echo alive"}));
    assert_eq!(read_all(&mut a, &id, None).0, "alive\n");
}

#[test]
fn the_reaper_and_the_cap_count_what_is_on_the_host() {
    let home = super::Home::new();
    let env = [("NAVI_MCP_MAX_SESSIONS", "3"), ("NAVI_MCP_REAP_SECONDS", "1")];
    let mut a = Client::start_in(&home, &env);
    a.handshake();
    // Idle long enough to outlast the steps up to the refusal on a slow machine.
    let short = a.ok(json!({"operation": "open", "hostname": "local", "idle_ttl_seconds": 20}));
    a.ok(json!({"operation": "open", "hostname": "local", "idle_ttl_seconds": 0}));
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let mut b = Client::start_in(&home, &env);
    b.handshake();
    b.ok(json!({"operation": "open", "hostname": "local", "idle_ttl_seconds": 0}));
    // Three on the host (two from a process that is gone): the fourth is refused.
    let full = b.fails(json!({"operation": "open", "hostname": "local"}));
    assert!(full.contains("manager full"), "{full}");
    // The short-lived one is reaped by the new process; then there is room again.
    let short = short["session_id"].as_str().unwrap().to_string();
    eventually("the idle session to be reaped", || tmux_sessions(&b).len() == 2);
    let gone = b.fails(json!({"operation": "read", "session_id": short}));
    assert!(gone.contains("session not found"), "{gone}");
    b.ok(json!({"operation": "open", "hostname": "local"}));
}

/// A remote `box` with this navi in its `~/.local/bin`, and a HOME whose remotes.yaml
/// names it.
fn remote_with_navi() -> (crate::common::sshd::Sshd, std::sync::Arc<super::Home>) {
    let sshd = crate::common::sshd::Sshd::start();
    let bin = sshd.remote_home.join(".local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_navi"), bin.join("navi")).unwrap();
    let chown =
        std::process::Command::new("chown").arg("-R").arg(sshd.user).arg(sshd.remote_home.join(".local")).status();
    assert!(chown.unwrap().success());
    let home = super::Home::new();
    let config = home.path().join(".config/navi");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("remotes.yaml"), sshd.remotes_yaml("box")).unwrap();
    (sshd, home)
}

#[test]
fn more_remote_agent_shells_than_one_connection_carries() {
    // sshd allows 10 channels per connection: the bridges spread over extra connections.
    let (sshd, home) = remote_with_navi();
    let mut a = Client::start_in(&home, &[]);
    a.handshake();
    let ids: Vec<String> = (0..14)
        .map(|_| a.ok(json!({"operation": "open", "hostname": "box"}))["session_id"].as_str().unwrap().to_string())
        .collect();
    for (i, id) in ids.iter().enumerate() {
        a.ok(json!({"operation": "send", "session_id": id, "command": format!("echo shell-{i}")}));
        assert_eq!(read_all(&mut a, id, None).0, format!("shell-{i}\n"));
    }
    let live = String::from_utf8_lossy(&sshd.agents(&["list-sessions"]).stdout).lines().count();
    assert_eq!(live, 14);
}

#[test]
fn a_remote_agent_shell_survives_a_cut_connection_and_a_killed_navi_mcp() {
    let (mut sshd, home) = remote_with_navi();
    let mut a = Client::start_in(&home, &[]);
    a.handshake();
    let id = open(&mut a, "box");
    assert!(id.starts_with("box/a-"), "{id}");
    let gate = sshd.remote_home.join("gate");
    let cmd = format!("echo before; while [ ! -e {} ]; do sleep 0.05; done; echo after; (exit 7)", gate.display());
    a.ok(json!({"operation": "send", "session_id": id, "command": cmd}));
    let r = read_line(&mut a, &id);
    assert_eq!(r["data"].as_str(), Some("before\n"), "{r}");
    let (start, cursor) = (r["offset"].as_u64().unwrap(), r["next_cursor"].as_u64().unwrap());

    // The connection drops; the command ends meanwhile; reading resumes where it was.
    sshd.cut_connections();
    std::fs::write(&gate, "").unwrap();
    let (rest, r) = read_all(&mut a, &id, Some(cursor));
    assert_eq!((rest.as_str(), r["exit_code"].as_i64()), ("after\n", Some(7)));
    let live = String::from_utf8_lossy(&sshd.agents(&["list-sessions", "-F", "#{session_name}"]).stdout).to_string();
    assert!(id.ends_with(live.trim()), "{live}");
    // sshd down: reads say why the host is out of reach; it comes back by itself.
    sshd.kill();
    let read = json!({"operation": "read", "session_id": id, "wait_seconds": 1});
    eventually("a read to say the host is out of reach", || a.ok(read.clone())["reconnecting"].is_string());
    sshd.restart();
    eventually("the host to be back", || a.ok(read.clone())["reconnecting"].is_null());
    a.ok(json!({"operation": "send", "session_id": id, "command": "echo back"}));
    assert_eq!(read_all(&mut a, &id, None).0, "back\n");

    // navi mcp itself dies; a new one takes the remote session up by its id.
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let mut b = Client::start_in(&home, &[]);
    b.handshake();
    let (all, r) = read_all(&mut b, &id, Some(start));
    assert_eq!(
        (all.as_str(), r["exit_code"].as_i64(), r["truncated"].as_bool()),
        ("before\nafter\n", Some(7), Some(false))
    );
    b.ok(json!({"operation": "send", "session_id": id, "command": "whoami"}));
    let (out, _) = read_all(&mut b, &id, None);
    assert_eq!(out, format!("{}\n", sshd.user));
    // Input for a program that asks through the terminal, and the terminal's size, on the
    // remote agent shell.
    b.ok(json!({"operation": "send", "session_id": id, "command": "read -r line </dev/tty; echo \"got $line\""}));
    // Refused until the command runs (the shell would take the line); then typed.
    let line = json!({"operation": "write", "session_id": id, "text": "it's $(here)", "keys": ["Enter"]});
    eventually("the command to take input", || !b.call(line.clone()).0);
    assert_eq!(read_all(&mut b, &id, None).0, "got it's $(here)\n");
    b.ok(json!({"operation": "resize", "session_id": id, "rows": 33, "cols": 111}));
    b.ok(json!({"operation": "send", "session_id": id, "command": "stty size </dev/tty"}));
    let (out, r) = read_all(&mut b, &id, None);
    assert_eq!(out, "33 111\n");
    let last = r["command_id"].as_u64().unwrap();
    // A second process on the remote session sees the first one's commands as its own.
    let mut c = Client::start_in(&home, &[]);
    c.handshake();
    c.ok(json!({"operation": "read", "session_id": id}));
    b.ok(json!({"operation": "send", "session_id": id, "command": "echo b2; (exit 5)"}));
    let (out, r) = latest_finished(&mut c, &id, last + 1);
    assert_eq!((out.as_str(), r["exit_code"].as_i64()), ("b2\n", Some(5)), "{r}");
    let s = c.ok(json!({"operation": "send", "session_id": id, "command": "true"}));
    assert_eq!(s["command_id"].as_u64(), Some(last + 2), "{s}");
    b.ok(json!({"operation": "close", "session_id": id}));
    let left = String::from_utf8_lossy(&sshd.agents(&["list-sessions"]).stdout).to_string();
    assert_eq!(left.trim(), "", "closed means gone on the remote too");
}

#[test]
fn people_see_an_agent_shell_with_what_it_runs_and_where() {
    let home = super::Home::new();
    let mut a = Client::start_in(&home, &[]);
    a.handshake();
    let id = open(&mut a, "local");
    a.ok(json!({"operation": "send", "session_id": id, "command": "cd /tmp && sleep 60"}));
    let name = id.rsplit('/').next().unwrap().to_string();
    let mut rows = serde_json::Value::Null;
    eventually("navi list to show the shell running sleep in /tmp", || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_navi"))
            .args(["list", "--json"])
            .env("HOME", home.path())
            .env("TMUX_TMPDIR", home.path())
            .env_remove("TMUX")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_STATE_HOME")
            .output()
            .unwrap();
        rows = serde_json::from_slice(&out.stdout).unwrap_or_default();
        rows.as_array().into_iter().flatten().any(|r| {
            r["kind"] == "agent-shell" && r["name"] == json!(name) && r["command"] == "sleep" && r["cwd"] == "/tmp"
        })
    });
    let row = rows.as_array().unwrap().iter().find(|r| r["name"] == json!(name)).unwrap().clone();
    // navi's own typing client is not a person watching.
    assert_eq!(row["attached"], false, "{row}");
    a.ok(json!({"operation": "close", "session_id": id}));
}
