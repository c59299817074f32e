//! Wall time of `navi status` as a tmux status bar runs it (a process per refresh), with
//! 200 local status files and a summary of 10 remotes × 20 sessions, beside what a status
//! bar would run otherwise: `tmux list-sessions` on a server with 200 sessions' worth of
//! names (here 20 sessions), and spawning `true`. Also the in-process work alone.
//! Run: `cargo bench --bench status` (the budget: median ≤ 5 ms for the binary).

#[path = "support/stats.rs"]
mod stats;

use navi::sessions::{Status, StatusFile};
use navi::summary::{RemoteState, Summary};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 300;
const LOCAL: usize = 200;
const REMOTES: usize = 10;
const PER_REMOTE: usize = 20;

fn time(mut f: impl FnMut()) -> Vec<Duration> {
    (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect()
}

/// A status file as the hook leaves it after a while: metrics and recent tools included.
fn status_file(name: &str, i: usize, now: i64) -> StatusFile {
    let statuses = [Status::Working, Status::Waiting, Status::Done, Status::Permission, Status::Idle];
    let json = serde_json::json!({
        "tmux_session": name, "session_id": format!("{i:08x}-0000-4000-8000-000000000000"),
        "status": statuses[i % statuses.len()].as_str(), "message": "Which of the two approaches should I take?",
        "cwd": format!("/home/user/src/project-{i}"), "timestamp": now - i as i64,
        "metrics": {"time": {"started": now - 3600, "total_seconds": 3600, "working_seconds": 3000, "waiting_seconds": 600},
            "tools": {"recent": ["Bash", "Edit", "Read", "Grep", "Bash", "Edit", "Read", "Write", "Bash", "Edit"],
                "counts": {"Bash": 40, "Edit": 31, "Read": 55, "Grep": 12, "Write": 4}}}
    });
    serde_json::from_value(json).expect("status file")
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    let sessions = home.join(".claude-sessions");
    let state = home.join(".local/state/navi");
    let config = home.join(".config/navi");
    std::fs::create_dir_all(&config).expect("config dir");
    let now = navi::text::now_unix();
    let store = navi::sessions::store::Store::new(&sessions);
    for i in 0..LOCAL {
        store.write(&status_file(&format!("local-{i}"), i, now)).expect("status file");
    }
    let mut summary = Summary::default();
    let mut yaml = String::from("remotes:\n");
    for r in 0..REMOTES {
        let name = format!("box{r}");
        let files: Vec<StatusFile> = (0..PER_REMOTE).map(|i| status_file(&format!("far-{i}"), i + r, now)).collect();
        summary.record_remote(&name, RemoteState::Up, &files, now);
        yaml.push_str(&format!("  - {{name: {name}, host: h{r}.example, user: u, key: ~/.ssh/id_ed25519}}\n"));
    }
    navi::summary::write(&state, &summary).expect("summary");
    std::fs::write(config.join("remotes.yaml"), yaml).expect("remotes.yaml");

    let sock = dir.path().join("sock");
    let tmux = |args: &[&str]| Command::new("tmux").arg("-S").arg(&sock).env_remove("TMUX").args(args).output();
    for i in 0..20 {
        tmux(&["new-session", "-d", "-s", &format!("s{i}")]).expect("tmux");
    }

    let navi = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_navi"))
            .args(["status", "--format", format])
            .env("HOME", &home)
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_STATE_HOME")
            .env_remove("NAVI_SESSIONS_DIR")
            .env_remove("NAVI_REMOTES")
            .output()
            .expect("navi status");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    println!("status line: {}", String::from_utf8_lossy(&navi("tmux")).trim_end());
    println!("navi status, {LOCAL} local status files, {REMOTES} remotes × {PER_REMOTE} sessions; {RUNS} runs each");
    stats::print(
        "spawn `true`",
        time(|| {
            Command::new("true").status().expect("true");
        }),
    );
    stats::print(
        "tmux list-sessions (20 sessions)",
        time(|| {
            tmux(&["list-sessions", "-F", "#{session_name}"]).expect("tmux");
        }),
    );
    stats::print(
        "navi status --format tmux",
        time(|| {
            navi("tmux");
        }),
    );
    stats::print(
        "navi status --format json",
        time(|| {
            navi("json");
        }),
    );
    let names: Vec<String> = (0..REMOTES).map(|r| format!("box{r}")).collect();
    stats::print(
        "in process: gather + render",
        time(|| {
            let report = navi::cli::status::gather(&sessions, &state, &names, now);
            std::hint::black_box(navi::cli::status::render(&report, navi::cli::args::StatusFormat::Tmux, now));
        }),
    );
    stats::print(
        "in process: local status files",
        time(|| {
            std::hint::black_box(store.read_all());
        }),
    );
    let paths: Vec<_> = (0..LOCAL).map(|i| sessions.join(format!("local-{i}.json"))).collect();
    stats::print(
        "in process: bytes of the files",
        time(|| {
            for p in &paths {
                std::hint::black_box(navi::files::read_regular(p, 1 << 20).expect("read"));
            }
        }),
    );
    let bytes: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).expect("read")).collect();
    stats::print(
        "in process: parse the files",
        time(|| {
            for b in &bytes {
                std::hint::black_box(navi::sessions::read::parse_file("x.json", b));
            }
        }),
    );
    stats::print(
        "in process: summary",
        time(|| {
            std::hint::black_box(navi::summary::read(&state).expect("summary"));
        }),
    );
    let _ = tmux(&["kill-server"]);
}
