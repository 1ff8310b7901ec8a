//! Progress bars on stderr for large inputs, drawn only for a terminal.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::{self, IsTerminal};

/// Files above this size show a progress bar (about a million rows).
const PROGRESS_BYTES: u64 = 32 << 20;

/// A progress bar over the bytes of a file of `size` bytes, for CSV inputs
/// of [`PROGRESS_BYTES`] or more.
pub fn progress_for(size: u64) -> Option<ProgressBar> {
    if size < PROGRESS_BYTES || !io::stderr().is_terminal() {
        return None;
    }
    Some(bar(size, "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({eta})"))
}

/// A progress bar of `len` steps drawn with `template`.
fn bar(len: u64, template: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(ProgressStyle::with_template(template).expect("static template").progress_chars("=> "));
    pb
}

/// A progress bar over rows, for Parquet inputs of a million rows or more
/// (the count, from the files' footers, is taken only for a terminal).
pub fn progress_rows(total: impl FnOnce() -> u64) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let total = total();
    if total < 1 << 20 {
        return None;
    }
    Some(bar(total, "{spinner} reading [{bar:30}] {human_pos}/{human_len} rows ({eta})"))
}
