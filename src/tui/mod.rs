//! The terminal, the event loop, background pollers and suspend/resume around attach.
//! One channel carries every message; each wake-up drains the whole backlog, then draws
//! once if anything changed.

pub mod demo;
mod effects;
pub mod input;
pub mod pollers;
mod prs;
pub mod terminal;

use crate::app::keys::KeyMap;
use crate::app::model::GitKey;
use crate::app::{Effect, Model, Msg, update};
use crate::backend::{NewSession, SessionBackend};
use crate::cli::args::Filter;
use crate::cli::context::Context;
use crate::notify::follow::Follow;
use crate::summary::keeper::Keeper;
use anyhow::Result;
use effects::Runner;
use input::InputReader;
use pollers::Poller;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use terminal::Tui;
use tokio::sync::mpsc;

pub async fn run(ctx: Context, demo: bool) -> Result<()> {
    if demo {
        return demo::run(ctx).await;
    }
    ctx.warn_remotes();
    run_dashboard(&ctx, None).await
}

/// The dashboard on the context's backends, until the user quits.
/// `cwd`: the new-session form's default directory (the current one when `None`).
pub async fn run_dashboard(ctx: &Context, cwd: Option<String>) -> Result<()> {
    // Before any task starts, so a panic in one is recorded (see `terminal::panicked`).
    terminal::install_panic_hook();
    let (keys, key_warning) = KeyMap::load(&ctx.paths.config_dir.join("keys.yaml"));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let notify = crate::notify::config::load(&ctx.paths.config_dir.join("config.yaml"));
    let (term_tx, term_rx) = mpsc::unbounded_channel();
    let follow = Arc::new(Follow {
        config: notify.config,
        state_dir: ctx.paths.state_dir.clone(),
        tmux_socket: ctx.local.socket().map(Into::into),
        terminal: Some(term_tx),
        inside_tmux: std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()),
    });
    let mut backends: HashMap<Option<String>, Arc<dyn SessionBackend>> = HashMap::new();
    let mut pollers = Vec::new();
    let host_keys = pollers::HostKeys::default();
    let (pause, paused) = tokio::sync::watch::channel(false);
    // Remote listings go to the summary that `navi status` and `navi jump` read.
    let (keeper, keeper_task) = match ctx.remotes.config.remotes.is_empty() {
        true => (None, None),
        false => {
            let warn = tx.clone();
            let (k, task) = Keeper::start(ctx.paths.state_dir.clone(), move |e| {
                let _ = warn.send(Msg::Warning(e));
            });
            (Some(k), Some(task))
        }
    };
    for b in ctx.backends(Filter::All) {
        let remote = b.remote().map(str::to_string);
        let every = remote.as_ref().map(|_| pollers::REMOTE_POLL);
        let f = Some(follow.clone());
        let summary = remote.as_ref().and(keeper.clone());
        pollers.push(Poller::start(b.clone(), every, tx.clone(), host_keys.clone(), paused.clone(), f, summary));
        backends.insert(remote, b);
    }
    let shell_pollers: Vec<pollers::ShellPoller> = ctx
        .backends(Filter::All)
        .into_iter()
        .map(|b| pollers::ShellPoller::start(b, pollers::SHELLS_POLL, tx.clone(), paused.clone()))
        .collect();
    let local = pollers.iter().find(|p| p.remote.is_none());
    let local_wake = local.map(|p| p.wake.clone());
    let local_listed = local.map(|p| p.listed.clone());
    let _watcher = match &local_wake {
        Some(w) => match pollers::watch_folder(&ctx.paths.sessions_dir, w.clone()) {
            Ok(watcher) => Some(watcher),
            Err(e) => {
                let _ = tx.send(Msg::Warning(format!("not watching {}: {e}", ctx.paths.sessions_dir.display())));
                None
            }
        },
        None => None,
    };
    let tmux_check =
        local_wake.clone().zip(local_listed).map(|(w, listed)| pollers::tmux_check(ctx.local.clone(), w, listed));
    // Shown in the status line; the remotes file's problems were also printed on stderr,
    // where they are read after quitting.
    let config_warnings = notify.warnings.iter().map(|w| format!("config.yaml: {w}"));
    let remotes_warnings = ctx.remotes.warnings.iter().map(|w| format!("remotes: {w}"));
    for w in key_warning.into_iter().chain(config_warnings).chain(remotes_warnings) {
        let _ = tx.send(Msg::Warning(w));
    }
    let cwd = cwd
        .or_else(|| std::env::current_dir().ok().map(|d| d.to_string_lossy().into_owned()))
        .unwrap_or_else(|| ctx.paths.home_str());
    let remote_names = ctx.remotes.config.remotes.iter().map(|r| r.name.clone()).collect();
    let mut model = Model::new(keys, ctx.paths.home_str(), cwd, remote_names, crate::text::now_unix());
    let mut runner = Runner::new(backends, tx.clone(), ctx.paths.home.clone());
    runner.host_keys = host_keys;
    runner.state_dir = Some(ctx.paths.state_dir.clone());
    let worktrees = crate::config::worktrees::load(&ctx.paths.config_dir.join("config.yaml"));
    for w in worktrees.warnings {
        let _ = tx.send(Msg::Warning(w));
    }
    runner.worktrees = worktrees.config;
    let mut status_task = None;
    if !ctx.remotes.config.remotes.is_empty() {
        let pool = ctx.pool();
        let remotes = runner.backends.values().filter(|b| b.remote().is_some()).cloned().collect();
        status_task = Some(pollers::remote_statuses(pool.clone(), remotes, tx.clone()));
        runner.pool = Some(pool);
    }
    drop(keeper);
    let looking = Looking::new(&ctx.paths.state_dir);
    let all_pollers = Pollers { sessions: &pollers, shells: &shell_pollers };
    let result = event_loop(&mut model, &mut runner, &all_pollers, &pause, tx, &mut rx, term_rx, looking).await;
    drop(shell_pollers);
    for t in [tmux_check, status_task].into_iter().flatten() {
        t.abort();
    }
    // The pollers hold the keeper: once they are gone, it writes what it has and ends.
    drop(pollers);
    if let Some(task) = keeper_task {
        let _ = tokio::time::timeout(Duration::from_secs(3), task).await;
    }
    result
}

