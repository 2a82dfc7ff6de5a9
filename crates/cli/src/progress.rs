//! Progress on long operations (waiting for finality, for a reveal window, for a devnet):
//! a spinner on stderr when it is a terminal and output is for people; nothing otherwise, so
//! scripts and `--json` output stay clean.

use crate::Cli;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// A spinner with a message; cleared when finished or dropped.
pub struct Spinner(Option<ProgressBar>);

impl Spinner {
    /// Starts a spinner showing `message` (hidden with `--json` or when stderr is not a
    /// terminal).
    pub fn new(cli: &Cli, message: impl Into<String>) -> Self {
        if cli.json || !std::io::stderr().is_terminal() {
            return Spinner(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(120));
        Spinner(Some(bar))
    }

    /// Replaces the message.
    pub fn set_message(&self, message: impl Into<String>) {
        if let Some(b) = &self.0 {
            b.set_message(message.into());
        }
    }

    /// Clears the spinner.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.finish();
    }
}
