//! The parts of `install-hooks` that are not a JSON hook list: Codex's `[features]` switch
//! in config.toml (edited with `toml_edit`, so the user's comments and layout stay) and
//! OpenCode's plugin file, which navi writes whole and alone owns.

use super::{Outcome, read_existing, write_with_backup};
use anyhow::{Context, Result, bail};
use std::path::Path;
use toml_edit::{DocumentMut, Item, Table, value};

/// The comment navi puts before what it adds to config.toml, to take away only that.
const MARK: &str = "# added by navi install-hooks (Codex runs hooks only with this on)\n";

/// Turns Codex's hooks on in config.toml (`[features] hooks = true`) unless the user
/// already said either way (`hooks` or its older name `codex_hooks`); `uninstall` takes away
/// only what navi added. Everything else in the file stays byte for byte.
pub fn codex_features(config: &Path, uninstall: bool) -> Result<Outcome> {
    let old = read_existing(config)?;
    let text = match &old {
        Some(bytes) => std::str::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", config.display()))?,
        None => "",
    };
    let mut doc: DocumentMut =
        text.parse().with_context(|| format!("{} is not valid TOML; nothing was changed", config.display()))?;
    let changed = if uninstall { remove_switch(&mut doc) } else { add_switch(&mut doc, config)? };
    if !changed {
        return Ok(Outcome::Unchanged);
    }
    write_with_backup(config, old.as_deref(), doc.to_string().as_bytes())
}

fn add_switch(doc: &mut DocumentMut, config: &Path) -> Result<bool> {
    if doc.get("features").is_none() {
        let mut t = Table::new();
        t.decor_mut().set_prefix(format!("\n{MARK}"));
        doc.insert("features", Item::Table(t));
    }
    let Some(features) = doc.get_mut("features").and_then(Item::as_table_like_mut) else {
        bail!("\"features\" in {} is not a table; nothing was changed", config.display());
    };
    if features.contains_key("hooks") || features.contains_key("codex_hooks") {
        return Ok(false);
    }
    features.insert("hooks", value(true));
    if let Some(mut key) = features.key_mut("hooks") {
        key.leaf_decor_mut().set_prefix(MARK);
    }
    Ok(true)
}

fn remove_switch(doc: &mut DocumentMut) -> bool {
    let Some(features) = doc.get_mut("features").and_then(Item::as_table_mut) else {
        return false;
    };
    let ours = features.key("hooks").and_then(|k| k.leaf_decor().prefix()).and_then(|p| p.as_str()) == Some(MARK);
    if !ours {
        return false;
    }
    features.remove("hooks");
    let table_is_ours = features.decor().prefix().and_then(|p| p.as_str()).is_some_and(|p| p.contains(MARK));
    if features.is_empty() && table_is_ours {
        doc.remove("features");
    }
    true
}

/// The first line of navi's OpenCode plugin: a file without it is not navi's to replace.
const PLUGIN_MARK: &str = "// navi: reports this OpenCode's sessions to navi";

/// OpenCode's plugin: forwards the events that say what a session does to `navi hook
/// --agent opencode` (one short-lived process per event, detached, output ignored), and
/// only inside tmux. `hook` is the command's words.
pub fn opencode_plugin_text(hook: &[String]) -> String {
    let argv = serde_json::to_string(hook).unwrap_or_else(|_| "[]".into());
    format!(
        r#"{PLUGIN_MARK} (written by `navi install-hooks --agent opencode`; `--uninstall` removes it).
import {{ spawn }} from "node:child_process";

const HOOK = {argv};
const EVENTS = new Set([
  "session.created", "session.status", "session.idle", "session.error", "session.deleted",
  "permission.asked", "permission.updated", "permission.replied",
]);

export const NaviPlugin = async ({{ directory }}) => {{
  if (!process.env.TMUX_PANE) return {{}};
  const send = (event) => {{
    try {{
      const child = spawn(HOOK[0], HOOK.slice(1), {{ stdio: ["pipe", "ignore", "ignore"], detached: true }});
      child.on("error", () => {{}});
      child.stdin.on("error", () => {{}});
      child.stdin.end(JSON.stringify({{ type: event.type, properties: event.properties, cwd: directory }}));
      child.unref();
    }} catch {{}}
  }};
  return {{
    event: async ({{ event }}) => {{
      if (EVENTS.has(event.type)) send(event);
    }},
    "tool.execute.after": async (input) => {{
      send({{ type: "tool.execute.after", properties: {{ tool: input.tool, sessionID: input.sessionID }} }});
    }},
  }};
}};
"#
    )
}

/// Writes (or with `uninstall`, removes) navi's plugin file. A file there that navi did not
/// write is left alone with an error.
pub fn opencode_plugin(path: &Path, hook: &[String], uninstall: bool) -> Result<Outcome> {
    let old = read_existing(path)?;
    if let Some(bytes) = &old
        && !bytes.starts_with(PLUGIN_MARK.as_bytes())
    {
        bail!("{} was not written by navi; nothing was changed", path.display());
    }
    if uninstall {
        return match old {
            Some(_) => {
                std::fs::remove_file(path).with_context(|| format!("removing {}", path.display()))?;
                Ok(Outcome::Written { backup: None })
            }
            None => Ok(Outcome::Unchanged),
        };
    }
    let text = opencode_plugin_text(hook);
    if old.as_deref() == Some(text.as_bytes()) {
        return Ok(Outcome::Unchanged);
    }
    // Only navi's own earlier plugin is replaced: no backup of it is needed.
    crate::sessions::store::write_atomic(path, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(Outcome::Written { backup: None })
}

#[cfg(test)]
mod tests;
