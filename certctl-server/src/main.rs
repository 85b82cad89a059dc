//! certctl-server binary.

fn main() {}
