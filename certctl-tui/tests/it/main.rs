//! Integration tests of certctl-tui: the real binary in tmux against a real server started by
//! the test (`e2e`), and the man page drift check (`generated`).
#![allow(clippy::unwrap_used)]

mod e2e;
mod generated;
mod support;
