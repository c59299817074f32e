//! `navi new --worktree`, `navi finish` and `navi worktrees`: the command-line faces of
//! [`crate::backend::worktree`].

use super::args::WorktreeArgs;
use super::context::Context;
use crate::backend::SessionBackend;
use crate::backend::worktree::{self, Finish, Listed, Start, WorktreeError};
use crate::text::sanitize_line;
use anyhow::Result;
use std::process::ExitCode;

/// Prints a worktree error line by line (a refusal lists what would be lost); exit 1.
fn failed(e: &WorktreeError) -> ExitCode {
    for line in e.to_string().lines() {
        eprintln!("navi: {}", sanitize_line(line));
    }
    if matches!(e, WorktreeError::WouldLose(_)) {
        eprintln!("navi: nothing was changed; --force goes on anyway");
    }
    ExitCode::FAILURE
}

pub async fn new(
    ctx: &Context,
    backend: &dyn SessionBackend,
    name: String,
    dir: String,
    skip_permissions: bool,
    agent: crate::sessions::agent::Agent,
    args: WorktreeArgs,
) -> Result<ExitCode> {
    let loaded = crate::config::worktrees::load(&ctx.paths.config_dir.join("config.yaml"));
    for w in &loaded.warnings {
        eprintln!("navi: warning: {}", sanitize_line(w));
    }
    let start = Start { name, dir, branch: args.branch, base: args.base, reuse: args.reuse, skip_permissions, agent };
    match worktree::start(backend, &start, &loaded.config).await {
        Ok(s) => {
            let w = &s.created.worktree;
            let how = if s.created.new_worktree { "new worktree" } else { "existing worktree" };
            println!(
                "created {} in {how} {} (branch {} from {})",
                sanitize_line(s.session.name()),
                sanitize_line(&w.path),
                sanitize_line(&w.branch),
                sanitize_line(&w.base)
            );
            if s.created.copied > 0 {
                println!("copied {} file(s) named in .worktreeinclude", s.created.copied);
            }
            if let Some(setup) = &s.setup {
                println!("setup: {} (its output is in the session)", sanitize_line(setup));
            }
            for w in &s.created.warnings {
                eprintln!("navi: warning: {}", sanitize_line(w));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(failed(&e)),
    }
}

pub async fn finish(backend: &dyn SessionBackend, name: &str, merge: bool, pr: bool, force: bool) -> Result<ExitCode> {
    let how = match (merge, pr) {
        (true, _) => Finish::Merge,
        (_, true) => Finish::PullRequest,
        _ => Finish::Remove,
    };
    match worktree::finish(backend, name, how, force).await {
        Ok(done) => {
            let w = &done.worktree;
            match (done.fast_forward, &done.pr_url) {
                (Some(true), _) => {
                    println!("merged {} into {} (fast-forward)", sanitize_line(&w.branch), sanitize_line(&w.base))
                }
                (Some(false), _) => println!("merged {} into {}", sanitize_line(&w.branch), sanitize_line(&w.base)),
                (_, Some(url)) => println!("opened {}", sanitize_line(url)),
                _ => {}
            }
            let branch = if done.branch_deleted { "deleted" } else { "kept" };
            println!(
                "finished {}: worktree {} removed, branch {} {branch}",
                sanitize_line(name),
                sanitize_line(&w.path),
                sanitize_line(&w.branch)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(failed(&e)),
    }
}

pub async fn list(backend: &dyn SessionBackend, json: bool) -> Result<ExitCode> {
    let listed = match worktree::list(backend).await {
        Ok(l) => l,
        Err(e) => return Ok(failed(&e)),
    };
    if json {
        let mut v = serde_json::to_value(&listed)?;
        crate::text::sanitize_json(&mut v);
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else if listed.is_empty() {
        println!("no worktrees of navi's");
    } else {
        print!("{}", render(&listed));
    }
    Ok(ExitCode::SUCCESS)
}

/// Aligned columns: session, branch, base, ahead/behind, changes, path.
fn render(listed: &[Listed]) -> String {
    use unicode_width::UnicodeWidthStr;
    let rows: Vec<[String; 6]> = listed
        .iter()
        .map(|l| {
            let f = &l.facts;
            let state = match (f.exists, f.ahead, f.behind) {
                (false, ..) => "folder removed".to_string(),
                (true, Some(a), Some(b)) => format!("↑{a} ↓{b}"),
                _ => "?".to_string(),
            };
            let changes = if f.dirty_count > 0 { format!("{} changed", f.dirty_count) } else { "clean".into() };
            [
                l.session.as_deref().map_or("no session".into(), sanitize_line),
                sanitize_line(&f.branch),
                sanitize_line(&f.base),
                state,
                changes,
                sanitize_line(&f.path),
            ]
        })
        .collect();
    let header = ["SESSION", "BRANCH", "BASE", "AHEAD/BEHIND", "CHANGES", "PATH"].map(str::to_string);
    let all: Vec<&[String; 6]> = std::iter::once(&header).chain(rows.iter()).collect();
    let width = |i: usize| all.iter().map(|r| r[i].width()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..6).map(width).collect();
    let mut out = String::new();
    for r in all {
        let cells: Vec<String> =
            r.iter().zip(&widths).map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.width())))).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
