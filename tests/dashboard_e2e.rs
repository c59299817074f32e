//! End to end: the real binary in a pane of a private tmux server, driven with send-keys
//! and read with capture-pane.

mod common;

use common::tmux::{TmuxServer, wait_for};
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

struct Dash {
    t: TmuxServer,
}

impl Dash {
    /// Three sessions (alpha waiting, gamma working, beta done), then navi in pane `ui`.
    fn start() -> Dash {
        let dash = Dash::prepare();
        dash.launch();
        dash
    }

    fn prepare() -> Dash {
        let t = TmuxServer::new();
        let now = navi::text::now_unix();
        for (name, status, age) in [("alpha", "waiting", 5), ("beta", "done", 500), ("gamma", "working", 50)] {
            let dir = t.home.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            t.new_session(name, &dir, "");
            t.write_status(&json!({"tmux_session": name, "status": status, "cwd": dir, "timestamp": now - age,
                "message": format!("{name} says hi")}));
        }
        Dash { t }
    }

    fn launch(&self) {
        let t = &self.t;
        let cmd = format!(
            "env HOME={} NAVI_TMUX_SOCKET={} {}",
            shlex::try_quote(&t.home.to_string_lossy()).unwrap(),
            shlex::try_quote(&t.socket.to_string_lossy()).unwrap(),
            env!("CARGO_BIN_EXE_navi")
        );
        let out = t
            .tmux_cmd()
            .args(["new-session", "-d", "-x", "100", "-y", "30", "-s", "ui", "-c"])
            .arg(&t.home)
            .arg(cmd)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        self.t.tmux(&["set-option", "-t", "ui", "remain-on-exit", "on"]);
        self.wait("alpha says hi");
    }

    fn screen(&self) -> String {
        self.t.capture("ui")
    }

