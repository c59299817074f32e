//! `navi watch --stream`, run on a remote by a dashboard or `navi watch` elsewhere: the
//! sessions folder followed with inotify, tmux's session list checked every
//! [`TMUX_EVERY`] (one local `tmux list-sessions`, about a millisecond of CPU) and right
//! after any file change, and the pane check (statuses no hook corrects) done here, where
//! the panes are, instead of over SSH. Writes [`Line`]s to stdout; ends when stdin closes
//! (the channel went) or stdout does. Nothing goes to stderr: it would mix with the lines.

use super::{FileError, Line, PROTOCOL, SHELLS};
use crate::backend::{LocalBackend, SessionBackend, agent_shells};
use crate::sessions::StatusFile;
use crate::sessions::read::{ReadError, parse_file, read_bounded};
use anyhow::{Context as _, Result};
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

pub const TMUX_EVERY: Duration = Duration::from_secs(2);
/// Every file is read again this often, in case inotify missed something.
const RESCAN_EVERY: Duration = Duration::from_secs(60);
/// A write is a temp file and a rename: their events are read as one change.
const SETTLE: Duration = Duration::from_millis(5);

enum Event {
    Names(Vec<String>),
    Rescan,
}

/// What the follower asks for on stdin, a line each.
enum Ask {
    Shells,
}

/// A command's answer: exit status, stdout, stderr.
type Answer = (Option<i32>, Vec<u8>, Vec<u8>);

/// What was last sent of each file: a hash of its line, and the file as parsed (for the
/// pane check, without reading the folder again).
#[derive(Default)]
struct Sent {
    files: BTreeMap<String, (u64, Vec<StatusFile>)>,
    tmux: Option<Answer>,
    /// Once asked for: the agent shells' marker and tmux's last answer.
    shells: Option<(String, Option<Answer>)>,
}

pub async fn serve(dir: PathBuf, local: Arc<LocalBackend>) -> Result<()> {
    let mut out = tokio::io::BufWriter::new(tokio::io::stdout());
    let hello =
        Line::Hello { protocol: PROTOCOL, version: env!("CARGO_PKG_VERSION").into(), features: vec![SHELLS.into()] };
    send(&mut out, &[hello]).await?;
    let _ = std::fs::create_dir_all(&dir);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _watcher = watch(&dir, tx).with_context(|| format!("watching {}", dir.display()))?;
    let mut sent = Sent::default();
    let mut lines = read_changes(&dir, &mut sent, None).await;
    lines.extend(check_tmux(&local, &mut sent).await);
    lines.push(Line::Synced);
    send(&mut out, &lines).await?;

    let mut asks = read_asks();
    let tick = |every: Duration| {
        let mut t = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    };
    let (mut tmux_tick, mut beat_tick) = (tick(TMUX_EVERY), tick(super::BEAT_EVERY));
    let (mut pane_tick, mut rescan_tick) = (tick(crate::tui::pollers::TMUX_CHECK), tick(RESCAN_EVERY));
    loop {
        let lines = tokio::select! {
            ask = asks.recv() => match ask {
                // The channel went.
                None => return Ok(()),
                Some(Ask::Shells) => {
                    sent.shells = Some((agent_shells::new_marker(), None));
                    check_shells(&local, &mut sent).await
                }
            },
            ev = rx.recv() => {
                let Some(ev) = ev else { return Ok(()) };
                tokio::time::sleep(SETTLE).await;
                let mut names = Vec::new();
                let mut rescan = false;
                for ev in std::iter::once(ev).chain(std::iter::from_fn(|| rx.try_recv().ok())) {
                    match ev {
                        Event::Names(n) => names.extend(n),
                        Event::Rescan => rescan = true,
                    }
                }
                let mut lines = read_changes(&dir, &mut sent, (!rescan).then_some(names)).await;
                // A session that starts or ends mostly writes or removes its file too.
                lines.extend(check_tmux(&local, &mut sent).await);
                lines
            }
            _ = tmux_tick.tick() => {
                let mut lines = check_tmux(&local, &mut sent).await;
                lines.extend(check_shells(&local, &mut sent).await);
                lines
            }
            _ = rescan_tick.tick() => read_changes(&dir, &mut sent, None).await,
            _ = beat_tick.tick() => vec![Line::Beat(crate::text::now_unix())],
            _ = pane_tick.tick() => {
                // A correction is a write to the folder: it comes back as a file event.
                let files: Vec<StatusFile> = sent.files.values().flat_map(|(_, f)| f.iter().cloned()).collect();
                local.check_panes(&files, crate::text::now_unix()).await;
                Vec::new()
            }
        };
        if !lines.is_empty() {
            send(&mut out, &lines).await?;
        }
    }
}

