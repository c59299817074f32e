//! What the hook takes from Claude Code's transcript (see `sessions::transcript`): a Stop
//! whose turn ended on an API error becomes that error, and after the lead's turn events the
//! new part of the transcript adds its token usage to the status file (when no status line
//! gives the numbers). The transcript is read outside the folder lock; the result is merged
//! under it only if no other hook moved the read on meanwhile.

use super::mapping::HookEvent;
use crate::sessions::agent::Agent;
use crate::sessions::store::Store;
use crate::sessions::transcript::{BUDGET, api_error_at_end, read_new};
use crate::sessions::usage::{has_status_line, merge_transcript, transcript_progress};
use anyhow::{Context, Result};
use std::path::Path;
use std::time::Duration;

/// Longer paths are not followed (no real transcript path is near it).
const PATH_MAX: usize = 4096;
const LOCK_WAIT: Duration = Duration::from_secs(5);

fn path_of(event: &HookEvent) -> Option<&Path> {
    let p = event.transcript_path.as_deref().filter(|p| !p.is_empty() && p.len() <= PATH_MAX)?;
    (event.agent == Agent::Claude).then(|| Path::new(p))
}

/// A Stop after which the transcript ends on an API error is that error (StopFailure with
/// its text).
pub fn api_error_stop(event: &mut HookEvent) {
    if event.hook_event_name != "Stop" {
        return;
    }
    if let Some(text) = path_of(event).and_then(api_error_at_end) {
        event.hook_event_name = "StopFailure".into();
        event.last_assistant_message = Some(text);
    }
}

/// After the lead's prompt, turn end or failure: adds the transcript's new usage.
pub fn follow(store: &Store, session: &str, event: &HookEvent) -> Result<()> {
    if !matches!(event.hook_event_name.as_str(), "UserPromptSubmit" | "Stop" | "StopFailure") {
        return Ok(());
    }
    let Some(path) = path_of(event) else { return Ok(()) };
    let Some(file) = store.read(session).context("reading the status file")? else { return Ok(()) };
    let lead = file.session_id.is_none() || file.session_id == event.session_id;
    if !lead || has_status_line(&file) {
        return Ok(());
    }
    let before = transcript_progress(&file);
    let mut progress = before.clone();
    let delta = match read_new(path, &mut progress, BUDGET) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if progress == before && !delta.restarted {
        return Ok(());
    }
    let _lock = store.lock_within(LOCK_WAIT).context("locking the sessions folder")?;
    let Some(mut file) = store.read(session).context("reading the status file")? else { return Ok(()) };
    if transcript_progress(&file) != before {
        return Ok(()); // Another hook read on meanwhile: its numbers stand.
    }
    merge_transcript(&mut file, &progress, &delta);
    store.write(&file).context("writing the status file")
}
