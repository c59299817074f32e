//! One function per subcommand.

use super::args::{Cli, Command, Filter, Global};
use super::context::Context;
use crate::backend::agent_shells::{self, AgentShell};
use crate::backend::pane::Answer;
use crate::backend::{GitInfo, NewSession, Session, git, send};
use crate::sessions::agent::Agent;
use crate::sessions::model::default_order;
use crate::text::{age, now_unix, sanitize_line, shorten_home, truncate};
use anyhow::{Context as _, Result};
use clap::CommandFactory;
use std::io::Read;
use std::process::ExitCode;

pub async fn dispatch(cli: Cli) -> Result<ExitCode> {
    let global = cli.global;
    let Some(command) = cli.command else {
        let ctx = Context::new(&global)?;
        return crate::tui::run(ctx, cli.demo).await.map(|_| ExitCode::SUCCESS);
    };
    if let Command::Completions { shell } = command {
        clap_complete::generate(shell, &mut Cli::command(), "navi", &mut std::io::stdout());
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::AgentShell(a) = command {
        return agent_shell(a);
    }
    let ctx = Context::new(&global)?;
    match command {
        Command::List { json, filter, agent } => return list(&ctx, json, filter, agent.map(Into::into)).await,
        Command::Preview { name, lines, on } => {
            let text = ctx.backend(on.remote.as_deref())?.preview(&name, lines).await?;
            println!("{text}");
        }
        Command::Git { name, json, diff, on } => {
            let info = ctx.backend(on.remote.as_deref())?.git(&name, diff).await?;
            print_git(&info, json)?;
        }
        Command::Kill { name, on } => {
            let backend = ctx.backend(on.remote.as_deref())?;
            let worktree = backend.read_status(&name).await.ok().flatten().and_then(|f| f.worktree());
            backend.kill(&name).await?;
            println!("killed {}", sanitize_line(&name));
            if let Some(w) = worktree {
                println!("its worktree {} stays (navi finish removes it)", sanitize_line(&w.path));
            }
        }
        Command::Rename { old, new, on } => {
            ctx.backend(on.remote.as_deref())?.rename(&old, &new).await?;
            println!("renamed {} to {}", sanitize_line(&old), sanitize_line(&new));
        }
        Command::Dismiss { name, on } => {
            ctx.backend(on.remote.as_deref())?.dismiss(&name).await?;
            println!("dismissed {}", sanitize_line(&name));
        }
        Command::New { name, dir, skip_permissions, worktree, agent, on } => {
            let dir = match dir {
                Some(d) => d,
                None if on.remote.is_some() => "~".into(),
                None => std::env::current_dir()?.to_string_lossy().into_owned(),
            };
            let backend = ctx.backend(on.remote.as_deref())?;
            if worktree.worktree {
                return super::worktree::new(&ctx, &*backend, name, dir, skip_permissions, agent.into(), worktree)
                    .await;
            }
            let s = backend
                .create(&NewSession { name, dir, skip_permissions, agent: agent.into(), ..Default::default() })
                .await?;
            println!("created {} in {}", sanitize_line(s.name()), sanitize_line(s.file.cwd.as_deref().unwrap_or("")));
        }
        Command::Finish { name, merge, pr, force, on } => {
            return super::worktree::finish(&*ctx.backend(on.remote.as_deref())?, &name, merge, pr, force).await;
        }
        Command::Worktrees { json, on } => {
            return super::worktree::list(&*ctx.backend(on.remote.as_deref())?, json).await;
        }
        Command::Send { name, text, on } => {
            let text = if text == "-" { read_text(std::io::stdin().lock())? } else { text };
            ctx.backend(on.remote.as_deref())?.send(&name, &text).await?;
        }
        Command::Approve { name, always, on } => {
            let how = if always { Answer::ApproveAlways } else { Answer::Approve };
            return answer(&ctx, &name, how, on.remote.as_deref()).await;
        }
        Command::Deny { name, on } => return answer(&ctx, &name, Answer::Deny, on.remote.as_deref()).await,
        Command::InstallHooks { agent, settings, uninstall } => {
            super::install::run(&ctx, &global, agent, settings, uninstall)?
        }
        Command::Status { format } => super::status::run(&ctx, format),
        Command::Jump { remote } => return super::jump::jump(&ctx, remote.as_deref()).await,
        Command::Remotes { json, action: None } => return crate::ssh::cli::remotes(&ctx, json).await,
        Command::Remotes { action: Some(action), .. } => return crate::ssh::cli::remotes_add(&ctx, action).await,
        Command::Setup { remote, check, force } => return setup(&ctx, &remote, check, force).await,
        Command::Mute { duration } => mute(&ctx, duration.as_deref())?,
        Command::Watch { stream: false } => crate::watch::run(&ctx).await?,
        Command::Watch { stream: true } => {
            crate::push::serve::serve(ctx.paths.sessions_dir.clone(), ctx.local.clone()).await?
        }
        Command::Notice { pane, notice } => send_notice(&ctx, pane.as_deref(), &notice).await,
        Command::Mcp => return crate::mcp::serve(ctx).await.map(|_| ExitCode::SUCCESS),
        Command::Hook { .. } | Command::Statusline { .. } | Command::Completions { .. } | Command::AgentShell(_) => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// `navi approve` / `navi deny`: what was answered on stdout; exit 1 (the error on stderr)
/// when nothing could be answered.
async fn answer(ctx: &Context, name: &str, how: Answer, remote: Option<&str>) -> Result<ExitCode> {
    let backend = ctx.backend(remote)?;
    let done = crate::backend::answer::answer(&*backend, name, how, None).await?;
    let d = &done.dialog;
    let what = match d.body.first() {
        Some(first) => format!("{}: {first}", d.title),
        None => d.title.clone(),
    };
    println!(
        "{} {}: pressed {}. {} ({})",
        how.done(),
        sanitize_line(name),
        done.choice.number,
        sanitize_line(&done.choice.label),
        truncate(&sanitize_line(&what), 120)
    );
    Ok(ExitCode::SUCCESS)
}

/// `navi notice`, started by the hook: sends one notice unless a tmux client shows the
/// session right now. Never prints: problems go to the notices log.
async fn send_notice(ctx: &Context, pane: Option<&str>, json: &str) {
    let gate = crate::notify::gate::Gate::new(&ctx.paths.state_dir);
    let notice: crate::notify::Notice = match serde_json::from_str(json) {
        Ok(n) => n,
        Err(e) => return gate.log(&format!("navi notice: {e}")),
    };
    let attached = match pane {
        Some(pane) => crate::notify::watched(pane).await,
        None => false,
    };
    let loaded = crate::notify::config::load(&ctx.paths.config_dir.join("config.yaml"));
    for w in &loaded.warnings {
        gate.log(w);
    }
    crate::notify::dispatch(&notice, &loaded.config, &ctx.paths.state_dir, Default::default(), attached).await;
}

/// `navi mute [DURATION|off]`.
fn mute(ctx: &Context, duration: Option<&str>) -> Result<()> {
    let gate = crate::notify::gate::Gate::new(&ctx.paths.state_dir);
    let now = now_unix();
    match duration {
        None => match gate.muted_until(now) {
            Some(until) => println!("notices are muted for {}", crate::text::duration(until - now)),
            None => println!("notices are on"),
        },
        Some("off") => {
            gate.set_mute(None).context("unmuting")?;
            println!("notices are on");
        }
        Some(text) => {
            let secs = crate::notify::parse_duration(text).ok_or_else(|| {
                anyhow::anyhow!("{:?} is not a duration such as 1h, 30m, 90s or 2d (or off)", sanitize_line(text))
            })?;
            gate.set_mute(Some(now.saturating_add(secs))).context("muting")?;
            println!("notices are muted for {}", crate::text::duration(secs));
        }
    }
    Ok(())
}

/// `navi hook`: never fails, never prints.
pub fn hook(global: &Global, agent: super::args::AgentArg, payload: Option<&str>) {
    let Ok(paths) = crate::config::Paths::resolve(global.sessions_dir.clone(), None) else {
        return;
    };
    let mut input = Vec::new();
    let limit = crate::hook::MAX_EVENT_BYTES;
    // Codex's `notify` passes the event as an argument; its stdin need not ever close.
    let stdin = if payload.is_some() { None } else { Some(std::io::stdin()) };
    if let Some(Err(e)) = stdin.map(|s| s.take(limit + 1).read_to_end(&mut input)) {
        crate::hook::log(&paths.state_dir, &format!("reading stdin: {e}"));
        return;
    }
    if input.len() as u64 > limit {
        crate::hook::log(&paths.state_dir, &format!("an event larger than {} MiB was ignored", limit >> 20));
        return;
    }
    let pane = std::env::var("TMUX_PANE").ok();
    let input = crate::hook::Input { stdin: &input, agent: agent.into(), arg: payload };
    crate::hook::run(
        &input,
        pane.as_deref(),
        &paths.sessions_dir,
        &paths.state_dir,
        &paths.config_dir.join("config.yaml"),
    );
    // Gemini CLI parses a hook's stdout as JSON: an empty object asks for nothing.
    if agent == super::args::AgentArg::Gemini {
        println!("{{}}");
    }
}

/// `navi statusline`: reads Claude Code's status-line JSON, records it, prints the line.
pub fn statusline(global: &Global, then: Option<&str>) {
    use std::io::Write;
    let Ok(paths) = crate::config::Paths::resolve(global.sessions_dir.clone(), None) else {
        return;
    };
    let mut input = Vec::new();
    let limit = crate::hook::statusline::MAX_INPUT;
    if let Err(e) = std::io::stdin().take(limit + 1).read_to_end(&mut input) {
        crate::hook::log(&paths.state_dir, &format!("statusline: reading stdin: {e}"));
        return;
    }
    if input.len() as u64 > limit {
        crate::hook::log(&paths.state_dir, "statusline: an input larger than 1 MiB was ignored");
        return;
    }
    let pane = std::env::var("TMUX_PANE").ok();
    let line = crate::hook::statusline::run(&input, then, pane.as_deref(), &paths.sessions_dir, &paths.state_dir);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
}

/// The text of `navi send NAME -`: UTF-8, at most [`send::MAX_TEXT`] bytes, without the
/// one newline that ends what `echo` or a file gives.
fn read_text(input: impl Read) -> Result<String> {
    let mut bytes = Vec::new();
    input.take(send::MAX_TEXT as u64 + 1).read_to_end(&mut bytes).context("reading the text from stdin")?;
    if bytes.len() > send::MAX_TEXT {
        anyhow::bail!("the text on stdin is longer than {} bytes", send::MAX_TEXT);
    }
    let mut text = String::from_utf8(bytes).context("the text on stdin is not UTF-8")?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

/// Polls every selected host once, in parallel.
pub async fn poll_all(ctx: &Context, filter: Filter) -> (Vec<Session>, Vec<String>, Vec<String>) {
    let backends = ctx.backends(filter);
    let mut sessions = Vec::new();
    let mut problems = Vec::new();
    let mut down = Vec::new();
    let mut tasks = Vec::new();
    for b in backends {
        tasks.push(async move {
            let label = b.remote().unwrap_or("local").to_string();
            (label, b.list_checked().await)
        });
    }
    for (label, result) in futures::future::join_all(tasks).await {
        match result {
            Ok(listing) => {
                sessions.extend(listing.sessions);
                problems.extend(listing.warnings.into_iter().map(|w| format!("{label}: {w}")));
            }
            Err(e) if label == "local" => problems.push(format!("local: {e}")),
            Err(e) => {
                problems.push(format!("{label} unreachable: {e}"));
                down.push(label);
            }
        }
    }
    sessions.sort_by(|a, b| default_order(&a.file, &b.file));
    (sessions, problems, down)
}

/// The agent shells of every selected host, in parallel, one exec each; a host that does
/// not answer holds up no other and is named in the problems (`host: agent shells: why`).
pub async fn poll_shells(ctx: &Context, filter: Filter) -> (Vec<AgentShell>, Vec<String>) {
    let tasks = ctx.backends(filter).into_iter().map(|b| async move {
        let label = b.remote().unwrap_or("local").to_string();
        (label, agent_shells::list(&*b).await)
    });
    let mut shells = Vec::new();
    let mut problems = Vec::new();
    for (label, result) in futures::future::join_all(tasks).await {
        match result {
            Ok(found) => shells.extend(found),
            Err(e) => problems.push(format!("{label}: agent shells: {e}")),
        }
    }
    (shells, problems)
}

/// The sessions of the remotes in `down` as last seen, from the summary the dashboard and
/// `navi watch` keep, with when they were listed.
fn last_seen(ctx: &Context, down: &[String]) -> Vec<(Session, Option<i64>)> {
    let Ok(Some(summary)) = crate::summary::read(&ctx.paths.state_dir) else { return Vec::new() };
    let mut rows = Vec::new();
    for name in down {
        let Some(entry) = summary.remotes.get(name) else { continue };
        for row in &entry.sessions {
            let mut file = crate::sessions::StatusFile::new(&row.name, row.status.clone());
            file.timestamp = row.since;
            file.message = row.message.clone();
            rows.push((Session { file, remote: Some(name.clone()) }, entry.listed_at));
        }
    }
    rows
}

async fn list(ctx: &Context, json: bool, filter: Filter, agent: Option<Agent>) -> Result<ExitCode> {
    ctx.warn_remotes();
    // Sessions and agent shells at once: each host answers both in parallel.
    let ((mut sessions, mut problems, down), (mut shells, shell_problems)) =
        tokio::join!(poll_all(ctx, filter), poll_shells(ctx, filter));
    if let Some(want) = agent {
        sessions.retain(|s| crate::sessions::agent::agent(&s.file) == want);
        // An agent shell runs no agent of its own.
        shells.clear();
    }
    // A remote that could not be listed is named once, by its sessions' listing.
    let unreported = |p: &String| !down.iter().any(|d| p.starts_with(&format!("{d}: agent shells: ")));
    problems.extend(shell_problems.into_iter().filter(unreported));
    for p in &problems {
        eprintln!("navi: {}", sanitize_line(p));
    }
    let stale = last_seen(ctx, &down);
    if json {
        // Machine-readable, yet often printed as is: cleaned like every other output.
        let mut rows = serde_json::to_value(&sessions)?;
        if let serde_json::Value::Array(list) = &mut rows {
            // Named on every row, though the file leaves it out for Claude Code.
            for (row, s) in list.iter_mut().zip(&sessions) {
                row["agent"] = crate::sessions::agent::agent_name(&s.file).into();
            }
            for (s, as_of) in &stale {
                let mut row = serde_json::to_value(s)?;
                row["reachable"] = false.into();
                row["as_of"] = (*as_of).into();
                list.push(row);
            }
            for row in list.iter_mut() {
                row["kind"] = KIND_AGENT.into();
            }
            for shell in &shells {
                let mut row = serde_json::json!({"kind": KIND_AGENT_SHELL});
                if let (Some(row), serde_json::Value::Object(fields)) =
                    (row.as_object_mut(), serde_json::to_value(shell)?)
                {
                    row.extend(fields);
                }
                list.push(row);
            }
        }
        crate::text::sanitize_json(&mut rows);
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    let now = now_unix();
    if sessions.is_empty() && problems.is_empty() {
        println!("No sessions. Run `navi install-hooks`, then start claude inside tmux (or `navi new NAME`).");
        print!("{}", render_shells(&shells, &ctx.paths.home_str()));
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", render_rows(&sessions, now, &ctx.paths.home_str()));
    for name in &down {
        let (rows, as_of): (Vec<Session>, Vec<Option<i64>>) =
            stale.iter().filter(|(s, _)| s.remote.as_ref() == Some(name)).cloned().unzip();
        // One listing per remote: every row has the same time.
        let Some(as_of) = as_of.first().copied() else { continue };
        let when = as_of.map(|t| age(now, t)).unwrap_or_else(|| "at an unknown time".into());
        println!("{} is unreachable; its sessions as last seen {when}:", sanitize_line(name));
        print!("{}", render_rows(&rows, now, &ctx.paths.home_str()));
    }
    print!("{}", render_shells(&shells, &ctx.paths.home_str()));
    Ok(ExitCode::SUCCESS)
}

/// `"kind"` of a `navi list --json` row: an agent's session, or an agent shell.
const KIND_AGENT: &str = "agent";
const KIND_AGENT_SHELL: &str = "agent-shell";

/// The "agent shells" section after the sessions (nothing when there are none): name and
/// host, running command, idle time, directory; aligned, every field already clean.
fn render_shells(shells: &[AgentShell], home: &str) -> String {
    use unicode_width::UnicodeWidthStr;
    if shells.is_empty() {
        return String::new();
    }
    let rows: Vec<[String; 4]> = shells
        .iter()
        .map(|s| {
            let mut name = sanitize_line(&s.name);
            if let Some(r) = &s.remote {
                name = format!("{name} [{}]", sanitize_line(r));
            }
            let mut state = format!("idle {}", crate::text::duration(s.idle_seconds));
            if s.attached {
                state.push_str(", attached");
            }
            if s.dead {
                state.push_str(", ended");
            }
            [name, sanitize_line(&s.command), state, shorten_home(&sanitize_line(&s.cwd), home)]
        })
        .collect();
    let width = |i: usize| rows.iter().map(|r| r[i].width()).max().unwrap_or(0);
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.width())));
    let mut out = String::from("\nagent shells:\n");
    for r in &rows {
        let line = format!("   {}  {}  {}  {}", pad(&r[0], w0), pad(&r[1], w1), pad(&r[2], w2), r[3]);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The human listing: aligned columns, every field sanitized.
fn render_rows(sessions: &[Session], now: i64, home: &str) -> String {
    use unicode_width::UnicodeWidthStr;
    let rows: Vec<[String; 5]> = sessions
        .iter()
        .map(|s| {
            let f = &s.file;
            let mut name = truncate(&sanitize_line(&f.tmux_session), 30);
            // The agent when it is not Claude Code, as on the dashboard's row.
            let agent = crate::sessions::agent::agent_name(f);
            if agent != "claude" {
                name = format!("{name} {}", sanitize_line(&agent));
            }
            if let Some(r) = &s.remote {
                name = format!("{name} [{}]", sanitize_line(r));
            }
            [
                name,
                sanitize_line(f.status.as_str()),
                f.timestamp.map(|t| age(now, t)).unwrap_or_default(),
                f.cwd.as_deref().map(|c| shorten_home(&sanitize_line(c), home)).unwrap_or_default(),
                f.message.as_deref().map(|m| truncate(&sanitize_line(m), 80)).unwrap_or_default(),
            ]
        })
        .collect();
    let width = |i: usize| rows.iter().map(|r| r[i].width()).max().unwrap_or(0);
    let (w0, w1, w2, w3) = (width(0), width(1), width(2), width(3));
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.width())));
    let mut out = String::new();
    for (s, r) in sessions.iter().zip(&rows) {
        let icon = s.file.status.icon();
        // Emoji icons are two columns wide; some (⏸, ○) only one.
        let icon = pad(icon, 2);
        let line =
            format!("{icon} {}  {}  {:>w2$}  {}  {}", pad(&r[0], w0), pad(&r[1], w1), r[2], pad(&r[3], w3), r[4]);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn print_git(info: &GitInfo, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(info)?);
        return Ok(());
    }
    println!("branch:      {}", sanitize_line(&git::summary(info)));
    if let Some(u) = &info.remote_url {
        println!("remote:      {}", sanitize_line(u));
    }
    if let Some(c) = &info.last_commit {
        println!("last commit: {}", sanitize_line(c));
    }
    if let (Some(a), Some(b)) = (info.ahead, info.behind) {
        println!("ahead/behind: {a}/{b}");
    }
    if let Some(base) = &info.base {
        let (a, b) = (info.base_ahead.unwrap_or(0), info.base_behind.unwrap_or(0));
        println!("base:        {} ({a} ahead, {b} behind)", sanitize_line(base));
        for c in &info.commits {
            println!("  {}", sanitize_line(c));
        }
    }
    if let Some(pr) = &info.pr {
        println!("pull request: #{} {} {}", pr.number, sanitize_line(&pr.state), sanitize_line(&pr.url));
    }
    if let Some(d) = &info.diff {
        println!("\n{}", crate::text::sanitize(d));
    }
    Ok(())
}

/// `navi setup`: see `crate::setup`.
async fn setup(ctx: &Context, name: &str, check: bool, force: bool) -> Result<ExitCode> {
    ctx.warn_remotes();
    let cfg = &ctx.remotes.config;
    let Some(remote) = cfg.get(name) else {
        anyhow::bail!("no remote named {} in {}", crate::text::sanitize_line(name), ctx.paths.remotes_file.display())
    };
    let backend = crate::backend::remote::RemoteBackend::new(
        remote.clone(),
        ctx.pool(),
        cfg.known_hosts.clone(),
        cfg.host_key_checking,
    );
    let ok = crate::setup::run(&backend, name, check, force, &mut |line| println!("{line}")).await?;
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `navi agent-shell …`, the host side of agent shells: no configuration is read, only
/// the state folder.
fn agent_shell(a: super::args::AgentShell) -> Result<ExitCode> {
    use super::args::AgentShell as A;
    use crate::sessionmgr::host;
    let state = crate::config::Paths::resolve(None, None)?.state_dir;
    let code = match a {
        A::Create { hostname, ttl, seg, max, rows, cols, ready, cwd } => {
            let args = host::CreateArgs { hostname, ttl, seg, max, rows, cols, ready, cwd };
            match host::create(&state, &args)? {
                Ok(name) => {
                    println!("{name}");
                    0
                }
                Err(full) => {
                    eprintln!("{full}");
                    host::FULL
                }
            }
        }
        A::Keep { dir } => host::keep(&dir)?,
        A::Attach { name } => host::attach(&state, &name)?,
        A::List => {
            println!("{}", serde_json::to_string(&host::list(&state)?)?);
            0
        }
        A::Kill { name } => {
            if host::kill(&state, &name)? {
                0
            } else {
                eprintln!("no agent shell named {}", sanitize_line(&name));
                host::NO_SUCH
            }
        }
        A::Reap => {
            println!("{}", serde_json::to_string(&host::reap(&state)?)?);
            0
        }
    };
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_stdin_keeps_its_lines_and_is_bounded() {
        assert_eq!(read_text(&b"one\ntwo\n"[..]).unwrap(), "one\ntwo");
        assert_eq!(read_text(&b"crlf\r\n"[..]).unwrap(), "crlf");
        assert_eq!(read_text(&b"kept\n\n"[..]).unwrap(), "kept\n");
        let big = vec![b'x'; send::MAX_TEXT + 1];
        assert!(read_text(&big[..]).unwrap_err().to_string().contains("longer than"));
        assert_eq!(read_text(&vec![b'x'; send::MAX_TEXT][..]).unwrap().len(), send::MAX_TEXT);
        assert!(read_text(&b"\xff"[..]).is_err());
    }
}
