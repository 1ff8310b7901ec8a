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

    /// Every byte of the input, as it was read (from the temp copy for a
    /// pipe or FIFO, which cannot give its bytes twice).
    pub fn read_all(&self) -> Result<Vec<u8>, CliError> {
        std::fs::read(&self.bytes).map_err(|e| CliError::file(&self.name, format!("cannot read: {e}")))
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

/// Parses a number of the record at byte `byte` (column `col`, 0-based).
pub fn parse_number(text: &str, src: &Source, byte: u64, col: usize, name: &str) -> Result<f64, CliError> {
    // No number holds a line break, so a valid row pays no extra check.
    text.parse::<f64>().or_else(|_| {
        one_line(text, src, byte, col, name)?;
        Err(CliError::Input {
            file: src.name.display().to_string(),
            line: src.line_at(byte),
            column: format!("{} ({name})", col + 1),
            message: format!("cannot parse {text:?} as a number"),
        })
    })
}

/// A name (`class`, `query_id`) of the record at byte `byte`, column `col`.
pub fn parse_name<'a>(text: &'a str, src: &Source, byte: u64, col: usize, name: &str) -> Result<&'a str, CliError> {
    one_line(text, src, byte, col, name)?;
    Ok(text)
}

/// Refuses a value that runs over a line break. CSV allows one in a quoted
/// field, but no number, name or time has one: such a field is an
/// unterminated quote that swallowed the rows after it (or would have, had
/// a later quote not closed it). Named at the line where its quote opened.
fn one_line(text: &str, src: &Source, byte: u64, col: usize, name: &str) -> Result<(), CliError> {
    if !text.contains(['\n', '\r']) {
        return Ok(());
    }
    let shape = RecordShape::of(src, byte);
    let message = match shape.open_at_end {
        Some((c, _)) if c == col => UNTERMINATED.to_string(),
        _ => format!(
            "the quoted value that opens on this line runs over {} lines (an unterminated quote?); a {name} is one line",
            text.lines().count().max(2)
        ),
    };
    Err(CliError::Input {
        file: src.name.display().to_string(),
        line: shape.field_lines.get(col).copied().unwrap_or_else(|| src.line_at(byte)),
        column: format!("{} ({name})", col + 1),
        message,
    })
}

/// The message for a quote that the file ends inside.
const UNTERMINATED: &str = "unterminated quote: the quoted field that opens on this line runs to the end of the file";

/// Refuses a file that ends inside a quoted field: the quote opened in the
/// last record (at byte `last`) was never closed, so the parser read every
/// line after it as that one field. `headers` name the column.
pub fn check_closed(src: &Source, last: Option<u64>, headers: &csv::StringRecord) -> Result<(), CliError> {
    let Some(last) = last else { return Ok(()) };
    let Some((col, line)) = RecordShape::of(src, last).open_at_end else { return Ok(()) };
    Err(CliError::Input {
        file: src.name.display().to_string(),
        line,
        column: match headers.get(col) {
            Some(name) if !name.contains(['\n', '\r']) => format!("{} ({})", col + 1, name.trim()),
            _ => (col + 1).to_string(),
        },
        message: UNTERMINATED.into(),
    })
}

/// The error for a record the CSV parser refused (`e`): an unterminated
/// quote when the record ends the file inside one (its field count is then
/// short), else the parser's message, at the record's line.
pub fn malformed(src: &Source, e: &csv::Error, headers: &csv::StringRecord) -> CliError {
    if let Some(pos) = e.position()
        && let Err(quote) = check_closed(src, Some(pos.byte()), headers)
    {
        return quote;
    }
    CliError::Input {
        file: src.name.display().to_string(),
        line: e.position().map(|p| src.line_at(p.byte())).unwrap_or(0),
        column: "-".into(),
        message: format!("malformed CSV: {e}"),
    }
}

/// Refuses a header that runs over a line break (an unterminated quote in
/// the header, which would read the whole file as column names).
pub fn check_header(src: &Source, headers: &csv::StringRecord) -> Result<(), CliError> {
    let Some(col) = headers.iter().position(|h| h.contains(['\n', '\r'])) else { return Ok(()) };
    Err(CliError::Header {
        file: src.name.display().to_string(),
        message: format!("the quoted name of column {} runs over a line break (an unterminated quote?)", col + 1),
    })
}

/// How the record at a byte offset lies in its file, found by walking its
/// bytes as the CSV parser does (RFC 4180: a quote opens a field only at
/// its start, `""` inside a quoted field is a quote, a record ends at an
/// unquoted `\r` or `\n`). Only worked out for an error.
#[derive(Debug, Default)]
struct RecordShape {
    /// The 1-based line each field starts on.
    field_lines: Vec<u64>,
    /// The field (0-based) and line of a quote the file ends inside.
    open_at_end: Option<(usize, u64)>,
}

