//! The host side of agent shells: `navi agent-shell …`, run by navi on the machine where
//! the shells live (this one, or a remote through the pool), so that they outlive any
//! `navi mcp` process and any connection.
//!
//! Each shell is a tmux session on the `navi-agents` server (see
//! [`crate::backend::agent_shells`]) whose pane runs `navi agent-shell keep` (see
//! [`keep`]): the shell runs on a terminal of the keeper's own, so its output is stored at
//! full speed and shown in the pane as fast as tmux takes it. Its folder
//! `<state>/agent-shells/<name>/` holds: `meta.json` (written once at creation), `seg.<n>`
//! (the shell's raw output, cut into segments of `seg` bytes so raw offset `o` is in
//! `seg.<o / seg>`; the last [`KEEP_SEGMENTS`] are kept), `cmds` (the notes `navi mcp`
//! leaves: where each command was typed, see `sessionmgr::persist`, and the ids handed out
//! to commands still queued in a process), `used` (its mtime is the idle clock) and `end`
//! (written when the output ended).
//!
//! `attach` is the bridge a `navi mcp` talks to (see [`super::frames`]): it follows the
//! segments with inotify and types through a tmux control-mode client, so typing costs no
//! process start.

use super::frames::{Decoder, Frame};
use crate::backend::agent_shells::{self, SOCKET};
use crate::backend::shell::quote;
use rustix::process::{Pid, Signal};
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

/// The folder of agent shells inside navi's state folder.
pub const DIR: &str = "agent-shells";
/// Output segments kept per session (the one being written and the ones before).
pub const KEEP_SEGMENTS: u64 = 3;
/// Exit status of `create` when the host already holds its limit of agent shells.
pub const FULL: i32 = 3;
/// Exit status when there is no agent shell of that name.
pub const NO_SUCH: i32 = 4;
const META_MAX: u64 = 64 << 10;
/// The command log is cut to its newer half past this size.
const CMDS_MAX: u64 = 64 << 10;
const TMUX_LIMIT: Duration = Duration::from_secs(10);
/// Bytes typed per control-mode line (3 bytes of text each).
const TYPE_CHUNK: usize = 2048;
/// Folders without a tmux session are kept this long (one may be in the making).
const ORPHAN_GRACE: u64 = 120;

/// What a session's folder says about it, written once by `create`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    pub name: String,
    /// The name `navi mcp` knows this host by (`local` or a remote's name).
    pub hostname: String,
    pub created: i64,
    /// Idle time after which the reaper ends it; 0: never.
    pub ttl: u64,
    /// Bytes per output segment.
    pub seg: u64,
    /// The nonce of the start-up line's ready marker.
    pub ready: String,
}

/// What `attach` says first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Header {
    pub meta: Option<Meta>,
    /// The command log, oldest first.
    pub cmds: Vec<String>,
    /// The oldest raw offset still on disk.
    pub kept: u64,
    /// The raw offset just past the newest byte.
    pub end: u64,
    pub alive: bool,
    pub idle_seconds: u64,
    /// The session's folder on its host: a local `navi mcp` reads the output there itself
    /// (see [`follow_in`]). Absent from a navi before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
}

/// One session as `list` prints it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Listed {
    pub name: String,
    pub hostname: String,
    pub created: i64,
    pub ttl: u64,
    pub idle_seconds: u64,
    pub alive: bool,
}

pub fn base(state_dir: &Path) -> PathBuf {
    state_dir.join(DIR)
}

fn seg_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("seg.{n}"))
}

fn now() -> i64 {
    crate::text::now_unix()
}

fn fail(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Runs tmux on the agent-shell server, killed past a time limit.
fn tmux(args: &[&str]) -> io::Result<std::process::Output> {
    let mut cmd = Command::new("tmux");
    cmd.args(["-u", "-L", SOCKET]).args(args).env_remove("TMUX");
    crate::backend::process::output_within(&mut cmd, TMUX_LIMIT, 1 << 20)
        .map_err(|e| fail(format!("cannot run tmux: {e}")))?
        .ok_or_else(|| fail(format!("tmux {} did not answer within {} s", args.join(" "), TMUX_LIMIT.as_secs())))
}

/// The agent shells the tmux server has (none when no server runs). A tmux that fails
/// otherwise is an error: nothing may then be taken for gone.
fn live_names() -> io::Result<Vec<String>> {
    let out = tmux(&["list-sessions", "-F", crate::backend::tmux::LIST_SESSIONS_FORMAT])?;
    let sessions =
        crate::backend::tmux::parse_list_sessions(out.status.code(), &out.stdout, &out.stderr).map_err(fail)?;
    Ok(sessions.into_iter().map(|s| s.name).filter(|n| agent_shells::is_name(n)).collect())
}

fn target(name: &str) -> String {
    format!("={name}:")
}

pub fn read_meta(dir: &Path) -> io::Result<Meta> {
    let text = crate::files::read_text(&dir.join("meta.json"), META_MAX)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no meta.json"))?;
    serde_json::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("meta.json: {e}")))
}

fn idle_seconds(dir: &Path) -> u64 {
    fs::symlink_metadata(dir.join("used"))
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .map_or(0, |d| d.as_secs())
}

