//! `navi list` against a real private tmux server: the join with tmux, stale cleanup only
//! after tmux answered, JSON output, malformed files skipped and reported.

mod common;
use common::tmux::{TmuxServer, outcome_within};
use serde_json::{Value, json};
use std::time::Duration;

fn list_json(t: &TmuxServer) -> (Vec<Value>, String) {
    let (code, out, err) = t.run_navi(&["list", "--json"]);
    assert_eq!(code, 0, "stderr: {err}");
    (serde_json::from_str(&out).expect("list --json prints JSON"), err)
}

#[test]
fn joins_status_files_with_tmux_and_removes_stale_ones() {
    let t = TmuxServer::new();
    t.new_session("api", &t.home, "");
    t.new_session("web", &t.home, "");
    let now = navi::text::now_unix();
    t.write_status(
        &json!({"tmux_session":"api","status":"waiting","message":"Need input","timestamp":now,"custom":{"k":1}}),
    );
    // "1m ago" from 60 s to 119 s old: 75 leaves a slow run most of a minute.
    t.write_status(&json!({"tmux_session":"web","status":"done","timestamp":now - 75}));
    t.write_status(&json!({"tmux_session":"gone","status":"working","timestamp":now}));

    let (rows, _) = list_json(&t);
    let names: Vec<&str> = rows.iter().map(|r| r["tmux_session"].as_str().unwrap()).collect();
    assert_eq!(names, ["api", "web"], "waiting first, stale session not listed");
    assert_eq!(rows[0]["remote"], Value::Null);
    assert_eq!(rows[0]["custom"], json!({"k":1}), "unknown fields are carried");
    assert_eq!(rows[0]["message"], "Need input");
    assert!(!t.status_path("gone").exists(), "stale file removed");
    assert!(t.status_path("api").exists() && t.status_path("web").exists());

    let (code, out, _) = t.run_navi(&["list"]);
    assert_eq!(code, 0);
    assert!(out.contains("⏳ api") && out.contains("Need input"), "{out}");
    assert!(out.contains("✅ web") && out.contains("1m ago"), "{out}");
}

#[test]
fn no_tmux_server_means_no_sessions() {
    let t = TmuxServer::new();
    t.write_status(&json!({"tmux_session":"old","status":"done"}));
    let (rows, _) = list_json(&t);
    assert!(rows.is_empty());
    assert!(!t.status_path("old").exists(), "no server running is an answer: the file is stale");
}

#[test]
fn files_are_kept_when_tmux_does_not_answer() {
    let t = TmuxServer::new();
    t.write_status(&json!({"tmux_session":"keep","status":"done"}));
    // A PATH without tmux: the question was never answered, so nothing may be deleted.
    let bin = t.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink("/bin/sh", bin.join("sh")).unwrap();
    let out = t.navi().env("PATH", &bin).args(["list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tmux"), "the failure is reported: {err}");
    assert!(t.status_path("keep").exists(), "file kept when tmux did not answer");
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 1, "sessions are still shown");
}

#[test]
fn malformed_files_are_skipped_and_reported() {
    let t = TmuxServer::new();
    t.new_session("ok", &t.home, "");
    t.write_status(&json!({"tmux_session":"ok","status":"idle"}));
    std::fs::write(t.sessions.join("broken.json"), "{\"tmux_session\": \"x\", \"stat").unwrap();
    std::fs::write(t.sessions.join("binary.json"), b"\xff\xfe\x00garbage").unwrap();
    std::fs::write(t.sessions.join("empty.json"), "").unwrap();
    let (rows, err) = list_json(&t);
    assert_eq!(rows.len(), 1);
    for f in ["broken.json", "binary.json", "empty.json"] {
        assert_eq!(err.matches(f).count(), 1, "{f} reported once: {err}");
    }
    assert!(t.sessions.join("broken.json").exists(), "a malformed file is not deleted");
}

#[test]
fn filter_local_and_remote() {
    let t = TmuxServer::new();
    t.new_session("a", &t.home, "");
    t.write_status(&json!({"tmux_session":"a","status":"idle"}));
    let (code, out, _) = t.run_navi(&["list", "--json", "--filter", "remote"]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), json!([]));
    let (code, out, _) = t.run_navi(&["list", "--json", "--filter", "local"]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&out).unwrap().len(), 1);
}

