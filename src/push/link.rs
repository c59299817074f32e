//! The local end of a remote's stream: one long-lived `navi watch --stream` over the
//! pool's connection, its lines applied to the remote's [`Mirror`], the poller woken on
//! each change. Until the snapshot is complete, and whenever the stream cannot run (no
//! navi there, an older one, a dropped connection), the remote is polled as before and
//! [`Push::mode`] says why. A stream that ends is started again, after a pause that
//! grows when it keeps failing.

use super::mirror::{self, Mirror};
use super::{Line, MAX_LINE, PROTOCOL, SILENT_AFTER};
use crate::backend::Snapshot;
use crate::ssh::Pool;
use crate::ssh::shell::{ShellChannel, ShellEnd};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The hello must come within this (a login shell, then navi starting).
const HELLO_WAIT: Duration = Duration::from_secs(20);
/// Lines a second a stream may send once synced, on average over [`BURST`] of them.
const RATE: f64 = 500.0;
const BURST: f64 = 5000.0;
/// Malformed lines a stream may send before it is dropped.
const MALFORMED_MAX: usize = 100;
/// Bytes before the hello kept to explain a failure (a login shell's complaint).
const NOISE_MAX: usize = 4096;
/// Pauses before starting a failed stream again.
const RETRY_FIRST: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(60);
/// When the remote has no navi (or an older one): until someone installs it.
const RETRY_MISSING: Duration = Duration::from_secs(300);

/// How a remote's sessions reach us.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Mode {
    /// Not tried yet, or the stream is starting.
    Starting,
    Push {
        version: String,
    },
    /// `setup`: installing (or updating) navi there (`navi setup`) would let it stream.
    Poll {
        reason: String,
        setup: bool,
    },
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Starting => "starting",
            Mode::Push { .. } => "push",
            Mode::Poll { .. } => "poll",
        }
    }
}

/// A remote's stream state, shared by its backend (which lists from the mirror while the
/// stream is live) and the task that runs the stream.
#[derive(Debug)]
pub struct Push {
    state: Mutex<(Mode, Mirror)>,
    /// Cuts the pause before the next try short (navi was just set up there).
    retry: Notify,
    /// Woken when the pushed agent shells change, or stop coming.
    shells: Notify,
}

impl Default for Push {
    fn default() -> Self {
        Push { state: Mutex::new((Mode::Starting, Mirror::default())), retry: Notify::new(), shells: Notify::new() }
    }
}

impl Push {
    pub fn mode(&self) -> Mode {
        self.state.lock().map(|s| s.0.clone()).unwrap_or(Mode::Starting)
    }

    /// The remote's sessions as the live stream has them; `None`: poll.
    pub fn snapshot(&self) -> Option<Snapshot> {
        let state = self.state.lock().ok()?;
        match state.0 {
            Mode::Push { .. } => state.1.snapshot(),
            _ => None,
        }
    }

    /// The remote's agent shells as the live stream has them; `None`: ask the remote.
    pub fn shells(&self) -> Option<Result<Vec<crate::backend::agent_shells::AgentShell>, String>> {
        let state = self.state.lock().ok()?;
        match state.0 {
            Mode::Push { .. } => state.1.shells(),
            _ => None,
        }
    }

    /// Returns when the pushed agent shells changed (or the stream that pushed them ended).
    pub async fn shells_changed(&self) {
        self.shells.notified().await
    }

    /// Tries the stream again now instead of after its pause.
    pub fn retry_now(&self) {
        self.retry.notify_one();
    }

    fn set(&self, mode: Mode, mirror: Option<Mirror>) {
        if let Ok(mut s) = self.state.lock() {
            s.0 = mode;
            if let Some(m) = mirror {
                s.1 = m;
            }
        }
    }
}

/// Why a stream ended, and how soon to try again.
struct Ended {
    reason: String,
    retry: Duration,
    /// `navi setup` would fix it.
    setup: bool,
}

impl Ended {
    fn soon(reason: impl Into<String>) -> Self {
        Ended { reason: reason.into(), retry: RETRY_FIRST, setup: false }
    }

    fn after(reason: impl Into<String>, retry: Duration) -> Self {
        Ended { reason: reason.into(), retry, setup: false }
    }

    /// navi there is missing or too old: until someone sets it up.
    fn needs_setup(reason: impl Into<String>) -> Self {
        Ended { reason: reason.into(), retry: RETRY_MISSING, setup: true }
    }
}

/// Where a stream's problems are written (never to the screen).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// A log appended to `path` (see `files::append_log`).
pub fn log_to(path: PathBuf) -> Log {
    Arc::new(move |msg: &str| crate::files::append_log(&path, msg))
}

