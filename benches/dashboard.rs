//! Dashboard performance with 1,000 sessions: start to first frame, key press to frame,
//! idle CPU and peak RSS. The binary runs for real in a pane of a private tmux server
//! holding 1,000 sessions; key-to-frame is also timed in-process (update + draw through
//! the crossterm backend into a sink). Run: `cargo bench --bench dashboard`
//! (`NAVI_BENCH_IDLE_SECS` sets the idle window, 30 by default).

use navi::app::input::Key;
use navi::app::keys::KeyMap;
use navi::app::{Model, Msg, update};
use navi::backend::Session;
use navi::sessions::{Status, StatusFile};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const N: usize = 1000;
const STATUSES: [Status; 5] = [Status::Waiting, Status::Working, Status::Done, Status::Idle, Status::Permission];

fn main() {
    in_process_key_to_frame();
    real_binary();
}

fn sessions(now: i64) -> Vec<Session> {
    (0..N)
        .map(|i| {
            let mut f = StatusFile::new(&format!("s{i:04}"), STATUSES[i % 5].clone());
            f.timestamp = Some(now - 3600 - i as i64 * 7);
            f.cwd = Some(format!("/nonexistent/project-{i}"));
            f.message = Some(format!("Message number {i}: a line of text long enough to be cut at narrow widths"));
            Session { file: f, remote: None }
        })
        .collect()
}

fn in_process_key_to_frame() {
    let now = navi::text::now_unix();
    let mut m = Model::new(KeyMap::default(), "/home/u".into(), "/home/u".into(), vec![], now);
    let mut term = Terminal::new(CrosstermBackend::new(std::io::sink())).expect("terminal");
    let start = Instant::now();
    update(&mut m, Msg::Resize(200, 60));
    update(&mut m, Msg::Listing { remote: None, result: Ok((sessions(now), vec![])) });
    term.draw(|f| navi::ui::draw(f, &m)).expect("draw");
    let first = start.elapsed();
    let mut times = Vec::new();
    for i in 0..2000 {
        let key = if i % 3 == 0 { Key::ch('k') } else { Key::ch('j') };
        let t = Instant::now();
        let up = update(&mut m, Msg::Key(key));
        if up.redraw {
            term.draw(|f| navi::ui::draw(f, &m)).expect("draw");
        }
        times.push(t.elapsed());
    }
    times.sort();
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
    println!("in-process, {N} sessions, 200x60:");
    println!("  listing -> first frame with rows: {:.2} ms", ms(first));
    println!("  key -> frame: median {:.3} ms, p99 {:.3} ms, max {:.3} ms", ms(p(0.5)), ms(p(0.99)), ms(p(1.0)));
}

