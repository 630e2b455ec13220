//! Progress for long commands: a bar on a terminal, plain lines otherwise (logs, tests).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

pub fn bar(len: u64, what: &str) -> ProgressBar {
    let b = if std::io::stderr().is_terminal() {
        ProgressBar::new(len)
    } else {
        ProgressBar::hidden()
    };
    b.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({elapsed}, {per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b.set_message(what.to_owned());
    b
}

/// Sets the bar; without a terminal, also prints a line, so a script sees progress.
pub fn report(b: &ProgressBar, done: u64) {
    b.set_position(done);
    if b.is_hidden() {
        eprintln!("{}: {done}/{}", b.message(), b.length().unwrap_or(0));
    }
}
