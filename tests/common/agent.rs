//! Helpers for agent-session tests: send a command and follow its output as an agent would.

use navi::sessionmgr::{Manager, ReadResult, SessionState};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// Sends `cmd` and reads until it finished.
pub async fn run(m: &Manager, id: &str, cmd: &str) -> (String, ReadResult) {
    let sent = m.send(id, cmd, None).await.unwrap();
    finish(m, id, sent.command_id).await
}

/// Reads until command `command_id` finished (or the session closed); returns its data and
/// the last read.
pub async fn finish(m: &Manager, id: &str, command_id: u64) -> (String, ReadResult) {
    let mut data = String::new();
    let mut cursor = None;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let r = m.read(id, cursor, None, Duration::from_secs(5)).await.unwrap();
        if r.command_id == Some(command_id) {
            data.push_str(&r.data);
        }
        cursor = Some(r.next_cursor);
        if (r.finished && r.command_id == Some(command_id)) || r.state == SessionState::Closed {
            return (data, r);
        }
        assert!(tokio::time::Instant::now() < deadline, "command {command_id} did not finish: {r:?}");
    }
}