#[test]
fn escape_sequences_never_reach_the_terminal() {
    let t = TmuxServer::new();
    t.new_session("evil", &t.home, "");
    t.write_status(&json!({"tmux_session":"evil","status":"done","message":"hi\u{1b}]0;pwned\u{7}\u{1b}[2Jthere\u{1b}[31m","cwd":"/tmp/\u{1b}[1mx"}));
    let (code, out, _) = t.run_navi(&["list"]);
    assert_eq!(code, 0);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("hithere"), "{out:?}");
}

#[test]
fn special_and_oversized_files_are_skipped_by_name_without_hanging() {
    let t = TmuxServer::new();
    t.new_session("ok", &t.home, "");
    t.write_status(&json!({"tmux_session":"ok","status":"idle"}));
    let fifo = t.sessions.join("x.json");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    std::os::unix::fs::symlink("/dev/zero", t.sessions.join("zero.json")).unwrap();
    std::fs::write(t.sessions.join("big.json"), vec![b' '; 2 << 20]).unwrap();
    let (code, out, err) = outcome_within(t.navi().args(["list", "--json"]), b"", Duration::from_secs(30));
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.len(), 1, "the other sessions are listed");
    for line in [
        "x.json: not a regular file, skipped",
        "zero.json: not a regular file, skipped",
        "big.json: larger than 1 MiB, skipped",
    ] {
        assert_eq!(err.matches(line).count(), 1, "{line:?} once in {err}");
    }
    assert!(fifo.exists(), "nothing is removed");
}

#[test]
fn a_byte_order_mark_is_not_damage() {
    let t = TmuxServer::new();
    t.new_session("bom", &t.home, "");
    std::fs::create_dir_all(&t.sessions).unwrap();
    std::fs::write(t.status_path("bom"), b"\xEF\xBB\xBF{\"tmux_session\":\"bom\",\"status\":\"done\"}").unwrap();
    let (rows, err) = list_json(&t);
    assert_eq!(rows.len(), 1, "{err}");
    assert!(err.is_empty(), "{err}");
}

/// Every character that can hide or reorder text, and raw controls.
const HIDDEN: &[char] = &[
    '\u{7}',
    '\u{7f}',
    '\u{80}',
    '\u{85}',
    '\u{9b}',
    '\u{9f}',
    '\u{61c}',
    '\u{180e}',
    '\u{200b}',
    '\u{200f}',
    '\u{2028}',
    '\u{2029}',
    '\u{202a}',
    '\u{202e}',
    '\u{2060}',
    '\u{2064}',
    '\u{2066}',
    '\u{2069}',
    '\u{206a}',
    '\u{206f}',
    '\u{feff}',
    '\u{fff9}',
    '\u{fffb}',
    '\u{e0001}',
    '\u{e0041}',
    '\u{e007f}',
];

#[test]
fn hidden_characters_are_stripped_from_the_listing_and_the_json() {
    let t = TmuxServer::new();
    t.new_session("evil", &t.home, "");
    let spiked: String = HIDDEN.iter().map(|c| format!("{c}x")).collect();
    t.write_status(&json!({"tmux_session":"evil","status":"done","message":spiked,"cwd":format!("/tmp/{spiked}"),
        "custom":{spiked.clone():[spiked.clone()]}}));
    let (code, out, err) = t.run_navi(&["list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let clean = "x".repeat(HIDDEN.len());
    assert_eq!(rows[0]["message"], clean.as_str());
    assert_eq!(rows[0]["custom"], json!({clean.clone(): [clean.clone()]}), "keys and nested values too");
    let (code, text, _) = t.run_navi(&["list"]);
    assert_eq!(code, 0);
    for c in HIDDEN {
        assert!(!out.contains(*c) && !text.contains(*c), "{c:?} in {out:?} or {text:?}");
        let escaped = format!("\\u{:04x}", *c as u32);
        assert!(!out.to_lowercase().contains(&escaped), "{c:?} escaped in {out}");
    }
}

#[test]
fn a_files_own_remote_field_never_shadows_navis() {
    let t = TmuxServer::new();
    t.new_session("here", &t.home, "");
    t.write_status(&json!({"tmux_session":"here","status":"done","remote":"elsewhere"}));
    let (code, out, err) = t.run_navi(&["list", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("\"remote\"").count(), 1, "{out}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["remote"], Value::Null, "a local session says so");
}
