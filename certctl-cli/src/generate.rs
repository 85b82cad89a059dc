//! `certctl generate man --out-dir DIR` (hidden): one man page per visible command with
//! clap_mangen — `certctl.1`, `certctl-certs.1`, `certctl-certs-list.1`, ... — and for `certctl tui`
//! the console's own page, `certctl-tui.1`.

use std::path::Path;

use anyhow::Context;
/// Writes the pages of `cli` (the whole command tree) and the console's into `dir`.
pub fn man(cli: clap::Command, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    clap_mangen::generate_to(cli, dir)
        .with_context(|| format!("writing man pages into {}", dir.display()))?;
    // `certctl tui` is the console: its page is the console's own (`certctl-tui.1`).
    certctl_tui::args::write_man(dir)
        .with_context(|| format!("writing certctl-tui.1 into {}", dir.display()))
}
