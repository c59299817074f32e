//! A private D-Bus session bus (a real `dbus-daemon`) with a stand-in freedesktop
//! notification service on it that records the summary and body of every Notify call.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Bus {
    daemon: Child,
    /// For DBUS_SESSION_BUS_ADDRESS.
    pub address: String,
    calls: Arc<Mutex<Vec<(String, String)>>>,
    _conn: zbus::Connection,
    _rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

struct Recorder {
    calls: Arc<Mutex<Vec<(String, String)>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Recorder {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: HashMap<String, zbus::OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut calls = self.calls.lock().unwrap();
        calls.push((summary, body));
        calls.len() as u32
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("navi-test".into(), "navi".into(), "1".into(), "1.2".into())
    }

    fn close_notification(&self, _id: u32) {}
}

impl Bus {
    pub fn start() -> Bus {
        super::tmux::require("dbus-daemon", "dbus-daemon");
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("bus");
        let config = dir.path().join("session.conf");
        std::fs::write(
            &config,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"
 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">
<busconfig><type>session</type><listen>unix:path={}</listen><auth>EXTERNAL</auth>
<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/><allow own=\"*\"/></policy>
</busconfig>",
                socket.display()
            ),
        )
        .unwrap();
        let daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .arg("--nofork")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // The socket's file is there from its bind, a moment before the daemon listens on it.
        let listening = || std::os::unix::net::UnixStream::connect(&socket).is_ok();
        assert!(super::tmux::wait_for(Duration::from_secs(30), listening), "dbus-daemon did not start");
        let address = format!("unix:path={}", socket.display());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let recorder = Recorder { calls: calls.clone() };
        let conn = rt
            .block_on(
                zbus::connection::Builder::address(address.as_str())
                    .name("org.freedesktop.Notifications")
                    .serve_at("/org/freedesktop/Notifications", recorder)
                    .build(),
            )
            .unwrap();
        Bus { daemon, address, calls, _conn: conn, _rt: rt, _dir: dir }
    }

    /// (summary, body) of every Notify call so far.
    pub fn calls(&self) -> Vec<(String, String)> {
        self.calls.lock().unwrap().clone()
    }

    pub fn wait_calls(&self, n: usize) -> Vec<(String, String)> {
        assert!(
            super::tmux::wait_for(Duration::from_secs(60), || self.calls().len() >= n),
            "{n} Notify calls expected: {:?}",
            self.calls()
        );
        self.calls()
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}
