//! Reading inputs (CSV, or Parquet through crate::pq) with errors that name
//! the line or row, and writing outputs atomically (temp file in the same
//! directory, then rename).

use calib_core::{Error as CoreError, ErrorKind};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::{self, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};

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

/// Files above this size show a progress bar (about a million rows).
const PROGRESS_BYTES: u64 = 32 << 20;

/// Where the rows of an input came from, to name a bad row in an error.
#[derive(Debug)]
pub enum Origin {
    /// A CSV file: the byte offset of each row (its line is worked out only for errors).
    Csv { offsets: Vec<u64> },
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
        Origin::Csv { offsets: Vec::new() }
    }
}

/// The columns of an input that calib reads.
#[derive(Debug, Default)]
pub struct Columns {
    /// The input as given: a CSV file, a Parquet file or a Parquet directory.
    pub path: PathBuf,
    pub origin: Origin,
    /// The index in the whole input of the first row here (non-zero for a
    /// chunk of a streamed input, crate::pq::scan); core errors carry
    /// indices in the whole input.
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

fn open_reader(path: &Path) -> Result<(csv::Reader<BufReader<File>>, u64), CliError> {
    let f = File::open(path).map_err(|e| CliError::file(path, format!("cannot open: {e}")))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(BufReader::with_capacity(1 << 20, f));
    Ok((rdr, size))
}

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

/// Parses a number of the record at byte offset `byte`.
pub fn parse_number(text: &str, file: &Path, byte: u64, col: usize, name: &str) -> Result<f64, CliError> {
    text.parse::<f64>().map_err(|_| CliError::Input {
        file: file.display().to_string(),
        line: line_at(file, byte),
        column: format!("{} ({name})", col + 1),
        message: format!("cannot parse {text:?} as a number"),
    })
}

/// Reads `score` (required), and `label`, `weight`, `class`, `query_id`,
/// from a CSV file, a Parquet file or a directory of Parquet files.
pub fn read_columns(path: &Path, wanted: Wanted) -> Result<Columns, CliError> {
    if crate::pq::is_parquet(path) {
        return crate::pq::read_columns(path, wanted);
    }
    let (mut rdr, size) = open_reader(path)?;
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| CliError::file(path, format!("cannot read the header: {e}")))?
        .iter()
        .map(|s| s.to_string())
        .collect();
    let find = |name: &str| headers.iter().position(|h| h == name);
    let need = |name: &str| {
        find(name).ok_or_else(|| CliError::Header {
            file: path.display().to_string(),
            message: if headers.iter().all(|h| h.is_empty()) {
                "the file is empty: expected a header line naming the columns".to_string()
            } else {
                format!("missing required column {name:?} (header has: {})", headers.join(", "))
            },
        })
    };
    let score_c = need("score")?;
    let label_c = if wanted.label { Some(need("label")?) } else { None };
    let query_c = if wanted.query_id { Some(need("query_id")?) } else { None };
    let weight_c = if wanted.label { find("weight") } else { None };
    let class_c = find("class");
    let mut cols = Columns {
        path: path.to_path_buf(),
        label: label_c.map(|_| Vec::new()),
        weight: weight_c.map(|_| Vec::new()),
        class: class_c.map(|_| Vec::new()),
        query_id: query_c.map(|_| Vec::new()),
        headers: headers.clone(),
        ..Default::default()
    };
    let mut offsets = Vec::new();
    let pb = progress_for(size);
    if let Some(pb) = &pb {
        pb.set_message(format!("reading {}", path.display()));
    }
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| line_at(path, p.byte())).unwrap_or(0);
                return Err(CliError::Input {
                    file: path.display().to_string(),
                    line,
                    column: "-".into(),
                    message: format!("malformed CSV: {e}"),
                });
            }
        }
        let byte = rec.position().map(|p| p.byte()).unwrap_or(0);
        let get = |c: usize| rec.get(c).unwrap_or("");
        offsets.push(byte);
        cols.score.push(parse_number(get(score_c), path, byte, score_c, "score")?);
        if let (Some(c), Some(v)) = (label_c, cols.label.as_mut()) {
            v.push(parse_number(get(c), path, byte, c, "label")?);
        }
        if let (Some(c), Some(v)) = (weight_c, cols.weight.as_mut()) {
            v.push(parse_number(get(c), path, byte, c, "weight")?);
        }
        if let (Some(c), Some(v)) = (class_c, cols.class.as_mut()) {
            v.push(get(c).to_string());
        }
        if let (Some(c), Some(v)) = (query_c, cols.query_id.as_mut()) {
            v.push(get(c).to_string());
        }
        if let Some(pb) = &pb
            && offsets.len().is_multiple_of(65536)
        {
            pb.set_position(rec.position().map(|p| p.byte()).unwrap_or(0));
        }
    }
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    if cols.score.is_empty() {
        return Err(CliError::file(path, "no data rows after the header"));
    }
    cols.origin = Origin::Csv { offsets };
    Ok(cols)
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
            Origin::Csv { offsets } => {
                let idx = self.headers.iter().position(|h| h == column).map(|c| c + 1);
                CliError::Input {
                    file: self.path.display().to_string(),
                    line: line_at(&self.path, offsets[i]),
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
}

impl Columns {
    /// Drops the rows, keeping which columns there are (a consumed chunk of
    /// a streamed input, crate::pq::scan).
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

/// The 1-based line of the record that starts at (or after blank lines
/// from) byte `byte` of `path`. Worked out from the file itself, only when
/// an error needs it: the csv crate's own line count is off for `\r\n`
/// files and skips blank lines before a record.
pub fn line_at(path: &Path, byte: u64) -> u64 {
    use std::io::Read;
    let Ok(f) = File::open(path) else { return 0 };
    let mut r = BufReader::new(f);
    let (mut line, mut pos, mut buf) = (1u64, 0u64, [0u8; 1 << 16]);
    // Count newlines before the record's offset, then skip the blank lines
    // the parser stepped over: the record starts at the first other byte.
    let mut at_record = false;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) | Err(_) => return line,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            if pos >= byte {
                at_record = true;
            }
            if at_record && b != b'\n' && b != b'\r' {
                return line;
            }
            if b == b'\n' {
                line += 1;
            }
            pos += 1;
        }
    }
}

/// Writes a file atomically: the closure writes into a temp file in the
/// destination's directory, which is renamed over `path` only on success.
pub fn write_atomic(path: &Path, f: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| CliError::file(path, format!("cannot create a temp file in {}: {e}", dir.display())))?;
    {
        let mut w = io::BufWriter::new(tmp.as_file_mut());
        f(&mut w).map_err(|e| CliError::file(path, format!("write failed: {e}")))?;
        w.flush().map_err(|e| CliError::file(path, format!("write failed: {e}")))?;
    }
    // The bytes reach the disk before the rename makes them visible.
    tmp.as_file().sync_all().map_err(|e| CliError::file(path, format!("write failed: {e}")))?;
    // Temp files are created owner-only; a result file is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path).map_err(|e| CliError::file(path, format!("cannot rename into place: {}", e.error)))?;
    Ok(())
}
