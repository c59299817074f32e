//! Byte-level mutations of real input (insert, delete, flip, truncate, repeat `{`, copy a
//! stretch) and generators of odd text and JSON values, shared by the fuzz targets.

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

#[derive(Debug, Clone)]
pub enum Mutation {
    Insert(Index, u8),
    Delete(Index),
    Flip(Index, u8),
    Truncate(Index),
    /// `n` opening braces: deep nesting and unfinished objects.
    Braces(Index, usize),
    /// A copy of the stretch between two points, inserted at a third.
    Copy(Index, Index, Index),
}

/// Bytes that matter to JSON and YAML, and any byte.
fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![any::<u8>(), prop::sample::select(b"{}[]\":,\\ \n\t-'#&*!|>?%@`0~.\x1b\xef\xbb\xbf".to_vec())]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), byte()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        3 => any::<Index>().prop_map(Mutation::Delete),
        3 => (any::<Index>(), 0u8..8).prop_map(|(i, bit)| Mutation::Flip(i, bit)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), prop_oneof![1usize..8, 100usize..5000]).prop_map(|(i, n)| Mutation::Braces(i, n)),
        1 => (any::<Index>(), any::<Index>(), any::<Index>()).prop_map(|(a, b, c)| Mutation::Copy(a, b, c)),
    ]
}

/// Up to `max` mutations, applied in order.
pub fn mutations(max: usize) -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 0..=max)
}

pub fn apply(bytes: &mut Vec<u8>, mutations: &[Mutation]) {
    for m in mutations {
        let len = bytes.len();
        // A point between bytes (0..=len) and a byte (0..len).
        let at = |i: &Index| i.index(len + 1);
        match m {
            Mutation::Insert(i, b) => bytes.insert(at(i), *b),
            Mutation::Delete(i) if len > 0 => {
                bytes.remove(i.index(len));
            }
            Mutation::Flip(i, bit) if len > 0 => bytes[i.index(len)] ^= 1 << bit,
            Mutation::Truncate(i) => bytes.truncate(at(i)),
            Mutation::Braces(i, n) => {
                let at = at(i);
                bytes.splice(at..at, std::iter::repeat_n(b'{', *n));
            }
            Mutation::Copy(a, b, c) => {
                let (a, b) = (at(a).min(at(b)), at(a).max(at(b)));
                let piece = bytes[a..b].to_vec();
                let c = at(c);
                bytes.splice(c..c, piece);
            }
            Mutation::Delete(_) | Mutation::Flip(..) => {}
        }
    }
}

/// Text as people and programs write it: short, long, any Unicode, controls, bidi.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ._/:-]{0,16}",
        3 => "(?s).{0,24}",
        1 => prop::sample::select(vec!["", " ", "\u{202E}rtl", "\u{1b}[31m", "\u{feff}", "é世界", "\0", "a\nb"])
            .prop_map(String::from),
        1 => ("(?s).{1,4}", 10usize..3000).prop_map(|(s, n)| s.repeat(n)),
    ]
}

/// Any JSON value, a few levels deep.
pub fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON has no NaN or infinity", |f| f.is_finite()).prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// The captured Claude Code hook payloads in tests/fixtures/claude-code.
pub fn payloads() -> Vec<Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude-code");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "the captured payloads are missing from {}", dir.display());
    files.iter().map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()).collect()
}

/// Whether two JSON values are equal, floats to the last bit or two: serde_json without
/// its `float_roundtrip` feature may read a float back one unit in the last place off.
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            x == y || (x - y).abs() <= f64::EPSILON * 4.0 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Whether a status file read back is the one written (see [`same_json`]).
pub fn same_file(a: &navi::sessions::StatusFile, b: &navi::sessions::StatusFile) -> bool {
    same_json(&serde_json::to_value(a).unwrap(), &serde_json::to_value(b).unwrap())
}
