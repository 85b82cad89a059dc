//! certctl-tui binary.

fn main() {}
