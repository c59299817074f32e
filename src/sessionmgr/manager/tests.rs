//! What only the inside shows: which tasks keep a session alive.

use super::*;
use crate::sessionmgr::{Connected, DriverError, Drivers, LocalDriver, Output, Shell, Stop};
use async_trait::async_trait;

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
    let weak = Arc::downgrade(&m.find(&id).await.unwrap());
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
    let s = m.find(&id).await.unwrap();
    assert!(s.shell().is_some());
    m.send(&id, "exit 3", None).await.unwrap();
    assert!(eventually(|| s.lock().phase == SessionState::Closed && s.shell().is_none()).await);
    // Still readable until the end was read, then gone with the reason.
    let r = m.read(&id, None, None, Duration::ZERO).await.unwrap();
    assert_eq!((r.state, r.exit_code), (SessionState::Closed, Some(3)));
    let e = m.read(&id, None, None, Duration::ZERO).await.unwrap_err().to_string();
    assert!(e.starts_with("session not found (the shell exited"), "{e}");
}

/// A shell that answers its start-up line and, asked to close, waits for `all` shells to be
/// closing at once (up to a minute): a shutdown that closes one after the other stalls.
/// It never runs a command (no start marker ever comes) and counts the stops asked of it.
struct SlowShell {
    out: mpsc::Sender<Output>,
    closing: Arc<std::sync::atomic::AtomicUsize>,
    stops: Arc<std::sync::atomic::AtomicUsize>,
    all: usize,
}

#[async_trait]
impl Shell for SlowShell {
    async fn write(&self, data: &[u8]) -> Result<(), DriverError> {
        // The start-up line ends with: printf '…:R:%s\036' <half> <half> "…"
        let text = String::from_utf8_lossy(data);
        if let Some(rest) = text.split(":R:%s\\036' ").nth(1) {
            let halves: Vec<&str> = rest.split(' ').take(2).collect();
            let marker = format!("\x1eNAVI{}{}:R:bash\x1e", halves[0], halves[1]);
            let _ = self.out.send(Output::Data(marker.into_bytes())).await;
        }
        Ok(())
    }

    async fn stop(&self, _: Stop) -> Result<(), DriverError> {
        self.stops.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    async fn close(&self) {
        use std::sync::atomic::Ordering;
        self.closing.fetch_add(1, Ordering::SeqCst);
        eventually(|| self.closing.load(Ordering::SeqCst) >= self.all).await;
    }
}

#[derive(Default)]
struct SlowDriver {
    closing: Arc<std::sync::atomic::AtomicUsize>,
    stops: Arc<std::sync::atomic::AtomicUsize>,
    all: usize,
}

#[async_trait]
impl Driver for SlowDriver {
    async fn connect(&self, _: &str) -> Result<Connected, DriverError> {
        let (tx, output) = mpsc::channel(8);
        let shell = SlowShell { out: tx, closing: self.closing.clone(), stops: self.stops.clone(), all: self.all };
        Ok(Connected { shell: Arc::new(shell), output })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_every_session_at_once() {
    let closing = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let driver = SlowDriver { closing: closing.clone(), all: 8, ..SlowDriver::default() };
    let m = Manager::new(Arc::new(driver), ManagerConfig::default());
    for _ in 0..8 {
        m.open("slow", None).await.unwrap();
    }
    // One after the other, the first close alone would wait its full minute.
    let _ = tokio::time::timeout(Duration::from_secs(30), m.shutdown()).await;
    assert_eq!(closing.load(std::sync::atomic::Ordering::SeqCst), 8, "the closes did not overlap");
    assert!(m.list().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_is_sent_even_if_the_command_never_starts() {
    let stops = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let driver = SlowDriver { stops: stops.clone(), all: 1, ..SlowDriver::default() };
    let m = Manager::new(Arc::new(driver), ManagerConfig::default());
    let id = m.open("slow", None).await.unwrap().session_id;
    let sent = m.send(&id, "sleep 1000", None).await.unwrap();
    let i = m.interrupt(&id).await.unwrap();
    assert_eq!(i.command_id, Some(sent.command_id));
    assert!(eventually(|| stops.load(std::sync::atomic::Ordering::SeqCst) > 0).await, "the stop never went");
}
