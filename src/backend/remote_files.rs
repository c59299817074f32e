//! The scripts that change status files on a remote, with no navi needed there: each takes
//! the folder lock the remote's `navi hook` takes (`flock -w 5` on `.navi.lock`, where
//! `flock` exists), and a read-modify-write only goes ahead when the file is still the one
//! navi read (POSIX `cksum`); otherwise it prints the file as it is now and exits [`CHANGED`], and navi tries again
//! from that.

use super::Tmux;
use super::shell::quote;

/// Exit status of a script that found the file changed since navi read it.
pub const CHANGED: i32 = 75;

/// What the file must still be when the write happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Whatever is there (a new session's first file).
    Anything,
    /// No file.
    Absent,
    /// The bytes navi read: their `cksum` (CRC and length).
    Same(String),
}

impl Expect {
    /// The file as read: absent, or these bytes.
    pub fn read(bytes: Option<&[u8]>) -> Expect {
        bytes.map_or(Expect::Absent, |b| Expect::Same(cksum(b)))
    }
}

/// Sets `$d` to the folder and `$f` to the file, takes the lock, and checks `expect`.
fn locked(dir: &str, file: &str, expect: &Expect) -> String {
    // A file that changed is printed (bounded, a regular file only) as it is now, so the
    // next try starts from it without another round trip.
    let changed = format!(
        "{{ [ -f \"$f\" ] && dd if=\"$f\" bs={} count=1 2>/dev/null; exit {CHANGED}; }}",
        crate::sessions::read::MAX_FILE_BYTES + 1
    );
    let check = match expect {
        Expect::Anything => String::new(),
        Expect::Absent => format!("[ -e \"$f\" ] && {changed}\n"),
        Expect::Same(sum) => {
            format!("[ -e \"$f\" ] && set -- $(cksum < \"$f\") && [ \"$1 $2\" = {} ] || {changed}\n", quote(sum))
        }
    };
    format!(
        "d={dir}\nf=\"$d\"/{file}\nmkdir -p \"$d\" && exec 9>>\"$d/.navi.lock\" || exit 1\n\
         if command -v flock >/dev/null 2>&1; then\n\
         flock -w 5 9 || {{ echo \"another process has held $d/.navi.lock for 5 s\" >&2; exit 1; }}\nfi\n{check}",
        file = quote(file),
    )
}

/// Writes stdin to `file` in `dir` through a temp file and `mv`, only when all `len` bytes
/// arrived (stdin cut short by a dropped connection leaves the old file) and the file is
/// still what `expect` says.
pub fn write(dir: &str, file: &str, len: usize, expect: &Expect) -> String {
    format!(
        "{lock}t=$(mktemp \"$d/.navi-XXXXXX\") || exit 1\n\
         if cat > \"$t\" && n=$(wc -c < \"$t\") && [ $n -eq {len} ] && chmod 644 \"$t\" && mv -f \"$t\" \"$f\"\n\
         then exit 0; fi\nrm -f \"$t\"; exit 1",
        lock = locked(dir, file, expect),
    )
}

/// Renames the tmux session `old` and, when it has a file (`rest_len` given), moves the file
/// to the name tmux stored, all under the lock. Stdin is the file's JSON after its opening
/// `{` without `tmux_session` (see [`split_session`]): the script puts the stored name,
/// JSON-escaped, in front. Undoes the tmux rename when the file cannot be written. Prints
/// the stored name last.
pub fn rename(
    dir: &str,
    tmux: &Tmux,
    old: (&str, &str),
    new: &str,
    expect: &Expect,
    rest_len: Option<usize>,
) -> String {
    let (old_name, old_file) = old;
    let mut script = format!("{}{}", locked(dir, old_file, expect), tmux.rename_into_s(old_name, new));
    if let Some(len) = rest_len {
        script.push_str(&format!(
            "undo() {{ {back}; rm -f \"$r\" \"$r.json\"; exit 1; }}\n\
             case $s in */*) echo \"tmux stored the name $s, which cannot be a file name\" >&2; r=; undo;; esac\n\
             j=$(printf '%s\\n' \"$s\" | sed 's/\\\\/\\\\\\\\/g; s/\"/\\\\\"/g')\n\
             r=$(mktemp \"$d/.navi-XXXXXX\") || {{ r=; undo; }}\n\
             cat > \"$r\" && n=$(wc -c < \"$r\") && [ $n -eq {len} ] || undo\n\
             {{ printf '{{\\n  \"tmux_session\": \"%s\",' \"$j\" && cat \"$r\"; }} > \"$r.json\" && chmod 644 \"$r.json\" \
             && mv -f \"$r.json\" \"$d/$s.json\" || undo\n\
             rm -f \"$r\" \"$f\"\n",
            back = tmux.rename_t(old_name),
        ));
    }
    script.push_str("printf '%s\\n' \"$s\"\n");
    script
}

/// A status file's JSON without its `tmux_session`, from just after the opening `{`: what
/// [`rename`] completes with the name tmux stored.
pub fn split_session(file: &crate::sessions::StatusFile) -> Vec<u8> {
    let mut value = serde_json::to_value(file).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.shift_remove("tmux_session");
    }
    let mut json = serde_json::to_vec_pretty(&value).unwrap_or_default();
    json.push(b'\n');
    // `status` is always there, so the object is never empty and `{` is followed by more.
    json.split_off(1)
}

/// POSIX `cksum` of `data`: "CRC LENGTH", as `cksum < file` prints it (without a name).
pub fn cksum(data: &[u8]) -> String {
    let mut crc: u32 = 0;
    let mut feed = |byte: u8| {
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04C1_1DB7 } else { crc << 1 };
        }
    };
    data.iter().for_each(|&b| feed(b));
    let mut len = data.len() as u64;
    while len != 0 {
        feed((len & 0xff) as u8);
        len >>= 8;
    }
    format!("{} {}", !crc, data.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cksum_matches_the_posix_tool() {
        for data in [&b""[..], b"a", b"hello world\n", &[0xffu8; 300], &vec![7u8; 70_000]] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("f");
            std::fs::write(&path, data).unwrap();
            let out = std::process::Command::new("sh").arg("-c").arg("cksum < \"$1\"").arg("sh").arg(&path).output();
            let printed = String::from_utf8(out.unwrap().stdout).unwrap();
            let fields: Vec<&str> = printed.split_whitespace().collect();
            assert_eq!(cksum(data), fields[..2].join(" "), "{} bytes", data.len());
        }
    }

    #[test]
    fn a_status_write_cut_short_leaves_the_old_file() {
        use std::io::Write;
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("s.json");
        std::fs::write(&target, "old").unwrap();
        let new = b"{\"tmux_session\":\"s\",\"status\":\"done\"}";
        let script = write(&quote(&d.path().to_string_lossy()), "s.json", new.len(), &Expect::Anything);
        let run = |input: &[u8]| {
            let mut child = std::process::Command::new("sh")
                .args(["-c", &script])
                .stdin(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(input).unwrap();
            child.wait().unwrap().code()
        };
        for short in [&new[..0], &new[..10]] {
            assert_eq!(run(short), Some(1));
            assert_eq!(std::fs::read(&target).unwrap(), b"old");
        }
        assert_eq!(run(new), Some(0));
        assert_eq!(std::fs::read(&target).unwrap(), new);
        let names: Vec<_> = std::fs::read_dir(d.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        let names: Vec<_> = names.iter().filter(|n| *n != ".navi.lock").collect();
        assert_eq!(names, ["s.json"], "no temp files left behind");
    }
}
