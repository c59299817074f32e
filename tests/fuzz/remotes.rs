//! `parse_remotes` on generated and mutated remotes.yaml texts: host names, users, ports,
//! jump hosts and keys good and bad, quoted every way YAML allows, byte-order marks, long
//! lists. It never panics, every remote it accepts keeps the rules of docs/remote.md, and
//! every message is bounded.

use crate::mutate::{self, Mutation};
use navi::config::{Remote, parse_remotes};
use proptest::prelude::*;
use proptest::test_runner::TestCaseResult;
use std::collections::HashSet;
use std::path::Path;

/// Longest message: a label with at most 80 characters of a name, and a field's message
/// with at most 80 characters of its value or 200 of a parser message.
const MESSAGE_MAX: usize = 400;
const HOME: &str = "/home/fuzz";

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z][a-z0-9-]{0,12}(\\.[a-z0-9-]{1,8}){0,3}",
        2 => any::<[u8; 4]>().prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
        2 => any::<[u16; 8]>().prop_map(|a| std::net::Ipv6Addr::from(a).to_string()),
        1 => prop::sample::select(vec!["::1", "localhost", "-oProxyCommand=x", "h x", "h;id", "$(id)", ""])
            .prop_map(String::from),
        1 => (1usize..300).prop_map(|n| "a".repeat(n)),
        2 => mutate::text(),
    ]
}

fn port() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1u32..=65535).prop_map(|p| p.to_string()),
        1 => prop::sample::select(vec!["0", "65536", "-1", "22.5", "abc", "", "[22]", "{p: 1}", "0x16", "1e3"])
            .prop_map(String::from),
        1 => any::<i64>().prop_map(|p| p.to_string()),
    ]
}

fn jump_host() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (host(), prop::option::of(port())).prop_map(|(h, p)| p.map_or(h.clone(), |p| format!("{h}:{p}"))),
        2 => (any::<[u16; 8]>(), port()).prop_map(|(a, p)| format!("[{}]:{p}", std::net::Ipv6Addr::from(a))),
        1 => prop::sample::select(vec![":22", "[]:22", "[::1", "[::1]x", "h:", "h:0", ":"]).prop_map(String::from),
        1 => mutate::text(),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "~/\\.ssh/id_[a-z0-9]{1,10}",
        2 => "/[a-zA-Z0-9 ./_-]{0,40}",
        1 => prop::sample::select(vec!["~", "relative/key", "~user/k", ""]).prop_map(String::from),
        1 => (1usize..5000).prop_map(|n| format!("/{}", "k".repeat(n))),
        1 => mutate::text(),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z][a-z0-9_-]{0,10}",
        1 => prop::sample::select(vec!["local", "prod", "prod", "42", "", " "]).prop_map(String::from),
        1 => (60usize..70).prop_map(|n| "n".repeat(n)),
        2 => mutate::text(),
    ]
}

/// A YAML scalar for `value`, plain, single- or double-quoted.
fn scalar(value: &str, style: u8) -> String {
    match style % 3 {
        0 => value.to_string(),
        1 => format!("'{}'", value.replace('\'', "''")),
        _ => serde_json::to_string(value).unwrap(),
    }
}

/// One entry, its fields in a random order with some left out, or an extra field.
fn entry() -> impl Strategy<Value = String> {
    let field = |k: &'static str, v: BoxedStrategy<String>| (Just(k), v, any::<u8>(), prop::bool::weighted(0.9));
    (
        field("name", name().boxed()),
        field("host", host().boxed()),
        field("user", prop_oneof![3 => "[a-z_][a-z0-9_.-]{0,12}", 1 => host()].boxed()),
        field("key", key().boxed()),
        field("port", port().boxed()),
        field("jump_host", jump_host().boxed()),
        field("sessions_dir", prop_oneof!["~/\\.claude-sessions", "/srv/[a-z]{1,8}", mutate::text()].boxed()),
        field("unknown", mutate::text().boxed()),
        any::<u8>(),
    )
        .prop_map(|(a, b, c, d, e, f, g, h, order)| {
            let mut fields = vec![a, b, c, d, e, f, g, h];
            fields.rotate_left(order as usize % 8);
            // Unknown fields are rare, so most entries can be accepted.
            let keep = |(k, v, style, present): (&str, String, u8, bool)| {
                (present && (k != "unknown" || style < 16)).then(|| format!("{k}: {}", scalar(&v, style)))
            };
            let lines: Vec<String> = fields.into_iter().filter_map(keep).collect();
            match order % 4 {
                0 => format!("  - {{{}}}\n", lines.join(", ")),
                _ => format!("  - {}\n", lines.join("\n    ")),
            }
        })
}