/// tmux's server, not its client, writes to the terminal: its last output after a detach
/// (leaving its alternate screen) can land after the client exited and after navi's first
/// frame. The screen is taken over and repainted in full again shortly after.
const REPAINTS_AFTER_ATTACH: [u64; 2] = [150, 1000];

/// The background listings a refresh wakes: sessions and agent shells, per host.
struct Pollers<'a> {
    sessions: &'a [Poller],
    shells: &'a [pollers::ShellPoller],
}

#[allow(clippy::too_many_arguments)]
async fn event_loop(
    model: &mut Model,
    runner: &mut Runner,
    pollers: &Pollers<'_>,
    pause: &tokio::sync::watch::Sender<bool>,
    tx: mpsc::UnboundedSender<Msg>,
    rx: &mut mpsc::UnboundedReceiver<Msg>,
    mut term_rx: mpsc::UnboundedReceiver<Vec<u8>>,
    mut looking: Looking,
) -> Result<()> {
    let mut tui = Tui::new()?;
    let epoch = Instant::now();
    let mut reader = InputReader::start(tx.clone(), epoch);
    let size = tui.terminal.size()?;
    update(model, Msg::Resize(size.width, size.height));
    tui.terminal.draw(|f| crate::ui::draw(f, model))?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut preview_at: Option<tokio::time::Instant> = None;
    // Full repaints due after an attach (see `REPAINTS_AFTER_ATTACH`).
    let mut repaints: Vec<tokio::time::Instant> = Vec::new();
    let mut signals = Signals::new()?;
    loop {
        let first = tokio::select! {
            m = rx.recv() => match m { Some(m) => m, None => break },
            _ = tick.tick() => Msg::Tick(crate::text::now_unix()),
            _ = sleep_until(preview_at) => { preview_at = None; Msg::PreviewDue }
            _ = sleep_until(repaints.first().copied()) => {
                repaints.remove(0);
                tui.enter()?;
                tui.terminal.draw(|f| crate::ui::draw(f, model))?;
                continue;
            }
            _ = signals.recv() => break,
            Some(bytes) = term_rx.recv() => {
                // A notice's escape sequences and bell, between two frames.
                use std::io::Write as _;
                let mut out = std::io::stdout();
                let _ = out.write_all(&bytes).and_then(|_| out.flush());
                continue;
            }
        };
        if terminal::panicked() {
            break;
        }
        let mut redraw = false;
        let mut effects = Vec::new();
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            let up = update(model, msg);
            redraw |= up.redraw;
            effects.extend(up.effects);
            next = rx.try_recv().ok();
        }
        if effects.contains(&Effect::Quit) {
            break;
        }
        runner.set_on_screen(crate::app::update::git_keys_on_screen(model));
        looking.show(model.selected_session().map(|s| (s.remote.clone(), s.name().to_string())));
        // Draw first: background work the effects start must not delay the frame.
        if redraw {
            tui.terminal.draw(|f| crate::ui::draw(f, model))?;
        }
        for effect in effects {
            match effect {
                Effect::SchedulePreview(ms) => {
                    preview_at = Some(tokio::time::Instant::now() + Duration::from_millis(ms));
                }
                Effect::Attach(_) | Effect::AttachShell(_) => {
                    reader.stop().await;
                    pause.send_replace(true);
                    // Attached, the user sees that session through tmux, not this list.
                    looking.show(None);
                    let result = attach(&mut tui, runner, &effect).await;
                    pause.send_replace(false);
                    let result = result?;
                    reader = InputReader::start(tx.clone(), epoch);
                    let size = tui.terminal.size()?;
                    update(model, Msg::Resize(size.width, size.height));
                    let up = update(model, Msg::Attached(result));
                    tui.terminal.draw(|f| crate::ui::draw(f, model))?;
                    let now = tokio::time::Instant::now();
                    repaints = REPAINTS_AFTER_ATTACH.iter().map(|ms| now + Duration::from_millis(*ms)).collect();
                    run_effects(up.effects, runner, pollers);
                }
                other => run_effects(vec![other], runner, pollers),
            }
        }
    }
    reader.stop().await;
    looking.show(None);
    tui.exit()?;
    anyhow::ensure!(!terminal::panicked(), "stopped after an internal error (the panic message is above)");
    Ok(())
}

