//! `navi hook`: Claude Code runs it on every hook event with the event's JSON on stdin. It
//! finds the tmux session from `$TMUX_PANE`, applies the event to the session's status
//! file under the folder lock, and writes it atomically. It never fails Claude Code: every
//! error goes to a log file in navi's state folder.

pub mod agents;
pub mod install;
pub mod mapping;
pub mod statusline;
pub mod transcript;

use crate::backend::process::output_within;
use crate::sessions::agent::Agent;
use crate::sessions::store::Store;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The largest event the hook reads (a tool's whole output can come with PostToolUse);
/// a larger one is logged and ignored, so memory stays bounded.
pub const MAX_EVENT_BYTES: u64 = 32 << 20;

/// How long the hook waits for the folder lock. Each holder keeps it for one tmux question
/// and one small write, but a burst of hooks (many sessions, a busy machine) queues up;
/// the wait stays bounded so a wedged holder cannot hang Claude Code.
const LOCK_WAIT: Duration = Duration::from_secs(20);

/// How long the hook waits for tmux to name the pane's session.
const TMUX_TIMEOUT: Duration = Duration::from_secs(2);

/// What the hook was given: the event's bytes on stdin, which agent sent them, and the
/// argument Codex's `notify` program passes instead.
pub struct Input<'a> {
    pub stdin: &'a [u8],
    pub agent: Agent,
    pub arg: Option<&'a str>,
}

/// Runs the hook; the caller exits 0 whatever happens.
pub fn run(input: &Input, tmux_pane: Option<&str>, sessions_dir: &Path, state_dir: &Path, config_file: &Path) {
    if let Err(e) = handle(input, tmux_pane, sessions_dir, state_dir, config_file) {
        log(state_dir, &format!("{e:#}"));
    }
}

fn handle(
    input: &Input,
    tmux_pane: Option<&str>,
    sessions_dir: &Path,
    state_dir: &Path,
    config_file: &Path,
) -> Result<()> {
    let Some(pane) = tmux_pane.filter(|p| !p.is_empty()) else {
        return Ok(()); // Not inside tmux: nothing to track.
    };
    let Some(mut event) = agents::event(input.agent, input.stdin, input.arg)? else {
        return Ok(()); // An event that says nothing about the session's status.
    };
    transcript::api_error_stop(&mut event);
    let store = Store::new(sessions_dir);
    let _lock = store.lock_within(LOCK_WAIT).context("locking the sessions folder")?;
    // Asked under the lock: a rename holds it over the tmux rename and the file's move, so
    // this sees the old name and file or the new ones, never the new name and no file.
    let session = session_of_pane(pane)?;
    let existing = match store.read(&session) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            set_aside_corrupt(&store, &session, state_dir)?;
            log(state_dir, &format!("{e}; set aside and started afresh"));
            None
        }
        Err(e) => return Err(e).context("reading the status file"),
    };
    let now = crate::text::now_unix();
    if let Some(file) = mapping::apply(existing.clone(), &session, &event, now) {
        store.write(&file).context("writing the status file")?;
        drop(_lock);
        // Most events are no notice whatever the settings (the defaults want every status):
        // only a possible one costs a read of config.yaml.
        let any = crate::notify::NotifyConfig::default();
        if crate::notify::notice_for(existing.as_ref(), &file, None, &any).is_some() {
            let config = crate::notify::config::load(config_file).config;
            if let Some(notice) = crate::notify::notice_for(existing.as_ref(), &file, None, &config) {
                hand_off(&notice, pane).context("starting the notice")?;
            }
        }
        transcript::follow(&store, &session, &event)?;
    }
    Ok(())
}

/// Sends a notice from a process of its own (`navi notice`), so Claude Code never waits on
/// a notification service or the user's command: the hook returns at once.
fn hand_off(notice: &crate::notify::Notice, pane: &str) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let json = serde_json::to_string(notice)?;
    Command::new(std::env::current_exe()?)
        .args(["notice", "--pane", pane, "--", &json])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()?;
    Ok(())
}

/// The tmux session that holds `pane`, asked of the tmux server in `$TMUX`. A server that
/// does not answer (stopped, wedged) gets [`TMUX_TIMEOUT`]: Claude Code waits on the hook.
pub(crate) fn session_of_pane(pane: &str) -> Result<String> {
    let mut cmd = Command::new("tmux");
    cmd.args(["-u", "display-message", "-p", "-t", pane, "#{session_name}"]);
    // The answer is one short line, far below a pipe's buffer: tmux never blocks writing it.
    let Some(done) = output_within(&mut cmd, TMUX_TIMEOUT, 64 << 10).context("running tmux")? else {
        bail!("tmux did not answer within {} s (pane {pane})", TMUX_TIMEOUT.as_secs());
    };
    let (out, err) = (String::from_utf8_lossy(&done.stdout), String::from_utf8_lossy(&done.stderr));
    if !done.status.success() {
        bail!("tmux display-message for pane {pane}: {}", err.trim());
    }
    let name = out.trim_end_matches('\n').to_string();
    if name.is_empty() {
        bail!("tmux gave no session name for pane {pane}");
    }
    Ok(name)
}

/// Keeps an unreadable status file for the user instead of overwriting it, under a name
/// no earlier set-aside file has: two in the same second both survive.
fn set_aside_corrupt(store: &Store, session: &str, state_dir: &Path) -> Result<()> {
    let from = store.path_for(session)?;
    let dir = state_dir.join("corrupt");
    std::fs::create_dir_all(&dir)?;
    let base =
        format!("{}.{}", crate::sessions::store::file_name_for(session).unwrap_or_default(), crate::text::now_unix());
    for n in 0..1000u32 {
        let to = dir.join(if n == 0 { base.clone() } else { format!("{base}.{n}") });
        // A hard link is created only where nothing is: it never replaces an earlier one.
        match std::fs::hard_link(&from, &to) {
            Ok(()) => {
                std::fs::remove_file(&from).with_context(|| format!("removing {}", from.display()))?;
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
                return copy_aside(&from, &to).with_context(|| format!("moving {} aside", from.display()));
            }
            Err(e) => return Err(e).with_context(|| format!("moving {} aside", from.display())),
        }
    }
    bail!("too many set-aside copies of {} in {}", from.display(), dir.display())
}

/// Across file systems: a copy into a new file (never an existing one), then removal.
fn copy_aside(from: &Path, to: &Path) -> std::io::Result<()> {
    let bytes = crate::sessions::read::read_bounded(from)?;
    let mut out = std::fs::OpenOptions::new().write(true).create_new(true).open(to)?;
    out.write_all(&bytes)?;
    std::fs::remove_file(from)
}

/// Appends one line to the hook log, rolling it over when it grows too big.
pub fn log(state_dir: &Path, msg: &str) {
    crate::files::append_log(&state_dir.join("hook.log"), &format!("navi hook: {msg}"));
}
