use super::*;

fn home() -> PathBuf {
    PathBuf::from("/home/u")
}

#[test]
fn full_file() {
    let text = r#"
known_hosts: ~/kh
host_key_checking: accept-new
remotes:
  - name: prod
    host: 10.0.0.5
    user: dev
    key: ~/.ssh/id_ed25519
    port: 2222
    sessions_dir: /srv/sessions
    jump_host: bastion.example:2200
  - name: box
    host: box
    user: me
    key: /k
"#;
    let l = parse_remotes(text, &home()).unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let c = l.config;
    assert_eq!(c.known_hosts, PathBuf::from("/home/u/kh"));
    assert_eq!(c.host_key_checking, HostKeyChecking::AcceptNew);
    assert_eq!(c.remotes[0].key, PathBuf::from("/home/u/.ssh/id_ed25519"));
    assert_eq!(c.remotes[0].port, 2222);
    let jump = &c.remotes[0].jumps[0];
    assert_eq!((jump.host.as_str(), jump.port, jump.user.as_str()), ("bastion.example", 2200, "dev"));
    assert_eq!(jump.key, c.remotes[0].key, "a jump host logs in with the entry's key");
    assert_eq!(c.remotes[1].port, 22);
    assert_eq!(c.remotes[1].sessions_dir, "~/.claude-sessions");
}

#[test]
fn bad_entry_is_named_and_skipped() {
    let text =
        "remotes:\n  - name: ok\n    host: h\n    user: u\n    key: /k\n  - name: broken\n    user: u\n    key: /k\n";
    let l = parse_remotes(text, &home()).unwrap();
    assert_eq!(l.config.remotes.len(), 1);
    assert_eq!(l.warnings.len(), 1);
    assert!(l.warnings[0].contains("remote #2 (\"broken\")"), "{}", l.warnings[0]);
    assert!(l.warnings[0].contains("host"), "{}", l.warnings[0]);
}

#[test]
fn a_value_of_the_wrong_type_names_its_field() {
    let entry = |extra: &str| format!("remotes:\n  - name: b\n    host: h\n    user: u\n    key: /k\n{extra}");
    for (extra, field) in [
        ("    port: 99999\n", "port:"),
        ("    port: abc\n", "port:"),
        ("    port: 0\n", "port:"),
        ("    port: -1\n", "port:"),
        ("    sessions_dir: [a]\n", "sessions_dir:"),
        ("    jump_host: {h: 1}\n", "jump_host:"),
    ] {
        let l = parse_remotes(&entry(extra), &home()).unwrap();
        assert!(l.config.remotes.is_empty(), "{extra}");
        assert!(l.warnings[0].contains("remote #1 (\"b\")") && l.warnings[0].contains(field), "{}", l.warnings[0]);
    }
    // A number where text is expected is text.
    let l = parse_remotes("remotes:\n  - name: 42\n    host: h\n    user: 1000\n    key: /k\n", &home()).unwrap();
    assert_eq!((l.config.remotes[0].name.as_str(), l.config.remotes[0].user.as_str()), ("42", "1000"));
}

#[test]
fn broken_file_is_an_error() {
    assert!(parse_remotes("remotes: [", &home()).is_err());
    assert!(parse_remotes("host_key_checking: maybe", &home()).is_err());
    assert!(parse_remotes("remotes: 5", &home()).is_err());
}

#[test]
fn missing_file_is_silent() {
    let l = load_remotes(Path::new("/nonexistent/remotes.yaml"), &home());
    assert!(l.config.remotes.is_empty() && l.warnings.is_empty());
    assert_eq!(l.config.host_key_checking, HostKeyChecking::Strict);
}

#[test]
fn host_ports() {
    assert_eq!(parse_host_port("j").unwrap(), HostPort { host: "j".into(), port: 22 });
    assert_eq!(parse_host_port("j:2").unwrap(), HostPort { host: "j".into(), port: 2 });
    assert_eq!(parse_host_port("[::1]:7").unwrap(), HostPort { host: "::1".into(), port: 7 });
    assert_eq!(parse_host_port("::1").unwrap(), HostPort { host: "::1".into(), port: 22 });
    assert!(parse_host_port("j:x").is_err());
    assert!(parse_host_port("j:0").is_err());
}

