//! The SSH pool against a real OpenSSH sshd: commands, exit statuses, stdin, host keys,
//! OpenSSH's default channel limit, and a server that dies and comes back.

mod common;
#[path = "ssh_pool/ssh_hostkeys.rs"]
mod ssh_hostkeys;

use common::sshd::{Options, Sshd, processes_with};
use navi::config::{HostKeyChecking, RemotesConfig, parse_remotes};
use navi::ssh::{ConnState, Pool, SshError};
use std::path::Path;
use std::sync::Arc;

fn config(sshd: &Sshd, policy: &str) -> RemotesConfig {
    let text = format!("host_key_checking: {policy}\n{}", sshd.remotes_yaml("box"));
    let loaded = parse_remotes(&text, Path::new("/nonexistent-home")).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    loaded.config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_commands_with_stdin_exit_status_and_stderr() {
    let sshd = Sshd::start();
    let pool = Pool::new(&config(&sshd, "strict"));
    assert_eq!(pool.status("box").unwrap().state, ConnState::Disconnected);
    let out = pool.exec("box", "echo out; echo err >&2; cat; exit 7", Some(b"fed in")).await.unwrap();
    assert_eq!(out.status, Some(7));
    assert_eq!(out.stdout, b"out\nfed in");
    assert_eq!(out.stderr, b"err\n");
    assert_eq!(pool.status("box").unwrap().state, ConnState::Connected);
    let who = pool.exec("box", "id -un; echo $HOME", None).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&who.stdout), format!("navi-test\n{}\n", sshd.remote_home.display()));
    assert!(matches!(pool.exec("nope", "true", None).await, Err(SshError::NoSuchRemote(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_commands_with_default_max_sessions() {
    // No MaxSessions line: OpenSSH's default of 10 channels per connection.
    let sshd = Sshd::start();
    let pool = Arc::new(Pool::new(&config(&sshd, "strict")));
    common::sshd::commands_at_once(&pool, "box", 20).await;
    // Quick commands churn channels faster than the server frees their slots.
    let quick: Vec<_> = (0..60)
        .map(|i| {
            let pool = pool.clone();
            tokio::spawn(async move { pool.exec("box", &format!("echo {i}"), None).await })
        })
        .collect();
    for (i, t) in quick.into_iter().enumerate() {
        let out = t.await.unwrap().unwrap_or_else(|e| panic!("quick command {i}: {e}"));
        assert_eq!(out.stdout, format!("{i}\n").as_bytes());
    }
    // One connection served them all.
    let log = sshd.log();
    assert_eq!(log.matches("Accepted publickey").count(), 1, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_host_key_is_refused_with_its_fingerprint_then_accepted() {
    let sshd = Sshd::start();
    std::fs::write(&sshd.known_hosts, "").unwrap();
    let pool = Pool::new(&config(&sshd, "strict"));
    let err = pool.exec("box", "true", None).await.unwrap_err();
    let SshError::UnknownHostKey { ref fingerprint, port, .. } = err else { panic!("{err:?}") };
    assert_eq!(port, sshd.port);
    let expected = std::process::Command::new("ssh-keygen")
        .arg("-l")
        .arg("-f")
        .arg(sshd.dir.path().join("host_key.pub"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&expected.stdout).contains(fingerprint.as_str()), "{fingerprint}");
    assert!(err.to_string().contains(fingerprint.as_str()));
    let st = pool.status("box").unwrap();
    assert_eq!(st.state, ConnState::Error);
    assert!(st.last_error.unwrap().contains(fingerprint.as_str()));
    // The dashboard's dialog: accept, then it connects.
    assert!(pool.accept_host_key(&err).unwrap());
    assert_eq!(pool.exec("box", "echo ok", None).await.unwrap().stdout, b"ok\n");
    // And OpenSSH agrees with the line navi wrote.
    let ssh = std::process::Command::new("ssh")
        .args(["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o"])
        .arg(format!("UserKnownHostsFile={}", sshd.known_hosts.display()))
        .arg("-i")
        .arg(&sshd.user_key)
        .args(["-p", &sshd.port.to_string(), "navi-test@127.0.0.1", "echo via-openssh"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&ssh.stdout), "via-openssh\n", "{}", String::from_utf8_lossy(&ssh.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_new_records_and_off_ignores() {
    let sshd = Sshd::start();
    std::fs::write(&sshd.known_hosts, "").unwrap();
    let pool = Pool::new(&config(&sshd, "accept-new"));
    pool.exec("box", "true", None).await.unwrap();
    let kh = std::fs::read_to_string(&sshd.known_hosts).unwrap();
    assert_eq!(kh, sshd.known_hosts_line());

    std::fs::write(&sshd.known_hosts, "").unwrap();
    let cfg = config(&sshd, "off");
    assert_eq!(cfg.host_key_checking, HostKeyChecking::Off);
    Pool::new(&cfg).exec("box", "true", None).await.unwrap();
    assert_eq!(std::fs::read_to_string(&sshd.known_hosts).unwrap(), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_host_key_is_refused_under_every_policy() {
    let sshd = Sshd::start();
    // known_hosts holds another key for the same [host]:port, hashed.
    let other = sshd.dir.path().join("other");
    common::sshd::keygen(&other, "ed25519", "");
    let public = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let words: Vec<&str> = public.split_whitespace().collect();
    std::fs::write(&sshd.known_hosts, format!("[127.0.0.1]:{} {} {}\n", sshd.port, words[0], words[1])).unwrap();
    let hashed = std::process::Command::new("ssh-keygen").arg("-H").arg("-f").arg(&sshd.known_hosts).output().unwrap();
    assert!(hashed.status.success());
    for policy in ["strict", "accept-new"] {
        let pool = Pool::new(&config(&sshd, policy));
        let err = pool.exec("box", "true", None).await.unwrap_err();
        match &err {
            SshError::HostKeyChanged { expected, actual, line, .. } => {
                assert_ne!(expected, actual);
                assert_eq!(*line, 1);
                assert!(err.to_string().contains(expected.as_str()) && err.to_string().contains(actual.as_str()));
            }
            other => panic!("{policy}: {other:?}"),
        }
        assert!(!pool.accept_host_key(&err).unwrap(), "a changed key is never accepted");
    }
    assert!(!sshd.log().contains("Accepted publickey"), "no login happened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_sshd_restarts() {
    let mut sshd = Sshd::start_with(Options::default());
    let pool = Pool::new(&config(&sshd, "strict"));
    assert_eq!(pool.exec("box", "echo 1", None).await.unwrap().stdout, b"1\n");
    sshd.restart();
    // The old connection is dead; the next command notices, reconnects and succeeds.
    let mut last = None;
    for _ in 0..50 {
        match pool.exec("box", "echo 2", None).await {
            Ok(out) => {
                last = Some(out);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    assert_eq!(last.expect("never reconnected").stdout, b"2\n");
    assert_eq!(pool.status("box").unwrap().state, ConnState::Connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_cut_off_by_a_dying_server_is_a_failure() {
    let mut sshd = Sshd::start();
    let pool = Arc::new(Pool::new(&config(&sshd, "strict")));
    pool.exec("box", "true", None).await.unwrap();
    let p = pool.clone();
    // Killed once it runs there (a command not started yet would be retried elsewhere).
    let sleep = format!("sleep 20.{}", rand_suffix());
    let command = format!("echo started; {sleep}; echo never");
    let running = tokio::spawn(async move { p.exec("box", &command, None).await });
    let started = tokio::task::spawn_blocking(move || {
        common::tmux::wait_for(std::time::Duration::from_secs(60), || !processes_with(&sleep).is_empty())
    });
    assert!(started.await.unwrap(), "the command never started on the server");
    sshd.kill();
    let res = running.await.unwrap();
    assert!(matches!(res, Err(SshError::Disconnected(_))), "{res:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_in_with_ed25519_ecdsa_and_rsa_keys() {
    let sshd = Sshd::start();
    for kind in ["ecdsa", "rsa", "ed25519"] {
        let key = sshd.dir.path().join(format!("key_{kind}"));
        common::sshd::keygen(&key, kind, "");
        let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        std::fs::write(sshd.dir.path().join("authorized_keys"), public).unwrap();
        let mut cfg = config(&sshd, "strict");
        cfg.remotes[0].key = key;
        let out = Pool::new(&cfg).exec("box", "echo in", None).await.unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(out.stdout, b"in\n", "{kind}");
    }
    // A key the server does not accept: a clear refusal.
    let err = Pool::new(&config(&sshd, "strict")).exec("box", "true", None).await.unwrap_err();
    assert!(matches!(err, SshError::Auth { .. }), "{err:?}");
    assert!(err.to_string().contains("refused the key"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_is_dropped_and_the_command_retried_on_a_new_connection() {
    let sshd = Sshd::start();
    let pool = Pool::new(&config(&sshd, "strict"));
    pool.exec("box", "true", None).await.unwrap();
    // Freeze every sshd process serving the connection: TCP stays up, nothing answers.
    let listener: u32 = std::fs::read_to_string(sshd.dir.path().join("sshd.pid")).unwrap().trim().parse().unwrap();
    let mut frozen = common::sshd::children_of(listener);
    let mut i = 0;
    while i < frozen.len() {
        let kids = common::sshd::children_of(frozen[i]);
        frozen.extend(kids);
        i += 1;
    }
    assert!(!frozen.is_empty());
    for p in &frozen {
        std::process::Command::new("kill").args(["-STOP", &p.to_string()]).status().unwrap();
    }
    let res = tokio::time::timeout(std::time::Duration::from_secs(90), pool.exec("box", "echo hi", None)).await;
    for p in &frozen {
        std::process::Command::new("kill").args(["-CONT", &p.to_string()]).status().unwrap();
    }
    // Keepalive drops the silent connection (about 15 s); the command, which had not
    // started, is retried once on a new connection.
    let out = res.expect("the command hung on a silent peer").unwrap();
    assert_eq!(out.stdout, b"hi\n");
    assert_eq!(sshd.log().matches("Accepted publickey").count(), 2, "{}", sshd.log());
    assert_eq!(pool.status("box").unwrap().state, ConnState::Connected);
    assert!(pool.status("box").unwrap().last_error.unwrap().contains("eepalive"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_queued_behind_a_failing_connect_share_its_error() {
    // A port that accepts TCP and never answers; count the connection attempts.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hole.local_addr().unwrap().port();
    let attempts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = attempts.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in hole.incoming().flatten() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(s);
        }
    });
    let text = format!("remotes:\n  - name: hole\n    host: 127.0.0.1\n    port: {port}\n    user: u\n    key: /k\n");
    let pool = Arc::new(Pool::new(&parse_remotes(&text, Path::new("/nonexistent")).unwrap().config));
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { pool.exec("hole", "true", None).await })
        })
        .collect();
    for t in tasks {
        let err = t.await.unwrap().unwrap_err();
        assert!(matches!(&err, SshError::Timeout { what, .. } if what.contains("connecting to 127.0.0.1")), "{err:?}");
    }
    assert_eq!(attempts.load(std::sync::atomic::Ordering::SeqCst), 1, "one attempt served every queued command");
    let st = pool.status("hole").unwrap();
    assert_eq!(st.state, ConnState::Error);
    assert!(st.last_error_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_out_commands_free_their_server_sessions() {
    // OpenSSH's default MaxSessions (10); more commands time out than it has slots.
    let sshd = Sshd::start();
    let pool = Pool::new(&config(&sshd, "strict")).with_command_timeout(std::time::Duration::from_secs(1));
    let tag = format!("{}.{}", 900 + std::process::id() % 90, rand_suffix());
    for i in 0..12 {
        let err = pool.exec("box", &format!("sleep {tag}"), None).await.unwrap_err();
        assert!(matches!(err, SshError::Timeout { .. }), "command {i}: {err:?}");
    }
    let out = pool.exec("box", "echo ok", None).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.stdout, b"ok\n");
    // The commands given up on were killed, not left running on the server.
    let gone = common::tmux::wait_for(std::time::Duration::from_secs(20), || {
        processes_with(&format!("sleep {tag}")).is_empty()
    });
    assert!(gone, "left running: {:?}", processes_with(&format!("sleep {tag}")));
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() % 1_000_000
}

/// The most memory this test process ever held (`VmHWM`), in bytes.
fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_output_is_cut_at_16_mib_and_the_pool_goes_on() {
    let sshd = Sshd::start();
    // Long enough that, without the bound, gigabytes would pile up before the timeout.
    let pool = Pool::new(&config(&sshd, "strict")).with_command_timeout(std::time::Duration::from_secs(120));
    let tag = format!("{}{}", 900 + std::process::id() % 90, rand_suffix());
    for command in ["cat /dev/zero".to_string(), format!("yes {tag}"), format!("yes {tag} >&2")] {
        let err = pool.exec("box", &command, None).await.unwrap_err();
        assert!(matches!(err, SshError::OutputTooLarge { .. }), "{command}: {err:?}");
        assert_eq!(err.to_string(), "output larger than 16 MiB");
        // The channel was closed and the connection kept: the next command runs on it.
        let out = pool.exec("box", "echo ok", None).await.unwrap_or_else(|e| panic!("after {command}: {e}"));
        assert_eq!(out.stdout, b"ok\n");
        assert_eq!(pool.status("box").unwrap().state, ConnState::Connected);
    }
    let gone =
        common::tmux::wait_for(std::time::Duration::from_secs(20), || processes_with(&format!("yes {tag}")).is_empty());
    assert!(gone, "left running on the server: {:?}", processes_with(&format!("yes {tag}")));
    assert!(peak_memory() < 512 << 20, "peak memory {} MiB", peak_memory() >> 20);
    assert_eq!(sshd.log().matches("Accepted publickey").count(), 1, "one connection served them all");
}
