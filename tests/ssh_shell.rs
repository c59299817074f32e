//! Persistent shells over the pool: a PTY shell that runs commands, is interrupted by
//! Ctrl-C, and whose reader ends (never hangs) when the server goes away.

mod common;

use common::sshd::{Sshd, connections_to, processes_with};
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
    // Exec still works alongside, on the same connection.
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
    let mut shell = pool.open_shell("box").await.unwrap();
    // A command still running in the shell ends with it, on the server too.
    let tag = format!("{}.{}", 4000 + std::process::id() % 1000, std::process::id());
    let mut seen = String::new();
    shell.write(format!("echo started-$((1+1)); sleep {tag}\n").as_bytes()).await.unwrap();
    read_until(&mut shell, &mut seen, "started-2").await;
    assert!(common::tmux::wait_for(Duration::from_secs(30), || !processes_with(&format!("sleep {tag}")).is_empty()));
    let (writer, mut output) = shell.into_parts();
    writer.close().await;
    let ended = tokio::time::timeout(Duration::from_secs(20), async { while output.recv().await.is_some() {} }).await;
    assert!(ended.is_ok());
    let gone = common::tmux::wait_for(Duration::from_secs(20), || processes_with(&format!("sleep {tag}")).is_empty());
    assert!(gone, "the shell's command outlived the shell");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_pty_is_an_error_not_a_shell_without_one() {
    let sshd = Sshd::start_with(common::sshd::Options { extra: "PermitTTY no".into(), ..Default::default() });
    let err = pool(&sshd).open_shell("box").await.err().expect("a shell without a PTY was opened");
    assert!(err.to_string().contains("refused a PTY"), "{err}");
}

async fn echo(shell: &mut ShellChannel, word: &str) {
    let mut seen = String::new();
    shell.write(format!("echo {word}-$((6*7))\n").as_bytes()).await.unwrap();
    read_until(shell, &mut seen, &format!("{word}-42")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shells_share_the_pools_connections_and_never_crowd_out_commands() {
    let sshd = Sshd::start();
    let pool = std::sync::Arc::new(pool(&sshd));
    pool.exec("box", "true", None).await.unwrap();
    assert_eq!(connections_to(sshd.port), 1);
    // The first shells ride on the connection the commands use.
    let mut shells = Vec::new();
    for _ in 0..navi::ssh::SHELLS_ON_MAIN {
        shells.push(pool.open_shell("box").await.unwrap());
    }
    assert_eq!((pool.connections("box"), connections_to(sshd.port)), (1, 1));
    // The rest fill extra connections, SHELLS_PER_EXTRA at a time.
    for _ in 0..navi::ssh::SHELLS_PER_EXTRA + 1 {
        shells.push(pool.open_shell("box").await.unwrap());
    }
    assert_eq!((pool.connections("box"), connections_to(sshd.port)), (3, 3));
    for (i, shell) in shells.iter_mut().enumerate() {
        echo(shell, &format!("shell{i}")).await;
    }
    // Twenty commands at once still run beside the shells (OpenSSH's default MaxSessions).
    common::sshd::commands_at_once(&pool, "box", 20).await;
    // Closing the shells ends the extra connections; the main one stays for the commands.
    for shell in shells.drain(navi::ssh::SHELLS_ON_MAIN..) {
        shell.close().await;
    }
    let settled = common::tmux::wait_for(Duration::from_secs(20), || {
        connections_to(sshd.port) == 1 && pool.connections("box") == 1
    });
    assert!(settled, "connections left: {} ({} in the pool)", connections_to(sshd.port), pool.connections("box"));
    echo(&mut shells[0], "still").await;
    assert_eq!(pool.exec("box", "echo x", None).await.unwrap().stdout, b"x\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_outlives_the_pool_replacing_a_connection_whose_commands_hang() {
    let sshd = Sshd::start();
    let pool = pool(&sshd).with_command_timeout(Duration::from_secs(1));
    let mut shell = pool.open_shell("box").await.unwrap();
    echo(&mut shell, "before").await;
    // Enough timeouts in a row that the pool gives up on the connection for commands.
    for _ in 0..3 {
        assert!(pool.exec("box", "sleep 30", None).await.is_err());
    }
    assert_eq!(pool.exec("box", "echo x", None).await.unwrap().stdout, b"x\n");
    echo(&mut shell, "after").await;
    assert_eq!(connections_to(sshd.port), 2, "the shell's connection and the commands' new one");
}
