//! certctl-agent binary.

fn main() {}
