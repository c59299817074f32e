//! Shared test fixtures: a private tmux server with its own HOME and sessions folder.
#![allow(dead_code)]

pub mod tmux;