fn touch(dir: &Path) {
    let path = dir.join("used");
    if let Ok(f) = File::options().write(true).create(true).truncate(false).open(&path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

/// The session's folder, refusing names that are not agent shells' (no path tricks).
fn session_dir(state_dir: &Path, name: &str) -> io::Result<PathBuf> {
    if !agent_shells::is_name(name) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{name:?} is not an agent shell's name")));
    }
    Ok(base(state_dir).join(name))
}

pub struct CreateArgs {
    pub hostname: String,
    pub ttl: u64,
    pub seg: u64,
    pub max: usize,
    pub rows: u16,
    pub cols: u16,
    pub ready: String,
    pub cwd: Option<String>,
}

/// The shell every agent shell runs (under `/bin/sh -c`): bash without start-up files if
/// there is one, else sh.
const SHELL: &str =
    "if command -v bash >/dev/null 2>&1; then exec bash --norc --noprofile --noediting -i; else exec sh -i; fi";

/// Makes a session and its folder; returns its name. The count and the creation happen
/// under a lock, so two processes at once cannot pass the limit.
pub fn create(state_dir: &Path, a: &CreateArgs) -> io::Result<Result<String, String>> {
    let base = base(state_dir);
    // Output of agents' commands may hold secrets: only the user reads these folders.
    fs::DirBuilder::new().recursive(true).mode(0o700).create(&base)?;
    let _lock = crate::sessions::lock::lock_dir(&base, Duration::from_secs(10))?;
    let live = live_names()?;
    if live.len() >= a.max {
        return Ok(Err(format!("manager full: this host has {} agent shells (at most {})", live.len(), a.max)));
    }
    let name = loop {
        let n = agent_shells::new_name();
        if !live.contains(&n) && !base.join(&n).exists() {
            break n;
        }
    };
    let dir = base.join(&name);
    fs::DirBuilder::new().mode(0o700).create(&dir)?;
    let meta = Meta {
        name: name.clone(),
        hostname: a.hostname.clone(),
        created: now(),
        ttl: a.ttl,
        seg: a.seg.max(4096),
        ready: a.ready.clone(),
    };
    crate::sessions::store::write_atomic(&dir.join("meta.json"), &serde_json::to_vec(&meta).map_err(fail)?)?;
    touch(&dir);
    let exe = std::env::current_exe()?;
    let keep = format!("exec {} agent-shell keep {}", quote(&exe.to_string_lossy()), quote(&dir.to_string_lossy()));
    let (rows, cols) = (a.rows.to_string(), a.cols.to_string());
    let t = target(&name);
    let mut args = vec!["new-session", "-d", "-s", &name, "-x", &cols, "-y", &rows];
    if let Some(cwd) = &a.cwd {
        args.extend(["-c", cwd]);
    }
    args.extend([&keep, ";", "set-option", "-t", &t, "status", "off"]);
    let out = tmux(&args)?;
    if !out.status.success() {
        let _ = fs::remove_dir_all(&dir);
        let _ = tmux(&["kill-session", "-t", &t]);
        return Err(fail(format!("tmux new-session: {}", String::from_utf8_lossy(&out.stderr).trim())));
    }
    Ok(Ok(name))
}

/// Where the output goes: segments of `seg` bytes, the oldest beyond [`KEEP_SEGMENTS`]
/// removed.
struct Segments {
    dir: PathBuf,
    seg: u64,
    n: u64,
    fill: u64,
    file: File,
}

impl Segments {
    fn open(dir: &Path, seg: u64) -> io::Result<Segments> {
        let file = File::options().create(true).append(true).open(seg_path(dir, 0))?;
        Ok(Segments { dir: dir.to_path_buf(), seg: seg.max(4096), n: 0, fill: 0, file })
    }

    fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let k = ((self.seg - self.fill) as usize).min(data.len());
            self.file.write_all(&data[..k])?;
            self.fill += k as u64;
            data = &data[k..];
            if self.fill == self.seg {
                self.n += 1;
                self.fill = 0;
                self.file = File::options().create(true).append(true).open(seg_path(&self.dir, self.n))?;
                if self.n >= KEEP_SEGMENTS {
                    let _ = fs::remove_file(seg_path(&self.dir, self.n - KEEP_SEGMENTS));
                }
            }
        }
        Ok(())
    }
}

fn mark_end(dir: &Path) {
    let _ = File::create(dir.join("end"));
}

