//! Session-name rules: what tmux would silently rewrite (`.`, `:`, control characters) or
//! what cannot be a status file name (`/`) is refused with a clear message. Branch names
//! follow git's own rules (`git check-ref-format --branch`), so a form can say what is
//! wrong while it is typed; the worktree script asks git itself before creating anything.

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

/// Checks a branch name as `git check-ref-format --branch` would.
pub fn validate_branch(branch: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("branch {branch:?} {why}"));
    if branch.is_empty() {
        return Err("branch must not be empty".into());
    }
    if branch.starts_with('-') {
        return bad("must not start with '-'");
    }
    if branch == "@" || branch == "HEAD" {
        return bad("is reserved by git");
    }
    if let Some(c) =
        branch.chars().find(|c| c.is_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
    {
        return bad(&format!("must not contain {c:?}"));
    }
    if branch.contains("..") || branch.contains("@{") || branch.contains("//") {
        return bad("must not contain '..', '@{' or '//'");
    }
    if branch.starts_with('/') || branch.ends_with('/') || branch.ends_with('.') {
        return bad("must not start or end with '/' or end with '.'");
    }
    if branch.split('/').any(|part| part.starts_with('.') || part.ends_with(".lock")) {
        return bad("has a part that starts with '.' or ends with '.lock'");
    }
    if branch.len() > 200 {
        return bad("is longer than 200 bytes");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_rules_match_git() {
        let git_says = |b: &str| {
            std::process::Command::new("git")
                .args(["check-ref-format", "--branch", b])
                .output()
                .unwrap()
                .status
                .success()
        };
        for b in [
            "navi/x",
            "feat/a-b_c",
            "ünï",
            "a.b",
            "-x",
            "a b",
            "a..b",
            "a~1",
            "a^",
            "a:b",
            "a?",
            "a*",
            "a[",
            "a\\b",
            "a@{1}",
            "a//b",
            "/a",
            "a/",
            "a.",
            ".a",
            "a/.b",
            "a.lock",
            "a/b.lock/c",
            "HEAD",
            "x\ty",
            "$(id)",
            "it's",
            "a;b",
        ] {
            assert_eq!(validate_branch(b).is_ok(), git_says(b), "{b:?}: {:?}", validate_branch(b));
        }
    }

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
