//! The CLI's bottom layer: reading inputs and writing outputs. Every
//! command reads its rows through [`read_columns`] (CSV, or Parquet through
//! [`parquet`]), reports bad input as a one-line [`CliError`] that names the
//! file, line or row, and column, and writes its outputs with
//! [`write_atomic`] (temp file in the same directory, then rename).
//!
//! This module imports nothing else of the crate, so every command may use
//! it without a cycle (checked by `tests/tests/cli_modules.rs`).
//!
//! - [`error`]: [`CliError`], the one-line error of every command;
//! - [`columns`]: [`Columns`], the rows read, and where each came from;
//! - [`csv`]: CSV inputs (pipes and FIFOs too, read once) and the line of
//!   a byte offset;
//! - [`parquet`]: Parquet files and Hive-partitioned datasets, and
//!   `calib apply`'s Parquet output;
//! - [`time`]: RFC 3339 text ⇄ ms since the epoch;
//! - [`fs`]: reading a whole file (or a model), writing one atomically;
//! - [`progress`]: progress bars for large inputs;
//! - [`stdout`]: the lines `outln!` prints.

pub mod columns;
pub mod csv;
pub mod error;
pub mod fs;
pub mod parquet;
pub mod progress;
pub mod stdout;
pub mod time;

pub use self::csv::{Source, parse_number};
pub use columns::{Columns, Origin, Part, Wanted};
pub use error::CliError;
pub use fs::{load_model, read_artifact, read_bytes, read_key_text, read_manifest, write_atomic};
pub use progress::{progress_for, progress_rows};
pub use stdout::emit_line;

use std::path::Path;

/// Reads `score` (required), and `label`, `weight`, `class`, `query_id`,
/// from a CSV file, a Parquet file or a directory of Parquet files.
pub fn read_columns(path: &Path, wanted: Wanted) -> Result<Columns, CliError> {
    if parquet::is_parquet(path) {
        return parquet::read_columns(path, wanted);
    }
    self::csv::read_columns(path, wanted)
}

/// The bytes of the input `cols` were read from, to hash it: a CSV input's
/// bytes as they were read (so a pipe is not read a second time), or the
/// Parquet file.
pub fn input_bytes(cols: &Columns) -> Result<Vec<u8>, CliError> {
    match &cols.origin {
        Origin::Csv { source, .. } => source.read_all(),
        Origin::Parquet { .. } => read_bytes(&cols.path),
    }
}

/// Reads the optional `timestamp` column of the input `cols` were read
/// from, as ms since the epoch: RFC 3339 text, or in Parquet also a
/// timestamp column. (A CSV input is read again from its [`Source`], so
/// this works for a pipe too.)
pub fn read_timestamps(cols: &Columns) -> Result<Option<Vec<i64>>, CliError> {
    match &cols.origin {
        Origin::Csv { source, .. } => self::csv::read_timestamps(source, cols.score.len()),
        Origin::Parquet { .. } => parquet::read_timestamps(&cols.path),
    }
}
