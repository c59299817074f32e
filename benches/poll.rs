//! The poll cycle (every remote polled once, in parallel) for 1, 10 and 50 remotes, for
//! navi's pool, a fresh `ssh` process per poll, and `ssh` with ControlMaster; on loopback,
//! then through a user-space proxy that holds every chunk 50 ms in each direction.
//! All entries share one real sshd (MaxStartups raised so a burst of 50 logins is not
//! reset). Then freshness, pushed and polled, over a delayed namespace link (poll/fresh.rs).
//! Run as root: `cargo bench --bench poll` (`-- fresh`: that part only).

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;
#[path = "poll/fresh.rs"]
mod fresh;

use common::sshd::{Options, Sshd};
use navi::backend::SessionBackend;
use navi::backend::remote::RemoteBackend;
use navi::config::parse_remotes;
use navi::ssh::Pool;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SIZES: [usize; 3] = [1, 10, 50];
const DELAY: Duration = Duration::from_millis(50);

/// Forwards TCP to `target`, holding each chunk `delay` before passing it on, both ways.
async fn delay_proxy(target: u16, delay: Duration) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await else { continue };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(pipe(cr, sw, delay));
            tokio::spawn(pipe(sr, cw, delay));
        }
    });
    port
}

async fn pipe(mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf, delay: Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    tokio::spawn(async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
    });
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 || tx.send((tokio::time::Instant::now() + delay, buf[..n].to_vec())).is_err() {
            break;
        }
    }
}

struct Setup {
    sshd: Sshd,
    known_hosts: PathBuf,
}

fn remotes_yaml(s: &Setup, port: u16, n: usize) -> String {
    let mut y = format!("known_hosts: {}\nremotes:\n", s.known_hosts.display());
    for i in 0..n {
        y.push_str(&format!(
            "  - name: r{i}\n    host: 127.0.0.1\n    port: {port}\n    user: navi-test\n    key: {}\n",
            s.sshd.user_key.display()
        ));
    }
    y
}

fn ssh_base(s: &Setup, port: u16) -> Command {
    let mut c = Command::new("ssh");
    c.args(["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o"])
        .arg(format!("UserKnownHostsFile={}", s.known_hosts.display()))
        .arg("-i")
        .arg(&s.sshd.user_key)
        .args(["-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

fn rounds(n: usize) -> usize {
    if n >= 50 { 5 } else { 9 }
}

async fn bench_pool(s: &Setup, port: u16, n: usize, script_holder: &mut String) -> f64 {
    let cfg = parse_remotes(&remotes_yaml(s, port, n), Path::new("/nonexistent")).unwrap().config;
    let pool = Arc::new(Pool::new(&cfg));
    let backends: Vec<Arc<RemoteBackend>> = cfg
        .remotes
        .iter()
        .map(|r| Arc::new(RemoteBackend::new(r.clone(), pool.clone(), cfg.known_hosts.clone(), cfg.host_key_checking)))
        .collect();
    *script_holder = backends[0].poll_script("NAVI-bench");
    let cycle = || async {
        let polls = backends.iter().map(|b| b.snapshot());
        for r in futures::future::join_all(polls).await {
            let snap = r.expect("poll");
            assert_eq!(snap.files.files.len(), 5);
        }
    };
    cycle().await; // connect
    let mut times = Vec::new();
    for _ in 0..rounds(n) {
        let start = Instant::now();
        cycle().await;
        times.push(start.elapsed());
    }
    median(times)
}

fn run_all(cmds: Vec<Command>) {
    let children: Vec<Child> = cmds.into_iter().map(|mut c| c.spawn().unwrap()).collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "ssh: {}", String::from_utf8_lossy(&out.stderr));
    }
}

fn bench_fresh(s: &Setup, port: u16, n: usize, script: &str) -> f64 {
    let remote = format!("sh -c {}", shlex::try_quote(script).unwrap());
    let mut times = Vec::new();
    for _ in 0..rounds(n) {
        let start = Instant::now();
        run_all(
            (0..n)
                .map(|_| {
                    let mut c = ssh_base(s, port);
                    c.arg("navi-test@127.0.0.1").arg(&remote);
                    c
                })
                .collect(),
        );
        times.push(start.elapsed());
    }
    median(times)
}

fn bench_control_master(s: &Setup, port: u16, n: usize, script: &str) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let sockets: Vec<PathBuf> = (0..n).map(|i| dir.path().join(format!("cm{i}"))).collect();
    let mut masters: Vec<Child> = sockets
        .iter()
        .map(|sock| {
            ssh_base(s, port)
                .args(["-M", "-N", "-S"])
                .arg(sock)
                .arg("navi-test@127.0.0.1")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let up = common::tmux::wait_for(Duration::from_secs(60), || sockets.iter().all(|p| p.exists()));
    assert!(up, "ControlMaster sockets did not appear");
    let remote = format!("sh -c {}", shlex::try_quote(script).unwrap());
    let mut times = Vec::new();
    for _ in 0..rounds(n) {
        let start = Instant::now();
        run_all(
            sockets
                .iter()
                .map(|sock| {
                    let mut c = ssh_base(s, port);
                    c.arg("-S").arg(sock).args(["-o", "ControlMaster=no", "navi-test@127.0.0.1"]).arg(&remote);
                    c
                })
                .collect(),
        );
        times.push(start.elapsed());
    }
    for m in &mut masters {
        let _ = m.kill();
        let _ = m.wait();
    }
    median(times)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench --bench poll -- fresh`: the freshness figures only.
    if std::env::args().any(|a| a == "fresh") {
        fresh::run_all().await;
        return;
    }
    let sshd = Sshd::start_with(Options { extra: "MaxSessions 64".into(), ..Default::default() });
    for i in 0..5 {
        sshd.new_session(&format!("s{i}"), "");
        sshd.write_status(&serde_json::json!({"tmux_session": format!("s{i}"), "status": "working", "message": "m"}));
    }
    let proxy = delay_proxy(sshd.port, DELAY).await;
    let known_hosts = sshd.dir.path().join("bench_known_hosts");
    let line = sshd.known_hosts_line();
    let proxied = line.replace(&format!("]:{} ", sshd.port), &format!("]:{proxy} "));
    std::fs::write(&known_hosts, format!("{line}{proxied}")).unwrap();
    let s = Setup { sshd, known_hosts };

    println!("poll cycle, median ms (every remote polled once, in parallel; entries share one sshd)");
    println!("{:<24} {:>7} {:>11} {:>14} {:>17}", "link", "remotes", "navi pool", "ssh per poll", "ssh ControlMaster");
    for (label, port) in [("loopback".to_string(), s.sshd.port), (format!("+{}ms each way", DELAY.as_millis()), proxy)]
    {
        for n in SIZES {
            let mut script = String::new();
            let pool = bench_pool(&s, port, n, &mut script).await;
            let fresh = tokio::task::block_in_place(|| bench_fresh(&s, port, n, &script));
            let cm = tokio::task::block_in_place(|| bench_control_master(&s, port, n, &script));
            println!("{label:<24} {n:>7} {pool:>11.1} {fresh:>14.1} {cm:>17.1}");
        }
    }
    fresh::run_all().await;
}
