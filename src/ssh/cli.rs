//! `navi remotes`: tries every remote in parallel and prints its state and round-trip time.
//! Exits 1 when any remote cannot be reached.

use crate::cli::context::Context;
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
}

pub async fn remotes(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    ctx.warn_remotes();
    let pool = ctx.pool();
    let checks = pool.remotes().iter().map(|name| {
        let pool = pool.clone();
        async move { (name.clone(), pool.check(name).await) }
    });
    let results = futures::future::join_all(checks).await;
    let mut rows = Vec::new();
    for (name, result) in results {
        let (Some(remote), Some(status)) = (pool.remote(&name), pool.status(&name)) else { continue };
        rows.push(Row {
            name: name.clone(),
            host: remote.host.clone(),
            port: remote.port,
            user: remote.user.clone(),
            jump_host: remote.jump_host.as_ref().map(|j| format!("{}:{}", j.host, j.port)),
            state: status.state,
            rtt_ms: result.as_ref().ok().map(|d| (d.as_secs_f64() * 1e5).round() / 100.0),
            last_error: result.as_ref().err().map(|e| e.to_string()).or(status.last_error),
            last_error_at: status.last_error_at,
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
                (Some(ms), _) => println!("{}  connected  {ms:.1} ms  {target}", sanitize_line(&r.name)),
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