/// Best and median of 3 runs: start to first frame, and to the frame with every row.
fn print_start(indent: &str, mut firsts: Vec<Duration>, mut fulls: Vec<Duration>) {
    firsts.sort();
    fulls.sort();
    println!(
        "{indent}start -> first frame: best {:.0} ms, median {:.0} ms; -> frame with all {N} rows: best {:.0} ms, median {:.0} ms",
        ms(firsts[0]),
        ms(firsts[firsts.len() / 2]),
        ms(fulls[0]),
        ms(fulls[fulls.len() / 2])
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Server {
    dir: tempfile::TempDir,
    socket: PathBuf,
}

impl Server {
    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux is required: install tmux")
    }

    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "ui"]).stdout).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn real_binary() {
    let dir = tempfile::Builder::new().prefix("navi-bench-").tempdir().expect("temp dir");
    let home = dir.path().join("home");
    let sessions_dir = home.join(".claude-sessions");
    std::fs::create_dir_all(&sessions_dir).expect("mkdir");
    let server = Server { socket: dir.path().join("tmux.sock"), dir };
    // 1,000 live tmux sessions, so no status file is cleaned as stale.
    let script = server.dir.path().join("setup.tmux");
    let mut lines = String::new();
    for i in 0..N {
        lines.push_str(&format!("new-session -d -s s{i:04} -x 80 -y 24 'sleep 100000'\n"));
    }
    std::fs::write(&script, lines).expect("write");
    let t = Instant::now();
    let out = server.tmux(&["-f", "/dev/null", "start-server", ";", "source-file", &script.to_string_lossy()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    println!("real binary: {N} tmux sessions created in {:.1} s", t.elapsed().as_secs_f64());
    let now = navi::text::now_unix();
    for s in sessions(now) {
        std::fs::write(sessions_dir.join(format!("{}.json", s.name())), s.file.to_json()).expect("write");
    }
    let cmd = format!(
        "env HOME={} NAVI_TMUX_SOCKET={} {}",
        home.display(),
        server.socket.display(),
        env!("CARGO_BIN_EXE_navi")
    );
    in_process_startup(&sessions_dir, &server.socket);
    pty_run(&home, &server.socket);
    let (mut firsts, mut fulls) = (Vec::new(), Vec::new());
    for run in 0..3 {
        if run > 0 {
            server.tmux(&["kill-session", "-t", "ui"]);
        }
        let start = Instant::now();
        let out = server.tmux(&["new-session", "-d", "-x", "200", "-y", "60", "-s", "ui", &cmd]);
        assert!(out.status.success());
        wait(&server, |s| s.contains("navi "));
        firsts.push(start.elapsed());
        wait(&server, |s| s.contains("1000 sessions"));
        fulls.push(start.elapsed());
    }
    print_start("  ", firsts, fulls);
    println!("    (3 runs of the binary, spawned by tmux, seen by polling capture-pane every 5 ms)");
    let pid: u32 = String::from_utf8_lossy(&server.tmux(&["display-message", "-p", "-t", "ui", "#{pane_pid}"]).stdout)
        .trim()
        .parse()
        .expect("pane pid");
    // Key to frame as seen through tmux: the selection marker moves.
    let mut worst = Duration::ZERO;
    let mut total = Duration::ZERO;
    for _ in 0..20 {
        let before = selected_line(&server.capture());
        let t = Instant::now();
        server.tmux(&["send-keys", "-t", "ui", "j"]);
        while selected_line(&server.capture()) == before && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let e = t.elapsed();
        worst = worst.max(e);
        total += e;
    }
    println!(
        "  key -> frame through tmux: mean {:.1} ms, worst {:.1} ms (includes send-keys and capture-pane)",
        ms(total / 20),
        ms(worst)
    );
    server.tmux(&["send-keys", "-t", "ui", "p"]);
    std::thread::sleep(Duration::from_secs(2));
    server.tmux(&["send-keys", "-t", "ui", "p"]);
    std::thread::sleep(Duration::from_secs(1));
    let idle: u64 = std::env::var("NAVI_BENCH_IDLE_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    let (cpu0, t0) = (cpu_ticks(pid), Instant::now());
    std::thread::sleep(Duration::from_secs(idle));
    let (cpu1, wall) = (cpu_ticks(pid), t0.elapsed());
    let hz = 100.0; // USER_HZ on Linux
    let used = (cpu1 - cpu0) as f64 / hz;
    println!(
        "  idle CPU over {idle} s (navi + its children): {:.3} s = {:.2} % of one core",
        used,
        used * 100.0 / wall.as_secs_f64()
    );
    println!("  peak RSS: {:.1} MB", peak_rss_kb(pid) as f64 / 1024.0);
    server.tmux(&["send-keys", "-t", "ui", "q"]);
}

/// The binary in a pseudo-terminal of its own (`script`), without tmux in the way: time
/// from spawn to the first frame and to the frame with every row, and from a key written
/// to the terminal to the first output of the frame that answers it.
fn pty_run(home: &Path, socket: &Path) {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    let cmd = format!(
        "stty cols 200 rows 60; exec env HOME={} NAVI_TMUX_SOCKET={} {}",
        home.display(),
        socket.display(),
        env!("CARGO_BIN_EXE_navi")
    );
    let (mut firsts, mut fulls, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..3 {
        let start = Instant::now();
        let mut child = Command::new("script")
            .args(["-q", "-e", "-c", &cmd, "/dev/null"])
            .env("TERM", "xterm-256color")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("script (util-linux) is required");
        let out: Arc<Mutex<(Vec<u8>, Instant)>> = Arc::new(Mutex::new((Vec::new(), Instant::now())));
        let mut stdout = child.stdout.take().expect("stdout");
        let sink = out.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut o = sink.lock().expect("lock");
                o.0.extend_from_slice(&buf[..n]);
                o.1 = Instant::now();
            }
        });
        let seen = |what: &str| {
            let t = Instant::now();
            loop {
                let o = out.lock().expect("lock");
                if String::from_utf8_lossy(&o.0).contains(what) {
                    return;
                }
                drop(o);
                assert!(t.elapsed() < Duration::from_secs(60), "never saw {what:?}");
                std::thread::sleep(Duration::from_micros(200));
            }
        };
        seen("navi ");
        firsts.push(start.elapsed());
        // The newest waiting session heads the list once the rows are in (the header's
        // count is drawn as a diff, so it is not one string in the stream).
        seen("s0000");
        fulls.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(300));
        let mut stdin = child.stdin.take().expect("stdin");
        for _ in 0..20 {
            let before = out.lock().expect("lock").0.len();
            let t = Instant::now();
            stdin.write_all(b"j").expect("write");
            stdin.flush().expect("flush");
            loop {
                if out.lock().expect("lock").0.len() > before {
                    break;
                }
                assert!(t.elapsed() < Duration::from_secs(10), "no frame after a key");
                std::thread::sleep(Duration::from_micros(100));
            }
            keys.push(t.elapsed());
            std::thread::sleep(Duration::from_millis(30));
        }
        let _ = stdin.write_all(b"q");
        drop(stdin);
        let _ = child.wait();
        let _ = reader.join();
    }
    keys.sort();
    println!("  in a pty of its own (script), 3 runs:");
    print_start("    ", firsts, fulls);
    println!(
        "    key -> frame output: median {:.2} ms, p95 {:.2} ms, max {:.2} ms ({} keys)",
        ms(keys[keys.len() / 2]),
        ms(keys[keys.len() * 95 / 100]),
        ms(keys[keys.len() - 1]),
        keys.len()
    );
}