#[test]
fn hosts_users_and_paths_that_could_mislead_ssh_are_refused() {
    let entry = |host: &str, user: &str, key: &str, jump: &str| {
        let text = format!(
            "remotes:\n  - name: r\n    host: '{host}'\n    user: '{user}'\n    key: '{key}'\n    jump_host: '{jump}'\n"
        );
        let l = parse_remotes(&text, &home()).unwrap();
        l.warnings.first().cloned()
    };
    assert_eq!(entry("h.example", "u_1", "~/k", "j.example:2"), None);
    assert_eq!(entry("::1", "u", "/k", ""), None);
    for (host, user, jump, field) in [
        ("-oProxyCommand=x", "u", "", "host"),
        ("h x", "u", "", "host"),
        ("h", "u$(x)", "", "user"),
        ("h", "-l", "", "user"),
        ("h", "u", "j`x`", "jump_host"),
        ("h", "u", "-j", "jump_host"),
        ("h", "u", ":22", "jump_host"),
        ("h", "u", "[]:22", "jump_host"),
    ] {
        let w = entry(host, user, "/k", jump).unwrap_or_else(|| panic!("{host} {user} {jump} accepted"));
        assert!(w.contains(&format!("{field}: ")), "{w}");
    }
    assert!(entry("h", "u", "k", "").unwrap().contains("key: \"k\" is relative"));
    let err = parse_remotes("known_hosts: kh\n", &home()).unwrap_err();
    assert!(err.contains("known_hosts: \"kh\" is relative"), "{err}");
}

#[test]
fn duplicate_and_reserved_names() {
    let e = "    host: h\n    user: u\n    key: /k\n";
    let text = format!("remotes:\n  - name: a\n{e}  - name: a\n{e}  - name: local\n{e}");
    let l = parse_remotes(&text, &home()).unwrap();
    assert_eq!(l.config.remotes.len(), 1);
    assert_eq!(l.warnings.len(), 2);
}

#[test]
fn a_byte_order_mark_is_not_content() {
    let l = parse_remotes("\u{FEFF}remotes:\n  - name: a\n    host: h\n    user: u\n    key: /k\n", &home()).unwrap();
    assert_eq!((l.config.remotes.len(), l.warnings.len()), (1, 0), "{:?}", l.warnings);
    assert!(parse_remotes("\u{FEFF}", &home()).unwrap().config.remotes.is_empty());
    assert!(parse_remotes("\u{FEFF}\n# only a comment\n", &home()).is_ok());
}

#[test]
fn forty_thousand_remotes_with_duplicates() {
    let mut text = String::from("remotes:\n");
    for i in 0..40_000 {
        // Every hundredth entry repeats the name of the entry before it.
        let n = if i % 100 == 99 { i - 1 } else { i };
        text.push_str(&format!("  - {{name: r{n}, host: h, user: u, key: /k}}\n"));
    }
    let l = parse_remotes(&text, &home()).unwrap();
    assert_eq!((l.config.remotes.len(), l.warnings.len()), (39_600, 400));
    assert!(l.warnings[0].starts_with("remote #100 (\"r98\"): name: duplicate"), "{}", l.warnings[0]);
}

#[test]
fn overlong_values_are_refused_without_being_repeated() {
    let entry = |field: &str, value: &str| {
        let mut fields =
            vec![("name", "r".to_string()), ("host", "h".into()), ("user", "u".into()), ("key", "/k".into())];
        match fields.iter_mut().find(|(f, _)| *f == field) {
            Some(slot) => slot.1 = value.to_string(),
            None => fields.push((field, value.to_string())),
        }
        let body: String = fields.iter().map(|(f, v)| format!("    {f}: '{v}'\n")).collect();
        parse_remotes(&format!("remotes:\n  -{}", &body[3..]), &home()).unwrap()
    };
    for (field, max, ok) in [
        ("name", 64, "n"),
        ("host", 253, "h"),
        ("user", 64, "u"),
        ("key", 4096, "/"),
        ("sessions_dir", 4096, "/"),
        ("jump_host", 300, "j"),
    ] {
        let fits = format!("{ok}{}", "a".repeat(max - 1));
        let l = entry(field, &fits);
        assert_eq!((l.config.remotes.len(), l.warnings.len()), (1, 0), "{field}: {:?}", l.warnings);
        let l = entry(field, &format!("{fits}a"));
        assert!(l.config.remotes.is_empty(), "{field}");
        let w = &l.warnings[0];
        assert!(w.contains(&format!("{field}: longer than {max} characters")), "{w}");
        assert!(w.len() < 200 && !w.contains(&"a".repeat(SHOWN_MAX)), "{w}");
    }
    let err = parse_remotes(&format!("known_hosts: /{}\n", "a".repeat(4096)), &home()).unwrap_err();
    assert_eq!(err, "known_hosts: longer than 4096 characters");
}

