//! certctl-tui: the interactive fleet and inventory console of certctl (ratatui + crossterm),
//! for operators over SSH. Started as `certctl-tui` or `certctl tui`.
//!
//! State / pure update / view, as in gitui: [`app`] holds the state, [`update::update`] turns a
//! [`msg::Msg`] (key, tick, answer) into a new state and [`msg::Effect`]s, [`view::draw`] draws
//! it, [`net`] runs the effects in the background with the typed client and reports back as
//! messages, [`term`] owns the terminal (restored on exit, panic and SIGTERM) and the loop.
//! [`args`] are the command-line options shared by both entry points; [`search`] is the `/` filter
//! of every screen and the shortening of ids (unique, never look-alikes); [`sort`] orders and
//! formats rows.
#![forbid(unsafe_code)]

pub mod app;
pub mod args;
pub mod msg;
pub mod net;
pub mod search;
pub mod sort;
pub mod term;
pub mod update;
pub mod view;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests_update;
#[cfg(test)]
mod tests_view;

pub use app::{App, Options};
pub use args::ConsoleArgs;
pub use term::{run, run_client};
