//! The remote backend: the same actions as local, over the SSH pool. Scripts run under
//! `sh -c` whatever the remote user's login shell; a poll is one exec that prints the tmux
//! session list (with its exit status) and every status file; a status file is rewritten
//! by sending the new JSON on the channel's stdin into a temp file beside it, then `mv`.

use super::shell::{path, quote};
use super::{BackendError, Edit, ExecOutput, SessionBackend, Snapshot, Tmux, remote_files, tmux};
use crate::config::{HostKeyChecking, Remote};
use crate::push::link::{self, Mode, Push};
use crate::sessions::StatusFile;
use crate::sessions::read::{MAX_FILE_BYTES, ReadError, parse_files};
use crate::sessions::store::file_name_for;
use crate::ssh::openssh::OpenSsh;
use crate::ssh::{Pool, SshError};
use crate::text::sanitize_line;
use async_trait::async_trait;
use std::sync::Arc;

pub struct RemoteBackend {
    remote: Remote,
    pool: Arc<Pool>,
    tmux: Tmux,
    known_hosts: std::path::PathBuf,
    policy: HostKeyChecking,
    /// The stream of pushed changes, when it runs (see `crate::push`).
    push: Arc<Push>,
    push_log: Option<std::path::PathBuf>,
}

impl From<SshError> for BackendError {
    fn from(e: SshError) -> Self {
        BackendError::Ssh(Box::new(e))
    }
}

impl RemoteBackend {
    pub fn new(remote: Remote, pool: Arc<Pool>, known_hosts: std::path::PathBuf, policy: HostKeyChecking) -> Self {
        let push = Arc::new(Push::default());
        RemoteBackend { remote, pool, tmux: Tmux::default(), known_hosts, policy, push, push_log: None }
    }

    /// Where the stream's problems are written.
    pub fn with_push_log(mut self, path: std::path::PathBuf) -> Self {
        self.push_log = Some(path);
        self
    }

    /// Runs `script` under `sh -c` on the remote, within `limit` (`None`: the pool's).
    pub async fn exec_within(
        &self,
        script: &str,
        stdin: Option<&[u8]>,
        limit: Option<std::time::Duration>,
    ) -> Result<ExecOutput, BackendError> {
        // `exec`: the login shell hands over to sh instead of waiting beside it. The script
        // first prints a marker on both streams: what the login shell's startup files
        // (a chatty ~/.bashrc) printed before it is dropped, whatever the script's parser.
        let marker = format!("NAVI-{}", uuid::Uuid::new_v4().simple());
        let script = format!("printf '%s\\n' {marker}; printf '%s\\n' {marker} >&2\n{script}");
        let command = format!("exec sh -c {}", quote(&script));
        let out = match limit {
            Some(limit) => self.pool.exec_within(&self.remote.name, &command, stdin, limit).await?,
            None => self.pool.exec(&self.remote.name, &command, stdin).await?,
        };
        Ok(ExecOutput {
            status: out.status,
            stdout: after_marker(out.stdout, &marker),
            stderr: after_marker(out.stderr, &marker),
        })
    }

    /// The remote's sessions folder, quoted for its shell.
    pub fn sessions_dir_arg(&self) -> String {
        self.dir()
    }

    /// How this remote's sessions reach us now.
    pub fn push_mode(&self) -> Mode {
        self.push.mode()
    }

    /// The command that starts `navi watch --stream` on the remote, from `~/.local/bin`
    /// or the PATH, on this remote's sessions folder; 127 when there is no navi.
    pub fn stream_command(&self) -> String {
        let script = format!(
            "PATH=\"$HOME/.local/bin:$PATH\"; export PATH; command -v navi >/dev/null 2>&1 || exit 127\n\
             NAVI_SESSIONS_DIR={dir} exec navi watch --stream",
            dir = self.dir()
        );
        format!("exec sh -c {}", quote(&script))
    }

    pub fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    /// The sessions folder on the remote, quoted for its shell (`~/` → `"$HOME"/`).
    fn dir(&self) -> String {
        let d = self.remote.sessions_dir.trim_end_matches('/');
        path(if d.is_empty() { "/" } else { d })
    }

