//! Session-name rules: what tmux would silently rewrite (`.`, `:`, control characters) or
//! what cannot be a status file name (`/`) is refused with a clear message.

/// Checks a name for a new or renamed session.
pub fn validate(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("name must not be empty".into());
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '.' | ':')) {
        return Err(format!("name must not contain {c:?} (tmux would rewrite it)"));
    }
    if name.contains('/') {
        return Err("name must not contain '/'".into());
    }
    if name.chars().any(char::is_control) {
        return Err("name must not contain control characters or newlines".into());
    }
    if name.len() > 200 {
        return Err("name is longer than 200 bytes".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        for ok in ["claude", "-x", "$(rm -rf ~)", "a'b\"c", "a;b", "with space", "ünï", "`id`"] {
            assert!(validate(ok).is_ok(), "{ok:?}");
        }
        for bad in ["", "  ", "a.b", "a:b", "a/b", "a\nb", "a\x1bb", &"x".repeat(201)] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
    }
}