    /// navi's pane is dead and left the alternate screen.
    fn exited_cleanly(&self) -> bool {
        let out = self.t.tmux(&["display-message", "-p", "-t", "ui", "#{pane_dead} #{alternate_on}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1 0"
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "ui"];
        args.extend(keys);
        self.t.tmux(&args);
    }

    fn text(&self, s: &str) {
        self.t.tmux(&["send-keys", "-t", "ui", "-l", s]);
    }

    fn wait(&self, what: &str) {
        let ok = wait_for(WAIT, || self.screen().contains(what));
        assert!(ok, "waited for {what:?}; screen:\n{}", self.screen());
    }

    fn wait_gone(&self, what: &str) {
        let ok = wait_for(WAIT, || !self.screen().contains(what));
        assert!(ok, "waited for {what:?} to go; screen:\n{}", self.screen());
    }

    /// The screen line with the selection marker.
    fn selected_line(&self) -> String {
        self.t.selected_line("ui")
    }
}

#[test]
fn attach_and_detach_back_to_the_list() {
    let d = Dash::start();
    d.t.tmux(&["send-keys", "-t", "=alpha:", "echo ALPHA-''PANE", "Enter"]);
    assert!(d.selected_line().contains("alpha"));
    d.keys(&["Enter"]);
    d.wait("ALPHA-PANE");
    d.wait_gone("alpha says hi");
    d.keys(&["C-b", "d"]);
    d.wait("alpha says hi");
    d.wait("3 sessions");
    // Still responsive after coming back.
    d.keys(&["j"]);
    assert!(wait_for(WAIT, || d.selected_line().contains("gamma")), "{}", d.screen());
}

#[test]
fn kill_asks_for_confirmation() {
    let d = Dash::start();
    d.keys(&["x"]);
    d.wait("Kill session \"alpha\"");
    d.keys(&["n"]);
    d.wait_gone("Kill session");
    assert!(d.t.sessions_alive().contains(&"alpha".to_string()));
    d.keys(&["x"]);
    d.wait("Kill session \"alpha\"");
    d.keys(&["y"]);
    d.wait("killed alpha");
    d.wait_gone("alpha says hi");
    assert!(!d.t.sessions_alive().contains(&"alpha".to_string()));
    assert!(d.t.read_status("alpha").is_none());
}

#[test]
fn rename_moves_session_and_file() {
    let d = Dash::start();
    d.keys(&["R"]);
    d.wait("Rename alpha");
    d.keys(&["C-u"]);
    d.text("a.b");
    d.wait("must not contain '.'");
    d.keys(&["C-u"]);
    d.text("renamed");
    d.keys(&["Enter"]);
    d.wait("renamed alpha to renamed");
    assert!(wait_for(WAIT, || d.t.sessions_alive().contains(&"renamed".to_string())));
    assert_eq!(d.t.read_status("renamed").unwrap()["message"], "alpha says hi");
    assert!(d.t.read_status("alpha").is_none());
}

#[test]
fn dismiss_marks_the_session_working() {
    let d = Dash::start();
    d.keys(&["d"]);
    d.wait("dismissed alpha");
    let f = d.t.read_status("alpha").unwrap();
    assert_eq!(f["status"], "working");
    assert!(f.get("message").is_none());
    d.wait_gone("alpha says hi");
}

#[test]
fn marked_rows_are_dismissed_and_killed_after_one_confirmation_listing_them() {
    let d = Dash::start();
    // alpha (waiting) and gamma (working) marked; beta is not.
    d.keys(&["Space", "j", "Space"]);
    d.wait("2 marked");
    d.keys(&["d"]);
    d.wait("these 2 sessions?");
    let screen = d.screen();
    let at = screen.find("these 2 sessions?").unwrap();
    assert!(screen[at..].contains("alpha") && screen[at..].contains("gamma"), "{screen}");
    assert_eq!(d.t.read_status("alpha").unwrap()["status"], "waiting", "nothing before the answer");
    d.keys(&["y"]);
    let both = || ["alpha", "gamma"].iter().all(|n| d.t.read_status(n).is_some_and(|f| f.get("message").is_none()));
    assert!(wait_for(WAIT, both), "{}", d.screen());
    assert_eq!(d.t.read_status("alpha").unwrap()["status"], "working");
    assert_eq!(d.t.read_status("beta").unwrap()["message"], "beta says hi", "the unmarked row is left alone");
    d.wait_gone("marked");

    // Marks survive a refresh; killing two asks once and leaves the third.
    d.keys(&["Space", "j", "Space", "r"]);
    d.wait("2 marked");
    d.keys(&["x"]);
    d.wait("these 2 sessions?");
    d.keys(&["y"]);
    assert!(wait_for(WAIT, || d.t.sessions_alive().len() == 2), "{:?}", d.t.sessions_alive());
    d.wait("1 sessions");
}

#[test]
fn create_a_session_from_the_form() {
    let d = Dash::start();
    d.keys(&["n"]);
    d.wait("New session");
    d.keys(&["Tab"]);
    d.text("/nonexistent");
    d.wait("no such directory");
    for _ in 0.."/nonexistent".len() {
        d.keys(&["BSpace"]);
    }
    d.wait_gone("no such directory");
    d.keys(&["Enter"]);
    d.wait("started claude");
    assert!(wait_for(WAIT, || d.t.sessions_alive().contains(&"claude".to_string())));
    let f = d.t.read_status("claude").unwrap();
    assert_eq!(f["status"], "working");
    d.wait("4 sessions");
}

#[test]
fn filter_search_and_sort() {
    let d = Dash::start();
    d.keys(&["4"]);
    d.wait("1 of 3 sessions");
    assert!(d.screen().contains("beta says hi") && !d.screen().contains("alpha says hi"));
    d.keys(&["0"]);
    d.wait("alpha says hi");
    d.keys(&["/"]);
    d.text("gam");
    d.keys(&["Enter"]);
    assert!(wait_for(WAIT, || d.selected_line().contains("gamma")), "{}", d.screen());
    d.keys(&["Escape"]);
    d.keys(&["s"]);
    d.wait("sort:name");
    let screen = d.screen();
    let pos = |n: &str| screen.find(&format!("{n} says hi")).unwrap();
    assert!(pos("alpha") < pos("beta") && pos("beta") < pos("gamma"), "{screen}");
}

#[test]
fn a_session_that_ends_between_two_tmux_checks_leaves_the_list() {
    let d = Dash::start();
    // Started and ended between two tmux checks: tmux's list looks the same at both.
    let dir = d.t.home.join("short");
    std::fs::create_dir_all(&dir).unwrap();
    d.t.new_session("short", &dir, "");
    d.t.write_status(&json!({"tmux_session": "short", "status": "done", "cwd": dir,
        "timestamp": navi::text::now_unix(), "message": "short is done"}));
    d.wait("short is done");
    // Past the listings the file's own events started.
    std::thread::sleep(Duration::from_millis(500));
    d.t.tmux(&["kill-session", "-t", "=short"]);
    d.wait_gone("short is done");
    assert!(d.t.read_status("short").is_none(), "the stale file was kept");
}

#[test]
fn preview_shows_the_pane() {
    let d = Dash::start();
    d.t.tmux(&["send-keys", "-t", "=alpha:", "echo PREVIEW-''MARK", "Enter"]);
    d.keys(&["p"]);
    d.wait("PREVIEW-MARK");
    // Follows new output without a key press.
    d.t.tmux(&["send-keys", "-t", "=alpha:", "echo SECOND-''MARK", "Enter"]);
    d.wait("SECOND-MARK");
}

#[test]
fn hostile_message_is_drawn_without_escapes() {
    let d = Dash::start();
    let now = navi::text::now_unix();
    d.t.write_status(&json!({"tmux_session": "alpha", "status": "waiting", "timestamp": now,
        "message": "evil \u{1b}[31mRED\u{1b}[0m \u{1b}]2;pwned\u{7} \u{1b}[2J tail"}));
    d.wait("evil RED");
    let raw = d.t.tmux(&["capture-pane", "-p", "-e", "-t", "ui"]);
    let raw = String::from_utf8_lossy(&raw.stdout);
    let line = raw.lines().find(|l| l.contains("RED")).unwrap();
    assert!(!line.contains("[31m"), "the status file's colour reached the terminal: {line:?}");
    let title = d.t.tmux(&["display-message", "-p", "-t", "ui", "#{pane_title}"]);
    assert!(!String::from_utf8_lossy(&title.stdout).contains("pwned"));
    assert!(d.screen().contains("3 sessions"), "the screen was cleared by the message");
}

#[test]
fn quit_leaves_a_clean_terminal() {
    let d = Dash::start();
    d.keys(&["q"]);
    assert!(wait_for(WAIT, || d.exited_cleanly()), "navi did not exit or left the alternate screen on");
}

#[test]
fn demo_runs_for_real_and_cleans_up() {
    let (d, tmp) = start_demo(|t| {
        // The user's git config has a commit hook: the demo's repos must not run it.
        let hooks = t.home.join("hooks");
        std::fs::create_dir_all(&hooks).unwrap();
        let hook = format!("#!/bin/sh\ntouch '{}'\n", t.home.join("hook-ran").display());
        std::fs::write(hooks.join("pre-commit"), hook).unwrap();
        std::fs::set_permissions(hooks.join("pre-commit"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        std::fs::write(t.home.join(".gitconfig"), format!("[core]\n\thooksPath = {}\n", hooks.display())).unwrap();
    });
    let marker = d.t.home.join("hook-ran");
    d.wait("Which database should I use");
    assert!(!marker.exists(), "the demo ran the user's git hook");
    // Send a prompt to the selected session: the stand-in claude answers and reports done.
    d.keys(&["m"]);
    d.wait("Send to api-server");
    d.text("hello demo");
    d.keys(&["Enter"]);
    d.wait("Finished: hello demo");
    d.keys(&["q"]);
    assert!(wait_for(WAIT, || demo_cleaned_up(&tmp)), "the demo left files or its tmux server in {}", tmp.display());
}

/// Starts `navi --demo` in a pane (kept after exit) of a fresh server, with TMPDIR in its
/// own folder; `setup` prepares HOME first.
fn start_demo(setup: impl FnOnce(&TmuxServer)) -> (Dash, std::path::PathBuf) {
    let t = TmuxServer::new();
    let tmp = t.dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    setup(&t);
    let cmd = format!(
        "env HOME={} TMPDIR={} {} --demo",
        shlex::try_quote(&t.home.to_string_lossy()).unwrap(),
        shlex::try_quote(&tmp.to_string_lossy()).unwrap(),
        env!("CARGO_BIN_EXE_navi")
    );
    let out = t.tmux_cmd().args(["new-session", "-d", "-x", "100", "-y", "30", "-s", "ui", &cmd]).output().unwrap();
    assert!(out.status.success());
    t.tmux(&["set-option", "-t", "ui", "remain-on-exit", "on"]);
    (Dash { t }, tmp)
}

/// navi itself runs the demo whose TMPDIR is `tmp`.
fn demo_running(tmp: &std::path::Path) -> bool {
    let env = format!("TMPDIR={}", tmp.display());
    common::sshd::processes_with("navi --demo").into_iter().any(|p| {
        std::fs::read(format!("/proc/{p}/environ")).is_ok_and(|e| e.split(|&b| b == 0).any(|v| v == env.as_bytes()))
    })
}

/// The demo removed its folder and its tmux server (whose command line names the folder).
fn demo_cleaned_up(tmp: &std::path::Path) -> bool {
    let empty = std::fs::read_dir(tmp).map(|mut e| e.next().is_none()).unwrap_or(false);
    empty && common::sshd::processes_with(&tmp.join("navi-demo-").to_string_lossy()).is_empty()
}

#[test]
fn demo_cleans_up_on_ctrl_c_during_setup_and_on_a_closed_terminal() {
    // Ctrl-C at once: the demo is still setting up (no raw mode yet), so it is a SIGINT. Once
    // navi runs: typed before, when the pane has no program of its own yet, the terminal
    // would drop it.
    let (d, tmp) = start_demo(|_| {});
    assert!(wait_for(WAIT, || demo_running(&tmp)), "the demo never started: {}", d.screen());
    d.keys(&["C-c"]);
    assert!(wait_for(WAIT, || d.exited_cleanly()), "the demo did not end on Ctrl-C: {}", d.screen());
    assert!(wait_for(WAIT, || demo_cleaned_up(&tmp)), "Ctrl-C left demo files or its tmux server in {}", tmp.display());

    // Ctrl-C in the dashboard (a key in raw mode) quits and cleans up the same way.
    let (d, tmp) = start_demo(|_| {});
    d.wait("Which database should I use");
    d.keys(&["C-c"]);
    assert!(wait_for(WAIT, || d.exited_cleanly()), "the demo did not end on Ctrl-C: {}", d.screen());
    assert!(wait_for(WAIT, || demo_cleaned_up(&tmp)), "Ctrl-C left demo files or its tmux server in {}", tmp.display());

    // Closing the terminal (SIGHUP) while the dashboard runs cleans up too.
    let (d, tmp) = start_demo(|_| {});
    d.wait("Which database should I use");
    assert!(!demo_cleaned_up(&tmp), "the demo's folder and server are there while it runs");
    d.t.tmux(&["kill-session", "-t", "ui"]);
    assert!(wait_for(WAIT, || demo_cleaned_up(&tmp)), "a closed terminal left demo files in {}", tmp.display());
}

#[test]
fn keys_file_overrides_and_a_bad_file_falls_back() {
    let d = Dash::prepare();
    let config = d.t.home.join(".config/navi");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("keys.yaml"), "kill: X\n").unwrap();
    d.launch();
    d.wait("X kill");
    d.keys(&["x"]);
    d.keys(&["X"]);
    d.wait("Kill session \"alpha\"");
    d.keys(&["Escape"]);
    d.keys(&["q"]);
    d.t.tmux(&["kill-session", "-t", "ui"]);

    std::fs::write(config.join("keys.yaml"), "kill: [[[\n").unwrap();
    d.launch();
    d.wait("using the default keys");
    d.wait("x kill");
}

/// An SGR mouse report, as a terminal sends it (1-based column and row).
fn sgr(button: u8, col: u16, row: u16, press: bool) -> String {
    format!("\x1b[<{button};{col};{row}{}", if press { 'M' } else { 'm' })
}

#[test]
fn mouse_click_selects_wheel_moves_double_click_attaches() {
    let d = Dash::start();
    d.t.tmux(&["send-keys", "-t", "=beta:", "echo BETA-''PANE", "Enter"]);
    let row_of = |name: &str| {
        let s = d.screen();
        s.lines().position(|l| l.contains(name) && !l.contains("says")).map(|i| i as u16 + 1).unwrap()
    };
    // Click on beta's row selects it.
    let beta = row_of("beta");
    d.text(&(sgr(0, 10, beta, true) + &sgr(0, 10, beta, false)));
    assert!(wait_for(WAIT, || d.selected_line().contains("beta")), "{}", d.screen());
    // The wheel moves the selection up, without wrapping.
    d.text(&sgr(64, 10, beta, true));
    assert!(wait_for(WAIT, || d.selected_line().contains("gamma")), "{}", d.screen());
    // A double click attaches; detaching comes back to the list.
    let beta = row_of("beta");
    let click = sgr(0, 10, beta, true) + &sgr(0, 10, beta, false);
    d.text(&format!("{click}{click}"));
    d.wait("BETA-PANE");
    d.keys(&["C-b", "d"]);
    d.wait("alpha says hi");
}

#[test]
fn inside_tmux_enter_switches_the_client_and_the_user_can_come_back() {
    let d = Dash::prepare();
    let t = &d.t;
    t.tmux(&["send-keys", "-t", "=alpha:", "echo ALPHA-''PANE", "Enter"]);
    // navi runs inside the server it shows (no private-socket flag: $TMUX says where).
    let cmd =
        format!("env HOME={} {}", shlex::try_quote(&t.home.to_string_lossy()).unwrap(), env!("CARGO_BIN_EXE_navi"));
    let out = t.tmux_cmd().args(["new-session", "-d", "-x", "100", "-y", "30", "-s", "ui", &cmd]).output().unwrap();
    assert!(out.status.success());
    // A real client on that server: an outer tmux whose pane runs `tmux attach`.
    let outer = TmuxServer::new();
    let attach = format!("tmux -S {} attach-session -t ui", shlex::try_quote(&t.socket.to_string_lossy()).unwrap());
    let out =
        outer.tmux_cmd().args(["new-session", "-d", "-x", "100", "-y", "30", "-s", "term", &attach]).output().unwrap();
    assert!(out.status.success());
    let seen = |what: &str| wait_for(WAIT, || outer.capture("term").contains(what));
    assert!(seen("alpha says hi"), "{}", outer.capture("term"));
    // The user's own key below goes through that client: it must be taking keys.
    t.wait_client_takes_keys(&outer, "term");

    // Keys for navi go straight to its pane: typed into the nested client right after it
    // attached, they can be taken for part of the terminal's answers to tmux's queries
    // and lost on a loaded machine. What is tested is navi's switch of that client.
    t.tmux(&["send-keys", "-t", "=ui:", "Enter"]);
    assert!(seen("ALPHA-PANE"), "switch-client shows the session: {}", outer.capture("term"));
    // tmux's own "last session" key brings the user back to the dashboard, still alive.
    outer.tmux(&["send-keys", "-t", "term", "C-b", "L"]);
    assert!(seen("alpha says hi"), "{}", outer.capture("term"));
    t.tmux(&["send-keys", "-t", "=ui:", "j"]);
    assert!(
        wait_for(WAIT, || outer.capture("term").lines().any(|l| l.starts_with('▌') && l.contains("gamma"))),
        "{}",
        outer.capture("term")
    );
}

#[test]
fn a_session_whose_agent_never_started_shows_the_error_its_pane_shows() {
    let d = Dash::prepare();
    let dir = d.t.home.join("broken");
    std::fs::create_dir_all(&dir).unwrap();
    d.t.new_session("broken", &dir, "");
    d.t.tmux(&["send-keys", "-t", "=broken:", "nope", "Enter"]);
    assert!(wait_for(WAIT, || d.t.capture("broken").contains("nope: command not found")));
    // As `navi new` leaves it, long enough ago; no hook will ever write again.
    d.t.write_status(&json!({"tmux_session": "broken", "status": "working", "cwd": dir,
        "timestamp": navi::text::now_unix() - 60, "message": "Starting Claude Code"}));
    d.launch();
    d.wait("Starting Claude Code");
    // The dashboard's slow tmux check reads the pane and corrects the file.
    d.wait("nope: command not found");
    assert_eq!(d.t.read_status("broken").unwrap()["status"], "error");
}
