//! certctl-tui: not built yet (see README.md, "Status of the other binaries").

fn main() -> std::process::ExitCode {
    eprintln!("certctl-tui is not available yet in this version; see README.md");
    std::process::ExitCode::FAILURE
}