/// The pane's program. It runs the shell on a terminal of its own and copies what the shell
/// prints into the segments, then into the pane, without waiting for tmux: tmux draws
/// slower than a shell can print, so in a flood the pane shows only what it keeps up with
/// (the segments have everything). Keys typed into the pane (by `attach`'s control
/// client, or a human attached) go to the shell as typed; the pane's size is the shell's.
pub fn keep(dir: &Path) -> io::Result<i32> {
    use signal_hook::consts::{SIGHUP, SIGTERM, SIGWINCH};
    let seg = read_meta(dir)?.seg;
    let (pty, pts) = pty_process::blocking::open().map_err(fail)?;
    let pane = io::stdin();
    let size = |pty: &pty_process::blocking::Pty| {
        if let Ok(ws) = rustix::termios::tcgetwinsize(io::stdin()) {
            let _ = pty.resize(pty_process::Size::new(ws.ws_row, ws.ws_col));
        }
    };
    // Keys typed after a resize must find the shell's terminal resized: they are looked at
    // before the keys go on (SIGWINCH alone could come later).
    let pane_size = || rustix::termios::tcgetwinsize(io::stdin()).ok().map(|w| (w.ws_row, w.ws_col));
    size(&pty);
    let mut child = pty_process::blocking::Command::new("/bin/sh")
        .args(["-c", SHELL])
        // A `tmux` the agent runs must reach the user's server, not navi's.
        .env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .spawn(pts)
        .map_err(fail)?;
    // For the bridge: whether a program or the shell itself is in front (see `foreground`).
    fs::write(dir.join("shell"), child.id().to_string())?;
    // The pane passes keys through untouched: the shell's own terminal handles them.
    if let Ok(mut t) = rustix::termios::tcgetattr(&pane) {
        t.make_raw();
        let _ = rustix::termios::tcsetattr(&pane, rustix::termios::OptionalActions::Now, &t);
    }
    let pty = std::sync::Arc::new(pty);
    let keys = pty.clone();
    let key_dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        let mut input = io::stdin().lock();
        let mut known = pane_size();
        let mut asked = asked_size(&key_dir);
        loop {
            match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let now = pane_size();
                    if now != known {
                        known = now;
                        size(&keys);
                    }
                    // tmux spaces out the resizes of a pane (a second one within 0.25 s
                    // reaches it late): the size asked for goes to the shell's terminal
                    // before the keys typed after it.
                    let want = asked_size(&key_dir);
                    if want != asked {
                        asked = want;
                        if let Some((rows, cols)) = want {
                            let _ = keys.resize(pty_process::Size::new(rows, cols));
                        }
                    }
                    if (&*keys).write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    });
    let mut signals = signal_hook::iterator::Signals::new([SIGWINCH, SIGHUP, SIGTERM])?;
    let (sized, end_dir) = (pty.clone(), dir.to_path_buf());
    std::thread::spawn(move || {
        for sig in signals.forever() {
            if sig == SIGWINCH {
                size(&sized);
            } else {
                // The pane is closing (kill-session): the shell gets its hang-up as this
                // process and its terminal go.
                mark_end(&end_dir);
                std::process::exit(0);
            }
        }
    });
    // The pane's own command and directory are this keeper's: tell tmux the shell's
    // foreground command and its directory instead (the dashboard lists them).
    let (watched, pane) = (pty.clone(), dir.file_name().map(|n| target(&n.to_string_lossy())));
    std::thread::spawn(move || {
        let Some(pane) = pane else { return };
        let mut shown: Option<(String, String)> = None;
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let Ok(group) = rustix::termios::tcgetpgrp(&*watched) else { return };
            let pid = group.as_raw_nonzero().get();
            let comm = fs::read_to_string(format!("/proc/{pid}/comm"));
            let cwd = fs::read_link(format!("/proc/{pid}/cwd"));
            let (Ok(comm), Ok(cwd)) = (comm, cwd) else { continue };
            let now = (comm.trim().to_string(), cwd.to_string_lossy().into_owned());
            if shown.as_ref() != Some(&now) {
                let _ = tmux(&[
                    "set-option",
                    "-p",
                    "-t",
                    &pane,
                    "@navi-command",
                    &now.0,
                    ";",
                    "set-option",
                    "-p",
                    "-t",
                    &pane,
                    "@navi-path",
                    &now.1,
                ]);
                shown = Some(now);
            }
        }
    });
    // A handle on the pane of its own that never blocks (stdin shares the other's flags).
    let mut view = rustix::termios::ttyname(io::stdout(), Vec::new()).ok().and_then(|name| {
        let flags = rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
        rustix::fs::open(name.as_c_str(), flags | rustix::fs::OFlags::CLOEXEC, rustix::fs::Mode::empty())
            .ok()
            .map(File::from)
    });
    let mut segs = Segments::open(dir, seg)?;
    let mut shown = super::view::PaneView::default();
    // The shell's terminal modes once it is ready: put back after every command.
    let mut modes: Option<rustix::termios::Termios> = None;
    let mut budget = super::view::Budget::new(std::time::Instant::now());
    let mut buf = vec![0u8; 64 * 1024];
    // What the pane was given and has not taken yet: it never blocks the shell's output.
    let mut backlog = std::collections::VecDeque::new();
    let mut last_read = std::time::Instant::now();
    loop {
        // Wait for output, or for the pane to take what it has not yet, or, when a flood's
        // last lines are owed, for the output to go quiet (then they go to the pane).
        let owed = budget.owed();
        if owed || (!backlog.is_empty() && view.is_some()) {
            let pty_in = rustix::event::PollFd::new(&*pty, rustix::event::PollFlags::IN);
            let mut fds = vec![pty_in];
            if let Some(v) = view.as_ref().filter(|_| !backlog.is_empty()) {
                fds.push(rustix::event::PollFd::new(v, rustix::event::PollFlags::OUT));
            }
            let left = super::view::WINDOW.saturating_sub(last_read.elapsed());
            let wait = rustix::event::Timespec { tv_sec: 0, tv_nsec: left.as_nanos() as _ };
            let polled = rustix::event::poll(&mut fds, owed.then_some(&wait));
            let readable = polled.is_ok_and(|_| !fds[0].revents().is_empty());
            drop(fds);
            if owed && last_read.elapsed() >= super::view::WINDOW {
                backlog.extend(budget.quiet());
            }
            to_pane(&mut view, &mut backlog);
            if !readable {
                continue;
            }
        }
        match (&*pty).read(&mut buf) {
            Ok(0) => break,
            Ok(mut n) => {
                // A terminal hands out a few KiB per read: the rest of a flood joins this
                // read, so it is stored and passed on in fewer, larger writes (each write
                // wakes every reader that follows the segment).
                n += more(&pty, &mut buf[n..], n);
                let pane_bytes = shown.filter(&buf[..n]);
                // Before anyone can see the command's end (and type the next one), the
                // terminal is as the shell had it when it said it was ready.
                if modes.is_none() && shown.is_ready() {
                    modes = rustix::termios::tcgetattr(&*pty).ok();
                }
                if let Some(m) = modes.as_ref().filter(|_| shown.take_end()) {
                    restore_modes(&pty, m);
                }
                segs.write(&buf[..n])?;
                last_read = std::time::Instant::now();
                if view.is_some() {
                    let room = super::view::BUDGET.saturating_sub(backlog.len());
                    backlog.extend(budget.pass(&pane_bytes, last_read, room));
                    to_pane(&mut view, &mut backlog);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // EIO: the shell, and all it started, closed the terminal.
            Err(_) => break,
        }
    }
    let status = child.wait().ok().and_then(|s| s.code()).unwrap_or(0);
    mark_end(dir);
    Ok(status)
}

/// The terminal size last asked for with `resize` (rows, columns), written by the bridge.
fn asked_size(dir: &Path) -> Option<(u16, u16)> {
    let text = crate::files::read_text(&dir.join("size"), 32).ok()??;
    let (rows, cols) = text.trim().split_once(' ')?;
    Some((rows.parse().ok()?, cols.parse().ok()?))
}

/// Puts the terminal's modes back to `want` when a command left them otherwise (`stty raw`
/// that succeeded, a program killed in raw mode): without a line discipline the next
/// command line would never be taken as one. The window size is not a mode: it stays.
fn restore_modes(pty: &pty_process::blocking::Pty, want: &rustix::termios::Termios) {
    use rustix::termios::SpecialCodeIndex as I;
    let Ok(now) = rustix::termios::tcgetattr(pty) else { return };
    let codes = [I::VINTR, I::VQUIT, I::VERASE, I::VKILL, I::VEOF, I::VMIN, I::VTIME, I::VSUSP, I::VEOL];
    let same = now.input_modes == want.input_modes
        && now.output_modes == want.output_modes
        && now.control_modes == want.control_modes
        && now.local_modes == want.local_modes
        && codes.iter().all(|&c| now.special_codes[c] == want.special_codes[c]);
    if !same {
        let _ = rustix::termios::tcsetattr(pty, rustix::termios::OptionalActions::Now, want);
    }
}

/// Gives the pane what it takes now of `backlog`, without waiting; a pane that is gone
/// is given nothing more.
fn to_pane(view: &mut Option<File>, backlog: &mut std::collections::VecDeque<u8>) {
    while !backlog.is_empty() {
        let Some(v) = view.as_mut() else { break };
        match v.write(backlog.as_slices().0) {
            Ok(n) if n > 0 => drop(backlog.drain(..n)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            _ => *view = None,
        }
    }
    if view.is_none() {
        backlog.clear();
    }
}

/// The segment numbers on disk, lowest and highest.
fn segments(dir: &Path) -> Option<(u64, u64)> {
    let nums = fs::read_dir(dir).ok()?.filter_map(|e| seg_number(&e.ok()?.path()));
    nums.fold(None, |acc, n| match acc {
        None => Some((n, n)),
        Some((lo, hi)) => Some((lo.min(n), hi.max(n))),
    })
}

fn written(dir: &Path, seg: u64) -> (u64, u64) {
    match segments(dir) {
        None => (0, 0),
        Some((lo, hi)) => {
            let last = fs::metadata(seg_path(dir, hi)).map_or(0, |m| m.len());
            (lo * seg, hi * seg + last)
        }
    }
}

fn alive(name: &str) -> bool {
    tmux(&["has-session", "-t", &target(name)]).is_ok_and(|o| o.status.success())
}

/// The host's answer to a command (`C` frame) or an id reservation (`I` frame). A
/// reservation's is never `typed` and has no `last`; a command's is `typed`, or has `last`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Ack {
    pub nonce: String,
    /// The command's id: handed out here, so ids are unique among every process.
    pub id: u64,
    /// The command was typed (now, or earlier when the same command came again).
    pub typed: bool,
    /// Not typed because another process typed a command first since the output this
    /// one was sent after: that command's note (the process waits behind it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
}

/// The command log's notes, the ids reserved (`I <id> <nonce>` lines), and the next id to
/// hand out (past every one noted or reserved).
struct Log {
    typed: Vec<super::persist::Typed>,
    reserved: Vec<(u64, String)>,
    next: u64,
}

fn read_log(dir: &Path) -> io::Result<Log> {
    let text = crate::files::read_text(&dir.join("cmds"), CMDS_MAX * 2)?.unwrap_or_default();
    let typed: Vec<_> = text.lines().filter_map(super::persist::Typed::parse).collect();
    let reserved: Vec<(u64, String)> = text
        .lines()
        .filter_map(|l| {
            let (id, nonce) = l.strip_prefix("I ")?.split_once(' ')?;
            Some((id.parse().ok()?, nonce.to_string()))
        })
        .collect();
    let next = typed.iter().map(|t| t.id).chain(reserved.iter().map(|r| r.0)).max().map_or(1, |m| m + 1);
    Ok(Log { typed, reserved, next })
}

/// A command from a process (`payload`: its note line with id 0 for "hand one out", a
/// newline, the bytes that type it). Under the session's lock, so that commands of two
/// processes never mix: it is noted and typed only when no other command was noted at or
/// past the output position it was sent after; otherwise it is refused with that other
/// command's note, and the process types it again once that command ended.
pub(super) fn enter(dir: &Path, payload: &[u8], type_in: impl FnOnce(&[u8])) -> io::Result<Ack> {
    let nl = payload.iter().position(|&b| b == b'\n').unwrap_or(payload.len());
    let line = String::from_utf8_lossy(&payload[..nl]);
    let bytes = payload.get(nl + 1..).unwrap_or_default();
    let mut t = super::persist::Typed::parse(&line)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "a command frame without a note"))?;
    let _lock = crate::sessions::lock::lock_dir(dir, Duration::from_secs(10))?;
    let log = read_log(dir)?;
    // Sent again after the link was lost: it was typed already.
    if let Some(was) = log.typed.iter().find(|p| p.nonce == t.nonce) {
        return Ok(Ack { nonce: t.nonce, id: was.id, typed: true, last: None });
    }
    let reserved = log.reserved.iter().find(|r| r.1 == t.nonce).map(|r| r.0);
    let fresh = t.id == 0;
    if fresh {
        t.id = reserved.unwrap_or(log.next);
    }
    if let Some(last) = log.typed.last().filter(|l| l.raw >= t.raw) {
        if fresh && reserved.is_none() {
            note(dir, format!("I {} {}", t.id, t.nonce).as_bytes())?;
        }
        return Ok(Ack { nonce: t.nonce, id: t.id, typed: false, last: Some(last.line()) });
    }
    note(dir, t.line().as_bytes())?;
    type_in(bytes);
    Ok(Ack { nonce: t.nonce, id: t.id, typed: true, last: None })
}

