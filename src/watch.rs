//! `navi watch`: the dashboard's followers without a terminal. It lists local and every
//! remote's sessions through the same pollers (the folder watched, tmux checked, remotes
//! polled over the pool), sends the notices of their transitions and keeps the summary
//! that `navi status` reads, until it is stopped (SIGTERM, SIGINT, SIGHUP).
//!
//! One per user: it holds the lock of `<state>/watch/` for its whole life (the kernel
//! drops it when the process ends, however it ends) and records its pid beside it, so a
//! second one refuses to start and names the first.

use crate::app::Msg;
use crate::cli::args::Filter;
use crate::cli::context::Context;
use crate::notify::follow::Follow;
use crate::sessions::lock::{FolderLock, lock_dir};
use crate::summary::keeper::Keeper;
use crate::tui::pollers::{self, Poller};
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Held for the life of the one `navi watch`.
pub struct Instance {
    _lock: FolderLock,
    pid_file: PathBuf,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.pid_file);
    }
}

impl Instance {
    /// Becomes the one `navi watch` of this user, or says which one already is.
    pub fn claim(state_dir: &Path) -> Result<Instance> {
        let dir = state_dir.join("watch");
        let pid_file = dir.join("pid");
        match lock_dir(&dir, Duration::ZERO) {
            Ok(lock) => {
                let line = format!("{} {}\n", std::process::id(), crate::text::now_unix());
                crate::sessions::store::write_atomic(&pid_file, line.as_bytes())?;
                Ok(Instance { _lock: lock, pid_file })
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                let running = crate::files::read_text(&pid_file, 64).ok().flatten().unwrap_or_default();
                let mut parts = running.split_whitespace();
                match (parts.next(), parts.next().and_then(|t| t.parse::<i64>().ok())) {
                    (Some(pid), Some(since)) => bail!(
                        "navi watch is already running (pid {pid}, for {}); stop it first",
                        crate::text::duration(crate::text::now_unix().saturating_sub(since))
                    ),
                    _ => bail!("navi watch is already running (its lock in {} is held)", dir.display()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Runs until a signal stops it.
pub async fn run(ctx: &Context) -> Result<()> {
    let _instance = Instance::claim(&ctx.paths.state_dir)?;
    let notify = crate::notify::config::load(&ctx.paths.config_dir.join("config.yaml"));
    for w in &notify.warnings {
        eprintln!("navi watch: config.yaml: {w}");
    }
    for w in &ctx.remotes.warnings {
        eprintln!("navi watch: remotes: {w}");
    }
    let follow = Arc::new(Follow {
        config: notify.config,
        state_dir: ctx.paths.state_dir.clone(),
        tmux_socket: ctx.local.socket().map(Into::into),
        terminal: None,
        inside_tmux: false,
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    // Remote listings go to the summary that `navi status` and `navi jump` read.
    let (keeper, keeper_task) = match ctx.remotes.config.remotes.is_empty() {
        true => (None, None),
        false => {
            let (k, task) = Keeper::start(ctx.paths.state_dir.clone(), |e| eprintln!("navi watch: summary: {e}"));
            (Some(k), Some(task))
        }
    };
    // Never paused: nobody attaches through `navi watch`.
    let (_pause, paused) = tokio::sync::watch::channel(false);
    let host_keys = pollers::HostKeys::default();
    let mut list = Vec::new();
    for b in ctx.backends(Filter::All) {
        let every = b.remote().map(|_| pollers::REMOTE_POLL);
        let summary = b.remote().and(keeper.clone());
        list.push(Poller::start(
            b,
            every,
            tx.clone(),
            host_keys.clone(),
            paused.clone(),
            Some(follow.clone()),
            summary,
        ));
    }
    let local = list.iter().find(|p| p.remote.is_none());
    let _watcher = match local {
        Some(p) => match pollers::watch_folder(&ctx.paths.sessions_dir, p.wake.clone()) {
            Ok(w) => Some(w),
            Err(e) => {
                eprintln!(
                    "navi watch: not watching {} ({e}); it is read every few seconds",
                    ctx.paths.sessions_dir.display()
                );
                None
            }
        },
        None => None,
    };
    let mut tasks = Vec::new();
    if let Some(p) = local {
        tasks.push(pollers::tmux_check(ctx.local.clone(), p.wake.clone(), p.listed.clone()));
    }
    if !ctx.remotes.config.remotes.is_empty() {
        tasks.push(pollers::remote_statuses(ctx.pool(), Vec::new(), tx.clone()));
    }
    drop(keeper);
    let names: Vec<String> = ctx.remotes.config.remotes.iter().map(|r| r.name.clone()).collect();
    eprintln!(
        "navi watch: following this machine{}; notices log: {}",
        if names.is_empty() { String::new() } else { format!(" and {}", names.join(", ")) },
        ctx.paths.state_dir.join("notices/notices.log").display()
    );
    let mut problems = Problems::default();
    let mut signals = crate::tui::Signals::new()?;
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(msg) => problems.note(msg),
                None => break,
            },
            _ = signals.recv() => break,
        }
    }
    for t in tasks {
        t.abort();
    }
    // The pollers hold the keeper: once they are gone, it writes what it has and ends.
    drop(list);
    if let Some(task) = keeper_task {
        let _ = tokio::time::timeout(Duration::from_secs(3), task).await;
    }
    eprintln!("navi watch: stopped");
    Ok(())
}

/// What `navi watch` says on stderr: a place's listing failing or coming back, once per
/// change, and unknown host keys (which only the dashboard or `navi remotes` can trust).
#[derive(Default)]
struct Problems {
    failing: std::collections::HashMap<Option<String>, String>,
    listed: std::collections::HashSet<Option<String>>,
}

impl Problems {
    fn note(&mut self, msg: Msg) {
        match msg {
            Msg::Listing { remote, result } => {
                let place = crate::text::sanitize_line(remote.as_deref().unwrap_or("this machine"));
                match result {
                    Ok((sessions, _)) => {
                        if self.failing.remove(&remote).is_some() {
                            eprintln!("navi watch: {place} is listed again");
                        }
                        if self.listed.insert(remote.clone()) {
                            let n = sessions.len();
                            eprintln!("navi watch: {place}: {n} session{}", if n == 1 { "" } else { "s" });
                        }
                    }
                    Err(e) => {
                        let e = crate::text::sanitize_line(&e);
                        if self.failing.get(&remote) != Some(&e) {
                            eprintln!("navi watch: {e}");
                            self.failing.insert(remote, e);
                        }
                    }
                }
            }
            Msg::UnknownHostKey(p) => {
                eprintln!(
                    "navi watch: {} offers a host key navi does not know ({} {}); run `navi` or `navi remotes` to check and trust it",
                    crate::text::sanitize_line(&p.remote),
                    crate::text::sanitize_line(&p.algorithm),
                    crate::text::sanitize_line(&p.fingerprint)
                );
            }
            _ => {}
        }
    }
}
