//! `SessionBackend::list` on a backend whose snapshot and removals are scripted: stale
//! files are removed by their real file name, and one file's failure stops no other.

use super::*;
use std::sync::Mutex;

struct Scripted {
    files: Vec<StatusFile>,
    alive: Vec<String>,
    removed: Mutex<Vec<String>>,
}

#[async_trait]
impl SessionBackend for Scripted {
    fn remote(&self) -> Option<&str> {
        None
    }
    fn tmux(&self) -> &Tmux {
        unimplemented!()
    }
    async fn exec(&self, _: &str, _: Option<&[u8]>) -> Result<ExecOutput, BackendError> {
        unimplemented!()
    }
    async fn snapshot(&self) -> Result<Snapshot, BackendError> {
        let files = Parsed { files: self.files.clone(), errors: Vec::new() };
        Ok(Snapshot {
            files,
            tmux_sessions: Some(
                self.alive.iter().map(|n| tmux::TmuxSession { name: n.clone(), attached: false }).collect(),
            ),
            tmux_error: None,
        })
    }
    async fn read_status(&self, _: &str) -> Result<Option<StatusFile>, BackendError> {
        unimplemented!()
    }
    async fn write_status(&self, _: &StatusFile) -> Result<(), BackendError> {
        unimplemented!()
    }
    async fn update_status(&self, _: &str, _: Edit) -> Result<Option<StatusFile>, BackendError> {
        unimplemented!()
    }
    async fn rename_moving_status(&self, _: &str, _: &str) -> Result<(), BackendError> {
        unimplemented!()
    }
    async fn remove_files(&self, files: &[String]) -> Result<(), BackendError> {
        self.removed.lock().unwrap().extend(files.iter().cloned());
        Ok(())
    }
    fn attach_command(&self, _: &str, _: bool) -> std::process::Command {
        unimplemented!()
    }

    fn attach_agent_shell_command(&self, _: &str) -> std::process::Command {
        unimplemented!()
    }
}

fn file(session: &str, source: Option<&str>) -> StatusFile {
    let mut f = StatusFile::new(session, Status::Done);
    f.source = source.map(str::to_string);
    f
}

#[tokio::test]
async fn stale_files_are_removed_by_the_name_they_were_read_from() {
    let long = "x".repeat(300);
    let backend = Scripted {
        files: vec![
            file(&long, Some("a.json")),
            file("b", None),
            file("c", Some("c-file.json")),
            file("live", Some("live.json")),
            file("no/file", None),
        ],
        alive: vec!["live".into()],
        removed: Mutex::new(Vec::new()),
    };
    let listing = backend.list().await.unwrap();
    assert_eq!(listing.sessions.len(), 1);
    assert_eq!(*backend.removed.lock().unwrap(), ["a.json", "b.json", "c-file.json"]);
}

#[test]
fn file_names_from_a_listing_stay_in_the_folder() {
    for ok in ["a.json", "a b.json", "-x.json", "ü.json"] {
        assert!(check_file_name(ok).is_ok(), "{ok}");
    }
    for bad in ["", ".json", ".navi.lock", ".hidden.json", "a/b.json", "../x.json", "x.txt", "a\0.json"] {
        assert!(check_file_name(bad).is_err(), "{bad:?}");
    }
}
