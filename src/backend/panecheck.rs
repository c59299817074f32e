//! The pane check: statuses that no hook event will correct (Esc during a turn, "No" to a
//! permission, a permission granted, an agent that never started) are corrected from what
//! the session's pane shows. Only the sessions whose status may be stale are looked at
//! ([`pane::needs_look`]), one capture each, at most [`MAX_CAPTURES`] per call; a hook
//! that writes meanwhile wins (the correction applies only to the file that was judged).
//! Written once on [`SessionBackend`] primitives: local and remote share it.

use super::{BackendError, Edit, Listing, SessionBackend, pane};
use crate::sessions::StatusFile;

/// Captures per call: a host with hundreds of sessions stays cheap.
pub const MAX_CAPTURES: usize = 16;
/// Lines of the pane read: Claude Code's dialogs and input box are at its bottom.
const LINES: usize = 80;

/// What a pane check did: the files it corrected (as written) and what went wrong.
#[derive(Debug, Default)]
pub struct Checked {
    pub corrected: Vec<StatusFile>,
    pub warnings: Vec<String>,
}

/// The candidates among `files`, questions first, then the longest quiet, at most
/// [`MAX_CAPTURES`].
pub fn candidates<'a>(files: &'a [StatusFile], now: i64, t: &pane::Thresholds) -> Vec<&'a StatusFile> {
    let mut picked: Vec<&StatusFile> = files.iter().filter(|f| pane::needs_look(f, now, t)).collect();
    picked.sort_by_key(|f| (f.status.priority(), f.timestamp()));
    picked.truncate(MAX_CAPTURES);
    picked
}

/// Checks the panes of `files`' candidates and writes each correction; see the module note.
pub async fn check<B: SessionBackend + ?Sized>(b: &B, files: &[StatusFile], now: i64) -> Checked {
    check_with(b, files, now, &pane::Thresholds::from_env()).await
}

/// [`check`] with given thresholds: right after navi answered a dialog itself, the pane is
/// known to be past it, and no settle time is waited (see `backend::answer`).
pub async fn check_with<B: SessionBackend + ?Sized>(
    b: &B,
    files: &[StatusFile],
    now: i64,
    t: &pane::Thresholds,
) -> Checked {
    let t = *t;
    let mut checked = Checked::default();
    for file in candidates(files, now, &t) {
        let name = file.tmux_session.clone();
        let capture = match b.preview(&name, LINES).await {
            Ok(c) => c,
            Err(e @ BackendError::TimedOut(_)) => {
                // tmux stopped answering: the other looks would wait as long.
                checked.warnings.push(format!("reading the pane of {name}: {e}"));
                break;
            }
            Err(e) => {
                checked.warnings.push(format!("reading the pane of {name}: {e}"));
                continue;
            }
        };
        // Reading a capture is linear in its bounded size: cheap enough for the runtime.
        let view = pane::read(&capture);
        let Some(fix) = pane::correct(file, &view, now, &t) else { continue };
        match b.update_status(&name, guarded(file, fix, now)).await {
            Ok(Some(f)) if f.timestamp == Some(now) && f.status != file.status => checked.corrected.push(f),
            Ok(_) => {}
            Err(e) => checked.warnings.push(format!("correcting the status of {name}: {e}")),
        }
    }
    checked
}

/// The edit that applies `fix` to the file as it was judged, and leaves it alone when it
/// changed since (a hook wrote meanwhile: the hook knows better than a screen).
fn guarded(judged: &StatusFile, fix: pane::Correction, now: i64) -> Edit {
    let (status, timestamp) = (judged.status.clone(), judged.timestamp);
    Box::new(move |f: &mut StatusFile| {
        if f.status == status && f.timestamp == timestamp {
            *f = crate::hook::mapping::correct(f.clone(), fix.status.clone(), fix.message.clone(), now);
        }
    })
}

/// Runs the pane check on a listing's sessions and puts the corrected files in it.
pub async fn apply<B: SessionBackend + ?Sized>(b: &B, listing: &mut Listing, now: i64) {
    let files: Vec<StatusFile> = listing.sessions.iter().map(|s| s.file.clone()).collect();
    let checked = b.check_panes(&files, now).await;
    for fixed in checked.corrected {
        if let Some(s) = listing.sessions.iter_mut().find(|s| s.file.tmux_session == fixed.tmux_session) {
            s.file = fixed;
        }
    }
    listing.warnings.extend(checked.warnings);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::Status;

    fn file(status: Status, timestamp: i64) -> StatusFile {
        let mut f = StatusFile::new("s", status);
        f.timestamp = Some(timestamp);
        f
    }

    #[test]
    fn a_correction_applies_to_the_file_judged_and_a_hook_written_since_wins() {
        let judged = file(Status::Permission, 100);
        let fix = pane::Correction { status: Status::Working, message: None };
        let edit = guarded(&judged, fix, 130);

        let mut same = judged.clone();
        edit(&mut same);
        assert_eq!((same.status, same.timestamp), (Status::Working, Some(130)));

        let mut hook_wrote = file(Status::Done, 120);
        hook_wrote.message = Some("Tool finished.".into());
        let before = hook_wrote.clone();
        edit(&mut hook_wrote);
        assert_eq!(hook_wrote, before);
        let mut asked_again = file(Status::Permission, 125);
        edit(&mut asked_again);
        assert_eq!(asked_again, file(Status::Permission, 125));
    }
}
