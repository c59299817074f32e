//! Network namespaces for tests: client ↔ jump ↔ target, so a target is reachable only
//! through a jump host. Addresses exist only inside the namespaces; everything is
//! removed on drop.

use super::sshd::run;
use std::process::Command;

/// Three network namespaces in a row, client ↔ jump ↔ target, so the target can be
/// reached only through the jump host. Addresses exist only inside the namespaces.
pub struct Chain {
    pub client: String,
    pub jump: String,
    pub target: String,
}

pub const JUMP_ADDR: &str = "10.200.0.2";
pub const TARGET_ADDR: &str = "10.201.0.2";

fn ip(args: &[&str]) {
    run(Command::new("ip").args(args));
}

impl Chain {
    pub fn new() -> Self {
        super::tmux::require("ip", "iproute2");
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let id = format!("{}{}", std::process::id() % 100_000, NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
        let chain = Chain { client: format!("navi-c{id}"), jump: format!("navi-j{id}"), target: format!("navi-t{id}") };
        for ns in [&chain.client, &chain.jump, &chain.target] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        chain.link(
            &format!("nc{id}"),
            &chain.client,
            "10.200.0.1/30",
            &format!("nj{id}"),
            &chain.jump,
            "10.200.0.2/30",
        );
        chain.link(
            &format!("nk{id}"),
            &chain.jump,
            "10.201.0.1/30",
            &format!("nt{id}"),
            &chain.target,
            "10.201.0.2/30",
        );
        chain
    }

    fn link(&self, a: &str, ns_a: &str, addr_a: &str, b: &str, ns_b: &str, addr_b: &str) {
        ip(&["link", "add", a, "type", "veth", "peer", "name", b]);
        ip(&["link", "set", a, "netns", ns_a]);
        ip(&["link", "set", b, "netns", ns_b]);
        ip(&["-n", ns_a, "addr", "add", addr_a, "dev", a]);
        ip(&["-n", ns_b, "addr", "add", addr_b, "dev", b]);
        ip(&["-n", ns_a, "link", "set", a, "up"]);
        ip(&["-n", ns_b, "link", "set", b, "up"]);
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        remove(&[&self.client, &self.jump, &self.target]);
    }
}

fn remove(namespaces: &[&String]) {
    for ns in namespaces {
        if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-9", pid]).output();
            }
        }
        let _ = Command::new("ip").args(["netns", "del", ns]).output();
    }
}

/// `n` network namespaces in a row, each linked only to its neighbours (no forwarding):
/// from the first, the `k`-th is reachable only through every one between.
pub struct Row {
    pub ns: Vec<String>,
}

impl Row {
    pub fn new(n: usize) -> Self {
        super::tmux::require("ip", "iproute2");
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let id = format!("{}{}", std::process::id() % 100_000, NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
        let row = Row { ns: (0..n).map(|i| format!("navi-r{id}-{i}")).collect() };
        for ns in &row.ns {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        for k in 0..n - 1 {
            let (a, b) = (format!("ra{id}{k}"), format!("rb{id}{k}"));
            ip(&["link", "add", &a, "type", "veth", "peer", "name", &b]);
            ip(&["link", "set", &a, "netns", &row.ns[k]]);
            ip(&["link", "set", &b, "netns", &row.ns[k + 1]]);
            ip(&["-n", &row.ns[k], "addr", "add", &format!("10.{}.0.1/30", 210 + k), "dev", &a]);
            ip(&["-n", &row.ns[k + 1], "addr", "add", &format!("{}/30", Row::addr(k + 1)), "dev", &b]);
            ip(&["-n", &row.ns[k], "link", "set", &a, "up"]);
            ip(&["-n", &row.ns[k + 1], "link", "set", &b, "up"]);
        }
        row
    }

    /// The address of the `k`-th namespace (k ≥ 1), as its left neighbour reaches it.
    pub fn addr(k: usize) -> String {
        format!("10.{}.0.2", 210 + k - 1)
    }
}

impl Drop for Row {
    fn drop(&mut self) {
        remove(&self.ns.iter().collect::<Vec<_>>());
    }
}
