//! Persistent shell sessions for agents: manager, ring buffer, drivers.
