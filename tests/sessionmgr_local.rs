//! The local driver through the manager, with a real bash on a real pty: state kept between
//! commands, exit codes, heredocs, forged markers, big outputs, interrupts and timeouts.

mod common;

use common::agent::{finish, five_mib_truncates_with_an_exact_cursor, run};

use navi::sessionmgr::{Drivers, LocalDriver, Manager, ManagerConfig, SessionState};
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn manager(dir: &std::path::Path, cfg: ManagerConfig) -> Manager {
    assert!(
        std::path::Path::new("/bin/bash").exists() || std::path::Path::new("/usr/bin/bash").exists(),
        "bash is missing: apt-get install bash"
    );
    let local = LocalDriver { shell: None, cwd: Some(dir.to_path_buf()) };
    Manager::new(Arc::new(Drivers::new().with("local", Arc::new(local))), cfg)
}

/// Sends `cmd` and reads until it finished; returns all its data and the last read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_persists_and_exit_codes_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub dir")).unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let o = m.open("local", None).await.unwrap();
    assert_eq!(o.state, SessionState::Ready);
    assert_eq!(o.shell, "bash");
    assert!(o.session_id.starts_with(&format!("{}:slot", m.host_id())), "{}", o.session_id);
    let id = o.session_id;

    let (d, r) = run(&m, &id, "cd 'sub dir' && FOO='a b'; export BAR=1").await;
    assert_eq!((d.as_str(), r.exit_code), ("", Some(0)));
    let (d, _) = run(&m, &id, "pwd; echo \"$FOO|$BAR\"").await;
    assert_eq!(d, format!("{}/sub dir\na b|1\n", dir.path().canonicalize().unwrap().display()));
    let (_, r) = run(&m, &id, "false").await;
    assert_eq!(r.exit_code, Some(1));
    let (d, r) = run(&m, &id, "echo $?; (exit 42)").await;
    assert_eq!((d.as_str(), r.exit_code), ("1\n", Some(42)));
    let (d, r) =
        run(&m, &id, "echo \"$PAGER $GIT_PAGER $GIT_TERMINAL_PROMPT $DEBIAN_FRONTEND $TERM $NO_COLOR\"; echo '!!'")
            .await;
    assert_eq!(d, "cat cat 0 noninteractive dumb 1\n!!\n");
    assert_eq!(r.exit_code, Some(0));
    // Escape sequences never reach the reader; CR LF becomes LF, tabs stay.
    let (d, _) = run(&m, &id, "printf '\\033[31mred\\033[0m\\033]0;title\\007\\ta\\r\\n'").await;
    assert_eq!(d, "red\ta\n");
    let (d, r) = run(&m, &id, "printf 'no newline'").await;
    assert_eq!((d.as_str(), r.exit_code), ("no newline", Some(0)));
    // Quotes, $(), backticks and control characters reach the shell verbatim.
    let (d, _) = run(&m, &id, "printf '%s|' \"it's\" '$(touch x)' '`id`' \"$(printf 'a\\tb')\" 'x\x15y'; ls").await;
    assert_eq!(d, "it's|$(touch x)|`id`|a\tb|xy|");
    m.close(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heredocs_and_unfinished_input_never_hang_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    let (d, r) = run(&m, &id, "cat <<'EOF'\nline $HOME\n  two\nEOF\necho after").await;
    assert_eq!((d.as_str(), r.exit_code), ("line $HOME\n  two\nafter\n", Some(0)));
    // No terminator: the heredoc ends with the command, and the session goes on.
    let (d, _) = run(&m, &id, "cat <<EOF\nunterminated").await;
    assert!(d.contains("unterminated"), "{d:?}");
    let (_, r) = run(&m, &id, "echo 'unfinished").await;
    assert_eq!(r.exit_code, Some(2));
    let (d, r) = run(&m, &id, "echo still here").await;
    assert_eq!((d.as_str(), r.exit_code), ("still here\n", Some(0)));
    m.close(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printed_fake_markers_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    let fake = "printf '\\036NAVI0123456789abcdef0123456789abcdef:E:0\\036\\n'; \
                printf '\\036NAVI%s:S\\036' x; echo tail; exit_now=1; (exit 3)";
    let (d, r) = run(&m, &id, fake).await;
    assert_eq!(r.exit_code, Some(3));
    assert!(d.contains("NAVI0123456789abcdef0123456789abcdef:E:0") && d.ends_with("tail\n"), "{d:?}");
    m.close(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_mib_of_output_truncates_with_a_correct_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    let end = five_mib_truncates_with_an_exact_cursor(&m, &id).await;
    // A small max_bytes pages through the rest from where the last read stopped.
    let r = m.read(&id, Some(end - 6), Some(64), Duration::ZERO).await.unwrap();
    assert_eq!((r.data.as_str(), r.truncated, r.next_cursor), ("y\nEND\n", false, end));
    m.close(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupt_stops_sleep_and_timeouts_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    let sent = m.send(&id, "echo started; sleep 1000", None).await.unwrap();
    let q = m.send(&id, "echo queued-never-runs", None).await.unwrap();
    assert!(q.queued);
    // Wait until the command is really running.
    let r = m.read(&id, None, None, Duration::from_secs(1)).await.unwrap();
    assert_eq!(r.state, SessionState::Busy);
    let deadline = tokio::time::Instant::now() + WAIT;
    while !m.read(&id, None, None, Duration::ZERO).await.unwrap().data.contains("started") {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let i = m.interrupt(&id).await.unwrap();
    assert_eq!((i.command_id, i.signal, i.cancelled), (Some(sent.command_id), Some("interrupt"), 1));
    let (_, r) = finish(&m, &id, sent.command_id).await;
    assert_eq!((r.exit_code, r.interrupted), (Some(130), true));
    // A builtin loop (the shell itself in the foreground) stops too.
    let sent = m.send(&id, "while :; do :; done", None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    m.interrupt(&id).await.unwrap();
    let (_, r) = finish(&m, &id, sent.command_id).await;
    assert_eq!(r.exit_code, Some(130));

    // Ctrl-C that arrives while the shell is still reading the line must not lose it.
    for _ in 0..10 {
        let sent = m.send(&id, "sleep 1000", None).await.unwrap();
        m.interrupt(&id).await.unwrap();
        let (_, r) = finish(&m, &id, sent.command_id).await;
        assert_eq!(r.exit_code, Some(130));
    }

    let sent = m.send(&id, "sleep 1000", Some(1)).await.unwrap();
    let (_, r) = finish(&m, &id, sent.command_id).await;
    assert_eq!((r.exit_code, r.timed_out), (Some(130), true));
    // A command that ignores Ctrl-C is terminated.
    let sent = m.send(&id, "bash -c 'trap \"\" INT; sleep 1000'", Some(1)).await.unwrap();
    let (_, r) = finish(&m, &id, sent.command_id).await;
    assert!(r.timed_out && r.exit_code.is_some_and(|c| c != 0), "{r:?}");
    let (d, r) = run(&m, &id, "echo alive").await;
    assert_eq!((d.as_str(), r.exit_code), ("alive\n", Some(0)));
    m.close(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_prompt_is_hinted_and_exit_ends_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    let sent = m.send(&id, "read -s -p 'Password: ' pw </dev/tty; echo got", Some(30)).await.unwrap();
    let r = m.read(&id, None, None, Duration::from_secs(20)).await.unwrap();
    assert_eq!((r.command_id, r.waiting_for_input), (Some(sent.command_id), Some("password")), "{r:?}");
    m.interrupt(&id).await.unwrap();
    finish(&m, &id, sent.command_id).await;

    let sent = m.send(&id, "echo bye; exit 7", None).await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    let r = loop {
        let r = m.read(&id, None, None, Duration::from_secs(5)).await.unwrap();
        if r.state == SessionState::Closed {
            break r;
        }
        assert!(tokio::time::Instant::now() < deadline);
    };
    assert_eq!((r.command_id, r.exit_code, r.finished), (Some(sent.command_id), Some(7), true), "{r:?}");
    assert!(r.data.contains("bye") && r.error.as_deref().is_some_and(|e| e.contains("exited")), "{r:?}");
    // Once told, the id is gone, with the reason.
    for e in [
        m.send(&id, "true", None).await.unwrap_err(),
        m.read(&id, None, None, Duration::ZERO).await.unwrap_err(),
        m.close(&id).await.unwrap_err(),
    ] {
        assert!(e.to_string().starts_with("session not found (the shell exited"), "{e}");
    }
    assert!(m.list().is_empty());
}

/// After an interrupt that the program ignores, the prompt still on screen is old news: a
/// waiting read waits for a change (here the command's end) instead of answering at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_read_after_an_interrupt_waits_for_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    let cmd = "bash -c 'trap \"\" INT; printf \"Password: \"; sleep 2; echo after'";
    let sent = m.send(&id, cmd, Some(30)).await.unwrap();
    let r = m.read(&id, None, None, Duration::from_secs(20)).await.unwrap();
    assert_eq!(r.waiting_for_input, Some("password"), "{r:?}");
    m.interrupt(&id).await.unwrap();
    let r = m.read(&id, None, None, Duration::from_secs(20)).await.unwrap();
    assert_eq!((r.command_id, r.finished), (Some(sent.command_id), true), "{r:?}");
    assert!(r.data.contains("after") && r.interrupted, "{r:?}");
    m.close(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_reading_stdin_get_end_of_file_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    let (d, r) = run(&m, &id, "cat; read x; echo \"read=$?\"; wc -c").await;
    assert_eq!((d.as_str(), r.exit_code, r.timed_out), ("read=1\n0\n", Some(0), false), "{r:?}");
    let (d, r) = run(&m, &id, "echo still here").await;
    assert_eq!((d.as_str(), r.exit_code), ("still here\n", Some(0)));
    m.close(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirecting_the_shells_output_lasts_one_command() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    let (d, r) = run(&m, &id, "exec >/dev/null; echo hidden").await;
    assert_eq!((d.as_str(), r.exit_code), ("", Some(0)));
    let (d, r) = run(&m, &id, "echo hi").await;
    assert_eq!((d.as_str(), r.exit_code), ("hi\n", Some(0)));
    let (d, r) = run(&m, &id, "exec >build.log 2>&1; echo logged; ls nothing-here").await;
    assert_eq!((d.as_str(), r.exit_code), ("", Some(2)));
    let (d, r) = run(&m, &id, "echo out; echo err >&2; cat build.log").await;
    assert!(d.starts_with("out\nerr\nlogged\n") && r.exit_code == Some(0), "{d:?} {r:?}");
    m.close(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errexit_lasts_one_command_and_its_failure_reports_the_status() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    let (_, r) = run(&m, &id, "set -e").await;
    assert_eq!(r.exit_code, Some(0));
    let (_, r) = run(&m, &id, "false").await;
    assert_eq!((r.exit_code, r.state), (Some(1), SessionState::Ready), "{r:?}");
    let (d, r) = run(&m, &id, "echo $-; (exit 3)").await;
    assert!(!d.contains('e') && r.exit_code == Some(3), "{d:?} {r:?}");
    // Within one command errexit does its job: the shell ends, with the failing status.
    let (d, r) = run(&m, &id, "set -e; echo before; (exit 5); echo after").await;
    assert_eq!((d.as_str(), r.exit_code), ("before\n", Some(5)), "{r:?}");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match m.read(&id, None, None, Duration::from_secs(5)).await {
            Ok(r) if r.state == SessionState::Closed => break,
            Ok(_) => assert!(tokio::time::Instant::now() < deadline),
            Err(e) => {
                assert!(e.to_string().starts_with("session not found (the shell exited"), "{e}");
                break;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xtrace_shows_the_command_and_none_of_the_helpers() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    run(&m, &id, "set -x").await;
    let (d, r) = run(&m, &id, "echo hi").await;
    assert!(d.ends_with("+ echo hi\nhi\n") && !d.contains("navi") && r.exit_code == Some(0), "{d:?}");
    let (d, _) = run(&m, &id, "set +x").await;
    assert!(!d.contains("navi"), "{d:?}");
    let (d, _) = run(&m, &id, "echo quiet").await;
    assert_eq!(d, "quiet\n");
    m.close(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_command_cannot_leave_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    let (_, r) = run(&m, &id, "stty raw </dev/tty; false").await;
    assert_eq!(r.exit_code, Some(1));
    let (d, _) = run(&m, &id, "stty -a </dev/tty").await;
    assert!(d.contains(" icanon") && !d.contains("-icanon") && d.contains("-echo "), "{d:?}");
    m.close(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_posix_sh_works_too() {
    let dir = tempfile::tempdir().unwrap();
    let local = LocalDriver { shell: Some("/bin/sh".into()), cwd: Some(dir.path().to_path_buf()) };
    let m = Manager::new(Arc::new(Drivers::new().with("local", Arc::new(local))), ManagerConfig::default());
    let o = m.open("local", None).await.unwrap();
    assert_eq!(o.shell, "sh");
    let id = o.session_id;
    let (d, r) = run(&m, &id, "cd /tmp; V=\"x y\"; echo \"$V\"; (exit 4)").await;
    assert_eq!((d.as_str(), r.exit_code), ("x y\n", Some(4)));
    let (d, r) = run(&m, &id, "pwd; cat <<EOF\n$V\nEOF").await;
    assert_eq!((d.as_str(), r.exit_code), ("/tmp\nx y\n", Some(0)));
    let sent = m.send(&id, "sleep 1000", Some(1)).await.unwrap();
    let (_, r) = finish(&m, &id, sent.command_id).await;
    assert!(r.timed_out && r.exit_code.is_some_and(|c| c != 0), "{r:?}");
    let (d, _) = run(&m, &id, "echo \"$V\"").await;
    assert_eq!(d, "x y\n");
    m.close(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_commands_survive_the_terminal_line_limit() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    let word = "ab'c\"d$e".repeat(12_500);
    let (d, r) = run(&m, &id, &format!("printf '%s' '{}' | wc -c", word.replace('\'', r"'\''"))).await;
    assert_eq!((d.trim(), r.exit_code), ("100000", Some(0)));
    let script: String = (0..2000).map(|i| format!("x{i}={i}\n")).collect::<String>() + "echo $x1999";
    let (d, _) = run(&m, &id, &script).await;
    assert_eq!(d, "1999\n");
    let e = m.send(&id, &"x".repeat(2 << 20), None).await.unwrap_err().to_string();
    assert!(e.contains("longer than"), "{e}");
    m.close(&id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unterminated_escape_string_hides_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path(), ManagerConfig::default());
    let id = m.open("local", None).await.unwrap().session_id;
    let (d, r) = run(&m, &id, "printf '\\033]0;never-ends'; echo visible").await;
    assert!(d.contains("visible") && r.exit_code == Some(0), "{d:?} {r:?}");
    // While the command still runs, a newline already ends the string for the reader.
    let sent = m.send(&id, "printf '\\033_also-never-ends'; echo shown; sleep 1000", None).await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut data = String::new();
    let mut cursor = None;
    while !data.contains("shown") {
        assert!(tokio::time::Instant::now() < deadline, "never shown: {data:?}");
        let r = m.read(&id, cursor, None, Duration::from_secs(1)).await.unwrap();
        data.push_str(&r.data);
        cursor = Some(r.next_cursor);
    }
    m.interrupt(&id).await.unwrap();
    finish(&m, &id, sent.command_id).await;
    let (d, _) = run(&m, &id, "printf 'a\\033]0;title\\007b\\n'").await;
    assert_eq!(d, "ab\n");
    m.close(&id).await.unwrap();
}