    /// The one script a poll runs: every status file after a marker line naming it (one
    /// find and one awk for all files: a process per file would cost more than the round
    /// trip on loopback), then tmux's session list and its exit status. Files first: a
    /// file written after tmux was asked would otherwise be taken for a stale one. Only
    /// regular files of at most 1 MiB are read (a FIFO would hang the poll, a symlink to
    /// /dev/zero feed it forever); the others are named on a marker line of their own.
    /// POSIX sh, find and awk: remotes may be BSDs or macOS. Whatever the user's shell
    /// startup files print comes before the first marker and is ignored. Public for the
    /// benchmark.
    pub fn poll_script(&self, marker: &str) -> String {
        let report = |kind: &str| {
            format!("-exec sh -c 'for f do printf \"\\n%s {kind}%s\\n\" \"$0\" \"${{f#./}}\"; done' {marker} {{}} +")
        };
        format!(
            "(cd {dir} 2>/dev/null && exec find -L . ! -name . -prune -name '*.json' ! -name '.*' \\( \\
               -type f -size -{limit}c ! -size 0 -exec awk -v m={marker} \\
                 'FNR == 1 {{ n = FILENAME; sub(\".*/\", \"\", n); printf \"\\n%s %s\\n\", m, n }} {{ print }}' {{}} + -o \\
               -type f -size 0 {empty} -o -type f {large} -o {special} \\) 2>/dev/null)
             printf '\\n%s {TMUX_PART}\\n' {marker}
{list}
printf '\\n%s {STATUS_PART} %s\\n' {marker} \"$?\"
exit 0",
            limit = MAX_FILE_BYTES + 1,
            empty = report(""),
            large = report(&format!("{LARGE_PART} ")),
            special = report(&format!("{SPECIAL_PART} ")),
            list = self.tmux.list_sessions(),
            dir = self.dir(),
        )
    }

    /// The quoted path of `session`'s status file; `None` when its name cannot be a file
    /// name (a `/` in it), so it has no file.
    fn file(&self, session: &str) -> Option<String> {
        let name = file_name_for(session).ok()?;
        Some(format!("{}/{}", self.dir(), quote(&name)))
    }

    /// The bytes of `session`'s status file, `None` when it has none.
    async fn read_raw(&self, session: &str) -> Result<Option<Vec<u8>>, BackendError> {
        let Some(file) = self.file(session) else { return Ok(None) };
        // Only a regular file, and only what the local reader would read of it (a FIFO
        // there must not hang the read; a link to a device must not fill memory).
        let limit = crate::sessions::read::MAX_FILE_BYTES;
        let script = format!(
            "f={file}\n[ -e \"$f\" ] || [ -h \"$f\" ] || exit 3\n\
             [ -f \"$f\" ] || {{ echo 'not a regular file' >&2; exit 1; }}\n\
             dd if=\"$f\" bs={} count=1 2>/dev/null",
            limit + 1
        );
        let out = self.exec(&script, None).await?;
        match out.status {
            Some(3) => Ok(None),
            Some(0) if out.stdout.len() as u64 > limit => Err(BackendError::Command(format!(
                "{}'s status file on {} is larger than {} MiB",
                crate::text::sanitize_line(session),
                self.remote.name,
                limit >> 20
            ))),
            Some(0) => Ok(Some(out.stdout)),
            _ => Err(BackendError::Command(out.error_text())),
        }
    }

    fn parse(&self, session: &str, bytes: &[u8]) -> Result<StatusFile, BackendError> {
        crate::sessions::read::parse_one(bytes)
            .map_err(|e| BackendError::Command(format!("{}'s status file on {}: {e}", session, self.remote.name)))
    }

    /// Runs a script of [`remote_files`]: `None` when it wrote, else the file as it found it
    /// changed (`Some(None)`: gone, or not readable as a status file).
    async fn run_write(&self, script: &str, stdin: &[u8]) -> Result<Option<Option<Vec<u8>>>, BackendError> {
        let out = self.exec(script, Some(stdin)).await?;
        match out.status {
            Some(0) => Ok(None),
            Some(remote_files::CHANGED) => {
                let limit = crate::sessions::read::MAX_FILE_BYTES as usize;
                Ok(Some((!out.stdout.is_empty() && out.stdout.len() <= limit).then_some(out.stdout)))
            }
            _ => Err(BackendError::Command(out.error_text())),
        }
    }

    fn kept_changing(&self, session: &str) -> BackendError {
        BackendError::Command(format!(
            "{session}'s status file on {} kept changing while navi wrote it; try again",
            self.remote.name
        ))
    }
}

