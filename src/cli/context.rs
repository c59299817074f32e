//! What every subcommand needs: resolved paths, the local backend, the remotes file and
//! the backends of remote hosts.

use super::args::{Filter, Global};
use crate::backend::remote::RemoteBackend;
use crate::backend::{LocalBackend, SessionBackend};
use crate::config::{LoadedRemotes, Paths, load_remotes};
use crate::ssh::Pool;
use anyhow::{Result, bail};
use std::sync::{Arc, OnceLock};

pub struct Context {
    pub paths: Paths,
    pub local: Arc<LocalBackend>,
    pub remotes: LoadedRemotes,
    /// Created on first use; no connection is opened until a remote is used.
    pool: OnceLock<Arc<Pool>>,
}

impl Context {
    pub fn new(global: &Global) -> Result<Self> {
        let paths = Paths::resolve(global.sessions_dir.clone(), global.remotes.clone())?;
        let local = Arc::new(LocalBackend::new(paths.sessions_dir.clone(), global.tmux_socket.clone()));
        let remotes = load_remotes(&paths.remotes_file, &paths.home);
        Ok(Context { paths, local, remotes, pool: OnceLock::new() })
    }

    /// Prints the remotes file's problems once, on stderr.
    pub fn warn_remotes(&self) {
        for w in &self.remotes.warnings {
            eprintln!("navi: warning: {}", crate::text::sanitize_line(w));
        }
    }

    /// The backend that holds sessions of `remote` (`None`: this machine).
    pub fn backend(&self, remote: Option<&str>) -> Result<Arc<dyn SessionBackend>> {
        match remote {
            None | Some("local") => Ok(self.local.clone()),
            Some(name) => {
                let Some(remote) = self.remotes.config.get(name) else {
                    self.warn_remotes();
                    bail!("no remote named {name:?} in {}", self.paths.remotes_file.display());
                };
                Ok(self.remote_backend(remote))
            }
        }
    }

    fn remote_backend(&self, remote: &crate::config::Remote) -> Arc<dyn SessionBackend> {
        let cfg = &self.remotes.config;
        let backend = RemoteBackend::new(remote.clone(), self.pool(), cfg.known_hosts.clone(), cfg.host_key_checking);
        Arc::new(backend.with_push_log(self.paths.state_dir.join("push.log")))
    }

    /// The SSH pool shared by every remote backend (and the MCP server's shells).
    pub fn pool(&self) -> Arc<Pool> {
        self.pool.get_or_init(|| Arc::new(Pool::new(&self.remotes.config))).clone()
    }

    /// Every backend the filter selects, local first. No connection is opened here.
    pub fn backends(&self, filter: Filter) -> Vec<Arc<dyn SessionBackend>> {
        let mut out: Vec<Arc<dyn SessionBackend>> = Vec::new();
        if filter != Filter::Remote {
            out.push(self.local.clone());
        }
        if filter != Filter::Local {
            out.extend(self.remotes.config.remotes.iter().map(|r| self.remote_backend(r)));
        }
        out
    }
}
