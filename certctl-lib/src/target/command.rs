//! Running a target's validate and reload commands: argv, no shell, bounded time, the tail of
//! stderr kept for the report.

use std::process::Stdio;
use std::time::Duration;

/// How much of a command's output a report keeps.
const TAIL_BYTES: usize = 600;

/// Why a command failed; its `Display` is what goes into the job report.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The program could not be started.
    #[error("`{cmd}` could not be started: {reason}")]
    Spawn {
        /// The command line, for the report.
        cmd: String,
        /// The OS error.
        reason: String,
    },
    /// It ran and failed.
    #[error("`{cmd}` exited with {status}: {tail}")]
    Failed {
        /// The command line, for the report.
        cmd: String,
        /// `status 1`, `signal 9`.
        status: String,
        /// The last lines of stderr (or stdout when stderr was empty).
        tail: String,
    },
    /// It did not finish in time and was killed.
    #[error("`{cmd}` did not finish within {secs} s and was killed")]
    Timeout {
        /// The command line, for the report.
        cmd: String,
        /// The limit.
        secs: u64,
    },
}

/// Runs `argv` (no shell, stdin closed) and waits at most `timeout`.
pub async fn run_command(argv: &[String], timeout: Duration) -> Result<(), CommandError> {
    let cmd = argv.join(" ");
    let Some((program, args)) = argv.split_first() else {
        return Err(CommandError::Spawn { cmd, reason: "empty command".into() });
    };
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| CommandError::Spawn { cmd: cmd.clone(), reason: e.to_string() })?;
    let out = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(CommandError::Spawn { cmd, reason: e.to_string() }),
        Err(_) => return Err(CommandError::Timeout { cmd, secs: timeout.as_secs() }),
    };
    if out.status.success() {
        return Ok(());
    }
    let status =
        match (out.status.code(), std::os::unix::process::ExitStatusExt::signal(&out.status)) {
            (Some(c), _) => format!("status {c}"),
            (None, Some(s)) => format!("signal {s}"),
            _ => "failure".into(),
        };
    let text =
        if out.stderr.iter().any(|b| !b.is_ascii_whitespace()) { &out.stderr } else { &out.stdout };
    Err(CommandError::Failed { cmd, status, tail: tail(text) })
}

/// The last [`TAIL_BYTES`] of `bytes` as one trimmed line-joined text.
pub(crate) fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let mut start = text.len().saturating_sub(TAIL_BYTES);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let t = text[start..].trim().replace('\n', " | ");
    if t.is_empty() { "(no output)".into() } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn failures_carry_the_stderr_tail() {
        let t = Duration::from_secs(5);
        assert!(run_command(&["true".into()], t).await.is_ok());
        let e = run_command(&["ls".into(), "/nonexistent-certctl".into()], t).await.unwrap_err();
        assert!(matches!(e, CommandError::Failed { .. }), "{e}");
        assert!(e.to_string().contains("nonexistent-certctl"), "{e}");
        let e = run_command(&["/nonexistent/prog".into()], t).await.unwrap_err();
        assert!(matches!(e, CommandError::Spawn { .. }), "{e}");
        let e = run_command(&["sleep".into(), "5".into()], Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(matches!(e, CommandError::Timeout { .. }), "{e}");
        assert_eq!(tail(&[b'x'; 2000]).len(), TAIL_BYTES);
    }
}
