use super::*;

fn names(p: &Parsed) -> Vec<&str> {
    p.files.iter().map(|f| f.tmux_session.as_str()).collect()
}

const A: &str = r#"{"tmux_session":"a","status":"done","message":"has } and { and \" inside"}"#;
const B: &str = "{\"tmux_session\":\"b\",\"status\":\"working\",\"metrics\":{\"time\":{\"started\":1}}}\n";

#[test]
fn concatenated_objects() {
    let p = parse_stream(format!("{A}\n{B}{A}").as_bytes());
    assert_eq!(names(&p), ["a", "b", "a"]);
    assert!(p.errors.is_empty());
}

#[test]
fn empty_input_is_nothing() {
    let p = parse_stream(b"  \n");
    assert!(p.files.is_empty() && p.errors.is_empty());
}

#[test]
fn truncated_object_between_good_ones() {
    let s = format!("{A}{{\"tmux_session\":\"t\",\"status\":\"wo{B}");
    let p = parse_stream(s.as_bytes());
    assert_eq!(names(&p), ["a", "b"]);
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
}

#[test]
fn truncated_with_nested_object_reports_once() {
    let s = format!("{{\"tmux_session\":\"t\",\"metrics\":{{\"time\":{{}}}}{B}");
    let p = parse_stream(s.as_bytes());
    assert_eq!(names(&p), ["b"]);
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
}

#[test]
fn truncated_at_end() {
    let p = parse_stream(format!("{B}{{\"tmux_session\":\"x\"").as_bytes());
    assert_eq!(names(&p), ["b"]);
    assert_eq!(p.errors.len(), 1);
    assert!(p.errors[0].contains("truncated"));
}

#[test]
fn garbage_and_wrong_shapes() {
    let s = format!("garbage{A}[1,2]{{\"status\":\"done\"}}{B}");
    let p = parse_stream(s.as_bytes());
    assert_eq!(names(&p), ["a", "b"]);
    assert_eq!(p.errors.len(), 2, "{:?}", p.errors);
}

#[test]
fn non_utf8_object_is_skipped() {
    let mut s = Vec::new();
    s.extend_from_slice(b"{\"tmux_session\":\"\xff\xfe\",\"status\":\"done\"}");
    s.extend_from_slice(B.as_bytes());
    let p = parse_stream(&s);
    assert_eq!(names(&p), ["b"]);
    assert_eq!(p.errors.len(), 1);
}

#[test]
fn stray_closing_brace() {
    let p = parse_stream(format!("}}{B}").as_bytes());
    assert_eq!(names(&p), ["b"]);
    assert_eq!(p.errors.len(), 1);
}

#[test]
fn a_valid_value_of_the_wrong_shape_is_skipped_whole() {
    let s = format!("{{\"wrapper\":{A}}}{B}");
    let p = parse_stream(s.as_bytes());
    assert_eq!(names(&p), ["b"], "an object nested in another is a field, not a file");
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
}

#[test]
fn damage_past_the_budget_is_one_stretch_and_earlier_files_are_kept() {
    // Nested objects that each parse as valid JSON of the wrong shape are skipped whole;
    // nested ones that are syntax errors make every level a candidate: quadratic without
    // the budget.
    let mut s = String::from(A);
    let depth = 2000;
    s.push_str(&"{\"x\":1,\"y\":".repeat(depth));
    s.push_str(&"x".repeat(200));
    s.push_str(&"}".repeat(depth));
    let (p, work) = parse_stream_counted(s.as_bytes());
    assert_eq!(names(&p), ["a"]);
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
    assert!(work <= BUDGET_PER_BYTE * s.len() as u64 + BUDGET_FLOOR, "{work}");
}

/// Inputs made of `n` copies of a broken fragment.
fn shapes() -> Vec<&'static str> {
    vec!["{", "{\"a\":", "[", "[[[{", "\"{", "{\"", "{\"\\\"", "\\\"{", "{\"a\":\"}", "{}}", "{[}"]
}

fn work_for(fragment: &str, n: usize) -> (u64, usize) {
    let input = fragment.repeat(n);
    let (_, work) = parse_stream_counted(input.as_bytes());
    (work, input.len())
}

#[test]
fn known_hostile_shapes_take_linear_work() {
    for shape in shapes() {
        let (w1, len1) = work_for(shape, 20_000);
        let (w4, len4) = work_for(shape, 80_000);
        assert!(w1 <= BUDGET_PER_BYTE * len1 as u64 + BUDGET_FLOOR, "{shape:?}: {w1} for {len1} bytes");
        assert!(w4 <= BUDGET_PER_BYTE * len4 as u64 + BUDGET_FLOOR, "{shape:?}: {w4} for {len4} bytes");
        assert!(w4 * 2 <= w1 * 9, "{shape:?}: {w1} then {w4}");
    }
    // The remembered matches make the common shapes cheap, well under the budget.
    for shape in ["{", "{\"a\":", "[", "[[[{", "\"{", "{\""] {
        let (w, len) = work_for(shape, 80_000);
        assert!(w <= 4 * len as u64, "{shape:?}: {w} for {len} bytes");
    }
}

mod linear {
    use super::*;
    use proptest::prelude::*;

    fn fragment() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec!["{", "}", "[", "]", "\"", "\\", "a", ":", ",", " ", "1"]);
        prop::collection::vec(piece, 1..8).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn work_grows_linearly(frag in fragment(), n in 2_000usize..4_000) {
            let (w1, len1) = work_for(&frag, n);
            let (w4, len4) = work_for(&frag, 4 * n);
            prop_assert!(w1 <= BUDGET_PER_BYTE * len1 as u64 + BUDGET_FLOOR);
            prop_assert!(w4 <= BUDGET_PER_BYTE * len4 as u64 + BUDGET_FLOOR);
            prop_assert!(w4 * 2 <= w1 * 9 + 2 * BUDGET_FLOOR, "{frag:?}: {w1} then {w4}");
        }
    }
}
