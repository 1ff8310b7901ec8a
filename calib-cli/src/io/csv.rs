//! CSV inputs (RFC 4180, a header line naming the columns): the columns
//! calib reads and the optional `timestamp` column, each bad value reported
//! as `file:line: column N (name): ...`.
//!
//! An input is read once, from one open file: a pipe, FIFO or `/dev/stdin`
//! gives its bytes only once, so what it gives is copied to a temp file
//! (deleted when done) that the parser and the line numbers of errors read
//! ([`Source`]). A regular file is read in place.

use super::time::parse_ms;
use super::{CliError, Columns, Origin, Wanted, progress_for};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Parquet files start with these bytes.
pub(crate) const PARQUET_MAGIC: &[u8; 4] = b"PAR1";

/// Where a CSV input's bytes are, to read them again for the line of an
/// error: the file itself, or the temp copy of a pipe's or FIFO's bytes.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// The input as named on the command line (what messages name).
    pub name: PathBuf,
    /// The file holding its bytes: `name` itself, or the temp copy.
    bytes: PathBuf,
    /// Keeps the temp copy until the last user of the input is done.
    _copy: Option<Arc<tempfile::TempPath>>,
}

impl Source {
    /// The 1-based line of the record at byte `byte` ([`line_at`]).
    pub fn line_at(&self, byte: u64) -> u64 {
        line_at(&self.bytes, byte)
    }
}

/// A CSV input, opened: its [`Source`], the open file and its size.
pub struct CsvFile {
    pub source: Source,
    pub size: u64,
    file: File,
}

impl CsvFile {
    /// A CSV reader of the input (fields trimmed of spaces if `trim`).
    pub fn reader(self, trim: bool) -> (Source, csv::Reader<BufReader<File>>) {
        let rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(if trim { csv::Trim::All } else { csv::Trim::None })
            .from_reader(BufReader::with_capacity(1 << 20, self.file));
        (self.source, rdr)
    }
}

/// Opens a CSV input. A regular file is read in place; anything else (a
/// pipe, a FIFO, `/dev/stdin`) is read once, into a temp copy, after its
/// first bytes are checked: Parquet there is refused, as Parquet is read
/// from the end of a file and so needs a file that can be read again.
pub fn open(path: &Path) -> Result<CsvFile, CliError> {
    let cannot = |e: std::io::Error| CliError::file(path, format!("cannot open: {e}"));
    let mut file = File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if meta.is_file() {
        let source = Source { name: path.to_path_buf(), bytes: path.to_path_buf(), _copy: None };
        return Ok(CsvFile { source, size: meta.len(), file });
    }
    let read_failed = |e: std::io::Error| CliError::file(path, format!("cannot read: {e}"));
    let mut head = Vec::with_capacity(PARQUET_MAGIC.len());
    (&mut file).take(PARQUET_MAGIC.len() as u64).read_to_end(&mut head).map_err(read_failed)?;
    if head == PARQUET_MAGIC {
        return Err(CliError::file(
            path,
            "this is Parquet from a pipe or FIFO: Parquet is read from the end of a file, so it must be a \
             regular file (write it to a file first)",
        ));
    }
    let mut copy = tempfile::NamedTempFile::new()
        .map_err(|e| CliError::file(path, format!("cannot create a temp copy of the input: {e}")))?;
    let copied = std::io::Write::write_all(copy.as_file_mut(), &head)
        .and_then(|()| std::io::copy(&mut file, copy.as_file_mut()))
        .map_err(|e| CliError::file(path, format!("cannot copy the input to a temp file: {e}")))?;
    let copy = copy.into_temp_path();
    let file = File::open(&copy).map_err(|e| CliError::file(path, format!("cannot read the temp copy: {e}")))?;
    let source = Source { name: path.to_path_buf(), bytes: copy.to_path_buf(), _copy: Some(Arc::new(copy)) };
    Ok(CsvFile { source, size: head.len() as u64 + copied, file })
}

/// Parses a number of the record at byte `byte`.
pub fn parse_number(text: &str, src: &Source, byte: u64, col: usize, name: &str) -> Result<f64, CliError> {
    text.parse::<f64>().map_err(|_| CliError::Input {
        file: src.name.display().to_string(),
        line: src.line_at(byte),
        column: format!("{} ({name})", col + 1),
        message: format!("cannot parse {text:?} as a number"),
    })
}

/// Reads `score` (required), and `label`, `weight`, `class`, `query_id`,
/// from a CSV file.
pub fn read_columns(path: &Path, wanted: Wanted) -> Result<Columns, CliError> {
    let input = open(path)?;
    let size = input.size;
    let (src, mut rdr) = input.reader(true);
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
                let line = e.position().map(|p| src.line_at(p.byte())).unwrap_or(0);
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
        cols.score.push(parse_number(get(score_c), &src, byte, score_c, "score")?);
        if let (Some(c), Some(v)) = (label_c, cols.label.as_mut()) {
            v.push(parse_number(get(c), &src, byte, c, "label")?);
        }
        if let (Some(c), Some(v)) = (weight_c, cols.weight.as_mut()) {
            v.push(parse_number(get(c), &src, byte, c, "weight")?);
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
    cols.origin = Origin::Csv { offsets, source: src };
    Ok(cols)
}

/// Reads the optional `timestamp` column (RFC 3339) of a CSV input read
/// before (its [`Source`]) as ms since the epoch; `rows` is the expected
/// count (a capacity hint).
pub fn read_timestamps(src: &Source, rows: usize) -> Result<Option<Vec<i64>>, CliError> {
    let path = src.name.as_path();
    let file = File::open(&src.bytes).map_err(|e| CliError::file(path, format!("cannot open: {e}")))?;
    let input = CsvFile { source: src.clone(), size: 0, file };
    let (_, mut rdr) = input.reader(true);
    let headers = rdr.headers().map_err(|e| CliError::file(path, format!("cannot read the header: {e}")))?.clone();
    let Some(col) = headers.iter().position(|h| h == "timestamp") else { return Ok(None) };
    let mut out = Vec::with_capacity(rows);
    let mut rec = csv::StringRecord::new();
    while rdr.read_record(&mut rec).map_err(|e| CliError::file(path, format!("malformed CSV: {e}")))? {
        let text = rec.get(col).unwrap_or("");
        let byte = rec.position().map_or(0, |p| p.byte());
        let t = parse_ms(text).map_err(|message| CliError::Input {
            file: path.display().to_string(),
            line: src.line_at(byte),
            column: format!("{} (timestamp)", col + 1),
            message,
        })?;
        out.push(t);
    }
    Ok(Some(out))
}

/// The 1-based line of the record that starts at (or after blank lines
/// from) byte `byte` of the file `path` (the bytes of a [`Source`]). Worked out from the file itself, only when
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
