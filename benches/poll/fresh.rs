//! Freshness: how long after a status file is written on a remote its listing reaches
//! the dashboard's poller, pushed (navi there streams) and polled (every 3 s), side by
//! side, through the proxy that holds every chunk 50 ms each way (this machine's kernel
//! has no `netem` qdisc to delay a namespace link). Then an idle half minute: the
//! commands each mode runs on the remote (sshd's log) and the CPU the remote stream used
//! (with the tmux it runs). The pollers are the dashboard's: sessions and agent shells.

use super::common::sshd::{Options, Sshd, processes_with, run};
use navi::app::Msg;
use navi::backend::SessionBackend;
use navi::backend::remote::RemoteBackend;
use navi::config::parse_remotes;
use navi::ssh::Pool;
use navi::tui::pollers::{HostKeys, Poller, REMOTE_POLL, SHELLS_POLL, ShellPoller};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SAMPLES: usize = 15;
const IDLE: Duration = Duration::from_secs(30);

fn sessions_started(sshd: &Sshd) -> usize {
    sshd.log().matches("Starting session: command").count()
}

/// The CPU `pid` and the children it waited for (the tmux it runs) used, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    // utime, stime, cutime, cstime: fields 14 to 17 of stat, 12 to 15 after the command's `)`.
    (11..15).map(|i| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)).sum()
}

fn write_status(sshd: &Sshd, message: &str) {
    let dir = sshd.remote_home.join(".claude-sessions");
    let tmp = dir.join(".agent.json.tmp");
    let json = serde_json::json!({"tmux_session": "agent", "status": "waiting", "message": message,
        "timestamp": navi::text::now_unix()});
    std::fs::write(&tmp, serde_json::to_vec(&json).unwrap()).unwrap();
    std::fs::rename(&tmp, dir.join("agent.json")).unwrap();
}

struct Figures {
    fresh: Vec<Duration>,
    commands_per_minute: f64,
    stream_cpu_ms_per_minute: Option<f64>,
}

async fn measure(sshd: &Sshd, proxy: u16, known_hosts: &Path, push: bool) -> Figures {
    let yaml = sshd
        .remotes_yaml("box")
        .replace(&format!("port: {}\n", sshd.port), &format!("port: {proxy}\n"))
        .replace(&sshd.known_hosts.display().to_string(), &known_hosts.display().to_string());
    let yaml = format!("{yaml}    push: {push}\n");
    let cfg = parse_remotes(&yaml, Path::new("/nonexistent")).unwrap().config;
    let pool = Arc::new(Pool::new(&cfg));
    let backend =
        Arc::new(RemoteBackend::new(cfg.remotes[0].clone(), pool, cfg.known_hosts.clone(), cfg.host_key_checking));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (_pause, paused) = tokio::sync::watch::channel(false);
    let poller =
        Poller::start(backend.clone(), Some(REMOTE_POLL), tx.clone(), HostKeys::default(), paused.clone(), None, None);
    // The dashboard lists the remote's agent shells too.
    let shells = ShellPoller::start(backend.clone(), SHELLS_POLL, tx, paused);
    rx.recv().await.expect("first listing");
    if push {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !backend.pushed() {
            assert!(Instant::now() < deadline, "no push: {:?}", backend.push_mode());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let mut fresh = Vec::new();
    for i in 0..SAMPLES {
        // Anywhere in the poll period.
        tokio::time::sleep(Duration::from_millis(rand::random_range(0..3000))).await;
        while rx.try_recv().is_ok() {}
        let message = format!("sample {i} {push}");
        let start = Instant::now();
        write_status(sshd, &message);
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.expect("listing").expect("poller");
            if let Msg::Listing { result: Ok((sessions, _)), .. } = msg
                && sessions.iter().any(|s| s.file.message.as_deref() == Some(&message))
            {
                fresh.push(start.elapsed());
                break;
            }
        }
    }
    let stream = processes_with("navi watch --stream").into_iter().next();
    let (commands, ticks) = (sessions_started(sshd), stream.map(cpu_ticks));
    tokio::time::sleep(IDLE).await;
    let per_minute = 60.0 / IDLE.as_secs_f64();
    let commands_per_minute = (sessions_started(sshd) - commands) as f64 * per_minute;
    // Clock ticks are 10 ms on Linux.
    let stream_cpu_ms_per_minute =
        push.then(|| stream.map(cpu_ticks).unwrap_or(0).saturating_sub(ticks.unwrap_or(0)) as f64 * 10.0 * per_minute);
    drop((poller, shells));
    Figures { fresh, commands_per_minute, stream_cpu_ms_per_minute }
}

fn stats(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = v.iter().map(|d| ms(*d)).sum::<f64>() / v.len() as f64;
    (ms(v[v.len() / 2]), ms(v[v.len() * 9 / 10]), mean)
}

pub async fn run_all() {
    let sshd = Sshd::start_with(Options { extra: "LogLevel VERBOSE".into(), ..Default::default() });
    let proxy = super::delay_proxy(sshd.port, super::DELAY).await;
    let known_hosts = sshd.dir.path().join("fresh_known_hosts");
    let line = sshd.known_hosts_line();
    std::fs::write(&known_hosts, line.replace(&format!("]:{} ", sshd.port), &format!("]:{proxy} "))).unwrap();
    sshd.install_navi(Path::new(env!("CARGO_BIN_EXE_navi")));
    std::fs::create_dir_all(sshd.remote_home.join(".claude-sessions")).unwrap();
    run(Command::new("chown").arg("-R").arg(sshd.user).arg(sshd.remote_home.join(".claude-sessions")));
    sshd.new_session("agent", "");
    write_status(&sshd, "start");
    println!();
    println!(
        "freshness: status written on the remote → its listing here; {SAMPLES} samples, link +{}ms each way",
        super::DELAY.as_millis()
    );
    println!(
        "{:<6} {:>9} {:>9} {:>9} {:>22} {:>22}",
        "mode", "p50 ms", "p90 ms", "mean ms", "commands/min idle", "stream CPU ms/min idle"
    );
    for push in [true, false] {
        let f = measure(&sshd, proxy, &known_hosts, push).await;
        let (p50, p90, mean) = stats(f.fresh);
        let cpu = f.stream_cpu_ms_per_minute.map(|c| format!("{c:.0}")).unwrap_or_else(|| "-".into());
        let mode = if push { "push" } else { "poll" };
        println!("{mode:<6} {p50:>9.0} {p90:>9.0} {mean:>9.0} {:>22.0} {cpu:>22}", f.commands_per_minute);
    }
}
