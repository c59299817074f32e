//! `navi install-hooks`: merges navi's handlers into an agent's JSON hook settings (Claude
//! Code's and Gemini CLI's settings.json, Codex's hooks.json: the same shape) without
//! touching any other key or handler, idempotently, with a backup of the old file.
//! `--uninstall` removes exactly navi's handlers. Claude Code's status line is wired in
//! `statusline`; Codex's config.toml and OpenCode's plugin file in `others`.

pub mod others;
pub mod statusline;

use crate::sessions::store::write_atomic;
use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// The Claude Code events navi listens to (DESIGN.md's hook mapping).
pub const EVENTS: &[&str] = &[
    "SessionStart",
    "UserPromptSubmit",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionRequest",
    "Notification",
    "Stop",
    "StopFailure",
    "SessionEnd",
    "SubagentStart",
    "SubagentStop",
    "TeammateIdle",
    "TaskCompleted",
];

/// Codex's events (developers.openai.com/codex/hooks): Claude Code's names, fewer of them.
pub const CODEX_EVENTS: &[&str] = &["SessionStart", "UserPromptSubmit", "PermissionRequest", "PostToolUse", "Stop"];

/// Gemini CLI's events (its docs/hooks/reference.md).
pub const GEMINI_EVENTS: &[&str] =
    &["SessionStart", "SessionEnd", "BeforeAgent", "AfterAgent", "AfterTool", "Notification"];

/// Seconds the agent waits for the handler; it normally takes a few milliseconds.
const HANDLER_TIMEOUT: u64 = 10;

/// What goes into one agent's JSON hook settings.
pub struct Plan<'a> {
    /// The handler's command line: `<navi> [options] hook [--agent X]`.
    pub command: &'a str,
    pub events: &'a [&'a str],
    /// Gemini CLI takes the timeout in milliseconds (and a `name`); the others in seconds.
    pub millis: bool,
    /// Claude Code's `statusLine`: navi's `statusline` command.
    pub status_line: Option<&'a str>,
}