/// Runs `remote`'s stream for as long as the task lives: `command` starts
/// `navi watch --stream` there.
pub async fn run(pool: Arc<Pool>, remote: String, command: String, push: Arc<Push>, wake: Arc<Notify>, log: Log) {
    let mut pause = RETRY_FIRST;
    loop {
        let started = Instant::now();
        let ended = stream(&pool, &remote, &command, &push, &wake, &log).await;
        log(&format!("{remote}: stream ended: {}", ended.reason));
        push.set(Mode::Poll { reason: ended.reason, setup: ended.setup }, Some(Mirror::default()));
        wake.notify_one();
        push.shells.notify_one();
        // A stream that ran a good while is started again soon; one that keeps failing
        // waits longer each time.
        if started.elapsed() > RETRY_MAX {
            pause = RETRY_FIRST;
        }
        let wait = pause.max(ended.retry);
        pause = (pause * 2).min(RETRY_MAX);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = push.retry.notified() => pause = RETRY_FIRST,
        }
    }
}

/// What navi there said of itself.
struct Hello {
    version: String,
    features: Vec<String>,
}

/// Opens the stream and waits for its hello: the version of navi there.
async fn open(pool: &Pool, remote: &str, command: &str) -> Result<(ShellChannel, Reader, Hello), Ended> {
    let mut channel = match pool.open_command(remote, command).await {
        Ok(c) => c,
        Err(e) => return Err(Ended::soon(format!("not connected: {e}"))),
    };
    let mut reader = Reader::default();
    let deadline = Instant::now() + HELLO_WAIT;
    loop {
        let chunk = match tokio::time::timeout_at(deadline, channel.recv()).await {
            Err(_) => return Err(Ended::soon(format!("navi there did not answer within {}s", HELLO_WAIT.as_secs()))),
            Ok(None) => return Err(ended(channel.writer.ended(), &reader.noise, false)),
            Ok(Some(chunk)) => chunk,
        };
        let (lines, _) = reader.push(&chunk);
        let mut lines = lines.into_iter();
        while let Some(line) = lines.next() {
            match Line::parse(&line) {
                Ok(Line::Hello { protocol, version, features }) if protocol == PROTOCOL => {
                    // What came with the hello is the stream's: read it first.
                    reader.pending = lines.collect();
                    return Ok((channel, reader, Hello { version, features }));
                }
                Ok(Line::Hello { protocol, version, .. }) => {
                    return Err(Ended::needs_setup(format!(
                        "navi {} there speaks stream protocol {protocol}, this navi {PROTOCOL} (navi setup {} updates it)",
                        clean(&version),
                        clean(remote)
                    )));
                }
                // A login shell's chatter before navi starts.
                _ => reader.keep_noise(&line),
            }
        }
    }
}

/// How `remote`'s sessions would reach us: starts its stream, reads the hello, ends it.
pub async fn probe(pool: &Pool, remote: &str, command: &str) -> Mode {
    match open(pool, remote, command).await {
        Ok((channel, _, hello)) => {
            channel.close().await;
            Mode::Push { version: hello.version }
        }
        Err(e) => Mode::Poll { reason: e.reason, setup: e.setup },
    }
}

async fn stream(pool: &Pool, remote: &str, command: &str, push: &Push, wake: &Notify, log: &Log) -> Ended {
    let (mut channel, mut reader, Hello { version, features }) = match open(pool, remote, command).await {
        Ok(opened) => opened,
        Err(e) => return e,
    };
    // Agent shells come on the stream too when navi there can send them (an older one
    // cannot: they are polled as before).
    if features.iter().any(|f| f == super::SHELLS)
        && let Err(e) = channel.write(format!("{}\n", super::SHELLS).as_bytes()).await
    {
        return Ended::soon(format!("the stream's channel failed: {e}"));
    }
    let mut malformed = 0;
    let mut bucket = BURST;
    let mut last = Instant::now();
    let mut batch = std::mem::take(&mut reader.pending);
    loop {
        if batch.is_empty() {
            let chunk = match tokio::time::timeout(SILENT_AFTER, channel.recv()).await {
                Err(_) => return Ended::soon(format!("the stream was silent for {}s", SILENT_AFTER.as_secs())),
                Ok(None) => return ended(channel.writer.ended(), &reader.noise, true),
                Ok(Some(chunk)) => chunk,
            };
            let (lines, skipped) = reader.push(&chunk);
            if skipped {
                log(&format!("{remote}: a line longer than {MAX_LINE} bytes, skipped"));
                malformed += 1;
            }
            batch = lines;
            if batch.is_empty() {
                continue;
            }
        }
        let synced = push.state.lock().map(|s| s.1.synced()).unwrap_or(false);
        if synced {
            let now = Instant::now();
            bucket = (bucket + now.duration_since(last).as_secs_f64() * RATE).min(BURST);
            last = now;
            bucket -= batch.len() as f64;
            if bucket < 0.0 {
                return Ended::after(format!("the stream sent more than {RATE} lines a second"), RETRY_MAX);
            }
        }
        let lines = std::mem::take(&mut batch);
        let prepared =
            tokio::task::spawn_blocking(move || lines.iter().map(|l| mirror::prepare(l)).collect::<Vec<_>>())
                .await
                .unwrap_or_default();
        let mut changed = false;
        let mut shells = false;
        {
            let Ok(mut state) = push.state.lock() else { return Ended::soon("the stream's state was lost") };
            for p in prepared {
                let p = match p {
                    Ok(p) => p,
                    Err(e) => {
                        log(&format!("{remote}: {}", clean(&e)));
                        malformed += 1;
                        continue;
                    }
                };
                shells |= matches!(p, mirror::Prepared::Shells(_));
                let was_synced = state.1.synced();
                match state.1.apply(p) {
                    Ok(c) => changed |= c,
                    Err(e) => return Ended::after(format!("the stream was dropped: {e}"), RETRY_MAX),
                }
                if !was_synced && state.1.synced() {
                    state.0 = Mode::Push { version: version.clone() };
                }
            }
        }
        if malformed > MALFORMED_MAX {
            return Ended::after(format!("more than {MALFORMED_MAX} malformed lines"), RETRY_MAX);
        }
        if changed {
            wake.notify_one();
        }
        if shells {
            push.shells.notify_one();
        }
    }
}