/// An id for a command a process holds in its queue (it is typed later, see [`enter`]);
/// the same one when asked again for the same command.
pub(super) fn reserve(dir: &Path, nonce: &[u8]) -> io::Result<Ack> {
    let nonce = std::str::from_utf8(nonce)
        .ok()
        .filter(|n| super::persist::is_nonce(n))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "a reservation without a nonce"))?
        .to_string();
    let _lock = crate::sessions::lock::lock_dir(dir, Duration::from_secs(10))?;
    let log = read_log(dir)?;
    let id = match log.reserved.iter().find(|r| r.1 == nonce) {
        Some(r) => r.0,
        None => {
            note(dir, format!("I {} {nonce}", log.next).as_bytes())?;
            log.next
        }
    };
    Ok(Ack { nonce, id, typed: false, last: None })
}

/// The sessions with a folder on this host.
pub fn list(state_dir: &Path) -> io::Result<Vec<Listed>> {
    let live = live_names()?;
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(base(state_dir)) else { return Ok(out) };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !agent_shells::is_name(&name) {
            continue;
        }
        let dir = e.path();
        let Ok(meta) = read_meta(&dir) else { continue };
        out.push(Listed {
            alive: live.contains(&name),
            idle_seconds: idle_seconds(&dir),
            name,
            hostname: meta.hostname,
            created: meta.created,
            ttl: meta.ttl,
        });
    }
    out.sort_by(|a, b| (a.created, &a.name).cmp(&(b.created, &b.name)));
    Ok(out)
}