/// The row this dashboard has selected, recorded for the notice gate: the user sees that
/// session, so it gets no notice. Written only when it changes.
struct Looking {
    gate: crate::notify::gate::Gate,
    shown: Option<Option<(Option<String>, String)>>,
}

impl Looking {
    fn new(state_dir: &std::path::Path) -> Self {
        Looking { gate: crate::notify::gate::Gate::new(state_dir), shown: None }
    }

    fn show(&mut self, row: Option<(Option<String>, String)>) {
        if self.shown.as_ref() == Some(&row) {
            return;
        }
        let selected = row.as_ref().map(|(r, n)| (r.as_deref(), n.as_str()));
        // A few bytes to a local file; a failure only means notices for the selected row.
        let _ = self.gate.set_selected(std::process::id(), selected);
        self.shown = Some(row);
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn run_effects(effects: Vec<Effect>, runner: &mut Runner, pollers: &Pollers<'_>) {
    for effect in effects {
        match effect {
            Effect::Refresh(which) => {
                let wanted = |remote: &Option<String>| which.as_ref().is_none_or(|w| w == remote);
                for p in pollers.sessions.iter().filter(|p| wanted(&p.remote)) {
                    p.wake.notify_one();
                }
                for p in pollers.shells.iter().filter(|p| wanted(&p.remote)) {
                    p.wake.notify_one();
                }
            }
            Effect::Kill(k) => runner.kill(&k),
            Effect::KillShell(k) => runner.kill_shell(&k),
            Effect::Rename(k, new) => runner.rename(&k, new),
            Effect::Dismiss(k) => runner.dismiss(&k),
            Effect::ToggleMute => runner.toggle_mute(),
            Effect::Setup(remote) => runner.setup(remote),
            Effect::Send(k, text) => runner.send(&k, text),
            Effect::ReadDialogs { keys, answer } => runner.read_dialogs(keys, answer),
            Effect::Answer { key, answer, dialog } => runner.answer(&key, answer, dialog),
            Effect::Batch(list) => run_effects(list, runner, pollers),
            Effect::Create { remote, name, dir, skip_permissions, agent } => {
                runner.create(remote, NewSession { name, dir, skip_permissions, agent, ..Default::default() })
            }
            Effect::CreateWorktree { remote, start } => runner.create_worktree(remote, start),
            Effect::Finish { key, how, force } => runner.finish(key, how, force),
            Effect::FetchPreview(k) => runner.preview(k),
            Effect::FetchGit { key, git } => runner.git(key, git, false),
            Effect::FetchGitDetail(k) => {
                let git = GitKey { remote: k.remote.clone(), cwd: String::new() };
                runner.git(k, git, true)
            }
            Effect::CheckDir(d) => runner.check_dir(d),
            Effect::AcceptHostKey(prompt) => runner.accept_host_key(prompt),
            Effect::Attach(_) | Effect::AttachShell(_) | Effect::SchedulePreview(_) | Effect::Quit => {}
        }
    }
}

/// Hands the terminal to `tmux attach-session` (or `switch-client` inside tmux) for an
/// [`Effect::Attach`] or [`Effect::AttachShell`] and takes it back after detach, fully
/// redrawn. The inner error is the attach's (a status line); the outer one means the
/// terminal could not be taken back, and the dashboard must stop.
async fn attach(tui: &mut Tui, runner: &Runner, effect: &Effect) -> Result<Result<(), String>> {
    let (key, shell) = match effect {
        Effect::Attach(key) => (key, false),
        Effect::AttachShell(key) => (key, true),
        _ => return Ok(Ok(())),
    };
    let backend = match runner.backend(&key.remote) {
        Ok(b) => b,
        Err(e) => return Ok(Err(e)),
    };
    let inside_tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    let mut cmd = match shell {
        true => backend.attach_agent_shell_command(&key.name),
        false => backend.attach_command(&key.name, inside_tmux),
    };
    tui.exit()?;
    // The terminal goes to the child; only its error output is kept, to say why it failed.
    cmd.stderr(std::process::Stdio::piped());
    let out = tokio::task::spawn_blocking(move || cmd.spawn().and_then(|c| c.wait_with_output())).await;
    if let Err(e) = tui.enter() {
        let _ = tui.exit();
        return Err(e.context("taking the terminal back after the attach"));
    }
    let out = match out {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Ok(Err(format!("cannot run the attach command: {e}"))),
        Err(e) => return Ok(Err(e.to_string())),
    };
    if out.status.success() {
        return Ok(Ok(()));
    }
    let err = crate::text::sanitize_line(String::from_utf8_lossy(&out.stderr).trim());
    Ok(Err(if err.is_empty() { format!("attach exited with {}", out.status) } else { err }))
}

/// SIGTERM, SIGHUP and SIGINT end the loop cleanly (the terminal is restored on the way).
pub struct Signals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    pub fn new() -> Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// A signal arrived and was not yet seen.
    fn pending(&mut self) -> bool {
        use futures::FutureExt as _;
        self.recv().now_or_never().is_some()
    }

    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}
