//! The agent-shell listing's parser on mutated listings (hostile paths and commands from
//! [`mutate::text`]) and arbitrary bytes: it never panics, keeps only agent-shell names,
//! and every text it returns is one clean, bounded line.

use crate::mutate::{self, Mutation};
use navi::backend::agent_shells::{MAX_SHELLS, is_name, parse_list};
use proptest::prelude::*;
use proptest::test_runner::TestCaseResult;
use unicode_width::UnicodeWidthStr;

const M: &str = "NAVIfuzz";

/// One pane as the listing prints it.
fn pane(name: &str, command: &str, path: &str, n: i64) -> String {
    format!("{M}h {name} {n} {} {}  0 11{M}c {command}{M}p {path}\n", n + 1, n + 2)
}

fn check(bytes: &[u8]) -> TestCaseResult {
    let shells = parse_list(Some(0), bytes, b"", M, Some("box"), 1_700_000_000).map_err(TestCaseError::fail)?;
    prop_assert!(shells.len() <= MAX_SHELLS);
    for s in &shells {
        prop_assert!(is_name(&s.name), "{:?}", s.name);
        prop_assert!(s.idle_seconds >= 0);
        prop_assert_eq!(s.remote.as_deref(), Some("box"));
        for text in [&s.command, &s.cwd] {
            let clean = !text.chars().any(|c| c.is_control() || navi::text::is_format(c));
            prop_assert!(clean, "{:?}", text);
        }
        prop_assert!(s.command.width() <= 64 && s.cwd.width() <= 512, "{:?}", s);
    }
    Ok(())
}

pub fn run() {
    let listing =
        (prop::collection::vec((mutate::text(), mutate::text(), 0i64..2_000_000_000), 1..6), mutate::mutations(6))
            .prop_map(|(panes, mutations): (Vec<(String, String, i64)>, Vec<Mutation>)| {
                let mut bytes = b"1700000000\n".to_vec();
                for (i, (command, path, n)) in panes.iter().enumerate() {
                    bytes.extend(pane(&format!("a-{i:08x}"), command, path, *n).into_bytes());
                }
                mutate::apply(&mut bytes, &mutations);
                bytes
            });
    let input = prop_oneof![4 => listing, 1 => prop::collection::vec(any::<u8>(), 0..2048)];
    crate::fuzz("agent_shell_listings", input, |bytes| check(&bytes));
}
