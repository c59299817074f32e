//! The agent-shell driver: every session is a tmux session on its host (see
//! [`super::host`]), reached through `navi agent-shell attach` there: a child process
//! locally, a channel of the pool's connection on a remote. The same commands and frames
//! serve both; they differ only in how a navi on the host is started.
//!
//! A lost bridge (the connection dropped, the process killed) is opened again, and the
//! output resumes at the raw offset reached, so nothing is lost or repeated; the session
//! ends only when its host says so (`X`). A remote without a navi that knows agent shells
//! gets the fallback driver's shells, which end with their connection.

use super::driver::{Adopted, Connected, Driver, DriverError, Output, Shell, Spec, Stop};
use super::frames::{Decoder, Frame};
use super::host::{self, Header, Listed};
use super::oneshot::{Failure, Machines, Ran};
use crate::backend::agent_shells;
use crate::backend::shell::quote;
use crate::ssh::{Pool, ShellWriter};
use async_trait::async_trait;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// For a host command (`create`, `list`, …) to answer.
const RUN_LIMIT: Duration = Duration::from_secs(20);
/// For the bridge to say what it holds.
const HEADER_LIMIT: Duration = Duration::from_secs(20);
/// The longest pause between attempts to open a lost bridge again.
const RETRY_MAX: Duration = Duration::from_secs(15);
const RETRY_FIRST: Duration = Duration::from_millis(250);

/// Where the hosts' navi runs.
enum Place {
    /// This machine: this very binary (or the one named), with `env` added to its own.
    Local {
        exe: PathBuf,
        env: Vec<(String, String)>,
    },
    Remote {
        pool: Arc<Pool>,
    },
}

/// What a host command said on stderr, made one clean line.
fn stderr_of(r: &Ran) -> String {
    crate::text::sanitize_line(String::from_utf8_lossy(&r.stderr).trim())
}

/// The host has no navi, or one from before agent shells.
fn no_navi(r: &Ran) -> bool {
    r.status == Some(127)
        || (r.status == Some(2) && String::from_utf8_lossy(&r.stderr).contains("unrecognized subcommand"))
}

/// How frames reach the bridge.
enum Sink {
    Local { stdin: tokio::process::ChildStdin, _child: tokio::process::Child },
    Remote(ShellWriter),
}

impl Sink {
    async fn send(&mut self, frame: &Frame) -> Result<(), String> {
        let bytes = frame.encode();
        match self {
            Sink::Local { stdin, .. } => {
                stdin.write_all(&bytes).await.map_err(|e| e.to_string())?;
                stdin.flush().await.map_err(|e| e.to_string())
            }
            Sink::Remote(w) => w.write(&bytes).await.map_err(|e| e.to_string()),
        }
    }
}

impl Place {
    /// The `sh` script that runs `navi agent-shell ARGS` on the host: this binary here; on
    /// a remote the navi in `~/.local/bin` or on the PATH (127 when there is none).
    fn script(&self, args: &[String]) -> String {
        let words: Vec<String> = args.iter().map(|a| quote(a)).collect();
        let words = words.join(" ");
        match self {
            Place::Local { exe, env } => {
                let vars: String = env.iter().map(|(k, v)| format!("{k}={} ", quote(v))).collect();
                format!("{vars}exec {} agent-shell {words}", quote(&exe.to_string_lossy()))
            }
            Place::Remote { .. } => format!(
                "PATH=\"$HOME/.local/bin:$PATH\"; export PATH; command -v navi >/dev/null 2>&1 || exit 127\n\
                 exec navi agent-shell {words}"
            ),
        }
    }

    /// Runs `navi agent-shell ARGS` on the host, as every one-shot command runs there.
    async fn run(&self, host: &str, args: &[String]) -> Result<Ran, DriverError> {
        let (machines, host) = match self {
            Place::Local { .. } => (Machines::new(None), "local"),
            Place::Remote { pool } => (Machines::new(Some(pool.clone())), host),
        };
        machines.run(host, &self.script(args), b"", RUN_LIMIT).await.map_err(|f| DriverError::Open {
            host: host.to_string(),
            reason: match f {
                Failure::TimedOut => {
                    format!("navi agent-shell {} did not answer within {} s", args[0], RUN_LIMIT.as_secs())
                }
                Failure::Other(e) => e,
            },
        })
    }

