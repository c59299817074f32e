//! The SSH pool on russh: one lazily opened, keepalive-checked connection per remote,
//! jump-host chaining, host-key verification against known_hosts, key or agent login,
//! commands on multiplexed channels and interactive shells. Never imports the UI or the
//! backends: `backend::remote` builds on it.

// SshError's host-key variants carry everything a dialog needs to accept a key; errors are
// rare, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod cli;
pub mod connect;
pub mod error;
pub mod exec;
pub mod hostkeys;
pub mod known_hosts;
pub mod openssh;
pub mod pool;
pub mod shell;

pub use error::SshError;
pub use exec::Output;
pub use pool::{ConnState, Pool, RemoteStatus, SHELLS_ON_MAIN, SHELLS_PER_EXTRA};
pub use shell::{ShellChannel, ShellEnd, ShellWriter};