/// Ends a session and removes its folder.
pub fn kill(state_dir: &Path, name: &str) -> io::Result<bool> {
    let dir = session_dir(state_dir, name)?;
    let was = alive(name);
    if was {
        let _ = tmux(&["kill-session", "-t", &target(name)]);
    }
    let had = dir.exists();
    if had {
        fs::remove_dir_all(&dir)?;
    }
    Ok(was || had)
}

/// Ends the sessions idle past their time to live, and removes the folders of sessions
/// that ended; returns the names reaped.
pub fn reap(state_dir: &Path) -> io::Result<Vec<String>> {
    let base = base(state_dir);
    if !base.exists() {
        return Ok(Vec::new());
    }
    let _lock = crate::sessions::lock::lock_dir(&base, Duration::from_secs(10))?;
    let mut gone = Vec::new();
    for s in list(state_dir)? {
        let expired = s.ttl > 0 && s.idle_seconds >= s.ttl;
        let ended = base.join(&s.name).join("end").exists();
        let orphan = !s.alive && (ended || now().saturating_sub(s.created) >= ORPHAN_GRACE as i64);
        if (s.alive && expired) || orphan {
            kill(state_dir, &s.name)?;
            gone.push(s.name);
        }
    }
    Ok(gone)
}

/// The header `attach` sends first.
pub fn header(state_dir: &Path, name: &str) -> io::Result<Header> {
    let dir = session_dir(state_dir, name)?;
    let meta = match read_meta(&dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Header::default()),
        Err(e) => return Err(e),
    };
    let cmds = crate::files::read_text(&dir.join("cmds"), CMDS_MAX * 2)?.unwrap_or_default();
    let (kept, end) = written(&dir, meta.seg);
    Ok(Header {
        cmds: cmds.lines().map(String::from).collect(),
        kept,
        end,
        alive: alive(name),
        idle_seconds: idle_seconds(&dir),
        meta: Some(meta),
        dir: Some(dir),
    })
}

