//! Dashboard state and its pure update function (no I/O).