    /// Starts `navi agent-shell attach NAME` on the host: where frames go, and its output.
    async fn bridge(&self, host: &str, name: &str) -> Result<(Sink, mpsc::Receiver<Vec<u8>>), String> {
        let script = self.script(&["attach".to_string(), name.to_string()]);
        match self {
            Place::Local { .. } => {
                let mut child = tokio::process::Command::new("/bin/sh")
                    .arg("-c")
                    .arg(&script)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .kill_on_drop(true)
                    .spawn()
                    .map_err(|e| format!("cannot run /bin/sh: {e}"))?;
                let (Some(stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
                    return Err("the bridge has no pipes".into());
                };
                let (tx, rx) = mpsc::channel(16);
                tokio::spawn(async move {
                    loop {
                        // Straight into the chunk handed on (a pipe holds 64 KiB): no copy of its own.
                        let mut chunk = Vec::with_capacity(64 * 1024);
                        match stdout.read_buf(&mut chunk).await {
                            Ok(n) if n > 0 && tx.send(chunk).await.is_ok() => {}
                            _ => break,
                        }
                    }
                });
                Ok((Sink::Local { stdin, _child: child }, rx))
            }
            Place::Remote { pool } => {
                let channel = pool
                    .open_shell_command(host, &format!("exec sh -c {}", quote(&script)))
                    .await
                    .map_err(|e| e.to_string())?;
                let (writer, rx) = channel.into_parts();
                Ok((Sink::Remote(writer), rx))
            }
        }
    }
}

pub struct AgentDriver {
    place: Arc<Place>,
    /// For a remote without a navi that knows agent shells.
    fallback: Option<Arc<dyn Driver>>,
}

impl AgentDriver {
    /// Agent shells on this machine, run by this binary.
    pub fn local() -> Result<Self, std::io::Error> {
        Ok(AgentDriver::local_at(std::env::current_exe()?, Vec::new()))
    }

    /// Agent shells on this machine, run by the navi at `exe` with `env` added (benches and
    /// tests point `TMUX_TMPDIR` and `HOME` elsewhere).
    pub fn local_at(exe: PathBuf, env: Vec<(String, String)>) -> Self {
        AgentDriver { place: Arc::new(Place::Local { exe, env }), fallback: None }
    }

    /// Agent shells on the pool's remotes; `fallback` opens shells where navi is missing.
    pub fn remote(pool: Arc<Pool>, fallback: Arc<dyn Driver>) -> Self {
        AgentDriver { place: Arc::new(Place::Remote { pool }), fallback: Some(fallback) }
    }

    async fn attach(&self, host: &str, name: &str) -> Result<(Connected, Header), DriverError> {
        let open = |reason: String| DriverError::Open { host: host.to_string(), reason };
        let (frames, frames_rx) = mpsc::unbounded_channel();
        let (out_tx, output) = mpsc::channel(64);
        let (head_tx, head_rx) = oneshot::channel();
        let task =
            tokio::spawn(link(self.place.clone(), host.to_string(), name.to_string(), frames_rx, out_tx, head_tx));
        let header = match tokio::time::timeout(HEADER_LIMIT, head_rx).await {
            Ok(Ok(Ok(h))) => h,
            Ok(Ok(Err(e))) => {
                task.abort();
                return Err(open(e));
            }
            _ => {
                task.abort();
                return Err(open(format!("the agent shell {name} did not answer in time")));
            }
        };
        let shell = AgentShell {
            name: name.to_string(),
            host: host.to_string(),
            place: self.place.clone(),
            frames,
            task: Mutex::new(Some(task)),
        };
        Ok((Connected { shell: Arc::new(shell), output }, header))
    }
}

#[async_trait]
impl Driver for AgentDriver {
    async fn connect(&self, hostname: &str) -> Result<Connected, DriverError> {
        let spec = Spec { ready: super::protocol::nonce(), idle_ttl_seconds: 0, ring_bytes: 1 << 20, max_sessions: 64 };
        self.open(hostname, &spec).await
    }

