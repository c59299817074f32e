//! What only the inside shows: which tasks keep a session alive.

use super::*;
use crate::sessionmgr::{Drivers, LocalDriver};

fn manager() -> Manager {
    let local = LocalDriver { shell: None, cwd: None };
    Manager::new(Arc::new(Drivers::new().with("local", Arc::new(local))), ManagerConfig::default())
}

/// Polls `done` for up to a minute.
async fn eventually(done: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_session_is_freed_though_its_command_had_a_long_timeout() {
    let m = manager();
    let id = m.open("local", None).await.unwrap().session_id;
    m.send(&id, "sleep 1000", Some(3600)).await.unwrap();
    let weak = Arc::downgrade(&m.find(&id).unwrap());
    m.close(&id).await.unwrap();
    assert!(eventually(|| weak.upgrade().is_none()).await, "something still holds the closed session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offset_past_the_end_fails_without_waiting() {
    let m = manager();
    let id = m.open("local", None).await.unwrap().session_id;
    let read = m.read(&id, Some(1 << 40), None, Duration::from_secs(3600));
    let r = tokio::time::timeout(Duration::from_secs(60), read).await.expect("the read waited");
    assert!(r.unwrap_err().to_string().contains("past the end"));
    m.close(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_that_exited_lets_go_of_its_terminal() {
    let m = manager();
    let id = m.open("local", None).await.unwrap().session_id;
    let s = m.find(&id).unwrap();
    assert!(s.shell().is_some());
    m.send(&id, "exit 3", None).await.unwrap();
    assert!(eventually(|| s.lock().phase == SessionState::Closed && s.shell().is_none()).await);
    // Still readable until the end was read, then gone with the reason.
    let r = m.read(&id, None, None, Duration::ZERO).await.unwrap();
    assert_eq!((r.state, r.exit_code), (SessionState::Closed, Some(3)));
    let e = m.read(&id, None, None, Duration::ZERO).await.unwrap_err().to_string();
    assert!(e.starts_with("session not found (the shell exited"), "{e}");
}
