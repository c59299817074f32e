//! Persistent shell sessions for agents: manager, ring buffer, drivers.

pub mod protocol;
pub mod ring;