    async fn open(&self, hostname: &str, spec: &Spec) -> Result<Connected, DriverError> {
        let args: Vec<String> = [
            "create",
            "--hostname",
            hostname,
            "--ttl",
            &spec.idle_ttl_seconds.to_string(),
            "--seg",
            &spec.ring_bytes.max(4096).to_string(),
            "--ready",
            &spec.ready,
            "--max",
            &spec.max_sessions.to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let ran = self.place.run(hostname, &args).await?;
        if no_navi(&ran)
            && let Some(f) = &self.fallback
        {
            return f.connect(hostname).await;
        }
        let name = String::from_utf8_lossy(&ran.stdout).trim().to_string();
        match ran.status {
            Some(0) if agent_shells::is_name(&name) => {}
            Some(host::FULL) => return Err(DriverError::Full(stderr_of(&ran))),
            _ => {
                return Err(DriverError::Open {
                    host: hostname.to_string(),
                    reason: format!("navi agent-shell create: {}", stderr_of(&ran)),
                });
            }
        }
        let (connected, _) = self.attach(hostname, &name).await?;
        Ok(connected)
    }

    async fn adopt(&self, hostname: &str, name: &str) -> Result<Option<Adopted>, DriverError> {
        if !agent_shells::is_name(name) {
            return Ok(None);
        }
        let (connected, header) = self.attach(hostname, name).await?;
        // Its folder without its tmux session: killed (from the dashboard, `tmux
        // kill-session`) or ended; the reaper removes what is left.
        if header.meta.is_none() || !header.alive {
            connected.shell.detach().await;
            return Ok(None);
        }
        Ok(Some(Adopted { connected, header }))
    }

    async fn list(&self, hostname: &str) -> Result<Vec<Listed>, DriverError> {
        let ran = self.place.run(hostname, &["list".to_string()]).await?;
        if no_navi(&ran) {
            return Ok(Vec::new());
        }
        if ran.status != Some(0) {
            return Err(DriverError::Open { host: hostname.into(), reason: format!("listing: {}", stderr_of(&ran)) });
        }
        serde_json::from_slice(&ran.stdout)
            .map_err(|e| DriverError::Open { host: hostname.into(), reason: format!("listing: {e}") })
    }

    async fn reap(&self, hostname: &str) -> Result<(), DriverError> {
        let ran = self.place.run(hostname, &["reap".to_string()]).await?;
        if ran.status == Some(0) || no_navi(&ran) {
            Ok(())
        } else {
            Err(DriverError::Open { host: hostname.into(), reason: format!("reaping: {}", stderr_of(&ran)) })
        }
    }
}

/// What the link does after a frame from the host.
enum Step {
    Go,
    /// The bridge is lost: open it again.
    Lost,
    /// The session ended, or nobody takes its output any more.
    Done,
}

/// One session's link: where its output stands, and where it goes.
struct Link {
    out: mpsc::Sender<Output>,
    /// For the first header, which `attach` waits for.
    head: Option<oneshot::Sender<Result<Header, String>>>,
    /// Where the output goes on: set by the session's `Follow`, then by what arrives.
    pos: Option<u64>,
    pause: Duration,
    /// A local session's folder and segment size, from its header: its output is read
    /// there, in this process (see `host::follow_in`).
    local: Option<(PathBuf, u64)>,
}

impl Link {
    async fn emit(&self, o: Output) -> Step {
        if self.out.send(o).await.is_ok() { Step::Go } else { Step::Done }
    }

