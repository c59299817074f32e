//! One parser for a stream of concatenated JSON status objects, as `cat dir/*.json` prints
//! it on a remote. A malformed, empty, truncated or non-UTF-8 object is skipped and
//! reported once (one message per broken stretch); every good object around it is kept.

use super::model::StatusFile;

/// What a stream held: the good status files and one message per skipped stretch.
#[derive(Debug, Default)]
pub struct Parsed {
    pub files: Vec<StatusFile>,
    pub errors: Vec<String>,
}

/// Parses concatenated JSON objects, resynchronising after anything broken.
pub fn parse_stream(bytes: &[u8]) -> Parsed {
    let mut out = Parsed::default();
    let mut pos = 0;
    // The first failure of the stretch we are in, reported when the stretch ends.
    let mut failing: Option<String> = None;
    let flush = |failing: &mut Option<String>, out: &mut Parsed| {
        if let Some(msg) = failing.take() {
            out.errors.push(msg);
        }
    };

    while let Some(start) = next_non_space(bytes, pos) {
        if bytes[start] != b'{' {
            failing.get_or_insert_with(|| format!("unexpected data at byte {start}"));
            pos = find_byte(bytes, start + 1, b'{').unwrap_or(bytes.len());
            continue;
        }
        let Some(end) = object_end(bytes, start) else {
            failing.get_or_insert_with(|| format!("truncated object at byte {start}"));
            pos = find_byte(bytes, start + 1, b'{').unwrap_or(bytes.len());
            continue;
        };
        match serde_json::from_slice::<StatusFile>(&bytes[start..end]) {
            Ok(file) => {
                flush(&mut failing, &mut out);
                out.files.push(file);
                pos = end;
            }
            Err(e) => {
                failing.get_or_insert_with(|| format!("malformed object at byte {start}: {e}"));
                pos = find_byte(bytes, start + 1, b'{').unwrap_or(bytes.len());
            }
        }
    }
    flush(&mut failing, &mut out);
    out
}

fn next_non_space(bytes: &[u8], from: usize) -> Option<usize> {
    (from..bytes.len()).find(|&i| !bytes[i].is_ascii_whitespace())
}

fn find_byte(bytes: &[u8], from: usize, b: u8) -> Option<usize> {
    bytes.get(from..)?.iter().position(|&c| c == b).map(|i| i + from)
}

/// The index just past the object that opens at `start`, by bracket depth outside strings.
fn object_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &c) in bytes.iter().enumerate().skip(start) {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
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
}