/// Reads the follower's asks from stdin (lines of at most 64 bytes; others are skipped)
/// until it closes, which closes the channel returned.
fn read_asks() -> mpsc::UnboundedReceiver<Ask> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 256];
        let mut line = Vec::new();
        while let Ok(n) = stdin.read(&mut buf).await
            && n > 0
        {
            for &b in &buf[..n] {
                if b != b'\n' {
                    line.push(b);
                    continue;
                }
                if line == SHELLS.as_bytes() {
                    let _ = tx.send(Ask::Shells);
                }
                line.clear();
            }
            if line.len() > 64 {
                line.clear();
            }
        }
    });
    rx
}

async fn send(out: &mut tokio::io::BufWriter<tokio::io::Stdout>, lines: &[Line]) -> Result<()> {
    for line in lines {
        out.write_all(line.to_json().as_bytes()).await?;
    }
    out.flush().await?;
    Ok(())
}

fn watch(dir: &Path, tx: mpsc::UnboundedSender<Event>) -> notify::Result<notify::RecommendedWatcher> {
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let ev = match res {
            Ok(ev) if ev.need_rescan() => Event::Rescan,
            Ok(ev) if matches!(ev.kind, EventKind::Access(_)) => return,
            Ok(ev) => {
                Event::Names(ev.paths.iter().filter_map(|p| p.file_name()?.to_str().map(str::to_string)).collect())
            }
            Err(_) => Event::Rescan,
        };
        let _ = tx.send(ev);
    })?;
    watcher.watch(dir, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// Reads the files named (every file of the folder when `None`) and returns the lines for
/// those that changed since last sent: their text, or `Gone`.
async fn read_changes(dir: &Path, sent: &mut Sent, names: Option<Vec<String>>) -> Vec<Line> {
    let dir = dir.to_path_buf();
    let known: Vec<String> = sent.files.keys().cloned().collect();
    let read = tokio::task::spawn_blocking(move || {
        let names = match names {
            Some(n) => n,
            // The whole folder, and whatever was sent before (to find what went).
            None => std::fs::read_dir(&dir)
                .map(|d| d.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .chain(known)
                .collect(),
        };
        let mut names: Vec<String> = names.into_iter().filter(|n| super::is_status_name(n)).collect();
        names.sort();
        names.dedup();
        names.into_iter().map(|n| (read_one(&dir.join(&n), &n), n)).collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    let mut lines = Vec::new();
    for (line, name) in read {
        match line {
            None => {
                if sent.files.remove(&name).is_some() {
                    lines.push(Line::Gone(name));
                }
            }
            Some((line, files)) => {
                let hash = hash_of(&line);
                if sent.files.get(&name).map(|(h, _)| *h) != Some(hash) {
                    sent.files.insert(name, (hash, files));
                    lines.push(line);
                }
            }
        }
    }
    lines
}

/// A file's line and what it parses to; `None` when there is no file.
fn read_one(path: &Path, name: &str) -> Option<(Line, Vec<StatusFile>)> {
    let error = |e: FileError| Some((Line::File { name: name.into(), text: None, error: Some(e) }, Vec::new()));
    match read_bounded(path) {
        Ok(bytes) => {
            let files = parse_file(name, &bytes).files;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            Some((Line::File { name: name.into(), text: Some(text), error: None }, files))
        }
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(ReadError::NotRegular) => error(FileError::NotRegular),
        Err(ReadError::TooLarge) => error(FileError::TooLarge),
        Err(ReadError::Io(e)) => error(FileError::Other(e.to_string())),
    }
}

fn hash_of(line: &Line) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    line.to_json().hash(&mut h);
    h.finish()
}

/// What `script` answered here; a failure to run it is its stderr.
async fn answer(local: &LocalBackend, script: &str) -> Answer {
    match local.exec(script, None).await {
        Ok(out) => (out.status, out.stdout, out.stderr),
        Err(e) => (None, Vec::new(), e.to_string().into_bytes()),
    }
}

/// tmux's session list, as a line when it changed since last sent.
async fn check_tmux(local: &LocalBackend, sent: &mut Sent) -> Vec<Line> {
    let answer = answer(local, &local.tmux().list_sessions()).await;
    if sent.tmux.as_ref() == Some(&answer) {
        return Vec::new();
    }
    let line = Line::Tmux {
        status: answer.0,
        stdout: String::from_utf8_lossy(&answer.1).into_owned(),
        stderr: String::from_utf8_lossy(&answer.2).into_owned(),
    };
    sent.tmux = Some(answer);
    vec![line]
}

/// The host's agent shells (once asked for), as a line when tmux's answer changed since
/// last sent. The clock is not part of the comparison: the follower counts idle time on.
async fn check_shells(local: &LocalBackend, sent: &mut Sent) -> Vec<Line> {
    let Some((marker, last)) = &mut sent.shells else { return Vec::new() };
    let answer = answer(local, &agent_shells::panes_command(marker)).await;
    if last.as_ref() == Some(&answer) {
        return Vec::new();
    }
    let line = Line::Shells {
        marker: marker.clone(),
        now: crate::text::now_unix(),
        status: answer.0,
        stdout: String::from_utf8_lossy(&answer.1).into_owned(),
        stderr: String::from_utf8_lossy(&answer.2).into_owned(),
    };
    *last = Some(answer);
    vec![line]
}