    /// Passes on a frame from the host; `headed`: this bridge's header came already.
    async fn deliver(&mut self, frame: Frame, headed: &mut bool) -> Step {
        match frame {
            Frame::Meta(json) if !*headed => {
                *headed = true;
                let parsed: Result<Header, String> =
                    serde_json::from_slice(&json).map_err(|e| format!("a bad header: {e}"));
                if let Ok(Header { meta: Some(m), dir: Some(dir), .. }) = &parsed {
                    self.local = Some((dir.clone(), m.seg));
                }
                match self.head.take() {
                    Some(h) => {
                        let _ = h.send(parsed);
                        Step::Go
                    }
                    None => {
                        if parsed.as_ref().map_or(true, |h| h.meta.is_none()) {
                            let _ = self.out.send(Output::Closed("the agent shell is gone".into())).await;
                            return Step::Done;
                        }
                        self.pause = RETRY_FIRST;
                        self.emit(Output::Link(None)).await
                    }
                }
            }
            Frame::Data(at, bytes) => {
                let expected = self.pos.unwrap_or(at);
                if at > expected && matches!(self.emit(Output::Gap(at)).await, Step::Done) {
                    return Step::Done;
                }
                self.pos = Some((at + bytes.len() as u64).max(expected));
                if at < expected {
                    // Already had these (a resumed bridge): keep what is new.
                    let skip = ((expected - at) as usize).min(bytes.len());
                    if skip == bytes.len() {
                        return Step::Go;
                    }
                    return self.emit(Output::Data(bytes[skip..].to_vec())).await;
                }
                self.emit(Output::Data(bytes)).await
            }
            Frame::Gone(at) => {
                self.pos = Some(at);
                self.emit(Output::Gap(at)).await
            }
            Frame::Note(line) => self.emit(Output::Noted(String::from_utf8_lossy(&line).into_owned())).await,
            Frame::Ack(json) => match serde_json::from_slice(&json) {
                Ok(ack) => self.emit(Output::Acked(ack)).await,
                Err(_) => Step::Lost,
            },
            Frame::Ended(why) => {
                let why = crate::text::sanitize_line(&String::from_utf8_lossy(&why));
                let _ = self.out.send(Output::Closed(why)).await;
                Step::Done
            }
            _ => Step::Go,
        }
    }

