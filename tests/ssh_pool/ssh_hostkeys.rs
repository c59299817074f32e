//! Host keys against a real OpenSSH sshd: a recorded RSA key is asked for with SHA-2
//! signatures, a key of a type known_hosts does not hold for a known host is refused as
//! changed, and parallel first connections under `accept-new` record the key once.

use crate::common::sshd::{Options, Sshd};
use navi::config::{RemotesConfig, parse_remotes};
use navi::ssh::{Pool, SshError};
use std::path::Path;
use std::sync::Arc;

fn config(sshd: &Sshd, policy: &str) -> RemotesConfig {
    let text = format!("host_key_checking: {policy}\n{}", sshd.remotes_yaml("box"));
    parse_remotes(&text, Path::new("/nonexistent-home")).unwrap().config
}

fn opts(first: &str, second: Option<&str>) -> Options {
    Options { host_key_type: Some(first.into()), second_host_key: second.map(str::to_string), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_rsa_key_is_checked_on_hosts_with_rsa_and_ed25519_keys() {
    // known_hosts holds only the RSA key; the server also offers ed25519, which a client
    // asking for `ssh-rsa` (SHA-1, which OpenSSH no longer offers) would end up with.
    let sshd = Sshd::start_with(opts("ed25519", Some("rsa")));
    std::fs::write(&sshd.known_hosts, sshd.known_hosts_line_for("host_key2")).unwrap();
    let out = Pool::new(&config(&sshd, "strict")).exec("box", "echo in", None).await;
    assert_eq!(out.unwrap_or_else(|e| panic!("{e}")).stdout, b"in\n");

    let rsa_only = Sshd::start_with(opts("rsa", None));
    let out = Pool::new(&config(&rsa_only, "strict")).exec("box", "echo in", None).await;
    assert_eq!(out.unwrap_or_else(|e| panic!("{e}")).stdout, b"in\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_host_offering_an_unrecorded_key_type_is_refused_as_changed() {
    // The server has only an ECDSA key; known_hosts holds an ed25519 key for it.
    let sshd = Sshd::start_with(opts("ecdsa", None));
    let other = sshd.dir.path().join("other");
    crate::common::sshd::keygen(&other, "ed25519", "");
    let public = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let words: Vec<&str> = public.split_whitespace().collect();
    let text = format!("[127.0.0.1]:{} {} {}\n", sshd.port, words[0], words[1]);
    std::fs::write(&sshd.known_hosts, &text).unwrap();
    for policy in ["strict", "accept-new"] {
        let pool = Pool::new(&config(&sshd, policy));
        let err = pool.exec("box", "true", None).await.unwrap_err();
        let SshError::HostKeyChanged { expected, actual, .. } = &err else { panic!("{policy}: {err:?}") };
        assert!(expected.starts_with("ssh-ed25519 ") && actual.starts_with("ecdsa-sha2-nistp256 "), "{err}");
        assert!(!pool.accept_host_key(&err).unwrap(), "the dialog is not offered a changed key");
        assert_eq!(std::fs::read_to_string(&sshd.known_hosts).unwrap(), text, "{policy}: nothing recorded");
    }
    assert!(!sshd.log().contains("Accepted publickey"), "no login happened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_first_connections_under_accept_new_record_the_key_once() {
    let sshd = Sshd::start();
    std::fs::write(&sshd.known_hosts, "").unwrap();
    let cfg = config(&sshd, "accept-new");
    // Separate pools: separate connections, all meeting the host for the first time.
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let pool = Arc::new(Pool::new(&cfg));
            tokio::spawn(async move { pool.exec("box", "true", None).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(std::fs::read_to_string(&sshd.known_hosts).unwrap(), sshd.known_hosts_line());
}
