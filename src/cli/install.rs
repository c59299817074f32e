//! `navi install-hooks [--agent claude|codex|gemini|opencode|all] [--settings FILE]
//! [--uninstall]`: where each agent keeps its hook settings, and what navi puts there.

use super::args::{Global, InstallAgent};
use super::context::Context;
use crate::hook::install::{self, CODEX_EVENTS, EVENTS, GEMINI_EVENTS, Outcome, Plan, others};
use crate::sessions::agent::Agent;
use anyhow::{Context as _, Result, bail};
use std::path::{Path, PathBuf};

pub fn run(
    ctx: &Context,
    global: &Global,
    which: InstallAgent,
    settings: Option<PathBuf>,
    uninstall: bool,
) -> Result<()> {
    let agents: Vec<Agent> = match which {
        InstallAgent::Claude => vec![Agent::Claude],
        InstallAgent::Codex => vec![Agent::Codex],
        InstallAgent::Gemini => vec![Agent::Gemini],
        InstallAgent::Opencode => vec![Agent::OpenCode],
        InstallAgent::All => Agent::ALL.to_vec(),
    };
    if settings.is_some() && agents.len() > 1 {
        bail!("--settings names one agent's file: give --agent too");
    }
    let navi = navi_words(global)?;
    for agent in agents {
        let home = home_of(ctx, agent);
        // `all` sets up the agents this machine has (their folder exists), and says so.
        if which == InstallAgent::All && !home.is_dir() {
            println!("{}: {} not found, skipped", agent.title(), home.display());
            continue;
        }
        one(agent, &home, &navi, settings.clone(), uninstall)?;
    }
    Ok(())
}

/// `<navi> [--sessions-dir DIR]`, absolute: what every handler command starts with.
fn navi_words(global: &Global) -> Result<Vec<String>> {
    let exe = std::env::current_exe().context("finding navi's own path")?;
    let exe = exe.canonicalize().unwrap_or(exe);
    let mut words = vec![exe.to_string_lossy().into_owned()];
    if let Some(dir) = &global.sessions_dir {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
        words.extend(["--sessions-dir".to_string(), dir.to_string_lossy().into_owned()]);
    }
    Ok(words)
}

/// The folder each agent keeps its settings in.
fn home_of(ctx: &Context, agent: Agent) -> PathBuf {
    let home = &ctx.paths.home;
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    match agent {
        Agent::Claude => home.join(".claude"),
        Agent::Codex => var("CODEX_HOME").unwrap_or_else(|| home.join(".codex")),
        Agent::Gemini => home.join(".gemini"),
        // navi's config folder is `<XDG config home>/navi`: OpenCode's sits beside it.
        Agent::OpenCode => ctx.paths.config_dir.parent().unwrap_or(home).join("opencode"),
    }
}

fn one(agent: Agent, home: &Path, navi: &[String], settings: Option<PathBuf>, uninstall: bool) -> Result<()> {
    let quoted: Vec<String> = navi.iter().map(|w| crate::backend::shell::quote(w)).collect();
    let mut hook = format!("{} hook", quoted.join(" "));
    if agent != Agent::Claude {
        hook.push_str(&format!(" --agent {}", agent.name()));
    }
    let status_line = format!("{} statusline", quoted.join(" "));
    let mut plan = Plan { command: &hook, events: EVENTS, millis: false, status_line: None };
    let file = match agent {
        Agent::Claude => {
            plan.status_line = Some(&status_line);
            settings.unwrap_or_else(|| home.join("settings.json"))
        }
        Agent::Codex => {
            plan.events = CODEX_EVENTS;
            settings.unwrap_or_else(|| home.join("hooks.json"))
        }
        Agent::Gemini => {
            plan.events = GEMINI_EVENTS;
            plan.millis = true;
            settings.unwrap_or_else(|| home.join("settings.json"))
        }
        Agent::OpenCode => {
            let path = settings.unwrap_or_else(|| home.join("plugins/navi.js"));
            let mut words = navi.to_vec();
            words.extend(["hook", "--agent", "opencode"].map(String::from));
            report(agent, &path, others::opencode_plugin(&path, &words, uninstall)?, uninstall);
            return Ok(());
        }
    };
    report(agent, &file, install::apply(&file, &plan, uninstall)?, uninstall);
    if agent == Agent::Codex {
        let config = file.with_file_name("config.toml");
        report(agent, &config, others::codex_features(&config, uninstall)?, uninstall);
        if !uninstall {
            println!("Codex asks to trust new hooks: run /hooks in Codex once to review them.");
        }
    }
    Ok(())
}

fn report(agent: Agent, path: &Path, outcome: Outcome, uninstall: bool) {
    let verb = if uninstall { "removed navi's hooks from" } else { "installed navi's hooks in" };
    match outcome {
        Outcome::Unchanged => println!("{}: {} already up to date", agent.title(), path.display()),
        Outcome::Written { backup } => {
            println!("{}: {verb} {}", agent.title(), path.display());
            if let Some(b) = backup {
                println!("backup of the previous file: {}", b.display());
            }
        }
    }
}