impl Plan<'_> {
    fn handler(&self) -> Value {
        if self.millis {
            json!({"name": "navi", "type": "command", "command": self.command, "timeout": HANDLER_TIMEOUT * 1000})
        } else {
            json!({"type": "command", "command": self.command, "timeout": HANDLER_TIMEOUT})
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The file was written; the old one (if any) was copied to the backup path.
    Written { backup: Option<PathBuf> },
    /// The file already said what we would write.
    Unchanged,
}

/// True for a handler command navi wrote: `<…/navi> [options] hook [--agent X]`.
pub fn is_navi_command(command: &str) -> bool {
    let Some(words) = shlex::split(command) else { return false };
    let program_is_navi = words.first().and_then(|p| Path::new(p).file_name()).is_some_and(|n| n == "navi");
    let rest = match words.iter().position(|w| w == "hook") {
        Some(at) => &words[at + 1..],
        None => return false,
    };
    let agent_only = match rest {
        [] => true,
        [flag, _] => flag == "--agent",
        [one] => one.starts_with("--agent="),
        _ => false,
    };
    program_is_navi && agent_only
}

/// Installs (or with `uninstall`, removes) navi's handlers in `settings`, and with a
/// status line (navi's `statusline` command) in front of the user's.
pub fn apply(settings: &Path, plan: &Plan, uninstall: bool) -> Result<Outcome> {
    let old = read_existing(settings)?;
    let mut root: Value = match &old {
        Some(bytes) if !bytes.iter().all(u8::is_ascii_whitespace) => serde_json::from_slice(bytes)
            .with_context(|| format!("{} is not valid JSON; nothing was changed", settings.display()))?,
        _ => json!({}),
    };
    let before = root.clone();
    let Some(obj) = root.as_object_mut() else {
        bail!("{} does not hold a JSON object; nothing was changed", settings.display());
    };
    let hooks = obj.entry("hooks").or_insert_with(|| json!({}));
    let Some(hooks) = hooks.as_object_mut() else {
        bail!("\"hooks\" in {} is not an object; nothing was changed", settings.display());
    };
    remove_navi_handlers(hooks)?;
    if !uninstall {
        for event in plan.events {
            let groups = hooks.entry(*event).or_insert_with(|| json!([]));
            let Some(groups) = groups.as_array_mut() else {
                bail!("\"hooks.{event}\" is not a list; nothing was changed");
            };
            groups.push(json!({"hooks": [plan.handler()]}));
        }
    }
    if hooks.is_empty() && before.get("hooks").is_none() {
        obj.remove("hooks");
    }
    if let Some(navi) = plan.status_line {
        statusline::wire(obj, navi, uninstall);
    }
    if root == before && old.is_some() {
        return Ok(Outcome::Unchanged);
    }
    let mut text = serde_json::to_vec_pretty(&root)?;
    text.push(b'\n');
    write_with_backup(settings, old.as_deref(), &text)
}

/// Copies the old file (if any) aside, then writes `text` atomically.
pub fn write_with_backup(path: &Path, old: Option<&[u8]>, text: &[u8]) -> Result<Outcome> {
    let backup = match old {
        Some(bytes) => {
            let to = backup_path(path);
            std::fs::write(&to, bytes).with_context(|| format!("writing backup {}", to.display()))?;
            Some(to)
        }
        None => None,
    };
    write_atomic(path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(Outcome::Written { backup })
}

/// A file's bytes, `None` when there is none.
pub fn read_existing(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Drops navi's handlers everywhere; a matcher group left empty by that goes too, and so
/// does an event left with no groups. Groups and handlers of others are untouched.
fn remove_navi_handlers(hooks: &mut Map<String, Value>) -> Result<()> {
    let mut empty_events = Vec::new();
    for (event, groups) in hooks.iter_mut() {
        let Some(groups) = groups.as_array_mut() else { continue };
        let mut changed = false;
        groups.retain_mut(|group| {
            let Some(handlers) = group.get_mut("hooks").and_then(Value::as_array_mut) else {
                return true;
            };
            let n = handlers.len();
            handlers.retain(|h| !h.get("command").and_then(Value::as_str).is_some_and(is_navi_command));
            if handlers.len() != n {
                changed = true;
                return !handlers.is_empty();
            }
            true
        });
        if changed && groups.is_empty() {
            empty_events.push(event.clone());
        }
    }
    for e in empty_events {
        hooks.remove(&e);
    }
    Ok(())
}

fn backup_path(settings: &Path) -> PathBuf {
    let name = settings.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "settings".into());
    settings.with_file_name(format!("{name}.navi-backup-{}", crate::text::now_unix()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CMD: &str = "/opt/bin/navi hook";
    const PLAN: Plan = Plan { command: CMD, events: EVENTS, millis: false, status_line: None };

    fn read(p: &Path) -> Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    }

    #[test]
    fn recognises_its_own_handlers() {
        assert!(is_navi_command("/usr/local/bin/navi hook"));
        assert!(is_navi_command("'/path with space/navi' --sessions-dir '/x y' hook"));
        assert!(is_navi_command("navi hook"));
        assert!(!is_navi_command("/usr/bin/other hook"));
        assert!(!is_navi_command("navi list"));
        assert!(!is_navi_command("echo navi hook"));
        assert!(is_navi_command("/x/navi hook --agent gemini"));
        assert!(is_navi_command("/x/navi --sessions-dir /s hook --agent=codex"));
        assert!(!is_navi_command("/x/navi hook --other"));
    }

    #[test]
    fn merges_idempotently_and_uninstalls_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.json");
        let original = json!({
            "model": "opus",
            "hooks": {
                "PostToolUse": [{"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "prettier --write"}]}],
                "PreCompact": [{"hooks": [{"type": "command", "command": "echo hi"}]}]
            }
        });
        std::fs::write(&p, serde_json::to_vec_pretty(&original).unwrap()).unwrap();

        let out = apply(&p, &PLAN, false).unwrap();
        let Outcome::Written { backup: Some(backup) } = out else { panic!("{out:?}") };
        assert_eq!(read(&backup), original);
        let v = read(&p);
        assert_eq!(v["model"], "opus");
        assert_eq!(v["hooks"]["PostToolUse"].as_array().unwrap().len(), 2);
        assert_eq!(v["hooks"]["PostToolUse"][0], original["hooks"]["PostToolUse"][0]);
        for e in EVENTS {
            assert_eq!(v["hooks"][e].as_array().unwrap().last().unwrap()["hooks"][0]["command"], CMD, "{e}");
        }

        assert_eq!(apply(&p, &PLAN, false).unwrap(), Outcome::Unchanged);
        // A new binary path replaces the old handler instead of adding a second one.
        apply(&p, &Plan { command: "/new/navi hook", ..PLAN }, false).unwrap();
        let v = read(&p);
        assert_eq!(v["hooks"]["Stop"].as_array().unwrap().len(), 1);

        apply(&p, &PLAN, true).unwrap();
        assert_eq!(read(&p), original);
    }

    #[test]
    fn fresh_file_and_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/settings.json");
        assert_eq!(apply(&p, &PLAN, false).unwrap(), Outcome::Written { backup: None });
        assert!(read(&p)["hooks"]["Stop"].is_array());

        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{ not json").unwrap();
        let err = apply(&bad, &PLAN, false).unwrap_err().to_string();
        assert!(err.contains("not valid JSON"), "{err}");
        assert_eq!(std::fs::read_to_string(&bad).unwrap(), "{ not json");
    }
}