fn file() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["", "\u{feff}", "\u{feff}\u{feff}", "---\n", "\u{feff}---\n"]),
        prop::option::of(prop_oneof!["~/kh", "/etc/ssh/known_hosts", "kh", mutate::text()]),
        prop::option::of(prop::sample::select(vec!["strict", "accept-new", "off", "maybe", "[]"])),
        prop::collection::vec(entry(), 0..12),
        prop_oneof![9 => Just(1usize), 1 => 2usize..300],
    )
        .prop_map(|(start, known_hosts, checking, entries, repeat)| {
            let mut text = start.to_string();
            if let Some(k) = known_hosts {
                text.push_str(&format!("known_hosts: {}\n", scalar(&k, 2)));
            }
            if let Some(c) = checking {
                text.push_str(&format!("host_key_checking: {c}\n"));
            }
            text.push_str("remotes:\n");
            // A long list: the same entries again and again (duplicate names included).
            text.push_str(&entries.concat().repeat(repeat));
            text
        })
}

/// The rules every accepted remote keeps (docs/remote.md), written out independently.
fn check_remote(r: &Remote) -> Result<(), String> {
    let word = |field: &str, v: &str, max: usize, extra: &str| {
        let ok = !v.is_empty()
            && v.chars().count() <= max
            && !v.starts_with('-')
            && v.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c));
        if ok { Ok(()) } else { Err(format!("{field} {v:?} breaks the rules")) }
    };
    let n = &r.name;
    if n.trim().is_empty() || n.chars().count() > 64 || n.chars().any(char::is_control) || n == "local" {
        return Err(format!("name {n:?} breaks the rules"));
    }
    word("host", &r.host, 253, ".-_:")?;
    word("user", &r.user, 64, ".-_")?;
    for j in &r.jumps {
        word("jump_host", &j.host, 300, ".-_:")?;
        word("jump_host user", &j.user, 300, ".-_")?;
        if j.port == 0 {
            return Err("jump port 0".into());
        }
    }
    let key = r.key.to_string_lossy();
    // At most 4096 as written; `~/` becomes the home folder.
    let key_max = 4096 + HOME.len();
    if r.port == 0 || !r.key.is_absolute() || key.chars().count() > key_max || key.chars().any(char::is_control) {
        return Err(format!("port {} or key {key:?} breaks the rules", r.port));
    }
    if r.sessions_dir.chars().count() > 4096 || r.sessions_dir.chars().any(char::is_control) {
        return Err("sessions_dir breaks the rules".into());
    }
    Ok(())
}

fn check(text: &str) -> TestCaseResult {
    match parse_remotes(text, Path::new(HOME)) {
        Ok(loaded) => {
            let mut names = HashSet::new();
            for r in &loaded.config.remotes {
                prop_assert!(check_remote(r).is_ok(), "{:?}: {r:?}", check_remote(r));
                prop_assert!(names.insert(r.name.clone()), "duplicate name {:?}", r.name);
            }
            prop_assert!(loaded.config.known_hosts.is_absolute());
            for w in &loaded.warnings {
                prop_assert!(w.chars().count() <= MESSAGE_MAX, "{} characters: {w}", w.chars().count());
            }
        }
        Err(e) => prop_assert!(e.chars().count() <= MESSAGE_MAX, "{} characters: {e}", e.chars().count()),
    }
    Ok(())
}

pub fn run() {
    let input = (file(), mutate::mutations(4)).prop_map(|(text, mutations): (String, Vec<Mutation>)| {
        let mut bytes = text.into_bytes();
        mutate::apply(&mut bytes, &mutations);
        String::from_utf8_lossy(&bytes).into_owned()
    });
    crate::fuzz("remotes_files", input, |text| check(&text));
}
