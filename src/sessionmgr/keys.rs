//! Named keys for `write`: what a terminal sends for Enter, Ctrl-C, the arrows and the rest,
//! so an agent can answer a prompt without knowing escape sequences.

/// The bytes a terminal sends for `name` (case-insensitive): `Enter`, `Tab`, `Escape`,
/// `Backspace`, `Delete`, `Space`, `Up`, `Down`, `Left`, `Right`, `Home`, `End`, `PageUp`,
/// `PageDown`, `F1`–`F12` and `Ctrl-<letter>` (also `C-x`, `^X`). `None` for anything else.
pub fn bytes(name: &str) -> Option<Vec<u8>> {
    let lower = name.trim().to_ascii_lowercase();
    let fixed: &[u8] = match lower.as_str() {
        "enter" | "return" => b"\r",
        "tab" => b"\t",
        "escape" | "esc" => b"\x1b",
        "backspace" => b"\x7f",
        "delete" | "del" => b"\x1b[3~",
        "space" => b" ",
        "up" => b"\x1b[A",
        "down" => b"\x1b[B",
        "right" => b"\x1b[C",
        "left" => b"\x1b[D",
        "home" => b"\x1b[H",
        "end" => b"\x1b[F",
        "pageup" => b"\x1b[5~",
        "pagedown" => b"\x1b[6~",
        "f1" => b"\x1bOP",
        "f2" => b"\x1bOQ",
        "f3" => b"\x1bOR",
        "f4" => b"\x1bOS",
        "f5" => b"\x1b[15~",
        "f6" => b"\x1b[17~",
        "f7" => b"\x1b[18~",
        "f8" => b"\x1b[19~",
        "f9" => b"\x1b[20~",
        "f10" => b"\x1b[21~",
        "f11" => b"\x1b[23~",
        "f12" => b"\x1b[24~",
        _ => return ctrl(&lower).map(|b| vec![b]),
    };
    Some(fixed.to_vec())
}

fn ctrl(lower: &str) -> Option<u8> {
    let rest = ["ctrl-", "ctrl+", "c-", "^"].iter().find_map(|p| lower.strip_prefix(p))?;
    match rest.as_bytes() {
        [c @ b'a'..=b'z'] => Some(c - b'a' + 1),
        [b'['] => Some(0x1b),
        [b'\\'] => Some(0x1c),
        [b']'] => Some(0x1d),
        [b'@'] | [b' '] => Some(0),
        _ => None,
    }
}

/// `text` then every key of `keys`, as bytes to type; an unknown key name is the error.
pub fn input(text: Option<&str>, keys: &[String]) -> Result<Vec<u8>, String> {
    let mut out = text.unwrap_or_default().as_bytes().to_vec();
    for k in keys {
        out.extend(bytes(k).ok_or_else(|| {
            format!("unknown key {k:?}: use Enter, Tab, Escape, Backspace, Delete, Space, Up, Down, Left, Right, Home, End, PageUp, PageDown, F1-F12 or Ctrl-<letter>")
        })?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_what_a_terminal_sends() {
        assert_eq!(bytes("Enter").unwrap(), b"\r");
        assert_eq!(bytes("ctrl-c").unwrap(), [3]);
        assert_eq!(bytes("C-d").unwrap(), [4]);
        assert_eq!(bytes("^Z").unwrap(), [26]);
        assert_eq!(bytes("Up").unwrap(), b"\x1b[A");
        assert_eq!(bytes("Tab").unwrap(), b"\t");
        assert!(bytes("Ctrl-1").is_none() && bytes("Hyper").is_none() && bytes("").is_none());
        assert_eq!(input(Some("y"), &["Enter".into()]).unwrap(), b"y\r");
        assert!(input(None, &["Nope".into()]).unwrap_err().contains("unknown key \"Nope\""));
    }
}
