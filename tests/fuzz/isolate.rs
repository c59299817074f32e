//! Runs a test's body in a fresh network namespace with only loopback: the test binary
//! re-executes itself, filtered to that one test, under `unshare --net`, with a marker in
//! the environment; only the re-executed child runs the body. If the namespace cannot be
//! made the test fails: it never runs outside one and never skips.

use std::process::Command;

const MARKER: &str = "NAVI_FUZZ_IN_NETNS";

/// Runs `body` inside a private network namespace (test `name` is this test's full name).
pub fn in_private_network(name: &str, body: impl FnOnce()) {
    if std::env::var_os(MARKER).is_some() {
        let interfaces = interfaces();
        assert_eq!(interfaces, ["lo"], "{name}: the child is not in a network namespace of its own");
        body();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new("unshare")
        .args(["--net", "--", "sh", "-c", "ip link set lo up && exec \"$@\"", "sh"])
        .arg(&exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(MARKER, "1")
        .output()
        .unwrap_or_else(|e| panic!("unshare (util-linux) could not run: {e}; the fuzz tests need it, as root"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} in a private network namespace failed ({}):\n{stdout}\n{stderr}\n\
         (it needs root, unshare from util-linux and ip from iproute2)",
        out.status
    );
    // A filter that matched nothing would pass without running a case.
    assert!(stdout.contains("1 passed"), "{name} did not run in the child:\n{stdout}\n{stderr}");
    for line in stdout.lines().filter(|l| l.starts_with("fuzz ")) {
        println!("{line}");
    }
}

/// The network interfaces this process sees (its namespace's, from /proc/self/net/dev).
fn interfaces() -> Vec<String> {
    let dev = std::fs::read_to_string("/proc/self/net/dev").expect("/proc/self/net/dev");
    dev.lines().skip(2).filter_map(|l| Some(l.split(':').next()?.trim().to_string())).collect()
}