    /// Reports the way to the host down, then waits before it is tried again.
    async fn lost(&mut self, why: String) -> Step {
        if matches!(self.emit(Output::Link(Some(why))).await, Step::Done) {
            return Step::Done;
        }
        tokio::time::sleep(self.pause).await;
        self.pause = (self.pause * 2).min(RETRY_MAX);
        Step::Go
    }
}

/// The next frame of a local session's follower; never, without one.
async fn followed(rx: &mut Option<mpsc::Receiver<Frame>>) -> Option<Frame> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Carries frames both ways for one session, opening the bridge again when it is lost. A
/// local session's output is read from its segments here rather than through the bridge
/// (one process and one pipe fewer for every byte); the bridge still types and answers.
async fn link(
    place: Arc<Place>,
    host: String,
    name: String,
    mut frames: mpsc::UnboundedReceiver<Frame>,
    out: mpsc::Sender<Output>,
    head: oneshot::Sender<Result<Header, String>>,
) {
    let here = matches!(*place, Place::Local { .. });
    let mut link = Link { out, head: Some(head), pos: None, pause: RETRY_FIRST, local: None };
    loop {
        let (mut sink, mut rx) = match place.bridge(&host, &name).await {
            Ok(b) => b,
            Err(e) => {
                if let Some(h) = link.head.take() {
                    let _ = h.send(Err(e));
                    return;
                }
                let why = format!("cannot reach {host}: {}; trying again", crate::text::sanitize_line(&e));
                match link.lost(why).await {
                    Step::Done => return,
                    _ => continue,
                }
            }
        };
        if !here
            && let Some(p) = link.pos
            && sink.send(&Frame::Follow(p)).await.is_err()
        {
            continue;
        }
        let mut decoder = Decoder::default();
        let mut headed = false;
        // A local session's follower, started once both its folder and the offset are known.
        let mut follower: Option<mpsc::Receiver<Frame>> = None;
        'bridge: loop {
            if here
                && follower.is_none()
                && let (Some(p), Some((dir, seg))) = (link.pos, &link.local)
            {
                let (tx, rx) = mpsc::channel(4);
                host::follow_in(dir.clone(), *seg, p, tx);
                follower = Some(rx);
            }
            let step = tokio::select! {
                f = frames.recv() => {
                    let Some(f) = f else { return };
                    if let Frame::Follow(p) = f {
                        if link.pos.is_some() {
                            continue;
                        }
                        link.pos = Some(p);
                        if here {
                            continue;
                        }
                    }
                    if sink.send(&f).await.is_err() { Step::Lost } else { Step::Go }
                }
                chunk = rx.recv() => {
                    let Some(chunk) = chunk else { break 'bridge };
                    decoder.feed(&chunk);
                    loop {
                        let frame = match decoder.next_frame() {
                            Ok(Some(f)) => f,
                            Ok(None) => break Step::Go,
                            Err(_) => break Step::Lost,
                        };
                        match link.deliver(frame, &mut headed).await {
                            Step::Go => {}
                            other => break other,
                        }
                    }
                }
                frame = followed(&mut follower) => match frame {
                    Some(frame) => link.deliver(frame, &mut headed).await,
                    // The follower failed (an error reading the folder): start over.
                    None => Step::Lost,
                },
            };
            match step {
                Step::Go => {}
                Step::Lost => break 'bridge,
                Step::Done => return,
            }
        }
        if let Some(h) = link.head.take() {
            let _ = h.send(Err("the agent shell's bridge ended before saying what it holds".into()));
            return;
        }
        if let Step::Done = link.lost(format!("the connection to {host} was lost; reconnecting")).await {
            return;
        }
    }
}

struct AgentShell {
    name: String,
    host: String,
    place: Arc<Place>,
    frames: mpsc::UnboundedSender<Frame>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl AgentShell {
    fn send(&self, f: Frame) -> Result<(), DriverError> {
        self.frames.send(f).map_err(|_| DriverError::Gone("the agent shell's link is closed".into()))
    }

    fn stop_link(&self) {
        if let Some(t) = self.task.lock().ok().and_then(|mut t| t.take()) {
            t.abort();
        }
    }
}

#[async_trait]
impl Shell for AgentShell {
    async fn write(&self, data: &[u8]) -> Result<(), DriverError> {
        self.send(Frame::Type(data.to_vec()))
    }

    async fn stop(&self, how: Stop) -> Result<(), DriverError> {
        match how {
            Stop::Interrupt => self.send(Frame::Type(vec![0x03])),
            // The host signals the foreground process group (see `host::stop`).
            Stop::Terminate => self.send(Frame::Term),
            Stop::Kill => self.send(Frame::Kill),
        }
    }

    async fn resize(&self, rows: u16, cols: u16) -> Result<(), DriverError> {
        self.send(Frame::Resize(rows, cols))
    }

    fn typed_interrupt(&self) -> Option<&'static [u8]> {
        Some(&[0x03])
    }

    fn name(&self) -> Option<String> {
        Some(self.name.clone())
    }

    async fn follow(&self, from: u64) {
        let _ = self.send(Frame::Follow(from));
    }

    async fn note(&self, line: String) {
        let _ = self.send(Frame::Note(line.into_bytes()));
    }

    async fn used(&self) {
        let _ = self.send(Frame::Used);
    }

    async fn command(&self, payload: Vec<u8>) {
        let _ = self.send(Frame::Command(payload));
    }

    async fn reserve(&self, nonce: String) {
        let _ = self.send(Frame::Reserve(nonce.into_bytes()));
    }

    async fn close(&self) {
        // Ends the tmux session and removes its folder on the host.
        let _ = self.place.run(&self.host, &["kill".to_string(), self.name.clone()]).await;
        self.stop_link();
    }

    async fn detach(&self) {
        self.stop_link();
    }
}

impl Drop for AgentShell {
    fn drop(&mut self) {
        self.stop_link();
    }
}
