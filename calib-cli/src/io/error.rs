//! [`CliError`]: the one error type of every command, printed on one line
//! that names the file (and the line or row, and the column) at fault.

use std::path::Path;

/// An error the CLI reports on one line, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input data at a line and column.
    #[error("{file}:{line}: column {column}: {message}")]
    Input { file: String, line: u64, column: String, message: String },
    /// Bad input data at a row of a Parquet file (1-based, within that file).
    #[error("{file}: row {row}: column {column:?}: {message}")]
    Row { file: String, row: u64, column: String, message: String },
    /// A problem with the header line.
    #[error("{file}:1: {message}")]
    Header { file: String, message: String },
    /// A file that cannot be read, parsed or written.
    #[error("{file}: {message}")]
    File { file: String, message: String },
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// The process exit code: 2 for every input, file and usage error.
    pub fn exit_code(&self) -> i32 {
        2
    }
    pub fn file(path: &Path, message: impl ToString) -> Self {
        CliError::File { file: path.display().to_string(), message: message.to_string() }
    }
}
