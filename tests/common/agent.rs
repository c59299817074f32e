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

/// Sends 5 MiB of `y`s and checks, without reading along, that a read from the command's
/// start comes back truncated to the ring's last MiB with exact offsets. Returns the end.
/// The output waits for a gate (a file any user can see, for a remote shell on this
/// machine) until the command's start is read: a slow reader would otherwise find the
/// start already gone from the ring.
pub async fn five_mib_truncates_with_an_exact_cursor(m: &Manager, id: &str) -> u64 {
    let gates = tempfile::tempdir().unwrap();
    std::fs::set_permissions(gates.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let gate = gates.path().join("go");
    let cmd = format!(
        "until [ -e '{}' ]; do sleep 0.05; done; head -c 5242880 /dev/zero | tr '\\0' 'y'; echo; echo END",
        gate.display()
    );
    let sent = m.send(id, &cmd, None).await.unwrap();
    let first = m.read(id, None, Some(64), Duration::ZERO).await.unwrap();
    assert_eq!(first.data, "", "nothing before the gate opens: {first:?}");
    let start = first.offset;
    std::fs::write(&gate, "").unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while m.list().iter().any(|s| s.running_command_id == Some(sent.command_id)) {
        assert!(tokio::time::Instant::now() < deadline, "5 MiB never finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let end = m.list()[0].next_cursor;
    assert_eq!(end - start, 5 * 1024 * 1024 + 5);
    let r = m.read(id, Some(start), Some(1 << 20), Duration::ZERO).await.unwrap();
    assert!(r.truncated, "{r:?}");
    assert_eq!((r.offset, r.next_cursor), (end - (1 << 20), end));
    assert!(r.data.ends_with("yyy\nEND\n"));
    assert_eq!(r.exit_code, Some(0));
    end
}
