//! certctl-agent: not built yet (see README.md, "Status of the other binaries").

fn main() -> std::process::ExitCode {
    eprintln!("certctl-agent is not available yet in this version; see README.md");
    std::process::ExitCode::FAILURE
}