/// How often a read-modify-write starts over on a file that changed under it. Each try
/// holds the remote's lock only for its write, so a session whose hook writes very often
/// may need a few; the pause between them grows and is random, so tries spread out.
const RETRIES: usize = 20;

async fn back_off(attempt: usize) {
    let ms = rand::random_range(2..=20) * (attempt as u64 + 1).min(10);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

/// The poll's marker lines that are not file names (those end in `.json`).
const TMUX_PART: &str = ":tmux";
const STATUS_PART: &str = ":status";
/// Marker lines naming a file that was not read: too big, or not a regular file.
const LARGE_PART: &str = ":large";
const SPECIAL_PART: &str = ":special";

/// A poll's stdout in pieces: tmux's output, tmux's exit status, each file by name.
type PollParts<'a> = (&'a [u8], Option<i32>, Vec<(String, Result<&'a [u8], ReadError>)>);

/// Splits a poll's stdout at its marker lines: each status file by name, tmux's output,
/// then tmux's exit status. Anything before the first marker (a chatty `.bashrc`) is
/// skipped; `None` when tmux's parts are missing (the script did not run to its end).
fn split_poll<'a>(stdout: &'a [u8], marker: &str) -> Option<PollParts<'a>> {
    let needle = format!("\n{marker} ");
    let header = |part: &'a [u8]| -> Option<(String, &'a [u8])> {
        let eol = part.iter().position(|&b| b == b'\n')?;
        Some((String::from_utf8_lossy(&part[..eol]).into_owned(), &part[eol + 1..]))
    };
    let (mut names, mut status, mut files) = (None, None, Vec::new());
    for (name, body) in split_on(stdout, needle.as_bytes()).into_iter().skip(1).filter_map(header) {
        if name == TMUX_PART {
            names = Some(body);
        } else if let Some(code) = name.strip_prefix(STATUS_PART) {
            status = Some(code.trim().parse().ok());
        } else if let Some(file) = name.strip_prefix(LARGE_PART) {
            files.push((file.trim_start().to_string(), Err(ReadError::TooLarge)));
        } else if let Some(file) = name.strip_prefix(SPECIAL_PART) {
            files.push((file.trim_start().to_string(), Err(ReadError::NotRegular)));
        } else {
            files.push((name, Ok(body)));
        }
    }
    Some((names?, status?, files))
}

/// What follows the first `marker` line; everything when there is none (the script did
/// not start, and the login shell's complaint is the useful part).
fn after_marker(bytes: Vec<u8>, marker: &str) -> Vec<u8> {
    let needle = format!("{marker}\n");
    match split_on(&bytes, needle.as_bytes()).get(1..) {
        Some(rest) if !rest.is_empty() => rest.join(needle.as_bytes()),
        _ => bytes,
    }
}

fn split_on<'a>(hay: &'a [u8], needle: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if &hay[i..i + needle.len()] == needle {
            out.push(&hay[start..i]);
            i += needle.len();
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&hay[start..]);
    out
}

/// A poll's whole answer, read: on a blocking thread, since a remote chooses its size.
fn parse_poll(out: &ExecOutput, marker: &str) -> Result<Snapshot, BackendError> {
    let parts = split_poll(&out.stdout, marker).filter(|_| out.status == Some(0));
    let Some((names, status, files)) = parts else {
        return Err(BackendError::Command(format!("unexpected answer to a poll: {}", out.error_text())));
    };
    let (tmux_sessions, tmux_error) = match tmux::parse_list_sessions(status, names, &out.stderr) {
        Ok(names) => (Some(names), None),
        Err(e) => (None, Some(e)),
    };
    Ok(Snapshot { files: parse_files(files), tmux_sessions, tmux_error })
}

#[async_trait]
impl SessionBackend for RemoteBackend {
    fn remote(&self) -> Option<&str> {
        Some(&self.remote.name)
    }

    fn tmux(&self) -> &Tmux {
        &self.tmux
    }

