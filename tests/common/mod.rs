//! Shared test fixtures: a private tmux server with its own HOME and sessions folder, and
//! a real OpenSSH sshd, and network namespaces.
#![allow(dead_code)]

pub mod agent;
pub mod claude;
pub mod dbus;
pub mod netns;
pub mod sshd;
pub mod tmux;
