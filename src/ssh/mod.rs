//! The SSH pool on russh: one lazily opened, keepalive-checked connection per remote.

pub mod cli;
