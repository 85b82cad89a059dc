//! certctl-cli binary.

fn main() {}