pub(super) fn note(dir: &Path, line: &[u8]) -> io::Result<()> {
    let path = dir.join("cmds");
    let mut f = File::options().create(true).append(true).open(&path)?;
    // One write: a bridge following the log never reads half a line.
    f.write_all(&[line, b"\n"].concat())?;
    if f.metadata()?.len() > CMDS_MAX {
        let text = crate::files::read_text(&path, CMDS_MAX * 2)?.unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let keep = lines[lines.len() / 2..].join("\n") + "\n";
        crate::sessions::store::write_atomic(&path, keep.as_bytes())?;
    }
    Ok(())
}

/// Where a follower's frames go.
#[derive(Clone)]
enum Out {
    /// The bridge's stdout, without Rust's line buffering (frames carry binary data).
    Pipe(std::sync::Arc<std::sync::Mutex<File>>),
    /// A local `navi mcp`'s link, reading the segments in its own process.
    Link(tokio::sync::mpsc::Sender<Frame>),
}

impl Out {
    fn send(&self, frame: Frame) -> io::Result<()> {
        match self {
            Out::Pipe(pipe) => write_locked(pipe, &frame.encode()),
            Out::Link(tx) => tx.blocking_send(frame).map_err(|_| fail("the link is gone")),
        }
    }

    /// The output `bytes` at raw offset `at`; `scratch` holds a pipe's frame.
    fn data(&self, at: u64, bytes: &[u8], scratch: &mut Vec<u8>) -> io::Result<()> {
        match self {
            Out::Pipe(pipe) => {
                super::frames::encode_data(at, bytes, scratch);
                write_locked(pipe, scratch)
            }
            Out::Link(_) => self.send(Frame::Data(at, bytes.to_vec())),
        }
    }

    /// Nobody takes the frames any more (a pipe's reader shows as a failed write).
    fn gone(&self) -> bool {
        matches!(self, Out::Link(tx) if tx.is_closed())
    }
}

/// One frame whole, though threads share the pipe.
fn write_locked(pipe: &std::sync::Mutex<File>, frame: &[u8]) -> io::Result<()> {
    pipe.lock().map_err(|_| fail("stdout poisoned"))?.write_all(frame)
}

/// Follows the output of the session in `dir` (of `seg`-byte segments) from raw offset
/// `from` on a thread of its own, as a bridge would, sending its frames to `tx`: a local
/// `navi mcp` reads the output this way, without a process and a pipe between. The thread
/// ends with the output (after an `Ended` frame), when `tx`'s receiver is dropped, or on
/// an error (then `tx` just closes).
pub(super) fn follow_in(dir: PathBuf, seg: u64, from: u64, tx: tokio::sync::mpsc::Sender<Frame>) {
    std::thread::spawn(move || follow(&dir, seg, from, &Out::Link(tx)));
}

/// The bridge: the header, then output frames from the offset the first `F` asks for
/// (a local `navi mcp` sends none: it reads the output itself, see [`follow_in`]), while
/// typing what `T` frames carry. Ends with stdin (the session lives on) or, after an
/// `X` frame, when the session's output has ended.
pub fn attach(state_dir: &Path, name: &str) -> io::Result<i32> {
    let dir = session_dir(state_dir, name)?;
    let head = header(state_dir, name)?;
    let raw = std::os::fd::AsFd::as_fd(&io::stdout()).try_clone_to_owned()?;
    let out = Out::Pipe(std::sync::Arc::new(std::sync::Mutex::new(File::from(raw))));
    out.send(Frame::Meta(serde_json::to_vec(&head).map_err(fail)?))?;
    let Some(meta) = head.meta else { return Ok(NO_SUCH) };
    let mut ctl = head.alive.then(|| control(name)).transpose()?;
    let mut following = false;
    let mut decoder = Decoder::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut stdin = io::stdin().lock();
    let t = target(name);
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        decoder.feed(&buf[..n]);
        loop {
            let frame = match decoder.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return Err(fail(e)),
            };
            match frame {
                Frame::Follow(from) if !following => {
                    following = true;
                    let (dir, out, seg) = (dir.clone(), out.clone(), meta.seg);
                    std::thread::spawn(move || {
                        let _ = follow(&dir, seg, from, &out);
                        // The output ended: so does the bridge.
                        std::process::exit(0);
                    });
                }
                Frame::Type(bytes) => {
                    if let Some(c) = ctl.as_mut() {
                        type_keys(c, &t, &bytes);
                    }
                }
                Frame::Command(payload) => {
                    let ack = enter(&dir, &payload, |bytes| {
                        if let Some(c) = ctl.as_mut() {
                            type_keys(c, &t, bytes);
                        }
                    })?;
                    out.send(Frame::Ack(serde_json::to_vec(&ack).map_err(fail)?))?;
                }
                Frame::Reserve(nonce) => {
                    let ack = reserve(&dir, &nonce)?;
                    out.send(Frame::Ack(serde_json::to_vec(&ack).map_err(fail)?))?;
                }
                Frame::Resize(rows, cols) => {
                    // For the keeper, before any key typed after it (see `keep`).
                    let asked = format!("{rows} {cols}");
                    let _ = crate::sessions::store::write_atomic(&dir.join("size"), asked.as_bytes());
                    if let Some(c) = ctl.as_mut() {
                        command(c, &format!("resize-window -t {t} -x {cols} -y {rows}"));
                    }
                }
                Frame::Term | Frame::Kill => {
                    let kill = frame == Frame::Kill;
                    match foreground(&dir) {
                        // A program runs: its process group gets the signal, as a local
                        // shell's would.
                        Some(group) => {
                            let sig = if kill { Signal::KILL } else { Signal::TERM };
                            let _ = rustix::process::kill_process_group(group, sig);
                        }
                        // The shell itself (a builtin loop): Ctrl-C, then the session.
                        None if !kill => {
                            if let Some(c) = ctl.as_mut() {
                                command(c, &format!("send-keys -t {t} -H 03"));
                            }
                        }
                        None => {
                            let _ = tmux(&["kill-session", "-t", &t]);
                        }
                    }
                }
                Frame::Note(line) => note(&dir, &line)?,
                Frame::Used => touch(&dir),
                _ => {}
            }
        }
    }
    if let Some(mut c) = ctl {
        let _ = c.kill();
        let _ = c.wait();
    }
    Ok(0)
}

