//! Persistent sessions: send → exit_code latency of `true` and throughput of `cat` of 100 MB
//! into the ring, for agent shells (in tmux on their host, what `navi mcp` opens; locally
//! and over a loopback sshd), beside a bare pty reading the same file, and for plain shells
//! (a pty of this process, a channel of the pool); memory with 64 sessions open, and 64
//! remote sessions: how long each open takes and how many connections they use.
//! Run: `cargo bench --bench sessionmgr` (as root: the sshd part starts a real sshd);
//! `cargo bench --bench sessionmgr -- cat` runs only the rows whose label has `cat`.

#[path = "support/stats.rs"]
mod stats;

#[path = "../tests/common/mod.rs"]
mod common;

use navi::config::parse_remotes;
use navi::sessionmgr::{AgentDriver, Drivers, LocalDriver, Manager, ManagerConfig, RemoteDriver};
use navi::ssh::Pool;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RUNS: usize = 300;

/// Whether the row `label` is to run (every row without a word on the command line).
fn wanted(label: &str) -> bool {
    std::env::args().skip(1).filter(|a| !a.starts_with('-')).all(|w| label.contains(&w))
}

/// Sends `cmd` and follows its output, as an agent would, until its exit code; returns the
/// elapsed time.
async fn round_trip(m: &Manager, id: &str, cmd: &str) -> Duration {
    let t = Instant::now();
    let sent = m.send(id, cmd, None).await.expect("send");
    let mut cursor = None;
    loop {
        let r = m.read(id, cursor, Some(1 << 20), Duration::from_secs(60)).await.expect("read");
        cursor = Some(r.next_cursor);
        if r.finished && r.command_id == Some(sent.command_id) {
            assert_eq!(r.exit_code, Some(0), "{cmd}");
            return t.elapsed();
        }
    }
}

async fn latency(m: &Manager, host: &str, label: &str) {
    if !wanted(label) {
        return;
    }
    let id = m.open(host, None).await.expect("open").session_id;
    for _ in 0..20 {
        round_trip(m, &id, "true").await;
    }
    let mut d = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        d.push(round_trip(m, &id, "true").await);
    }
    stats::print(label, d);
    m.close(&id).await.expect("close");
}

async fn throughput(m: &Manager, host: &str, label: &str, file: &std::path::Path) {
    if !wanted(label) {
        return;
    }
    let id = m.open(host, None).await.expect("open").session_id;
    let bytes = std::fs::metadata(file).expect("file").len();
    let d = round_trip(m, &id, &format!("cat {}", file.display())).await;
    let row = m.list().into_iter().find(|l| l.session_id == id).expect("listed");
    assert!(row.next_cursor >= bytes, "only {} of {bytes} bytes arrived", row.next_cursor);
    println!(
        "{label:<34} {:7.1} MB/s ({} MB in {:.2} s; {} bytes skipped by a slow reader)",
        bytes as f64 / 1e6 / d.as_secs_f64(),
        bytes / 1_000_000,
        d.as_secs_f64(),
        row.lost_bytes
    );
    m.close(&id).await.expect("close");
}

