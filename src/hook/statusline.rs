//! `navi statusline`: Claude Code's `statusLine` command. It runs after every assistant
//! message with the session's JSON on stdin; navi records its model, cost, context fill and
//! rate limits into the session's status file (merged under the folder lock, written
//! atomically, the rest of the file kept), then prints the user's own status line: the
//! command `install-hooks` found there (`--then`), run with the same stdin, its output
//! printed as it is but for escape sequences other than colours. Without one it prints a
//! short line of its own. Like the hook it never fails Claude Code and logs its errors.

use super::{log, session_of_pane};
use crate::sessions::StatusFile;
use crate::sessions::store::Store;
use crate::sessions::usage::{dollars, merge_statusline};
use anyhow::{Context, Result};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// The largest input read; Claude Code's is a few kilobytes.
pub const MAX_INPUT: u64 = 1 << 20;
/// The lock is held by hooks for milliseconds; a status line that cannot get it soon skips
/// recording this once (the next message records again) rather than lag.
const LOCK_WAIT: Duration = Duration::from_secs(2);
/// The user's own command gets this long, and this much output; past either it is killed
/// and the line stays empty.
pub const USER_TIMEOUT: Duration = Duration::from_secs(5);
pub const USER_OUTPUT_MAX: usize = 64 << 10;

/// Records `input` and returns what to print.
pub fn run(input: &[u8], then: Option<&str>, tmux_pane: Option<&str>, sessions_dir: &Path, state_dir: &Path) -> String {
    let then = then.filter(|c| !c.trim().is_empty());
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            log(state_dir, &format!("statusline: cannot start: {e}"));
            return String::new();
        }
    };
    let (recorded, printed) = runtime.block_on(async {
        // The user's command runs while the file is updated: the line is not held up by it.
        let user = async {
            match then {
                Some(cmd) => {
                    Some(crate::backend::process::run_sh(cmd, Some(input), USER_TIMEOUT, USER_OUTPUT_MAX).await)
                }
                None => None,
            }
        };
        let owned = (input.to_vec(), tmux_pane.map(str::to_string), sessions_dir.to_path_buf());
        let record = tokio::task::spawn_blocking(move || record(&owned.0, owned.1.as_deref(), &owned.2));
        tokio::join!(record, user)
    });
    match recorded {
        Ok(Err(e)) => log(state_dir, &format!("statusline: {e:#}")),
        Err(e) => log(state_dir, &format!("statusline: {e}")),
        Ok(Ok(())) => {}
    }
    match printed {
        Some(Ok(out)) => crate::escapes::keep_colours(&out.stdout),
        Some(Err(e)) => {
            log(state_dir, &format!("statusline: the user's command: {e}"));
            String::new()
        }
        None => own_line(input),
    }
}

/// Merges the input into the status file of the pane's tmux session, when there is one and
/// it is this session's (a teammate in another pane has a status line of its own).
fn record(input: &[u8], tmux_pane: Option<&str>, sessions_dir: &Path) -> Result<()> {
    let Some(pane) = tmux_pane.filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let value: Value = serde_json::from_slice(input).context("status line input is not valid JSON")?;
    let store = Store::new(sessions_dir);
    let _lock = store.lock_within(LOCK_WAIT).context("locking the sessions folder")?;
    let session = session_of_pane(pane)?;
    // No file yet: the hooks write the first one (the status is theirs to say).
    let Some(mut file) = store.read(&session).context("reading the status file")? else {
        return Ok(());
    };
    if !is_lead(&file, value.get("session_id").and_then(Value::as_str)) {
        return Ok(());
    }
    if merge_statusline(&mut file, &value) {
        store.write(&file).context("writing the status file")?;
    }
    Ok(())
}

fn is_lead(file: &StatusFile, id: Option<&str>) -> bool {
    match (file.session_id.as_deref().filter(|s| !s.is_empty()), id.filter(|s| !s.is_empty())) {
        (Some(lead), Some(id)) => lead == id || file.status == crate::sessions::Status::Offline,
        _ => true,
    }
}

/// `Opus 4.6 · ctx 42% · $0.42`: navi's line when the user had none.
fn own_line(input: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(input) else {
        return String::new();
    };
    let mut f = StatusFile::default();
    merge_statusline(&mut f, &v);
    let u = crate::sessions::usage::usage(&f);
    let mut parts: Vec<String> = u.model.map(|m| crate::text::sanitize_line(&m)).into_iter().collect();
    if let Some(p) = u.context_percent {
        parts.push(format!("ctx {p:.0}%"));
    }
    if let Some(c) = u.cost_usd {
        parts.push(dollars(c));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn navis_own_line_says_model_context_and_cost() {
        let input = br#"{"model":{"display_name":"Opus\u001b[2J 4.6"},"cost":{"total_cost_usd":1.5},
            "context_window":{"used_percentage":42.4}}"#;
        assert_eq!(own_line(input), "Opus 4.6 · ctx 42% · $1.50");
        assert_eq!(own_line(b"{}"), "");
        assert_eq!(own_line(b"not json"), "");
    }

    #[test]
    fn another_agents_status_line_is_not_the_leads() {
        let mut f = StatusFile::new("s", crate::sessions::Status::Working);
        assert!(is_lead(&f, Some("x")), "no lead recorded yet");
        f.session_id = Some("lead".into());
        assert!(is_lead(&f, Some("lead")) && is_lead(&f, None));
        assert!(!is_lead(&f, Some("mate")));
        f.status = crate::sessions::Status::Offline;
        assert!(is_lead(&f, Some("mate")), "the lead is gone: whoever runs now");
    }
}