/// The foreground process group of the shell's terminal when it is not the shell's own
/// (a program runs); `None` when the shell itself is in front, or it cannot be told.
fn foreground(dir: &Path) -> Option<Pid> {
    let shell: i32 = fs::read_to_string(dir.join("shell")).ok()?.trim().parse().ok()?;
    // `pid (comm) state ppid pgrp session tty_nr tpgid …`; the command may hold spaces.
    let stat = fs::read_to_string(format!("/proc/{shell}/stat")).ok()?;
    let tpgid: i32 = stat.rsplit_once(')')?.1.split_whitespace().nth(5)?.parse().ok()?;
    (tpgid > 0 && tpgid != shell).then(|| Pid::from_raw(tpgid)).flatten()
}

/// A control-mode client of the session: commands written to it cost no process start.
/// It never sizes the window; its notifications go nowhere. It ends when its stdin closes
/// (this process ends, however).
fn control(name: &str) -> io::Result<Child> {
    Command::new("tmux")
        .args(["-u", "-L", SOCKET, "-C", "attach-session", "-t", &target(name), "-f", "no-output,ignore-size"])
        .env_remove("TMUX")
        .stdin(Stdio::piped())
        // Nothing it prints is needed; a pipe nobody reads any more (this process killed)
        // would keep it, and with it the server, from ever exiting.
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| fail(format!("cannot run tmux: {e}")))
}

/// Types `bytes` into the session's pane through its control client.
fn type_keys(c: &mut Child, target: &str, bytes: &[u8]) {
    for chunk in bytes.chunks(TYPE_CHUNK) {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        command(c, &format!("send-keys -t {target} -H {}", hex.join(" ")));
    }
}

fn command(c: &mut Child, line: &str) {
    if let Some(i) = c.stdin.as_mut() {
        let _ = i.write_all(line.as_bytes()).and_then(|_| i.write_all(b"\n")).and_then(|_| i.flush());
    }
}

/// How far a bridge has sent the command log (`cmds`) on.
#[derive(Default)]
struct Notes {
    /// Bytes of the log sent.
    sent: u64,
    /// The log's size when last looked at.
    size: u64,
}

impl Notes {
    /// Sends the command notes (`C …` lines) added to the log since last sent; all of them
    /// again when it was rewritten shorter (kept to its newer half).
    fn send_new(&mut self, dir: &Path, out: &Out) -> io::Result<()> {
        let path = dir.join("cmds");
        let size = match fs::metadata(&path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
            Err(e) => return Err(e),
        };
        if size == self.size && size >= self.sent {
            return Ok(());
        }
        if size < self.sent {
            self.sent = 0;
        }
        self.size = size;
        let f = File::open(&path)?;
        let mut text = vec![0u8; (size - self.sent).min(CMDS_MAX * 2) as usize];
        let got = f.read_at(&mut text, self.sent)?;
        text.truncate(got);
        // Whole lines only; a line still being written is sent next time.
        let Some(end) = text.iter().rposition(|&b| b == b'\n') else { return Ok(()) };
        for line in text[..end].split(|&b| b == b'\n') {
            if line.starts_with(b"C ") {
                out.send(Frame::Note(line.to_vec()))?;
            }
        }
        self.sent += end as u64 + 1;
        Ok(())
    }
}

