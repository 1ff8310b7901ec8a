//! CSV inputs (RFC 4180, a header line naming the columns): the columns
//! calib reads and the optional `timestamp` column, each bad value reported
//! as `file:line: column N (name): ...`.

use super::time::parse_ms;
use super::{CliError, Columns, Origin, Wanted, progress_for};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

fn open_reader(path: &Path) -> Result<(csv::Reader<BufReader<File>>, u64), CliError> {
    let f = File::open(path).map_err(|e| CliError::file(path, format!("cannot open: {e}")))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(BufReader::with_capacity(1 << 20, f));
    Ok((rdr, size))
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
/// from a CSV file.
pub fn read_columns(path: &Path, wanted: Wanted) -> Result<Columns, CliError> {
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

/// Reads the optional `timestamp` column (RFC 3339) of a CSV file as ms
/// since the epoch; `rows` is the expected count (a capacity hint).
pub fn read_timestamps(path: &Path, rows: usize) -> Result<Option<Vec<i64>>, CliError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| CliError::file(path, format!("cannot open: {e}")))?;
    let headers = rdr.headers().map_err(|e| CliError::file(path, format!("cannot read the header: {e}")))?.clone();
    let Some(col) = headers.iter().position(|h| h == "timestamp") else { return Ok(None) };
    let mut out = Vec::with_capacity(rows);
    let mut rec = csv::StringRecord::new();
    while rdr.read_record(&mut rec).map_err(|e| CliError::file(path, format!("malformed CSV: {e}")))? {
        let text = rec.get(col).unwrap_or("");
        let byte = rec.position().map_or(0, |p| p.byte());
        let t = parse_ms(text).map_err(|message| CliError::Input {
            file: path.display().to_string(),
            line: line_at(path, byte),
            column: format!("{} (timestamp)", col + 1),
            message,
        })?;
        out.push(t);
    }
    Ok(Some(out))
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
