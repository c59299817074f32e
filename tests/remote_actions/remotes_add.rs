//! `navi remotes add` against a real sshd: the entry is written after one successful
//! connection, the file's comments and other entries kept; from a `Host` of
//! ~/.ssh/config; nothing is written when the connection fails.

use crate::Env;

#[test]
fn an_entry_is_added_after_a_connection_and_the_file_keeps_its_comments() {
    let e = Env::new();
    let original = format!("# my machines\n{}# the end\n", e.sshd.remotes_yaml("box"));
    std::fs::write(&e.remotes, &original).unwrap();
    let port = e.sshd.port.to_string();
    let key = e.sshd.user_key.display().to_string();
    let args = ["remotes", "add", "two", "--host", "127.0.0.1", "--port", &port, "--user", e.sshd.user, "--key", &key];
    let out = e.ok(&args);
    assert!(out.contains("added two (navi-test@127.0.0.1"), "{out}");
    let text = std::fs::read_to_string(&e.remotes).unwrap();
    assert!(text.starts_with(&original.replace("# the end\n", "")), "{text}");
    assert!(text.contains("# my machines\n") && text.contains("# the end\n"), "{text}");
    let rows: serde_json::Value = serde_json::from_str(&e.ok(&["remotes", "--json"])).unwrap();
    let names: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["box", "two"]);

    // A remote that cannot be reached is not added.
    let before = std::fs::read_to_string(&e.remotes).unwrap();
    let (code, _, err) = e.navi(&["remotes", "add", "dead", "--host", "127.0.0.1", "--port", "1", "--user", "u"]);
    assert_ne!(code, 0);
    assert!(err.contains("dead was not added"), "{err}");
    assert_eq!(std::fs::read_to_string(&e.remotes).unwrap(), before);
    let (code, _, err) = e.navi(&["remotes", "add", "two", "--host", "127.0.0.1"]);
    assert!(code != 0 && err.contains("already"), "{err}");
}

#[test]
fn a_host_of_ssh_config_is_added_by_its_alias() {
    let e = Env::new();
    let ssh = e.local.home.join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(
        ssh.join("config"),
        format!(
            "Host devbox\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {}\n",
            e.sshd.port,
            e.sshd.user,
            e.sshd.user_key.display()
        ),
    )
    .unwrap();
    std::fs::write(&e.remotes, format!("known_hosts: {}\n", e.sshd.known_hosts.display())).unwrap();
    let out = e.ok(&["remotes", "add", "dev", "--from-ssh-config", "devbox"]);
    assert!(out.contains("added dev"), "{out}");
    let text = std::fs::read_to_string(&e.remotes).unwrap();
    assert!(text.contains("name: dev") && text.contains("host: devbox"), "{text}");
    assert!(!text.contains("127.0.0.1"), "ssh_config's fields stay there: {text}");
    let (code, _, err) = e.navi(&["remotes", "add", "x", "--from-ssh-config", "nosuch"]);
    assert!(code != 0 && err.contains("no Host nosuch"), "{err}");
}
