//! `navi jump`: takes the user to the session that has waited longest for them (see
//! [`crate::summary::attention`]). Local candidates are the live tmux sessions with a
//! status file; remote ones come from the summary, so choosing opens no connection (the
//! attach itself does). Inside tmux the user's client switches to a local session, and a
//! remote one opens in a new window running the same attach command the dashboard uses;
//! outside tmux the terminal attaches.

use super::context::Context;
use crate::backend::process::run_sh;
use crate::backend::{SessionBackend, shell};
use crate::summary::attention::{self, Candidate};
use crate::text::sanitize_line;
use anyhow::{Context as _, Result, bail};
use std::process::ExitCode;
use std::time::Duration;

/// The tmux commands that switch or open a window answer at once.
const TMUX_TIMEOUT: Duration = Duration::from_secs(10);
/// What they may print.
const TMUX_OUTPUT_MAX: usize = 64 << 10;

pub const NOTHING_WAITS: &str = "nothing is waiting for you";

/// `--remote R`: only R's sessions; `local`: only this machine's.
pub async fn jump(ctx: &Context, only: Option<&str>) -> Result<ExitCode> {
    let remotes: Vec<String> = match only {
        None => ctx.remotes.config.remotes.iter().map(|r| r.name.clone()).collect(),
        Some("local") => Vec::new(),
        Some(r) if ctx.remotes.config.get(r).is_some() => vec![r.to_string()],
        Some(r) => {
            ctx.warn_remotes();
            bail!("no remote named {:?} in {}", sanitize_line(r), ctx.paths.remotes_file.display());
        }
    };
    let mut candidates: Vec<Candidate> = Vec::new();
    if only.is_none_or(|r| r == "local") {
        let listing = ctx.local.list().await.context("listing local sessions")?;
        candidates.extend(listing.sessions.iter().map(|s| Candidate::of_file(None, &s.file)));
    }
    if !remotes.is_empty() {
        match crate::summary::read(&ctx.paths.state_dir) {
            Ok(Some(summary)) => candidates.extend(super::status::remote_candidates(&summary, &remotes)),
            Ok(None) => {}
            Err(e) => eprintln!("navi: {}", sanitize_line(&e.to_string())),
        }
    }
    let Some(target) = attention::pick(&candidates) else {
        eprintln!("navi: {NOTHING_WAITS}");
        return Ok(ExitCode::from(1));
    };
    go(ctx, target).await
}

async fn go(ctx: &Context, target: &Candidate) -> Result<ExitCode> {
    let inside_tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    let backend = ctx.backend(target.remote.as_deref())?;
    if !inside_tmux {
        let cmd = backend.attach_command(&target.session, false);
        return attach_here(cmd).await;
    }
    // The user's client can switch to a session of its own server; a session elsewhere (a
    // remote, a private local server) is attached from a new window of the user's tmux.
    let switch = target.remote.is_none() && ctx.local.serves_this_client();
    // The client switches, also when navi's socket is the client's own server's.
    let line = match switch {
        true => ctx.local.tmux().attach(&target.session, true),
        false => shell::command_line(&backend.attach_command(&target.session, false)),
    };
    let script = if switch { line } else { new_window(target, &line) };
    let out = run_sh(&script, None, TMUX_TIMEOUT, TMUX_OUTPUT_MAX).await?;
    if !out.success() {
        bail!("{}", out.error_text());
    }
    Ok(ExitCode::SUCCESS)
}

/// `tmux new-window` running `line` in the user's tmux, named after the session; when the
/// attach fails, the window stays until Enter so its error can be read.
fn new_window(target: &Candidate, line: &str) -> String {
    let mut name = crate::text::truncate(&sanitize_line(&target.session), 24);
    if let Some(r) = &target.remote {
        name = format!("{name}@{}", crate::text::truncate(&sanitize_line(r), 24));
    }
    let run = format!(
        "{line} || {{ printf '\\nnavi: the attach failed (above); press Enter to close this window\\n'; read _; }}"
    );
    // tmux expands formats in a window name: `#` is doubled so a name shows as it is.
    format!("tmux new-window -n {} {}", shell::quote(&name.replace('#', "##")), shell::quote(&run))
}

/// Hands this terminal to the attach command until it ends.
async fn attach_here(mut cmd: std::process::Command) -> Result<ExitCode> {
    let status = tokio::task::spawn_blocking(move || cmd.status())
        .await
        .context("running the attach")?
        .context("cannot run the attach command")?;
    if status.success() { Ok(ExitCode::SUCCESS) } else { bail!("the attach exited with {status}") }
}