fn clean(s: &str) -> String {
    crate::text::truncate(&crate::text::sanitize_line(s), 200)
}

/// Why a stream's command ended; `live`: it had said hello.
fn ended(end: Option<ShellEnd>, noise: &[u8], live: bool) -> Ended {
    let said = clean(&String::from_utf8_lossy(noise));
    let said = if said.is_empty() { String::new() } else { format!(": {said}") };
    match end {
        _ if live => Ended::soon("navi there stopped streaming"),
        Some(ShellEnd::Exited(127)) => Ended::needs_setup("navi is not installed there (navi setup installs it)"),
        Some(ShellEnd::Exited(2)) => {
            Ended::needs_setup(format!("navi there has no stream mode (an older version?){said}"))
        }
        Some(ShellEnd::Exited(code)) => Ended::soon(format!("navi there exited with status {code}{said}")),
        Some(ShellEnd::Signalled(sig)) => Ended::soon(format!("navi there was killed ({sig})")),
        Some(ShellEnd::Lost(why)) => Ended::soon(format!("the connection dropped: {why}")),
        None => Ended::soon("the stream ended"),
    }
}

/// Splits chunks into lines, each at most [`MAX_LINE`] bytes (a longer one is skipped to
/// its end).
#[derive(Default)]
struct Reader {
    buf: Vec<u8>,
    /// Bytes of `buf` known to hold no newline.
    scanned: usize,
    /// Inside a line that is too long: dropping until its end.
    skipping: bool,
    noise: Vec<u8>,
    /// Lines read with the hello, not yet handled.
    pending: Vec<Vec<u8>>,
}

impl Reader {
    /// The complete lines of `chunk` (with what came before), and whether a line was cut.
    fn push(&mut self, chunk: &[u8]) -> (Vec<Vec<u8>>, bool) {
        self.buf.extend_from_slice(chunk);
        let mut lines = Vec::new();
        let mut skipped = false;
        while let Some(i) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') {
            let end = self.scanned + i;
            let line: Vec<u8> = self.buf.drain(..=end).take(end).collect();
            self.scanned = 0;
            if std::mem::take(&mut self.skipping) {
                continue;
            }
            lines.push(line);
        }
        self.scanned = self.buf.len();
        if self.buf.len() > MAX_LINE {
            self.buf.clear();
            self.scanned = 0;
            skipped |= !self.skipping;
            self.skipping = true;
        }
        (lines, skipped)
    }

    fn keep_noise(&mut self, line: &[u8]) {
        let room = NOISE_MAX.saturating_sub(self.noise.len());
        self.noise.extend(line.iter().take(room));
        if self.noise.len() < NOISE_MAX {
            self.noise.push(b' ');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_across_chunks_and_bounded() {
        let mut r = Reader::default();
        assert_eq!(r.push(b"ab"), (vec![], false));
        assert_eq!(r.push(b"c\nde\nf"), (vec![b"abc".to_vec(), b"de".to_vec()], false));
        assert_eq!(r.push(b"\n"), (vec![b"f".to_vec()], false));
        let huge = vec![b'x'; MAX_LINE + 10];
        assert_eq!(r.push(&huge), (vec![], true));
        assert_eq!(r.push(&huge), (vec![], false), "the same line is reported once");
        assert_eq!(r.push(b"tail\nnext\n"), (vec![b"next".to_vec()], false));
    }

    #[test]
    fn why_a_stream_ended_is_said_plainly() {
        assert!(ended(Some(ShellEnd::Exited(127)), b"", false).reason.contains("not installed"));
        let old = ended(Some(ShellEnd::Exited(2)), b"error: unexpected argument '--stream'", false);
        assert!(old.reason.contains("no stream mode") && old.reason.contains("--stream"), "{}", old.reason);
        assert_eq!(old.retry, RETRY_MISSING);
        assert!(ended(Some(ShellEnd::Exited(0)), b"", true).reason.contains("stopped streaming"));
    }
}
