//! [`Columns`]: the rows of an input that calib reads, whichever format
//! they came from, with where each row came from ([`Origin`]) so that a
//! core error about row `i` becomes a message naming its file, line or row,
//! and column ([`Columns::locate`]).

use super::CliError;
use super::csv::Source;
use calib_core::{Error as CoreError, ErrorKind};
use std::path::PathBuf;

/// Where the rows of an input came from, to name a bad row in an error.
#[derive(Debug)]
pub enum Origin {
    /// A CSV input: the byte offset of each row (its line is worked out
    /// only for errors, from the input's bytes in `source`).
    Csv { offsets: Vec<u64>, source: Source },
    /// Parquet files, in the order their rows appear in the columns.
    Parquet { parts: Vec<Part> },
}

/// The rows of one Parquet file in [`Columns`]: from index `start` on,
/// beginning with the file's row `file_row` (0-based).
#[derive(Debug)]
pub struct Part {
    pub file: PathBuf,
    pub start: usize,
    pub file_row: usize,
}

impl Default for Origin {
    fn default() -> Self {
        Origin::Csv { offsets: Vec::new(), source: Source::default() }
    }
}

/// The columns of an input that calib reads.
#[derive(Debug, Default)]
pub struct Columns {
    /// The input as given: a CSV file, a Parquet file or a Parquet directory.
    pub path: PathBuf,
    pub origin: Origin,
    /// The index in the whole input of the first row here (non-zero for a
    /// chunk of a streamed input, [`super::parquet::scan`]); core errors
    /// carry indices in the whole input.
    pub first_index: usize,
    pub score: Vec<f64>,
    pub label: Option<Vec<f64>>,
    pub weight: Option<Vec<f64>>,
    pub class: Option<Vec<String>>,
    pub query_id: Option<Vec<String>>,
    /// Header (or schema) names, for error messages.
    pub headers: Vec<String>,
}

/// Which columns a command needs.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    pub label: bool,
    pub query_id: bool,
}

impl Columns {
    /// Turns a core error about row `i` into a line/column error.
    pub fn locate(&self, err: &CoreError, score_column: &str) -> CliError {
        let column = match err.kind() {
            ErrorKind::LabelOutOfRange => "label",
            ErrorKind::InvalidWeight => "weight",
            _ => score_column,
        };
        let Some(i) = err.index().and_then(|i| i.checked_sub(self.first_index)).filter(|&i| i < self.score.len())
        else {
            return CliError::file(&self.path, err);
        };
        match &self.origin {
            Origin::Csv { offsets, source } => {
                let idx = self.headers.iter().position(|h| h == column).map(|c| c + 1);
                CliError::Input {
                    file: self.path.display().to_string(),
                    line: source.line_at(offsets[i]),
                    column: match idx {
                        Some(c) => format!("{c} ({column})"),
                        None => column.to_string(),
                    },
                    message: err.to_string(),
                }
            }
            Origin::Parquet { parts } => {
                // The last file that starts at or before row i.
                let k = parts.partition_point(|p| p.start <= i).saturating_sub(1);
                let p = &parts[k];
                CliError::Row {
                    file: p.file.display().to_string(),
                    row: (p.file_row + i - p.start) as u64 + 1,
                    column: column.to_string(),
                    message: err.to_string(),
                }
            }
        }
    }

    /// Drops the rows, keeping which columns there are (a consumed chunk of
    /// a streamed input, [`super::parquet::scan`]).
    pub fn clear_rows(&mut self) {
        self.score.clear();
        for v in [&mut self.label, &mut self.weight].into_iter().flatten() {
            v.clear();
        }
        for v in [&mut self.class, &mut self.query_id].into_iter().flatten() {
            v.clear();
        }
    }
}
