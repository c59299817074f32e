//! Persistent shells over the pool: a PTY shell that runs commands, is interrupted by
//! Ctrl-C, and whose reader ends (never hangs) when the server goes away.

mod common;

use common::sshd::Sshd;
use navi::config::parse_remotes;
use navi::ssh::{Pool, ShellChannel, ShellEnd};
use std::path::Path;
use std::time::Duration;

fn pool(sshd: &Sshd) -> Pool {
    Pool::new(&parse_remotes(&sshd.remotes_yaml("box"), Path::new("/nonexistent")).unwrap().config)
}

/// Reads until `needle` appears in everything read so far; panics after a generous wait.
async fn read_until(shell: &mut ShellChannel, seen: &mut String, needle: &str) {
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while !seen.contains(needle) {
            match shell.recv().await {
                Some(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                None => return false,
            }
        }
        true
    })
    .await;
    assert!(matches!(found, Ok(true)), "never saw {needle:?}; got {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_runs_commands_and_ctrl_c_interrupts() {
    let sshd = Sshd::start();
    let pool = pool(&sshd);
    let mut shell = pool.open_shell("box").await.unwrap();
    let mut seen = String::new();
    shell.write(b"echo hi-$((40+2))\n").await.unwrap();
    read_until(&mut shell, &mut seen, "hi-42").await;
    shell.write(b"sleep 600; echo never-$((2+3))\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    shell.writer.interrupt().await.unwrap();
    shell.write(b"echo after-$((1+1))\n").await.unwrap();
    read_until(&mut shell, &mut seen, "after-2").await;
    assert!(!seen.contains("never-5"), "{seen}");
    shell.write(b"exit 5\n").await.unwrap();
    while shell.recv().await.is_some() {}
    assert_eq!(shell.writer.ended(), Some(ShellEnd::Exited(5)));
    // Exec still works alongside (shells have their own connection).
    assert_eq!(pool.exec("box", "echo x", None).await.unwrap().stdout, b"x\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_ends_when_the_server_dies() {
    let mut sshd = Sshd::start();
    let pool = pool(&sshd);
    let mut shell = pool.open_shell("box").await.unwrap();
    let mut seen = String::new();
    shell.write(b"echo ready\n").await.unwrap();
    read_until(&mut shell, &mut seen, "ready").await;
    sshd.kill();
    let drained = tokio::time::timeout(Duration::from_secs(30), async { while shell.recv().await.is_some() {} }).await;
    assert!(drained.is_ok(), "the reader hung after the server died");
    assert!(matches!(shell.writer.ended(), Some(ShellEnd::Lost(_))), "{:?}", shell.writer.ended());
    assert!(shell.write(b"echo more\n").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_ends_the_shell() {
    let sshd = Sshd::start();
    let pool = pool(&sshd);
    let shell = pool.open_shell("box").await.unwrap();
    let (writer, mut output) = shell.into_parts();
    writer.close().await;
    let ended = tokio::time::timeout(Duration::from_secs(20), async { while output.recv().await.is_some() {} }).await;
    assert!(ended.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_pty_is_an_error_not_a_shell_without_one() {
    let sshd = Sshd::start_with(common::sshd::Options { extra: "PermitTTY no".into(), ..Default::default() });
    let err = pool(&sshd).open_shell("box").await.err().expect("a shell without a PTY was opened");
    assert!(err.to_string().contains("refused a PTY"), "{err}");
}