/// Reads into `buf` what the terminal holds already, and while reads come full (`last`
/// bytes came in the read before: a flood), what follows within [`PATIENCE`]; how much
/// it read. Output that comes in small pieces (typing, a prompt, a short command's
/// output) is never held.
fn more(pty: &pty_process::blocking::Pty, buf: &mut [u8], mut last: usize) -> usize {
    let mut got = 0;
    while got + MORE_MIN <= buf.len() {
        let mut fds = [rustix::event::PollFd::new(pty, rustix::event::PollFlags::IN)];
        let wait = if last >= FULL_READ { PATIENCE } else { Duration::ZERO };
        let wait = rustix::event::Timespec { tv_sec: 0, tv_nsec: wait.as_nanos() as _ };
        if !rustix::event::poll(&mut fds, Some(&wait)).is_ok_and(|n| n > 0) {
            break;
        }
        match (&*pty).read(&mut buf[got..]) {
            Ok(n) if n > 0 => {
                got += n;
                last = n;
            }
            _ => break,
        }
    }
    got
}

/// [`more`] stops when less room than this is left.
const MORE_MIN: usize = 4096;
/// A read of this much is taken for part of a flood (a terminal hands out at most 4 KiB).
const FULL_READ: usize = 2048;
/// How long [`more`] waits for a flood's next piece: long enough for the terminal to pass
/// it on, short enough that no one sees it.
const PATIENCE: Duration = Duration::from_millis(1);

/// Segments opened ahead of the reader, at most this many: a reader behind a flood keeps
/// them readable after the keeper removed them, up to this many segments' worth of disk.
const AHEAD_MAX: usize = 64;

fn seg_number(path: &Path) -> Option<u64> {
    path.file_name()?.to_str()?.strip_prefix("seg.")?.parse().ok()
}

/// Sends the output from raw offset `from` as it is written, until it ends. Each segment is
/// opened as soon as it appears (on the watcher's thread), so one the keeper removes while
/// this reader is still behind stays readable; only a reader more than [`AHEAD_MAX`]
/// segments behind loses output (a `G` frame says up to where).
fn follow(dir: &Path, seg: u64, from: u64, out: &Out) -> io::Result<()> {
    use notify::Watcher;
    type Ahead = std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<u64, File>>>;
    let ahead: Ahead = Default::default();
    let open_ahead = |ahead: &Ahead, path: &Path, n: u64| {
        if let Ok(mut m) = ahead.lock()
            && m.len() < AHEAD_MAX
            && !m.contains_key(&n)
            && let Ok(f) = File::open(path)
        {
            m.insert(n, f);
        }
    };
    let (wake_tx, wake) = mpsc::sync_channel::<()>(1);
    let seen = ahead.clone();
    let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        if let Ok(ev) = ev
            && matches!(ev.kind, notify::EventKind::Create(_))
        {
            for p in &ev.paths {
                if let Some(n) = seg_number(p) {
                    open_ahead(&seen, p, n);
                }
            }
        }
        let _ = wake_tx.try_send(());
    })
    .map_err(fail)?;
    // Without inotify the loop still polls.
    let _ = watcher.watch(dir, notify::RecursiveMode::NonRecursive);
    if let Some((lo, hi)) = segments(dir) {
        for n in lo.max(from / seg)..=hi {
            open_ahead(&ahead, &seg_path(dir, n), n);
        }
    }
    // Every note first (the process keeps what is news), then any new one before the
    // output read after it was written: a command's note always comes before its output.
    let mut notes = Notes::default();
    notes.send_new(dir, out)?;
    let mut pos = from;
    let mut cur: Option<(u64, File)> = None;
    let mut buf = vec![0u8; 1 << 20];
    let mut frame = Vec::new();
    loop {
        let n = pos / seg;
        if cur.as_ref().is_none_or(|(k, _)| *k != n) {
            let early = ahead.lock().ok().and_then(|mut m| {
                m.retain(|k, _| *k >= n);
                m.remove(&n)
            });
            match early.map_or_else(|| File::open(seg_path(dir, n)), Ok) {
                Ok(f) => cur = Some((n, f)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    cur = None;
                    let first_ahead = ahead.lock().ok().and_then(|m| m.keys().next().copied());
                    match (segments(dir), first_ahead) {
                        (_, Some(lo)) | (Some((lo, _)), None) if lo > n => {
                            pos = lo * seg;
                            out.send(Frame::Gone(pos))?;
                            continue;
                        }
                        _ if dir.join("end").exists() => {
                            return out.send(Frame::Ended(b"the shell ended".to_vec()));
                        }
                        _ if out.gone() => return Ok(()),
                        _ => {
                            let _ = wake.recv_timeout(Duration::from_millis(100));
                            continue;
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let Some((_, file)) = cur.as_ref() else { continue };
        let ended = dir.join("end").exists();
        let within = pos % seg;
        let room = ((seg - within) as usize).min(buf.len());
        let got = file.read_at(&mut buf[..room], within)?;
        if got > 0 {
            notes.send_new(dir, out)?;
            out.data(pos, &buf[..got], &mut frame)?;
            pos += got as u64;
            continue;
        }
        if ended {
            return out.send(Frame::Ended(b"the shell ended".to_vec()));
        }
        // Nothing new to read: a note another process just wrote goes on at once (the
        // watcher wakes this loop for it), so this process learns of that command before
        // it types one of its own.
        notes.send_new(dir, out)?;
        if out.gone() {
            return Ok(());
        }
        let _ = wake.recv_timeout(Duration::from_millis(250));
    }
}
