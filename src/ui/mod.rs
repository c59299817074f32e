//! Drawing the dashboard (no I/O).
