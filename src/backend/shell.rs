//! POSIX shell quoting for every value interpolated into a command, local or remote.

/// Quotes `s` as one shell word. NUL bytes cannot be passed to a program and are dropped
/// (names are validated before they get here).
pub fn quote(s: &str) -> String {
    let cleaned;
    let s = if s.contains('\0') {
        cleaned = s.replace('\0', "");
        &cleaned
    } else {
        s
    };
    match shlex::try_quote(s) {
        Ok(q) => q.into_owned(),
        // try_quote only fails on NUL, which is gone.
        Err(_) => format!("'{}'", s.replace('\'', r"'\''")),
    }
}

/// Quotes a path for the shell, turning a leading `~` into `"$HOME"` outside the quotes so
/// the shell expands it (the original navi quoted `$HOME` and never touched the file).
pub fn path(p: &str) -> String {
    if p == "~" {
        "\"$HOME\"".to_string()
    } else if let Some(rest) = p.strip_prefix("~/") {
        if rest.is_empty() { "\"$HOME\"/".to_string() } else { format!("\"$HOME\"/{}", quote(rest)) }
    } else {
        quote(p)
    }
}

/// A command as one shell line that runs it as given: its environment changes (`env -u
/// VAR`, `VAR=value`), program and arguments, each quoted. For handing a command to a
/// program that takes a shell line (`tmux new-window`).
pub fn command_line(cmd: &std::process::Command) -> String {
    let mut words: Vec<String> = Vec::new();
    let envs: Vec<_> = cmd.get_envs().collect();
    if !envs.is_empty() {
        words.push("env".into());
        for (key, value) in envs {
            let key = key.to_string_lossy();
            match value {
                Some(v) => words.push(quote(&format!("{key}={}", v.to_string_lossy()))),
                None => words.extend(["-u".to_string(), quote(&key)]),
            }
        }
    }
    words.push(quote(&cmd.get_program().to_string_lossy()));
    words.extend(cmd.get_args().map(|a| quote(&a.to_string_lossy())));
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh_echo(word: &str) -> String {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s' {word}"))
            .env("HOME", "/home/tester")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn hostile_values_survive_the_shell_verbatim() {
        for s in
            ["plain", "a b", "it's", "$(touch /tmp/pwned)", "`id`", "a;b", "-rf", "\"q\"", "new\nline", "ünï", "*", ""]
        {
            assert_eq!(sh_echo(&quote(s)), s, "{s:?}");
        }
    }

    #[test]
    fn a_command_line_runs_the_command_as_given() {
        let mut cmd = std::process::Command::new("sh");
        cmd.args(["-c", "printf '%s|%s' \"$1\" \"${TMUX-unset}\"", "sh", "a b; $(x)"]).env_remove("TMUX");
        let out = std::process::Command::new("sh").arg("-c").arg(command_line(&cmd)).env("TMUX", "set").output();
        assert_eq!(String::from_utf8(out.unwrap().stdout).unwrap(), "a b; $(x)|unset");
    }

    #[test]
    fn tilde_expands_outside_quotes() {
        assert_eq!(sh_echo(&path("~/.claude-sessions")), "/home/tester/.claude-sessions");
        assert_eq!(sh_echo(&path("~")), "/home/tester");
        assert_eq!(sh_echo(&path("~/a b/$(x)")), "/home/tester/a b/$(x)");
        assert_eq!(sh_echo(&path("/abs/~/x")), "/abs/~/x");
    }
}
