//! `navi setup` against a real sshd: a fresh remote is made ready (navi uploaded and
//! checked, hooks, sessions folder); a second run changes nothing; `--check` changes
//! nothing and names what is missing; a remote of another OS gets instructions and no
//! upload; a newer navi there is kept unless `--force`.

use crate::Env;
use crate::common::sshd::run;
use std::path::PathBuf;
use std::process::Command;

trait Setup {
    fn setup(&self, args: &[&str]) -> (i32, String, String);
    fn installed(&self) -> PathBuf;
    fn settings(&self) -> PathBuf;
}

impl Setup for Env {
    fn setup(&self, args: &[&str]) -> (i32, String, String) {
        self.navi(&[&["setup", "box"], args].concat())
    }

    fn installed(&self) -> PathBuf {
        self.sshd.remote_home.join(".local/bin/navi")
    }

    fn settings(&self) -> PathBuf {
        self.sshd.remote_home.join(".claude/settings.json")
    }
}

fn mtime(p: &std::path::Path) -> std::time::SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

#[test]
fn a_fresh_remote_is_set_up_and_a_second_run_changes_nothing() {
    let e = Env::new();
    let (code, out, err) = e.setup(&["--check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("navi: missing") && out.contains("hooks: missing") && out.contains("sessions folder: missing"),
        "{out}"
    );
    assert!(!e.installed().exists() && !e.settings().exists(), "--check changed something");

    let (code, out, err) = e.setup(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("navi: installed {}", env!("CARGO_PKG_VERSION"))), "{out}");
    assert_eq!(std::fs::read(e.installed()).unwrap(), std::fs::read(env!("CARGO_BIN_EXE_navi")).unwrap());
    let settings = std::fs::read_to_string(e.settings()).unwrap();
    assert!(settings.contains(".local/bin/navi") && settings.contains(" hook"), "{settings}");
    assert!(e.sshd.remote_home.join(".claude-sessions").is_dir());
    let leftovers: Vec<_> = std::fs::read_dir(e.sshd.remote_home.join(".local/bin")).unwrap().flatten().collect();
    assert_eq!(leftovers.len(), 1, "temp files left: {leftovers:?}");

    let (navi_at, settings_at) = (mtime(&e.installed()), mtime(&e.settings()));
    let (code, out, err) = e.setup(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("is installed") && out.contains("hooks: installed") && out.contains("present"), "{out}");
    assert_eq!((mtime(&e.installed()), mtime(&e.settings())), (navi_at, settings_at), "the second run changed files");
    let (code, out, _) = e.setup(&["--check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("box is set up"), "{out}");
}

#[test]
fn another_os_gets_instructions_and_nothing_is_uploaded() {
    let e = Env::new();
    // The remote user's PATH starts with the server's bin/: a uname that says macOS.
    let fake = e.sshd.dir.path().join("bin/uname");
    std::fs::write(&fake, "#!/bin/sh\ncase \"$1\" in -s) echo Darwin;; -m) echo arm64;; esac\n").unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (code, out, err) = e.setup(&[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("box: Darwin arm64") && out.contains("cannot upload") && out.contains("by hand"), "{out}");
    assert!(!e.installed().exists() && !e.sshd.remote_home.join(".local").exists(), "something was uploaded");
}

#[test]
fn a_newer_navi_there_is_kept_unless_forced() {
    let e = Env::new();
    let bin = e.sshd.remote_home.join(".local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("navi"), "#!/bin/sh\necho navi 99.0.0\n").unwrap();
    std::fs::set_permissions(bin.join("navi"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    run(Command::new("chown").arg("-R").arg(e.sshd.user).arg(e.sshd.remote_home.join(".local")));
    let (code, out, err) = e.setup(&[]);
    // Kept; its hooks could not be installed by a navi that is only a script, so those
    // are reported by what that navi printed.
    assert!(out.contains("navi 99.0.0 is installed (newer than this navi"), "{code} {out}{err}");
    assert!(std::fs::read_to_string(bin.join("navi")).unwrap().contains("99.0.0"));
    let (code, out, err) = e.setup(&["--force"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(std::fs::read(bin.join("navi")).unwrap(), std::fs::read(env!("CARGO_BIN_EXE_navi")).unwrap());
}
