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

/// A byte-count progress bar for a long transfer (hidden like [`Spinner`]).
pub struct Bytes(Option<ProgressBar>);

impl Bytes {
    /// A bar for `len` bytes labelled `message`.
    pub fn new(cli: &Cli, len: u64, message: impl Into<String>) -> Self {
        if cli.json || !std::io::stderr().is_terminal() {
            return Bytes(None);
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(message.into());
        Bytes(Some(bar))
    }

    /// `reader`, advancing the bar as it is read.
    pub fn wrap<R: std::io::Read + Send + 'static>(
        &self,
        reader: R,
    ) -> Box<dyn std::io::Read + Send> {
        match &self.0 {
            Some(b) => Box::new(b.wrap_read(reader)),
            None => Box::new(reader),
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