/// Listing 1,000 real sessions (status files + tmux) and drawing them, in this process.
fn in_process_startup(sessions_dir: &Path, socket: &Path) {
    use navi::backend::{LocalBackend, SessionBackend};
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let local = LocalBackend::new(sessions_dir.to_path_buf(), Some(socket.to_path_buf()));
        let listing = rt.block_on(local.list()).expect("list");
        assert_eq!(listing.sessions.len(), N, "{:?}", listing.warnings);
        let mut m = Model::new(KeyMap::default(), "/h".into(), "/h".into(), vec![], navi::text::now_unix());
        update(&mut m, Msg::Resize(200, 60));
        update(&mut m, Msg::Listing { remote: None, result: Ok((listing.sessions, listing.warnings)) });
        let mut term = Terminal::new(CrosstermBackend::new(std::io::sink())).expect("terminal");
        term.draw(|f| navi::ui::draw(f, &m)).expect("draw");
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "  in-process: list {N} real sessions (files + tmux) -> first frame with rows: best {:.0} ms, median {:.0} ms",
        ms(times[0]),
        ms(times[2])
    );
}

fn selected_line(screen: &str) -> String {
    screen.lines().find(|l| l.starts_with('▌')).unwrap_or_default().to_string()
}

fn wait(server: &Server, f: impl Fn(&str) -> bool) -> Duration {
    let t = Instant::now();
    while !f(&server.capture()) {
        assert!(t.elapsed() < Duration::from_secs(60), "timed out; screen:\n{}", server.capture());
        std::thread::sleep(Duration::from_millis(5));
    }
    t.elapsed()
}

/// utime + stime + cutime + cstime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc stat");
    let after = &stat[stat.rfind(')').expect("stat") + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14–17 of stat are at 11–14 after the command name.
    (11..15).map(|i| f[i].parse::<u64>().unwrap_or(0)).sum()
}

fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