impl RecordShape {
    fn of(src: &Source, byte: u64) -> RecordShape {
        use std::io::{Seek, SeekFrom};
        #[derive(PartialEq)]
        enum At {
            FieldStart,
            Unquoted,
            Quoted,
            QuoteInQuoted,
        }
        let mut shape = RecordShape::default();
        let Ok(mut f) = File::open(&src.bytes) else { return shape };
        if f.seek(SeekFrom::Start(byte)).is_err() {
            return shape;
        }
        // The record's line is that of its first byte after blank lines.
        let mut line = src.line_at(byte);
        let (mut at, mut started, mut quote_line) = (At::FieldStart, false, line);
        let mut buf = [0u8; 1 << 16];
        let mut r = BufReader::new(f);
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            for &b in &buf[..n] {
                let newline = b == b'\n' || b == b'\r';
                if !started {
                    if newline {
                        continue;
                    }
                    started = true;
                    shape.field_lines.push(line);
                }
                match at {
                    At::Quoted => {
                        if b == b'"' {
                            at = At::QuoteInQuoted;
                        }
                    }
                    _ if newline => return shape,
                    _ if b == b',' => {
                        at = At::FieldStart;
                        shape.field_lines.push(line);
                    }
                    At::FieldStart if b == b'"' => {
                        at = At::Quoted;
                        quote_line = line;
                    }
                    At::QuoteInQuoted if b == b'"' => at = At::Quoted,
                    _ => at = At::Unquoted,
                }
                if b == b'\n' {
                    line += 1;
                }
            }
        }
        if at == At::Quoted {
            shape.open_at_end = Some((shape.field_lines.len().saturating_sub(1), quote_line));
        }
        shape
    }
}

/// The column named `name` in a header (0-based), if there is one. A name
/// two columns share is refused, naming both: which of them calib read
/// would be a guess.
pub fn column(src: &Source, headers: &csv::StringRecord, name: &str) -> Result<Option<usize>, CliError> {
    let mut found = headers.iter().enumerate().filter(|(_, h)| h.trim() == name).map(|(i, _)| i);
    let first = found.next();
    match (first, found.next()) {
        (Some(a), Some(b)) => Err(CliError::Header {
            file: src.name.display().to_string(),
            message: format!(
                "the header names two columns {name:?}, columns {} and {}: rename or drop one",
                a + 1,
                b + 1
            ),
        }),
        _ => Ok(first),
    }
}

/// The column named `name`, which the command needs ([`column()`]).
pub fn require(src: &Source, headers: &csv::StringRecord, name: &str) -> Result<usize, CliError> {
    column(src, headers, name)?.ok_or_else(|| CliError::Header {
        file: src.name.display().to_string(),
        message: if headers.iter().all(|h| h.trim().is_empty()) {
            "the file is empty: expected a header line naming the columns".to_string()
        } else {
            format!("missing required column {name:?} (header has: {})", headers.iter().collect::<Vec<_>>().join(", "))
        },
    })
}

/// Reads `score` (required), and `label`, `weight`, `class`, `query_id`,
/// from a CSV file.
pub fn read_columns(path: &Path, wanted: Wanted) -> Result<Columns, CliError> {
    let input = open(path)?;
    let size = input.size;
    let (src, mut rdr) = input.reader(true);
    let header = rdr.headers().map_err(|e| CliError::file(path, format!("cannot read the header: {e}")))?.clone();
    check_header(&src, &header)?;
    let headers: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    let find = |name: &str| column(&src, &header, name);
    let need = |name: &str| require(&src, &header, name);
    let score_c = need("score")?;
    let label_c = if wanted.label { Some(need("label")?) } else { None };
    let query_c = if wanted.query_id { Some(need("query_id")?) } else { None };
    let weight_c = if wanted.label { find("weight")? } else { None };
    let class_c = find("class")?;
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
            Err(e) => return Err(malformed(&src, &e, &header)),
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
            v.push(parse_name(get(c), &src, byte, c, "class")?.to_string());
        }
        if let (Some(c), Some(v)) = (query_c, cols.query_id.as_mut()) {
            v.push(parse_name(get(c), &src, byte, c, "query_id")?.to_string());
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
    check_closed(&src, offsets.last().copied(), &header)?;
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
    let Some(col) = column(src, &headers, "timestamp")? else { return Ok(None) };
    let mut out = Vec::with_capacity(rows);
    let mut rec = csv::StringRecord::new();
    while rdr.read_record(&mut rec).map_err(|e| CliError::file(path, format!("malformed CSV: {e}")))? {
        let text = rec.get(col).unwrap_or("");
        let byte = rec.position().map_or(0, |p| p.byte());
        let t = parse_ms(text).or_else(|message| {
            one_line(text, src, byte, col, "timestamp")?;
            Err(CliError::Input {
                file: path.display().to_string(),
                line: src.line_at(byte),
                column: format!("{} (timestamp)", col + 1),
                message,
            })
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
