//! How soon a notice goes out after a status changes: the hook's own notice for a local
//! session (from the hook starting to the user's command running), and `navi watch`'s for
//! a remote one (from the status file written on the remote, a real sshd on loopback, to
//! the command running), polled (no navi there) and pushed (navi there). The command
//! channel records the time it ran. Run as root: `cargo bench --bench notice`.

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;
#[path = "support/stats.rs"]
mod stats;

use common::sshd::Sshd;
use common::tmux::{TmuxServer, wait_for};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const RUNS: usize = 20;

fn now_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

/// The times (ns since the epoch) the notice command ran, one per line.
fn stamps(log: &Path) -> Vec<u128> {
    std::fs::read_to_string(log).unwrap_or_default().lines().filter_map(|l| l.trim().parse().ok()).collect()
}

/// Waits for the `n`th notice and returns how long after `t0` it came.
fn next_notice(log: &Path, n: usize, t0: u128) -> Duration {
    assert!(wait_for(Duration::from_secs(30), || stamps(log).len() >= n), "notice {n} never came");
    Duration::from_nanos(stamps(log)[n - 1].saturating_sub(t0) as u64)
}

fn main() {
    let t = TmuxServer::new();
    let log = t.dir.path().join("stamps");
    let config = t.home.join(".config/navi");
    std::fs::create_dir_all(&config).expect("config dir");
    let yaml = format!(
        "notify:\n  desktop: false\n  tmux: false\n  cooldown_seconds: 0\n  command: [sh, -c, 'date +%s%N >> {}']\n",
        log.display()
    );
    std::fs::write(config.join("config.yaml"), yaml).expect("config");
    t.new_session("api", &t.home, "cat");
    let out = t.tmux(&["display-message", "-p", "-t", "=api:", "#{pane_id}"]);
    let pane = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let hook = |event: serde_json::Value| {
        let mut child = t.spawn_hook(&pane, event.to_string().as_bytes());
        child.wait().expect("hook");
    };

    println!("notices, {RUNS} runs each (the notice: the configured command running)");
    let mut local = Vec::new();
    for i in 0..RUNS {
        hook(json!({"hook_event_name": "UserPromptSubmit", "prompt": "go"}));
        let t0 = now_ns();
        hook(json!({"hook_event_name": "Stop", "last_assistant_message": format!("done {i}")}));
        local.push(next_notice(&log, i + 1, t0));
    }
    stats::print("local: hook starts -> notice", local);

    let sshd = Sshd::start();
    std::fs::write(config.join("remotes.yaml"), sshd.remotes_yaml("box")).expect("remotes.yaml");
    sshd.new_session("far", "cat");
    let mut at = navi::text::now_unix();
    // A `navi watch` follows the remote while its status goes working → done, RUNS times.
    let mut remote = |label: &str, gap: Duration| {
        let mut watch = t
            .navi()
            .arg("watch")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("navi watch");
        let (base, mut took) = (stamps(&log).len(), Vec::new());
        sshd.write_status(&json!({"tmux_session": "far", "status": "working", "timestamp": at}));
        // Let the watch take its baseline listing of the remote.
        std::thread::sleep(Duration::from_secs(5));
        for i in 0..RUNS {
            at += 2;
            sshd.write_status(&json!({"tmux_session": "far", "status": "working", "timestamp": at}));
            std::thread::sleep(gap);
            at += 2;
            let t0 = now_ns();
            sshd.write_status(&json!({"tmux_session": "far", "status": "done", "timestamp": at,
                "message": format!("{label} done {i}")}));
            took.push(next_notice(&log, base + i + 1, t0));
        }
        let _ = watch.kill();
        let _ = watch.wait();
        stats::print(&format!("remote, {label}: written -> notice"), took);
    };
    // No navi on the remote: it is polled.
    remote("polled", Duration::from_millis(3500));
    println!("(no navi on the remote: it is polled every 3 s, a change waits 1.5 s on average)");
    // navi there (what `navi setup` installs): its changes are pushed.
    sshd.install_navi(Path::new(env!("CARGO_BIN_EXE_navi")));
    remote("pushed", Duration::from_millis(300));
}
