//! `navi remotes`: tries every remote in parallel and prints its state, round-trip time
//! and how its sessions reach a dashboard (pushed by navi there, or polled, and why).
//! Exits 1 when any remote cannot be reached.

use crate::backend::remote::RemoteBackend;
use crate::cli::context::Context;
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
                Some(Mode::Poll { reason }) => Some(reason.clone()),
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