    async fn exec(&self, script: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, BackendError> {
        self.exec_within(script, stdin, None).await
    }

    async fn snapshot(&self) -> Result<Snapshot, BackendError> {
        if let Some(pushed) = self.push.snapshot() {
            return Ok(pushed);
        }
        let marker = format!("NAVI-{}", uuid::Uuid::new_v4().simple());
        let script = self.poll_script(&marker);
        let _one_at_a_time = self.pool.poll_guard(&self.remote.name).await?;
        let out = self.exec(&script, None).await?;
        // Parsing is CPU work on as many bytes as the remote sent: never on the workers.
        tokio::task::spawn_blocking(move || parse_poll(&out, &marker))
            .await
            .map_err(|e| BackendError::Transport(e.to_string()))?
    }

    fn start_push(&self, wake: Arc<tokio::sync::Notify>) -> Option<tokio::task::JoinHandle<()>> {
        if !self.remote.push {
            return None;
        }
        let log = match &self.push_log {
            Some(path) => link::log_to(path.clone()),
            None => Arc::new(|_: &str| {}),
        };
        let (pool, name, command, push) =
            (self.pool.clone(), self.remote.name.clone(), self.stream_command(), self.push.clone());
        Some(tokio::spawn(link::run(pool, name, command, push, wake, log)))
    }

    fn pushed(&self) -> bool {
        matches!(self.push.mode(), Mode::Push { .. })
    }

    fn push_mode(&self) -> Option<Mode> {
        Some(self.push.mode())
    }

    fn retry_push(&self) {
        self.push.retry_now();
    }

    fn pushed_shells(&self) -> Option<Result<Vec<super::agent_shells::AgentShell>, String>> {
        let mut shells = self.push.shells()?;
        if let Ok(shells) = &mut shells {
            for s in shells {
                s.remote = Some(self.remote.name.clone());
            }
        }
        Some(shells)
    }

    async fn shells_changed(&self) {
        self.push.shells_changed().await
    }

    async fn read_status(&self, name: &str) -> Result<Option<StatusFile>, BackendError> {
        match self.read_raw(name).await? {
            Some(bytes) => self.parse(name, &bytes).map(Some),
            None => Ok(None),
        }
    }

    async fn write_status(&self, file: &StatusFile) -> Result<(), BackendError> {
        let json = file.to_json();
        let name = file_name_for(&file.tmux_session).map_err(BackendError::Command)?;
        let script = remote_files::write(&self.dir(), &name, json.len(), &remote_files::Expect::Anything);
        self.run_write(&script, &json).await.map(|_| ())
    }

    async fn update_status(&self, name: &str, edit: Edit) -> Result<Option<StatusFile>, BackendError> {
        let Ok(file_name) = file_name_for(name) else { return Ok(None) };
        let mut known = None;
        for attempt in 0..RETRIES {
            let bytes = match known.take() {
                Some(b) => b,
                None => match self.read_raw(name).await? {
                    Some(b) => b,
                    None => return Ok(None),
                },
            };
            let mut file = self.parse(name, &bytes)?;
            edit(&mut file);
            let json = file.to_json();
            let expect = remote_files::Expect::read(Some(&bytes));
            match self.run_write(&remote_files::write(&self.dir(), &file_name, json.len(), &expect), &json).await? {
                None => return Ok(Some(file)),
                Some(now) => known = now,
            }
            back_off(attempt).await;
        }
        Err(self.kept_changing(name))
    }

    async fn rename_moving_status(&self, old: &str, new: &str) -> Result<(), BackendError> {
        let old_file = file_name_for(old).unwrap_or_default();
        for attempt in 0..RETRIES {
            let bytes = self.read_raw(old).await?;
            let (expect, rest) = match &bytes {
                _ if old_file.is_empty() => (remote_files::Expect::Anything, None),
                Some(b) => {
                    (remote_files::Expect::read(Some(b)), Some(remote_files::split_session(&self.parse(old, b)?)))
                }
                None => (remote_files::Expect::Absent, None),
            };
            let script = remote_files::rename(
                &self.dir(),
                &self.tmux,
                (old, &old_file),
                new,
                &expect,
                rest.as_ref().map(Vec::len),
            );
            let out = self.exec(&script, rest.as_deref()).await?;
            match out.status {
                Some(0) => return Ok(()),
                Some(remote_files::CHANGED) => back_off(attempt).await,
                Some(tmux::NO_SESSION) => return Err(BackendError::NoSuchSession(old.into())),
                _ => return Err(BackendError::Command(out.error_text())),
            }
        }
        Err(self.kept_changing(old))
    }

    async fn remove_files(&self, files: &[String]) -> Result<(), BackendError> {
        let (ok, bad): (Vec<_>, Vec<_>) = files.iter().partition(|f| super::check_file_name(f).is_ok());
        let mut failed: Vec<String> =
            bad.iter().map(|f| format!("{}: not a status file name", sanitize_line(f))).collect();
        if !ok.is_empty() {
            // rm goes on past a file it cannot remove and names it: each failure is its own.
            let paths: Vec<String> = ok.iter().map(|f| format!("{}/{}", self.dir(), quote(f))).collect();
            let out = self.exec(&format!("rm -f -- {}", paths.join(" ")), None).await?;
            if !out.success() {
                failed.push(out.error_text());
            }
        }
        if failed.is_empty() { Ok(()) } else { Err(BackendError::Command(failed.join("; "))) }
    }

    fn attach_command(&self, name: &str, _inside_tmux: bool) -> std::process::Command {
        // The same attach script as local (exact name → session id), under `sh` whatever
        // the remote user's login shell is.
        self.attach_over_ssh(&self.tmux.attach(name, false))
    }

    fn attach_agent_shell_command(&self, name: &str) -> std::process::Command {
        self.attach_over_ssh(&Tmux::agents().attach(name, false))
    }
}

impl RemoteBackend {
    /// `ssh -t` running the attach `script` under `sh` on the remote.
    fn attach_over_ssh(&self, script: &str) -> std::process::Command {
        let script = format!("sh -c {}", quote(script));
        match self.ssh_command(true, &script) {
            Ok(cmd) => cmd,
            Err(e) => {
                // Nothing to attach with: a command that says why, rather than an ssh
                // that would check host keys against the wrong file.
                let mut cmd = std::process::Command::new("sh");
                cmd.args(["-c", "printf 'navi: %s\\n' \"$1\" >&2; exit 1", "navi", &format!("attach: {e}")]);
                cmd
            }
        }
    }
}

impl RemoteBackend {
    /// The OpenSSH client running `remote_command` on this remote with navi's known_hosts,
    /// policy and key on every hop (see [`crate::ssh::openssh`]).
    pub fn ssh_command(&self, tty: bool, remote_command: &str) -> std::io::Result<std::process::Command> {
        let state_dir = crate::config::Paths::resolve(None, None).map_err(std::io::Error::other)?.state_dir;
        let openssh = OpenSsh { known_hosts: self.known_hosts.clone(), policy: self.policy, config_dir: state_dir };
        openssh.command(&self.remote, tty, remote_command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_output_is_split_at_the_markers() {
        let out = b"rc banner\n\nNAVI-x a.json\n{\"tmux_session\":\"a\",\"status\":\"done\"}\nNAVI-x bad.json\n{x\n\
                    \nNAVI-x :tmux\na\nb c\n\nNAVI-x :status 0\n";
        let (names, status, files) = split_poll(out, "NAVI-x").unwrap();
        assert_eq!(names, b"a\nb c\n");
        assert_eq!(status, Some(0));
        assert_eq!(files.len(), 2);
        let parsed = parse_files(files);
        assert_eq!(parsed.files.len(), 1);
        assert_eq!(parsed.files[0].source.as_deref(), Some("a.json"));
        assert!(parsed.errors[0].starts_with("bad.json: "), "{:?}", parsed.errors);
        let (names, status, files) = split_poll(b"\nNAVI-x :tmux\n\nNAVI-x :status 1\n", "NAVI-x").unwrap();
        assert_eq!((names, status, files.len()), (&b""[..], Some(1), 0));
        assert!(split_poll(b"garbage", "NAVI-x").is_none());
        assert!(split_poll(b"\nNAVI-x a.json\n{}\n\nNAVI-x :tmux\nhalf", "NAVI-x").is_none(), "cut short");
    }

    #[test]
    fn the_poll_script_reads_files_before_asking_tmux() {
        let d = tempfile::tempdir().unwrap();
        let b = backend_in(d.path());
        std::fs::write(d.path().join("a.json"), "{}\n").unwrap();
        let (text, _) = run_poll_script(&b);
        let (file, tmux) = (text.find("\nM a.json\n").unwrap(), text.find("\nM :tmux\n").unwrap());
        assert!(file < tmux, "{text}");
        assert!(text.contains("\nM :status "), "{text}");
    }

    /// Runs the poll script here, as a remote's sh would, with a deadline: a FIFO must
    /// never hang it.
    fn run_poll_script(b: &RemoteBackend) -> (String, Vec<u8>) {
        let sockets = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("sh")
            .args(["-c", &b.poll_script("M")])
            .env_remove("TMUX")
            .env("TMUX_TMPDIR", sockets.path())
            .stdout(std::process::Stdio::piped())
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut std::io::Read::take(&mut stdout, 64 << 20), &mut out).unwrap();
            out
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                panic!("the poll script did not finish within 10 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let out = reader.join().unwrap();
        assert_eq!(child.wait().unwrap().code(), Some(0));
        (String::from_utf8_lossy(&out).into_owned(), out)
    }

    #[test]
    fn the_poll_script_reads_only_regular_files_of_bounded_size() {
        let d = tempfile::tempdir().unwrap();
        let b = backend_in(d.path());
        let ok = r#"{"tmux_session":"ok","status":"idle"}"#;
        std::fs::write(d.path().join("ok.json"), ok).unwrap();
        std::fs::write(d.path().join("real"), ok.replace("\"ok\"", "\"via link\"")).unwrap();
        std::os::unix::fs::symlink(d.path().join("real"), d.path().join("link.json")).unwrap();
        std::fs::write(d.path().join("empty.json"), "").unwrap();
        std::fs::write(d.path().join("big.json"), vec![b' '; MAX_FILE_BYTES as usize + 1]).unwrap();
        std::fs::write(d.path().join(".hidden.json"), ok).unwrap();
        std::fs::create_dir(d.path().join("dir.json")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", d.path().join("zero.json")).unwrap();
        let fifo = d.path().join("x.json");
        crate::sessions::read::tests::mkfifo(&fifo);

        let (text, out) = run_poll_script(&b);
        assert!(out.len() < 64 << 10, "nothing big was read: {} bytes", out.len());
        let (_, _, files) = split_poll(&out, "M").expect(&text);
        let mut parsed = parse_files(files);
        parsed.errors.sort();
        let mut names: Vec<_> = parsed.files.iter().map(|f| f.tmux_session.as_str()).collect();
        names.sort();
        assert_eq!(names, ["ok", "via link"]);
        assert_eq!(
            parsed.errors,
            [
                "big.json: larger than 1 MiB, skipped",
                "dir.json: not a regular file, skipped",
                "empty.json: empty file",
                "x.json: not a regular file, skipped",
                "zero.json: not a regular file, skipped",
            ]
        );
    }

    fn backend_in(dir: &std::path::Path) -> RemoteBackend {
        let remote =
            Remote { sessions_dir: dir.display().to_string(), ..Remote::new("r", "h", 22, "u", "/k/id".into()) };
        RemoteBackend::new(remote, Arc::new(Pool::new(&Default::default())), "/kh".into(), HostKeyChecking::Strict)
    }

    #[test]
    fn attach_uses_navis_files_on_every_hop_and_exact_target() {
        let jump = crate::config::Hop {
            host: "j".into(),
            port: 2200,
            ..Remote::new("r", "h", 22, "u", "/k/id".into()).target()
        };
        let remote = Remote { jumps: vec![jump], ..Remote::new("r", "h", 2222, "u", "/k/id".into()) };
        let state = tempfile::tempdir().unwrap();
        let openssh =
            OpenSsh { known_hosts: "/kh".into(), policy: HostKeyChecking::Strict, config_dir: state.path().into() };
        let remote_command = format!("sh -c {}", quote(&Tmux::default().attach("it's $(x)", false)));
        let cmd = openssh.command(&remote, true, &remote_command).unwrap();
        let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let config = state.path().join("ssh/r.conf");
        assert_eq!(
            args,
            [
                "-t",
                "-F",
                &config.to_string_lossy(),
                "-i",
                "/k/id",
                "-o",
                "UserKnownHostsFile=\"/kh\"",
                "-o",
                "StrictHostKeyChecking=yes",
                "-p",
                "2222",
                "-J",
                "u@j:2200",
                "--",
                "u@h",
                &remote_command
            ]
        );
        let text = std::fs::read_to_string(&config).unwrap();
        assert!(text.contains("UserKnownHostsFile \"/kh\"") && text.contains("StrictHostKeyChecking yes"), "{text}");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&config).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