/// What a terminal can carry: `cat` of the file on a pty, read to its end (the bound the
/// agent shells' throughput is measured against): with the terminal's default modes, and
/// with the output modes an agent shell's terminal has (`-opost`: no per-byte output
/// processing in the kernel, the cost that dominates a default pty).
async fn raw_pty(file: &std::path::Path, label: &str, stty: &str) {
    use tokio::io::AsyncReadExt;
    if !wanted(label) {
        return;
    }
    let bytes = std::fs::metadata(file).expect("file").len();
    let (mut pty, pts) = pty_process::open().expect("pty");
    let t = Instant::now();
    let mut child = pty_process::Command::new("sh")
        .arg("-c")
        .arg(format!("{stty} exec cat \"$1\""))
        .arg("sh")
        .arg(file)
        .spawn(pts)
        .expect("cat");
    let mut buf = vec![0u8; 256 * 1024];
    let mut got = 0u64;
    while let Ok(n) = pty.read(&mut buf).await {
        if n == 0 {
            break;
        }
        got += n as u64;
    }
    let d = t.elapsed();
    let _ = child.wait().await;
    assert_eq!(got, bytes, "{label}");
    println!(
        "{label:<34} {:7.1} MB/s ({} MB in {:.2} s)",
        got as f64 / 1e6 / d.as_secs_f64(),
        bytes / 1_000_000,
        d.as_secs_f64()
    );
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

async fn memory(m: &Manager) {
    if !wanted("64 sessions") {
        return;
    }
    let me = std::process::id();
    let before = rss_kib(me);
    let mut ids = Vec::new();
    for _ in 0..64 {
        ids.push(m.open("local", None).await.expect("open").session_id);
    }
    let idle = rss_kib(me);
    let shells: u64 = common::sshd::children_of(me).into_iter().map(rss_kib).sum();
    for id in &ids {
        round_trip(m, id, "head -c 1048576 /dev/zero | tr '\\0' x").await;
    }
    let full = rss_kib(me);
    // Signed: the allocator may hand memory back, and the process shrink meanwhile.
    let growth = |now: u64| now as i64 - before as i64;
    println!("64 sessions, manager RSS growth     idle {:6} KiB   rings full {:6} KiB", growth(idle), growth(full));
    println!("64 sessions, the 64 bash shells     {:6} KiB RSS in all", shells);
    for id in &ids {
        m.close(id).await.expect("close");
    }
}

/// Opens 64 sessions on one remote (the first ones ride on the pool's connection, the rest
/// on extra connections of 8 shells each), timing each open until its shell is ready.
async fn remote_opens(m: &Manager, pool: &Pool, port: u16, what: &str) {
    if !wanted(&format!("open → ready, {what}")) {
        return;
    }
    let mut ids = Vec::new();
    let (mut shared, mut fresh) = (Vec::new(), Vec::new());
    for _ in 0..64 {
        let before = pool.connections("box");
        let t = Instant::now();
        ids.push(m.open("box", None).await.expect("open").session_id);
        let d = t.elapsed();
        if pool.connections("box") > before { fresh.push(d) } else { shared.push(d) }
    }
    stats::print(&format!("open → ready, {what}, shared connection"), shared);
    stats::print(&format!("open → ready, {what}, new connection"), fresh);
    println!(
        "64 {what}s + the pool              {} connections to sshd (pool: {})",
        common::sshd::connections_to(port),
        pool.connections("box")
    );
    for id in &ids {
        m.close(id).await.expect("close");
    }
}

fn main() {
    // `cargo test --all-targets` runs this binary without `--bench`: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("sessionmgr bench: run it with `cargo bench --bench sessionmgr`");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let big = dir.path().join("100mb");
        std::fs::write(&big, vec![b'z'; 100_000_000]).expect("100 MB file");
        // Written back now, not by a kernel thread during the rows that read it.
        let _ = std::process::Command::new("sync").status();
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");

        let sshd = common::sshd::Sshd::start();
        let pool = Arc::new(Pool::new(
            &parse_remotes(&sshd.remotes_yaml("box"), std::path::Path::new("/nonexistent")).expect("remotes").config,
        ));
        let local = LocalDriver { shell: None, cwd: Some(dir.path().to_path_buf()) };
        let drivers =
            Drivers::new().with("local", Arc::new(local)).with("box", Arc::new(RemoteDriver { pool: pool.clone() }));
        let m = Manager::new(Arc::new(drivers), ManagerConfig::default());

        // Agent shells: in tmux on their host (the navi mcp default), with a private tmux
        // and HOME; the remote runs the same navi from ~/.local/bin.
        let bin = sshd.remote_home.join(".local/bin");
        std::fs::create_dir_all(&bin).expect("bin");
        std::fs::copy(env!("CARGO_BIN_EXE_navi"), bin.join("navi")).expect("copy navi");
        let chown =
            std::process::Command::new("chown").arg("-R").arg(sshd.user).arg(sshd.remote_home.join(".local")).status();
        assert!(chown.expect("chown").success());
        let ahome = tempfile::tempdir().expect("home");
        let env = vec![
            ("HOME".to_string(), ahome.path().to_string_lossy().into_owned()),
            ("TMUX_TMPDIR".to_string(), ahome.path().to_string_lossy().into_owned()),
        ];
        let plain: Arc<dyn navi::sessionmgr::Driver> = Arc::new(RemoteDriver { pool: pool.clone() });
        let agents = Drivers::new()
            .with("local", Arc::new(AgentDriver::local_at(env!("CARGO_BIN_EXE_navi").into(), env)))
            .with("box", Arc::new(AgentDriver::remote(pool.clone(), plain)));
        let a = Manager::new(Arc::new(agents), ManagerConfig::default());
        latency(&a, "local", "send→exit_code `true`, agent shell").await;
        latency(&a, "box", "send→exit_code `true`, ssh agent shell").await;
        raw_pty(&big, "cat 100 MB on a bare pty", "").await;
        raw_pty(&big, "cat 100 MB on a bare pty, -opost", "stty -opost;").await;
        throughput(&a, "local", "cat 100 MB, agent shell", &big).await;
        throughput(&a, "box", "cat 100 MB, ssh agent shell", &big).await;
        remote_opens(&a, &pool, sshd.port, "ssh agent shell").await;
        a.shutdown().await;
        let _ = std::process::Command::new("tmux")
            .args(["-L", "navi-agents", "kill-server"])
            .env("TMUX_TMPDIR", ahome.path())
            .output();

        latency(&m, "local", "send→exit_code `true`, local").await;
        latency(&m, "box", "send→exit_code `true`, loopback ssh").await;
        throughput(&m, "local", "cat 100 MB into the ring, local", &big).await;
        throughput(&m, "box", "cat 100 MB into the ring, ssh", &big).await;
        memory(&m).await;
        remote_opens(&m, &pool, sshd.port, "ssh shell").await;
        m.shutdown().await;
    });
}
