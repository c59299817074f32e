//! `navi --demo`: a self-contained demo on a private tmux server (socket in a temp
//! folder) with its own sessions folder. A stand-in `claude` script on the server's PATH
//! answers prompts and writes status files like the hook does, so attach, preview, send,
//! kill, rename and create all work for real. Everything is removed on exit, on Ctrl-C,
//! on SIGTERM and on a panic (the guard's drop runs while unwinding).

use crate::backend::{LocalBackend, SessionBackend};
use crate::cli::args::Global;
use crate::cli::context::Context;
use crate::sessions::store::Store;
use crate::sessions::{Metrics, Status, StatusFile, TimeMetrics, ToolMetrics};
use anyhow::{Context as _, Result};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

/// The stand-in for Claude Code: reads prompts, "works" for a moment, reports status.
const FAKE_CLAUDE: &str = r#"#!/bin/sh
name=$(tmux display-message -p '#S' 2>/dev/null || echo demo)
esc() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
st() {
  f="$NAVI_DEMO_SESSIONS/$name.json"; t=$(date +%s)
  printf '{"tmux_session":"%s","status":"%s","message":"%s","cwd":"%s","timestamp":%s}\n' \
    "$(esc "$name")" "$1" "$(esc "$2")" "$(esc "$PWD")" "$t" > "$f.tmp.$$" && mv "$f.tmp.$$" "$f"
}
printf '\033[1m✻ Claude Code\033[0m (navi demo stand-in) in %s\n\n' "$PWD"
if [ -z "$NAVI_DEMO_SEED" ]; then sleep 1; st idle "Ready: press m in navi to send a prompt"; fi
while printf '> ' && IFS= read -r line; do
  [ -z "$line" ] && continue
  st working ""
  printf '● Thinking about: %s\n' "$line"; sleep 1
  printf '● Reading files…\n'; sleep 1
  printf '● Done: %s\n\n' "$line"
  st done "Finished: $line"
done
"#;

struct Seed {
    name: &'static str,
    status: Status,
    message: &'static str,
    age: i64,
}

const SEEDS: &[Seed] = &[
    Seed {
        name: "api-server",
        status: Status::Waiting,
        message: "Which database should I use for the cache?",
        age: 40,
    },
    Seed { name: "frontend", status: Status::Working, message: "", age: 5 },
    Seed { name: "infra", status: Status::Permission, message: "Allow Bash: terraform plan?", age: 90 },
    Seed { name: "docs", status: Status::Done, message: "Updated the README and fixed two broken links", age: 1500 },
    Seed { name: "old-spike", status: Status::Offline, message: "Session ended", age: 3 * 86_400 },
];

/// Removes the demo's tmux server and temp folder when dropped.
struct Guard {
    dir: tempfile::TempDir,
    socket: PathBuf,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-S").arg(&self.socket).arg("kill-server").env_remove("TMUX").output();
    }
}