#[test]
fn messages_repeat_at_most_eighty_characters_of_a_bad_value() {
    let huge = "x".repeat(10_000);
    let errors = [
        parse_remotes(&format!("host_key_checking: {huge}\n"), &home()).unwrap_err(),
        parse_remotes(&format!("{huge}: 1\n"), &home()).unwrap_err(),
        parse_remotes(&format!("remotes: [{huge}\n"), &home()).unwrap_err(),
    ];
    let base = "remotes:\n  - name: r\n    host: h\n    user: u\n    key: /k\n";
    let warnings = [
        format!("{base}    port: {huge}\n"),
        format!("{base}    jump_host: 'j:{}'\n", "9".repeat(200)),
        // A YAML key has at most 1024 characters.
        format!("{base}    {}: 1\n", &huge[..1000]),
        format!("remotes:\n  - name: {}\n    host: h\n    user: u\n    key: k{}\n", "é".repeat(64), "k".repeat(4000)),
        format!("remotes:\n  - name: \"{}\"\n", "\\x01".repeat(64)),
    ]
    .map(|text| parse_remotes(&text, &home()).unwrap().warnings.remove(0));
    for message in errors.iter().chain(&warnings) {
        assert!(message.chars().count() < 400, "{} chars", message.chars().count());
        assert!(!message.contains(&"x".repeat(SHOWN_MAX + 1)) && !message.contains(&"9".repeat(SHOWN_MAX + 1)));
        assert!(!message.chars().any(char::is_control), "{message}");
    }
    assert!(warnings[3].contains("remote #1 (\"éé") && warnings[3].contains("kkk…\" is relative"), "{}", warnings[3]);
    assert_eq!(shown("a\u{1}b"), "\"a\\u{1}b\"");
}

fn home_with_ssh_config(config: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
    std::fs::write(home.path().join(".ssh/config"), config).unwrap();
    home
}

#[test]
fn a_host_alias_takes_its_fields_from_ssh_config_and_the_file_wins() {
    let home = home_with_ssh_config(
        "Host box\n  HostName 10.1.2.3\n  Port 2222\n  User me\n  IdentityFile ~/.ssh/key-%h\n  IdentitiesOnly yes\n  UserKnownHostsFile ~/.ssh/kh-%n\n  ProxyJump hop1,admin@hop2:2201\nHost hop1\n  HostName 10.9.0.1\n  User jumper\n  IdentityFile ~/.ssh/jump\n",
    );
    let h = home.path();
    let l = parse_remotes("remotes:\n  - name: b\n    host: box\n", h).unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let r = &l.config.remotes[0];
    assert_eq!((r.host.as_str(), r.port, r.user.as_str()), ("10.1.2.3", 2222, "me"));
    assert_eq!(r.key, h.join(".ssh/key-10.1.2.3"));
    assert!(r.identities_only);
    assert_eq!(r.known_hosts, Some(h.join(".ssh/kh-box")));
    assert_eq!(r.jumps.len(), 2);
    assert_eq!((r.jumps[0].host.as_str(), r.jumps[0].user.as_str()), ("10.9.0.1", "jumper"));
    assert_eq!(r.jumps[0].key, h.join(".ssh/jump"));
    assert_eq!((r.jumps[1].host.as_str(), r.jumps[1].port, r.jumps[1].user.as_str()), ("hop2", 2201, "admin"));
    assert_eq!(r.jumps[1].key, r.key, "a hop without its own key uses the entry's");
    // What remotes.yaml says wins; a list of jump hosts replaces ProxyJump.
    let l = parse_remotes("remotes:\n  - name: b\n    host: box\n    user: other\n    port: 22\n    key: ~/k\n    jump_host: [a, 'b:2']\n", h).unwrap();
    let r = &l.config.remotes[0];
    assert_eq!((r.host.as_str(), r.port, r.user.as_str()), ("10.1.2.3", 22, "other"));
    assert_eq!(r.key, h.join("k"));
    let hops: Vec<(&str, u16)> = r.jumps.iter().map(|j| (j.host.as_str(), j.port)).collect();
    assert_eq!(hops, [("a", 22), ("b", 2)]);
    // `jump_host: ""` means none, whatever ProxyJump says.
    let l = parse_remotes("remotes:\n  - name: b\n    host: box\n    jump_host: ''\n", h).unwrap();
    assert!(l.config.remotes[0].jumps.is_empty());
}

#[test]
fn user_and_key_may_be_left_out() {
    let home = tempfile::tempdir().unwrap();
    let l = parse_remotes("remotes:\n  - name: b\n    host: h\n", home.path()).unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let r = &l.config.remotes[0];
    assert_eq!(Some(r.user.clone()), ssh_config::local_user(), "as ssh, the local user");
    assert_eq!(r.key, home.path().join(".ssh/id_ed25519"), "ssh's first default key (a missing one means ssh-agent)");
    std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
    std::fs::write(home.path().join(".ssh/id_rsa"), "x").unwrap();
    let l = parse_remotes("remotes:\n  - name: b\n    host: h\n    user: u\n", home.path()).unwrap();
    assert_eq!(l.config.remotes[0].key, home.path().join(".ssh/id_rsa"), "the first default that exists");
}

#[test]
fn a_broken_ssh_config_is_a_warning_and_remotes_still_load() {
    let home = home_with_ssh_config("Host box\n  Port many\n");
    let l = parse_remotes("remotes:\n  - name: b\n    host: box\n    user: u\n    key: /k\n", home.path()).unwrap();
    assert_eq!(l.config.remotes.len(), 1);
    assert!(l.warnings.iter().any(|w| w.contains(".ssh/config")), "{:?}", l.warnings);
}
