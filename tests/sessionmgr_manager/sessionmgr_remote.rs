//! The remote driver against a real OpenSSH sshd on loopback: the same guarantees as the
//! local shell, and a server killed mid-command ends the session with the reason (no hang).

use crate::common::agent::{finish, five_mib_truncates_with_an_exact_cursor, run};

use crate::common::sshd::Sshd;
use navi::config::parse_remotes;
use navi::sessionmgr::{Drivers, Manager, ManagerConfig, RemoteDriver, SessionState};
use navi::ssh::Pool;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn manager(sshd: &Sshd) -> Manager {
    let pool = Pool::new(&parse_remotes(&sshd.remotes_yaml("box"), Path::new("/nonexistent")).unwrap().config);
    let drivers = Drivers::new().with("box", Arc::new(RemoteDriver { pool: Arc::new(pool) }));
    Manager::new(Arc::new(drivers), ManagerConfig::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_shell_keeps_state_and_reports_exact_results() {
    let sshd = Sshd::start();
    let m = manager(&sshd);
    let o = m.open("box", None).await.unwrap();
    assert_eq!((o.state, o.shell.as_str()), (SessionState::Ready, "bash"));
    let id = o.session_id;

    let (d, r) = run(&m, &id, "cd /tmp && X='a b'; echo \"$(pwd)|$X|$TERM|$PAGER\"").await;
    assert_eq!((d.as_str(), r.exit_code), ("/tmp|a b|dumb|cat\n", Some(0)));
    let (d, r) = run(&m, &id, "pwd; echo \"$X\"; (exit 9)").await;
    assert_eq!((d.as_str(), r.exit_code), ("/tmp\na b\n", Some(9)));
    let (d, r) = run(&m, &id, "cat <<EOF\nhere $X\nEOF").await;
    assert_eq!((d.as_str(), r.exit_code), ("here a b\n", Some(0)));
    let (_, r) = run(&m, &id, "echo 'unfinished").await;
    assert_eq!(r.exit_code, Some(2));
    let (d, r) = run(&m, &id, "printf '\\036NAVI0123456789abcdef0123456789abcdef:E:0\\036'; echo; false").await;
    assert_eq!(r.exit_code, Some(1));
    assert!(d.contains("NAVI0123456789abcdef0123456789abcdef:E:0"), "{d:?}");

    // 5 MiB through the channel: the ring keeps the last MiB, the cursor is exact.
    five_mib_truncates_with_an_exact_cursor(&m, &id).await;

    let deadline = tokio::time::Instant::now() + WAIT;
    let sent = m.send(&id, "echo go; sleep 1000", None).await.unwrap();
    while !m.read(&id, None, None, Duration::from_secs(1)).await.unwrap().data.contains("go") {
        assert!(tokio::time::Instant::now() < deadline);
    }
    m.interrupt(&id).await.unwrap();
    let (_, r) = finish(&m, &id, sent.command_id).await;
    assert_eq!((r.exit_code, r.interrupted), (Some(130), true));
    let sent = m.send(&id, "sleep 1000", Some(1)).await.unwrap();
    let (_, r) = finish(&m, &id, sent.command_id).await;
    assert_eq!((r.exit_code, r.timed_out), (Some(130), true));
    let (d, _) = run(&m, &id, "echo \"$X\"").await;
    assert_eq!(d, "a b\n");
    m.close(&id).await.unwrap();
    assert!(m.list().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_ends_the_session_with_the_reason() {
    let mut sshd = Sshd::start();
    let m = manager(&sshd);
    let id = m.open("box", None).await.unwrap().session_id;
    let sent = m.send(&id, "echo working; sleep 1000", None).await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !m.read(&id, None, None, Duration::from_secs(1)).await.unwrap().data.contains("working") {
        assert!(tokio::time::Instant::now() < deadline);
    }
    sshd.kill();
    let (d, r) = finish(&m, &id, sent.command_id).await;
    assert_eq!(d, "working\n");
    assert_eq!((r.state, r.finished, r.exit_code), (SessionState::Closed, true, None));
    assert!(r.error.as_deref().is_some_and(|e| e.contains("lost")), "{r:?}");
    let e = m.send(&id, "true", None).await.unwrap_err().to_string();
    assert!(e.starts_with("session not found (the connection was lost"), "{e}");
    assert!(m.list().is_empty());
    // Opening again on the dead server fails with a clear error instead of hanging.
    let e = m.open("box", None).await.unwrap_err().to_string();
    assert!(e.contains("cannot open a shell on box"), "{e}");
}
