//! `navi mcp`: the MCP server on stdio with the `connect_session` tool (see `tool`). Only
//! protocol messages go to stdout; warnings go to stderr.

mod args;
pub mod schema;
mod stdio;
pub mod tool;

use crate::cli::context::Context;
use crate::sessionmgr::{AgentDriver, Driver, Drivers, LocalDriver, Machines, Manager, ManagerConfig, RemoteDriver};
use anyhow::Context as _;
use rmcp::ServiceExt;
use std::sync::Arc;

/// `local` plus one driver per remote in remotes.yaml, all remotes on the shared pool; and
/// the same hosts for one-shot work.
/// Sessions are agent shells (they live on in tmux on their host); a remote without a
/// navi that knows them gets shells that end with their connection.
pub fn drivers(ctx: &Context) -> (Drivers, Machines) {
    let mut drivers = Drivers::new();
    let pool = (!ctx.remotes.config.remotes.is_empty()).then(|| ctx.pool());
    if let Some(pool) = &pool {
        let plain: Arc<dyn Driver> = Arc::new(RemoteDriver { pool: pool.clone() });
        let agents: Arc<dyn Driver> = Arc::new(AgentDriver::remote(pool.clone(), plain));
        for r in &ctx.remotes.config.remotes {
            drivers = drivers.with(r.name.clone(), agents.clone());
        }
    }
    let local: Arc<dyn Driver> = match AgentDriver::local() {
        Ok(d) => Arc::new(d),
        Err(e) => {
            eprintln!("navi: agent shells will not outlive this process: cannot find this binary ({e})");
            Arc::new(LocalDriver::default())
        }
    };
    // Last, so a remote that happens to be called "local" cannot shadow this machine.
    (drivers.with("local", local), Machines::new(pool))
}

/// The manager's settings; `NAVI_MCP_RING_BYTES` changes the output kept per session,
/// `NAVI_MCP_MAX_SESSIONS` the agent shells per host, `NAVI_MCP_REAP_SECONDS` how often
/// the reaper looks.
fn config() -> ManagerConfig {
    let mut cfg = ManagerConfig::default();
    if let Some(n) = std::env::var("NAVI_MCP_RING_BYTES").ok().and_then(|v| v.parse::<usize>().ok()) {
        cfg.ring_bytes = n.max(4096);
    }
    // Tuning (and tests): agent shells per host, and how often idle ones are looked for.
    if let Some(n) = std::env::var("NAVI_MCP_MAX_SESSIONS").ok().and_then(|v| v.parse::<usize>().ok()) {
        cfg.max_sessions = n.max(1);
    }
    if let Some(n) = std::env::var("NAVI_MCP_REAP_SECONDS").ok().and_then(|v| v.parse::<u64>().ok()) {
        cfg.reap_every = std::time::Duration::from_secs(n.max(1));
    }
    cfg
}

pub async fn serve(ctx: Context) -> anyhow::Result<()> {
    ctx.warn_remotes();
    let (drivers, machines) = drivers(&ctx);
    let manager = Manager::new(Arc::new(drivers), config());
    let (transport, written) = stdio::start();
    let server = tool::NaviMcp::new(manager.clone(), machines)
        .serve(transport)
        .await
        .context("starting the MCP server on stdio")?;
    // SIGINT, SIGTERM or SIGHUP end the server the same way as the end of stdin: every
    // session is closed. (The local driver catches SIGINT so its shells get the default.)
    let stop = server.cancellation_token();
    let signals = tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term), Ok(mut hup)) =
            (signal(SignalKind::interrupt()), signal(SignalKind::terminate()), signal(SignalKind::hangup()))
        else {
            return;
        };
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
        stop.cancel();
    });
    let ended = server.waiting().await;
    signals.abort();
    manager.shutdown().await;
    // Let the last answers reach stdout before the process ends.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), written).await;
    ended.context("the MCP server stopped")?;
    Ok(())
}
