//! The manager's rules with real local shells: the 64-session cap, the idle reaper (and 0 =
//! never), FIFO sends, every state transition, closing a busy session, unknown hosts.

mod common;
#[path = "sessionmgr_manager/sessionmgr_remote.rs"]
mod sessionmgr_remote;

use async_trait::async_trait;
use navi::sessionmgr::{
    Connected, Driver, DriverError, Drivers, LocalDriver, Manager, ManagerConfig, SessionState, Shell, Stop,
};
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn local(dir: &std::path::Path) -> Arc<dyn Driver> {
    Arc::new(LocalDriver { shell: None, cwd: Some(dir.to_path_buf()) })
}

fn manager_with(driver: Arc<dyn Driver>, cfg: ManagerConfig) -> Manager {
    Manager::new(Arc::new(Drivers::new().with("local", driver)), cfg)
}

async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn state_of(m: &Manager, id: &str) -> Option<SessionState> {
    m.list().into_iter().find(|l| l.session_id == id).map(|l| l.state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_65th_open_fails_with_manager_full() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager_with(local(dir.path()), ManagerConfig::default());
    let mut ids = Vec::new();
    for _ in 0..64 {
        ids.push(m.open("local", Some(0)).await.unwrap().session_id);
    }
    assert_eq!(m.open("local", None).await.unwrap_err().to_string(), "manager full");
    m.close(&ids[10]).await.unwrap();
    let again = m.open("local", None).await.unwrap().session_id;
    assert!(!ids.contains(&again), "ids are never reused");
    assert_eq!(m.list().len(), 64);
    m.shutdown().await;
    assert!(m.list().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reaper_closes_idle_sessions_and_zero_means_never() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ManagerConfig {
        idle_ttl: Duration::from_secs(1),
        reap_every: Duration::from_millis(100),
        ..Default::default()
    };
    let m = manager_with(local(dir.path()), cfg);
    let short = m.open("local", Some(1)).await.unwrap();
    assert_eq!(short.idle_ttl_seconds, 1);
    let default = m.open("local", None).await.unwrap().session_id;
    let never = m.open("local", Some(0)).await.unwrap();
    assert_eq!(never.idle_ttl_seconds, 0);
    eventually("the idle sessions to be reaped", || m.list().len() == 1).await;
    assert_eq!(m.list()[0].session_id, never.session_id);
    for id in [&short.session_id, &default] {
        assert_eq!(m.send(id, "true", None).await.unwrap_err().to_string(), "session not found");
    }
    // Long past its would-be TTL, the 0 session still works.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent = m.send(&never.session_id, "echo ok", None).await.unwrap();
    assert_eq!(sent.command_id, 1);
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_while_busy_run_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager_with(local(dir.path()), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    // The first runs until the others are sent (a fixed sleep could end before them on a
    // slow machine, and the next would not queue).
    let gate = dir.path().join("go");
    let first = m.send(&id, &format!("until [ -e '{}' ]; do sleep 0.05; done; echo 1", gate.display()), None).await;
    let first = first.unwrap();
    assert!(!first.queued);
    assert_eq!(first.state, SessionState::Busy);
    let mut ids = vec![first.command_id];
    for n in 2..=5 {
        let s = m.send(&id, &format!("echo {n}; (exit {n})"), None).await.unwrap();
        assert!(s.queued);
        ids.push(s.command_id);
    }
    assert_eq!(ids, vec![1, 2, 3, 4, 5]);
    std::fs::write(&gate, "").unwrap();
    // One reader following next_cursor gets each command's output with its own exit code.
    let mut cursor = None;
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while seen.len() < 5 {
        let r = m.read(&id, cursor, None, Duration::from_secs(5)).await.unwrap();
        cursor = Some(r.next_cursor);
        if r.finished && seen.last().map(|(c, _, _)| *c) != r.command_id {
            seen.push((r.command_id.unwrap(), r.data.clone(), r.exit_code));
        }
        assert!(tokio::time::Instant::now() < deadline, "{seen:?}");
    }
    assert_eq!(seen[0], (1, "1\n".to_string(), Some(0)));
    for n in 2..=5u64 {
        assert_eq!(seen[n as usize - 1], (n, format!("{n}\n"), Some(n as i32)));
    }
    // A second reader from the start sees the same stream, independently.
    let r = m.read(&id, Some(0), None, Duration::ZERO).await.unwrap();
    assert_eq!((r.data.as_str(), r.command_id, r.exit_code), ("1\n", Some(1), Some(0)));
    m.close(&id).await.unwrap();
}

/// Local shells that open and close only once the test lets them (a permit each), so the
/// passing states can be seen however slow the machine (a fixed delay could pass first).
struct Slow {
    driver: Arc<dyn Driver>,
    open: Arc<tokio::sync::Semaphore>,
    close: Arc<tokio::sync::Semaphore>,
}
struct SlowShell {
    shell: Arc<dyn Shell>,
    close: Arc<tokio::sync::Semaphore>,
}

#[async_trait]
impl Driver for Slow {
    async fn connect(&self, host: &str) -> Result<Connected, DriverError> {
        self.open.acquire().await.unwrap().forget();
        let c = self.driver.connect(host).await?;
        Ok(Connected { shell: Arc::new(SlowShell { shell: c.shell, close: self.close.clone() }), output: c.output })
    }
}

#[async_trait]
impl Shell for SlowShell {
    async fn write(&self, data: &[u8]) -> Result<(), DriverError> {
        self.shell.write(data).await
    }
    async fn stop(&self, how: Stop) -> Result<(), DriverError> {
        self.shell.stop(how).await
    }
    async fn close(&self) {
        self.close.acquire().await.unwrap().forget();
        self.shell.close().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_transition_and_closing_a_busy_session() {
    let dir = tempfile::tempdir().unwrap();
    let (open, close) = (Arc::new(tokio::sync::Semaphore::new(0)), Arc::new(tokio::sync::Semaphore::new(0)));
    let slow = Slow { driver: local(dir.path()), open: open.clone(), close: close.clone() };
    let m = manager_with(Arc::new(slow), ManagerConfig::default());
    let opening = tokio::spawn({
        let m = m.clone();
        async move { m.open("local", None).await }
    });
    eventually("opening", || m.list().first().is_some_and(|l| l.state == SessionState::Opening)).await;
    open.add_permits(1000);
    let id = opening.await.unwrap().unwrap().session_id;
    assert_eq!(state_of(&m, &id), Some(SessionState::Ready));

    let pidfile = dir.path().join("pid");
    let cmd = format!("sh -c 'echo $$ > {}; exec sleep 1000'", pidfile.display());
    m.send(&id, &cmd, None).await.unwrap();
    assert_eq!(state_of(&m, &id), Some(SessionState::Busy));
    eventually("the pid file", || std::fs::read_to_string(&pidfile).is_ok_and(|s| s.ends_with('\n'))).await;
    let pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_string();
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());

    let closing = tokio::spawn({
        let (m, id) = (m.clone(), id.clone());
        async move { m.close(&id).await }
    });
    eventually("closing", || state_of(&m, &id) == Some(SessionState::Closing)).await;
    assert_eq!(m.send(&id, "true", None).await.unwrap_err().to_string(), "session is closing");
    close.add_permits(1000);
    let closed = closing.await.unwrap().unwrap();
    assert_eq!(closed.state, SessionState::Closed);
    assert_eq!(state_of(&m, &id), None);
    assert_eq!(m.read(&id, None, None, Duration::ZERO).await.unwrap_err().to_string(), "session not found");
    assert_eq!(m.close(&id).await.unwrap_err().to_string(), "session not found");
    // The busy command was stopped with its session (a zombie until reaped counts as gone).
    eventually("the sleep to end", || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.contains(") Z"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_hosts_and_bad_ids_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager_with(local(dir.path()), ManagerConfig::default());
    let e = m.open("nowhere", None).await.unwrap_err().to_string();
    assert!(e.contains("unknown hostname \"nowhere\"") && e.contains("local"), "{e}");
    assert!(m.list().is_empty(), "a failed open leaves nothing behind");
    for bad in ["", "slot1", "x:slot1", &format!("{}:slot99", m.host_id()), &format!("{}:slotx", m.host_id())] {
        assert_eq!(m.read(bad, None, None, Duration::ZERO).await.unwrap_err().to_string(), "session not found");
        assert_eq!(m.interrupt(bad).await.unwrap_err().to_string(), "session not found");
    }
    let id = m.open("local", None).await.unwrap().session_id;
    let e = m.send(&id, "echo a\0b", None).await.unwrap_err().to_string();
    assert!(e.contains("NUL"), "{e}");
    let e = m.read(&id, Some(1 << 40), None, Duration::ZERO).await.unwrap_err().to_string();
    assert!(e.contains("past the end"), "{e}");
    m.shutdown().await;
}
