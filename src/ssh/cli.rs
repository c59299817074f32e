//! `navi remotes`: tries every remote in parallel and prints its state, round-trip time
//! and how its sessions reach a dashboard (pushed by navi there, or polled, and why).
//! Exits 1 when any remote cannot be reached.

use crate::backend::remote::RemoteBackend;
use crate::cli::args::RemotesAction;
use crate::cli::context::Context;
use crate::config::edit::{NewRemote, add_entry};
use crate::push::link::{Mode, probe};
use crate::text::sanitize_line;
use serde::Serialize;
use std::process::ExitCode;

#[derive(Serialize)]
struct Row {
    name: String,
    host: String,
    port: u16,
    user: String,
    jump_host: Option<String>,
    state: super::ConnState,
    /// One command's round trip on the open connection, in milliseconds.
    rtt_ms: Option<f64>,
    last_error: Option<String>,
    last_error_at: Option<u64>,
    /// How its sessions reach a dashboard: `push` (navi streams them) or `poll`.
    mode: Option<&'static str>,
    /// The navi installed there, when it streams.
    navi_version: Option<String>,
    /// Why it is polled.
    poll_reason: Option<String>,
}

pub async fn remotes(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    ctx.warn_remotes();
    let pool = ctx.pool();
    let cfg = &ctx.remotes.config;
    let checks = cfg.remotes.iter().map(|remote| {
        let pool = pool.clone();
        let command = RemoteBackend::new(remote.clone(), pool.clone(), cfg.known_hosts.clone(), cfg.host_key_checking)
            .stream_command();
        async move {
            let result = pool.check(&remote.name).await;
            let mode = match &result {
                Ok(_) => Some(probe(&pool, &remote.name, &command).await),
                Err(_) => None,
            };
            (remote.name.clone(), result, mode)
        }
    });
    let results = futures::future::join_all(checks).await;
    let mut rows = Vec::new();
    for (name, result, mode) in results {
        let (Some(remote), Some(status)) = (pool.remote(&name), pool.status(&name)) else { continue };
        rows.push(Row {
            name: name.clone(),
            host: remote.host.clone(),
            port: remote.port,
            user: remote.user.clone(),
            jump_host: (!remote.jumps.is_empty())
                .then(|| remote.jumps.iter().map(|j| format!("{}:{}", j.host, j.port)).collect::<Vec<_>>().join(",")),
            state: status.state,
            rtt_ms: result.as_ref().ok().map(|d| (d.as_secs_f64() * 1e5).round() / 100.0),
            last_error: result.as_ref().err().map(|e| e.to_string()).or(status.last_error),
            last_error_at: status.last_error_at,
            mode: mode.as_ref().map(Mode::name),
            navi_version: match &mode {
                Some(Mode::Push { version }) => Some(sanitize_line(version)),
                _ => None,
            },
            poll_reason: match &mode {
                Some(Mode::Poll { reason, .. }) => Some(reason.clone()),
                _ => None,
            },
        });
    }
    let all_ok = rows.iter().all(|r| r.rtt_ms.is_some());
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if rows.is_empty() {
        println!("No remotes. Add them to {}", ctx.paths.remotes_file.display());
    } else {
        for r in &rows {
            let via = r.jump_host.as_ref().map(|j| format!(" via {j}")).unwrap_or_default();
            let target = sanitize_line(&format!("{}@{}:{}{via}", r.user, r.host, r.port));
            match (r.rtt_ms, &r.last_error) {
                (Some(ms), _) => {
                    let mode = match (&r.navi_version, &r.poll_reason) {
                        (Some(v), _) => format!("push (navi {v})"),
                        (None, Some(why)) => format!("poll: {}", sanitize_line(why)),
                        (None, None) => "poll".into(),
                    };
                    println!("{}  connected  {ms:.1} ms  {target}  {mode}", sanitize_line(&r.name))
                }
                (None, e) => println!(
                    "{}  {}  {target}: {}",
                    sanitize_line(&r.name),
                    serde_json::to_value(r.state)?.as_str().unwrap_or("error"),
                    sanitize_line(e.as_deref().unwrap_or("unknown error"))
                ),
            }
        }
    }
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `navi remotes add`: the entry is written only after one successful connection to it,
/// and only when the edited file reads back as before plus the new remote.
pub async fn remotes_add(ctx: &Context, action: RemotesAction) -> anyhow::Result<ExitCode> {
    let RemotesAction::Add { name, from_ssh_config, host, user, port, key, jump_host, sessions_dir } = action;
    let path = &ctx.paths.remotes_file;
    let home = &ctx.paths.home;
    if let Some(alias) = &from_ssh_config {
        let known = crate::config::ssh_config::SshHosts::load(home);
        if let Some(w) = &known.warning {
            anyhow::bail!("{w}");
        }
        if known.host(alias) == crate::config::ssh_config::HostConfig::default() {
            anyhow::bail!("~/.ssh/config has no Host {}", sanitize_line(alias));
        }
    }
    let entry = NewRemote {
        host: from_ssh_config.or(host).unwrap_or_else(|| name.clone()),
        name,
        user,
        port,
        key,
        jump_host,
        sessions_dir,
    };
    let text = match crate::files::read_text(path, 1 << 20) {
        Ok(t) => t.unwrap_or_default(),
        Err(e) => anyhow::bail!("reading {}: {e}", path.display()),
    };
    let edited = add_entry(&text, &entry, home).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let loaded = crate::config::parse_remotes(&edited, home).map_err(anyhow::Error::msg)?;
    let Some(remote) = loaded.config.get(&entry.name).cloned() else {
        anyhow::bail!("the new entry did not read back")
    };
    let one = crate::config::RemotesConfig { remotes: vec![remote.clone()], ..loaded.config.clone() };
    let pool = crate::ssh::Pool::new(&one);
    let rtt = pool.check(&remote.name).await.map_err(|e| {
        anyhow::anyhow!("{} was not added: {}", sanitize_line(&remote.name), sanitize_line(&e.to_string()))
    })?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // The file keeps its mode (a new one is private).
    let mode = std::fs::metadata(path).map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777);
    crate::sessions::store::write_atomic_mode(path, edited.as_bytes(), mode.unwrap_or(0o600))?;
    let via = remote.jumps.iter().map(|j| format!(" via {}:{}", j.host, j.port)).collect::<String>();
    println!(
        "added {} ({}@{}:{}{via}, {:.1} ms) to {}",
        sanitize_line(&remote.name),
        sanitize_line(&remote.user),
        sanitize_line(&remote.host),
        remote.port,
        rtt.as_secs_f64() * 1000.0,
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