pub async fn run(_ctx: Context) -> Result<()> {
    // Listening before anything is created: Ctrl-C during the setup then ends it through
    // the normal path, where the guard removes the tmux server and the folder.
    let mut signals = super::Signals::new()?;
    let dir = tempfile::Builder::new().prefix("navi-demo-").tempdir().context("creating the demo folder")?;
    let guard = Guard { socket: dir.path().join("tmux.sock"), dir };
    let root = guard.dir.path().to_path_buf();
    let sessions = root.join("sessions");
    let bin = root.join("bin");
    let projects = root.join("projects");
    for d in [&sessions, &bin, &projects] {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let claude = bin.join("claude");
    std::fs::write(&claude, FAKE_CLAUDE).context("writing the stand-in claude")?;
    std::fs::set_permissions(&claude, std::fs::Permissions::from_mode(0o755))?;
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let tmux = |args: &[&str]| -> Result<()> {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&guard.socket)
            .args(args)
            .env_remove("TMUX")
            .env("PATH", &path)
            .env("NAVI_DEMO_SESSIONS", &sessions)
            .output()
            .context("running tmux (is it installed?)")?;
        anyhow::ensure!(
            out.status.success(),
            "tmux {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(())
    };
    let store = Store::new(&sessions);
    let now = crate::text::now_unix();
    for seed in SEEDS {
        let project = projects.join(seed.name);
        std::fs::create_dir_all(&project)?;
        make_repo(&project, seed.name);
        let p = project.to_string_lossy().into_owned();
        tmux(&[
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            "-s",
            seed.name,
            "-c",
            &p,
            "env NAVI_DEMO_SEED=1 claude",
        ])?;
        store.write(&seed_file(seed, &p, now))?;
        if signals.pending() {
            return Ok(());
        }
    }
    tmux(&["set-environment", "-g", "PATH", &path])?;
    // A login shell would reset PATH from the profile and lose the stand-in `claude`.
    let shell_cmd = format!(
        "PATH={}:\"$PATH\"; export PATH; exec \"${{SHELL:-/bin/sh}}\"",
        crate::backend::shell::quote(&bin.to_string_lossy())
    );
    tmux(&["set-option", "-g", "default-command", &shell_cmd])?;
    tmux(&["set-environment", "-g", "NAVI_DEMO_SESSIONS", &sessions.to_string_lossy()])?;
    // The demo's own sessions folder and tmux server, and no remotes (a file that does
    // not exist means none).
    let global = Global {
        sessions_dir: Some(sessions.clone()),
        remotes: Some(root.join("no-remotes.yaml")),
        tmux_socket: Some(guard.socket.clone()),
    };
    if signals.pending() {
        return Ok(());
    }
    let demo_ctx = Context::new(&global)?;
    let local = demo_ctx.local.clone();
    let script = tokio::spawn(script(local, store));
    let result = super::run_dashboard(&demo_ctx, Some(projects.to_string_lossy().into_owned())).await;
    script.abort();
    drop(guard);
    result
}

fn seed_file(seed: &Seed, cwd: &str, now: i64) -> StatusFile {
    let mut f = StatusFile::new(seed.name, seed.status.clone());
    f.cwd = Some(cwd.to_string());
    f.timestamp = Some(now - seed.age);
    f.message = (!seed.message.is_empty()).then(|| seed.message.to_string());
    let mut counts = serde_json::Map::new();
    for (tool, n) in [("Read", 14), ("Edit", 6), ("Bash", 9), ("Grep", 4)] {
        counts.insert(tool.into(), (n + seed.age % 7).into());
    }
    let total = 600 + seed.age;
    f.metrics = Some(Metrics {
        time: Some(TimeMetrics {
            started: Some(now - total),
            total_seconds: total,
            working_seconds: total * 2 / 3,
            waiting_seconds: total / 3,
            ..Default::default()
        }),
        tools: Some(ToolMetrics {
            recent: vec!["Edit".into(), "Bash".into(), "Read".into()],
            counts,
            ..Default::default()
        }),
        ..Default::default()
    });
    with_usage(&mut f, seed);
    f
}

/// What the status line, other agents and teams add, so the demo shows them too.
fn with_usage(f: &mut StatusFile, seed: &Seed) {
    use serde_json::json;
    let i = SEEDS.iter().position(|s| s.name == seed.name).unwrap_or(0);
    let (cost, context) = [(0.42, 34), (6.8, 71), (1.25, 12), (23.1, 88), (0.07, 5)][i % 5];
    f.extra.insert("cost".into(), json!({"total_cost_usd": cost}));
    f.extra
        .insert("context".into(), json!({"used_percentage": context, "window_size": 200_000, "source": "statusline"}));
    f.extra.insert("model".into(), json!({"id": "claude-opus-4-6", "display_name": "Opus 4.6"}));
    match seed.name {
        "frontend" => {
            crate::sessions::agent::set_agent(f, crate::sessions::agent::Agent::Codex);
            f.extra.insert("model".into(), json!({"id": "gpt-5-codex"}));
        }
        "api-server" => {
            let team = json!({"name": "core", "agents": [{"name": "tests", "status": "working", "timestamp": 0},
                                                          {"name": "docs", "status": "idle", "timestamp": 0}]});
            f.extra.insert("team".into(), team);
        }
        _ => {}
    }
}

/// A small git repo with an uncommitted change, so rows show a git summary and `G` a diff.
/// Without git the demo still runs.
fn make_repo(dir: &Path, name: &str) {
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "navi demo")
            .env("GIT_AUTHOR_EMAIL", "demo@example.invalid")
            .env("GIT_COMMITTER_NAME", "navi demo")
            .env("GIT_COMMITTER_EMAIL", "demo@example.invalid")
            // The user's git config could sign (and prompt for a passphrase) or run hooks:
            // the demo's throwaway repos use none of it.
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"])
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
    };
    let _ = std::fs::write(dir.join("README.md"), format!("# {name}\n\nA demo project.\n"));
    let _ = git(&["init", "-q", "-b", "main"]);
    let _ = git(&["add", "."]);
    let _ = git(&["commit", "-q", "-m", "Initial commit"]);
    let _ = std::fs::write(dir.join("README.md"), format!("# {name}\n\nA demo project, now with changes.\n"));
}

/// Keeps the demo alive: prompts go to sessions and statuses change every few seconds.
async fn script(local: Arc<LocalBackend>, store: Store) {
    let mut step = 0usize;
    loop {
        tokio::time::sleep(Duration::from_secs(6)).await;
        let now = crate::text::now_unix();
        let set = |name: &str, status: Status, message: &str| {
            if let Ok(Some(mut f)) = store.read(name) {
                f.status = status;
                f.message = (!message.is_empty()).then(|| message.to_string());
                f.timestamp = Some(now);
                let _ = store.write(&f);
            }
        };
        match step % 4 {
            0 => {
                let _ = local.send("frontend", "add a dark mode toggle").await;
            }
            1 => set("infra", Status::Permission, "Allow Bash: terraform plan?"),
            2 => set("api-server", Status::Waiting, "Which database should I use for the cache?"),
            _ => {
                let _ = local.send("docs", "fix the broken links").await;
            }
        }
        step += 1;
    }
}
