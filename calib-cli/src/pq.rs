//! Parquet inputs: a single file, or a directory of files (a Spark or Hive
//! output directory, a dataset written in parts). Read batch by batch
//! through Arrow, keeping only the columns a command uses; each value is
//! checked with its row, so a null label or a text score is reported as
//! `file: row N: column "label": ...`, like a CSV error names its line.
//!
//! Accepted types: numbers (`score`, `label`, `weight`) may be any float or
//! integer column, and `label` may be boolean; names (`class`, `query_id`)
//! may be strings, dictionary-encoded strings or integers; `timestamp` may
//! be a Parquet timestamp or an RFC 3339 string. Nulls are refused.
//!
//! Hive-style partition directories (`logs/class=web/part-0.parquet`, as
//! Spark's `partitionBy` writes them) supply a column the files under them
//! lack: the directory's value, percent-decoded, for every row.

use crate::io::{CliError, Columns, Origin, Part, Wanted};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, SchemaRef, TimeUnit};
use calib_core::map::ApplyStats;
use calib_core::model::Model;
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per Arrow batch: large enough to amortise decoding, small enough
/// that a batch stays in cache-sized memory.
const BATCH_ROWS: usize = 65_536;

/// Whether `path` is read as Parquet: a directory (a dataset of Parquet
/// files), or a file that starts with Parquet's magic bytes. The file name
/// does not matter.
pub fn is_parquet(path: &Path) -> bool {
    if path.is_dir() {
        return true;
    }
    let mut magic = [0u8; 4];
    File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"PAR1"
}

/// The files of a Parquet input in read order: the file itself, or every
/// file under a directory (recursively, sorted by path). Names starting with
/// `_` or `.` are skipped, as Spark and Hive do (`_SUCCESS`, `.part-0.crc`).
pub fn files(path: &Path) -> Result<Vec<PathBuf>, CliError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CliError> {
        let entries = std::fs::read_dir(dir).map_err(|e| CliError::file(dir, format!("cannot list: {e}")))?;
        for entry in entries {
            let entry = entry.map_err(|e| CliError::file(dir, format!("cannot list: {e}")))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('_') || name.starts_with('.') {
                continue;
            }
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(path, &mut out)?;
    out.sort();
    if out.is_empty() {
        return Err(CliError::file(path, "the directory has no data files"));
    }
    if let Some(other) = out.iter().find(|p| !is_parquet(p)) {
        return Err(CliError::file(
            other,
            format!("not a Parquet file, in the Parquet dataset {} (a directory is read as Parquet)", path.display()),
        ));
    }
    Ok(out)
}

/// Hive's name for a null partition value.
const HIVE_NULL: &str = "__HIVE_DEFAULT_PARTITION__";

/// The `key=value` directories between a dataset's `root` and one of its
/// files, values percent-decoded (outermost first). None for a single file.
fn partition_values(root: &Path, file: &Path) -> Vec<(String, String)> {
    let Some(dirs) = file.strip_prefix(root).ok().and_then(Path::parent) else { return Vec::new() };
    dirs.components()
        .filter_map(|c| c.as_os_str().to_str()?.split_once('='))
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_string(), percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned()))
        .collect()
}

/// The Arrow type `calib apply` writes a partition-directory column as,
/// inferred over every directory of the dataset, as Spark infers partition
/// columns: integers when every value parses as a 64-bit integer (`hour=03`
/// is 3), else doubles when every value is a finite number, else dates
/// when every value is a calendar date `YYYY-MM-DD` (`day=2026-11-01`),
/// else text. Hive's null partition is a null of that type (text when all
/// are null).
fn partition_type<'a>(values: impl IntoIterator<Item = &'a str>) -> DataType {
    let values: Vec<&str> = values.into_iter().filter(|v| *v != HIVE_NULL).collect();
    if values.is_empty() {
        DataType::Utf8
    } else if values.iter().all(|v| v.parse::<i64>().is_ok()) {
        DataType::Int64
    } else if values.iter().all(|v| v.parse::<f64>().is_ok_and(f64::is_finite)) {
        DataType::Float64
    } else if values.iter().all(|v| iso_date(v).is_some()) {
        DataType::Date32
    } else {
        DataType::Utf8
    }
}

/// Days since 1970-01-01 of a calendar date written `YYYY-MM-DD` (four,
/// two and two digits; a day the month has). None for anything else.
fn iso_date(v: &str) -> Option<i32> {
    let b = v.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return None;
    }
    let month = time::Month::try_from(v[5..7].parse::<u8>().ok()?).ok()?;
    let date = time::Date::from_calendar_date(v[0..4].parse().ok()?, month, v[8..10].parse().ok()?).ok()?;
    let epoch = time::Date::from_calendar_date(1970, time::Month::January, 1).ok()?;
    i32::try_from((date - epoch).whole_days()).ok()
}

/// A column of `n` copies of a partition directory's value, of the type
/// [`partition_type`] chose for it.
fn partition_column(v: &str, data_type: &DataType, n: usize) -> ArrayRef {
    use arrow_array::{Date32Array, Float64Array, Int64Array, StringArray};
    const TYPED: &str = "typed by partition_type";
    match (v == HIVE_NULL, data_type) {
        (true, DataType::Int64) => Arc::new(Int64Array::new_null(n)),
        (true, DataType::Float64) => Arc::new(Float64Array::new_null(n)),
        (true, DataType::Date32) => Arc::new(Date32Array::new_null(n)),
        (true, _) => Arc::new(StringArray::new_null(n)),
        (false, DataType::Int64) => Arc::new(Int64Array::from_value(v.parse().expect(TYPED), n)),
        (false, DataType::Float64) => Arc::new(Float64Array::from_value(v.parse().expect(TYPED), n)),
        (false, DataType::Date32) => Arc::new(Date32Array::from_value(iso_date(v).expect(TYPED), n)),
        (false, _) => Arc::new(StringArray::from(vec![v; n])),
    }
}

/// A partition directory's value for a name column.
fn dir_name(file: &Path, name: &str, v: &str) -> Result<String, CliError> {
    if v == HIVE_NULL {
        return Err(CliError::file(file, format!("partition directory {name}={HIVE_NULL}: null value")));
    }
    Ok(v.to_string())
}

/// A partition directory's value for a numeric column.
fn dir_number(file: &Path, name: &str, v: &str, bool_ok: bool) -> Result<f64, CliError> {
    match v {
        "true" if bool_ok => Ok(1.0),
        "false" if bool_ok => Ok(0.0),
        _ => dir_name(file, name, v)?.parse::<f64>().map_err(|_| {
            CliError::file(file, format!("partition directory {name}={v}: cannot parse {v:?} as a number"))
        }),
    }
}

/// An error about one value: its file, 1-based row within that file, and column.
fn row_error(file: &Path, row: usize, column: &str, message: impl ToString) -> CliError {
    CliError::Row {
        file: file.display().to_string(),
        row: row as u64 + 1,
        column: column.to_string(),
        message: message.to_string(),
    }
}

/// Opens one file: its Arrow schema and a reader of the named columns
/// (those that exist; the caller checks the required ones), or of every
/// column for `None`.
fn open(path: &Path, names: Option<&[&str]>) -> Result<(SchemaRef, ParquetRecordBatchReader), CliError> {
    let f = File::open(path).map_err(|e| CliError::file(path, format!("cannot open: {e}")))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(|e| CliError::file(path, format!("not a readable Parquet file: {e}")))?;
    let schema = builder.schema().clone();
    let mask = match names {
        Some(names) => {
            ProjectionMask::roots(builder.parquet_schema(), names.iter().filter_map(|n| schema.index_of(n).ok()))
        }
        None => ProjectionMask::all(),
    };
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| CliError::file(path, format!("cannot read Parquet: {e}")))?;
    Ok((schema, reader))
}

/// The row count of a dataset, from the files' footers (for the progress bar).
fn total_rows(files: &[PathBuf]) -> u64 {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    files
        .iter()
        .filter_map(|p| SerializedFileReader::new(File::open(p).ok()?).ok())
        .map(|r| r.metadata().file_metadata().num_rows().max(0) as u64)
        .sum()
}

/// A page that cannot be decoded; a codec calib is built without gets a hint.
fn decode_error(file: &Path, e: impl std::fmt::Display) -> CliError {
    let msg = e.to_string();
    let hint = if msg.contains("Disabled feature") {
        " (calib reads uncompressed, snappy, zstd, gzip and lz4 Parquet; rewrite the file with one of those)"
    } else {
        ""
    };
    CliError::file(file, format!("cannot decode Parquet data: {msg}{hint}"))
}

/// The error for a missing required column.
fn missing(path: &Path, schema: &SchemaRef, name: &str) -> CliError {
    let have: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    CliError::file(path, format!("missing required column {name:?} (the file has: {})", have.join(", ")))
}

/// Appends a numeric column's values as f64. `first` is the batch's first row in the file.
fn push_numbers(
    out: &mut Vec<f64>,
    col: &ArrayRef,
    path: &Path,
    first: usize,
    name: &str,
    bool_ok: bool,
) -> Result<(), CliError> {
    if let Some(i) = first_null(col.as_ref()) {
        return Err(row_error(path, first + i, name, "null value (calib needs a number in every row)"));
    }
    macro_rules! prim {
        ($t:ty) => {
            out.extend(col.as_primitive::<$t>().values().iter().map(|&v| v as f64))
        };
    }
    match col.data_type() {
        DataType::Float64 => out.extend_from_slice(col.as_primitive::<Float64Type>().values()),
        DataType::Float32 => prim!(Float32Type),
        DataType::Int8 => prim!(Int8Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::UInt8 => prim!(UInt8Type),
        DataType::UInt16 => prim!(UInt16Type),
        DataType::UInt32 => prim!(UInt32Type),
        DataType::UInt64 => prim!(UInt64Type),
        DataType::Boolean if bool_ok => {
            let b = col.as_boolean();
            out.extend((0..b.len()).map(|i| if b.value(i) { 1.0 } else { 0.0 }))
        }
        other => {
            return Err(CliError::file(
                path,
                format!(
                    "column {name:?} has type {other}; calib reads it as a number (a float or integer column{})",
                    if bool_ok { ", or boolean" } else { "" }
                ),
            ));
        }
    }
    Ok(())
}

/// The first null of an array, by its logical null mask (dictionary-aware).
fn first_null(col: &dyn Array) -> Option<usize> {
    let nulls = col.logical_nulls()?;
    if nulls.null_count() == 0 { None } else { (0..nulls.len()).find(|&i| nulls.is_null(i)) }
}

/// A name column's values as strings: strings, dictionary-encoded strings
/// or integers (written in decimal).
fn strings(col: &dyn Array) -> Result<Vec<String>, String> {
    macro_rules! ints {
        ($t:ty) => {
            Ok(col.as_primitive::<$t>().values().iter().map(|v| v.to_string()).collect())
        };
    }
    match col.data_type() {
        DataType::Utf8 => Ok(col.as_string::<i32>().iter().map(|s| s.unwrap_or_default().to_string()).collect()),
        DataType::LargeUtf8 => Ok(col.as_string::<i64>().iter().map(|s| s.unwrap_or_default().to_string()).collect()),
        DataType::Utf8View => Ok(col.as_string_view().iter().map(|s| s.unwrap_or_default().to_string()).collect()),
        DataType::Dictionary(_, _) => {
            let dict = col.as_any_dictionary();
            let values = strings(dict.values().as_ref())?;
            Ok(dict.normalized_keys().into_iter().map(|k| values.get(k).cloned().unwrap_or_default()).collect())
        }
        DataType::Int8 => ints!(Int8Type),
        DataType::Int16 => ints!(Int16Type),
        DataType::Int32 => ints!(Int32Type),
        DataType::Int64 => ints!(Int64Type),
        DataType::UInt8 => ints!(UInt8Type),
        DataType::UInt16 => ints!(UInt16Type),
        DataType::UInt32 => ints!(UInt32Type),
        DataType::UInt64 => ints!(UInt64Type),
        other => Err(format!("has type {other}; calib reads it as a name (a string or integer column)")),
    }
}

/// Appends a name column's values.
fn push_strings(out: &mut Vec<String>, col: &ArrayRef, path: &Path, first: usize, name: &str) -> Result<(), CliError> {
    if let Some(i) = first_null(col.as_ref()) {
        return Err(row_error(path, first + i, name, "null value (calib needs a name in every row)"));
    }
    out.extend(strings(col.as_ref()).map_err(|m| CliError::file(path, format!("column {name:?} {m}")))?);
    Ok(())
}

/// Reads `score` (required), and `label`, `weight`, `class`, `query_id`,
/// from a Parquet file or every file of a directory.
pub fn read_columns(path: &Path, wanted: Wanted) -> Result<Columns, CliError> {
    let cols = scan(path, wanted, |_| Ok(()))?;
    if cols.score.is_empty() {
        return Err(CliError::file(path, "no data rows"));
    }
    Ok(cols)
}

/// Reads the columns like [`read_columns`], calling `on_batch` after each
/// batch with the rows read so far. `on_batch` may consume them (use them,
/// then [`Columns::clear_rows`]), so memory stays bounded however large the
/// input; errors it returns about a row are located by [`Columns::locate`].
/// Returns the rows left unconsumed.
pub fn scan(
    path: &Path,
    wanted: Wanted,
    mut on_batch: impl FnMut(&mut Columns) -> Result<(), CliError>,
) -> Result<Columns, CliError> {
    let files = files(path)?;
    let mut cols = Columns { path: path.to_path_buf(), ..Default::default() };
    let mut parts: Vec<Part> = Vec::with_capacity(files.len());
    let mut pb = None;
    for (k, file) in files.iter().enumerate() {
        let (schema, reader) = open(file, Some(&["score", "label", "weight", "class", "query_id"]))?;
        let hive = partition_values(path, file);
        let from_dir = |n: &str| hive.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        let has = |n: &str| schema.index_of(n).is_ok() || from_dir(n).is_some();
        if k == 0 {
            cols.label = wanted.label.then(Vec::new);
            cols.weight = (wanted.label && has("weight")).then(Vec::new);
            cols.class = has("class").then(Vec::new);
            cols.query_id = wanted.query_id.then(Vec::new);
            cols.headers = schema.fields().iter().map(|f| f.name().clone()).collect();
            cols.headers.extend(hive.iter().map(|(k, _)| k.clone()).filter(|k| schema.index_of(k).is_err()));
            pb = crate::io::progress_rows(|| total_rows(&files));
        }
        for (name, needed) in [
            ("score", true),
            ("label", cols.label.is_some()),
            ("query_id", cols.query_id.is_some()),
            ("weight", cols.weight.is_some()),
            ("class", cols.class.is_some()),
        ] {
            if needed && !has(name) {
                return Err(missing(file, &schema, name));
            }
        }
        // Which optional columns there are is decided by the first file;
        // every later file must agree (a dataset has one schema).
        for (name, first_has) in [("weight", cols.weight.is_some()), ("class", cols.class.is_some())] {
            let counts = name == "class" || wanted.label;
            if k > 0 && counts && has(name) != first_has {
                return Err(CliError::file(
                    file,
                    format!(
                        "{} {name:?} column but {} {}: the files of a dataset need the same columns",
                        if has(name) { "has a" } else { "has no" },
                        files[0].display(),
                        if first_has { "has one" } else { "does not" }
                    ),
                ));
            }
        }
        parts.push(Part { file: file.clone(), start: cols.score.len(), file_row: 0 });
        let mut first = 0usize;
        for batch in reader {
            let batch: RecordBatch = batch.map_err(|e| decode_error(file, e))?;
            let n = batch.num_rows();
            // A column from the file, or else its partition directory's value.
            let numbers = |out: &mut Vec<f64>, name: &str, bool_ok: bool| match batch.column_by_name(name) {
                Some(c) => push_numbers(out, c, file, first, name, bool_ok),
                None => {
                    let x = dir_number(file, name, from_dir(name).expect("checked above"), bool_ok)?;
                    out.extend(std::iter::repeat_n(x, n));
                    Ok(())
                }
            };
            let names = |out: &mut Vec<String>, name: &str| match batch.column_by_name(name) {
                Some(c) => push_strings(out, c, file, first, name),
                None => {
                    let v = dir_name(file, name, from_dir(name).expect("checked above"))?;
                    out.extend(std::iter::repeat_n(v, n));
                    Ok(())
                }
            };
            numbers(&mut cols.score, "score", false)?;
            if let Some(v) = cols.label.as_mut() {
                numbers(v, "label", true)?;
            }
            if let Some(v) = cols.weight.as_mut() {
                numbers(v, "weight", false)?;
            }
            if let Some(v) = cols.class.as_mut() {
                names(v, "class")?;
            }
            if let Some(v) = cols.query_id.as_mut() {
                names(v, "query_id")?;
            }
            first += batch.num_rows();
            if let Some(pb) = &pb {
                pb.inc(batch.num_rows() as u64);
            }
            cols.origin = Origin::Parquet { parts: std::mem::take(&mut parts) };
            let held = cols.score.len();
            on_batch(&mut cols)?;
            if cols.score.is_empty() {
                cols.first_index += held;
            }
            parts = match std::mem::take(&mut cols.origin) {
                Origin::Parquet { parts } if !cols.score.is_empty() => parts,
                // Consumed: the next rows start at this file's next row.
                _ => vec![Part { file: file.clone(), start: 0, file_row: first }],
            };
        }
    }
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    cols.origin = Origin::Parquet { parts };
    Ok(cols)
}

/// Reads the optional `timestamp` column as ms since the epoch: a Parquet
/// timestamp (any unit; instants, so a time zone does not shift them) or
/// RFC 3339 strings.
pub fn read_timestamps(path: &Path) -> Result<Option<Vec<i64>>, CliError> {
    let mut out = Vec::new();
    for (k, file) in files(path)?.iter().enumerate() {
        let (schema, reader) = open(file, Some(&["timestamp"]))?;
        if schema.index_of("timestamp").is_err() {
            if k == 0 {
                return Ok(None);
            }
            return Err(missing(file, &schema, "timestamp"));
        }
        let mut first = 0usize;
        for batch in reader {
            let batch = batch.map_err(|e| decode_error(file, e))?;
            let col = batch.column_by_name("timestamp").expect("projected column");
            if let Some(i) = first_null(col.as_ref()) {
                return Err(row_error(file, first + i, "timestamp", "null value"));
            }
            match col.data_type() {
                DataType::Timestamp(unit, _) => {
                    // Stored as i64 counts of `unit` since the epoch (UTC).
                    let (v, per_ms): (&[i64], i64) = match unit {
                        TimeUnit::Second => (col.as_primitive::<TimestampSecondType>().values(), 0),
                        TimeUnit::Millisecond => (col.as_primitive::<TimestampMillisecondType>().values(), 1),
                        TimeUnit::Microsecond => (col.as_primitive::<TimestampMicrosecondType>().values(), 1_000),
                        TimeUnit::Nanosecond => (col.as_primitive::<TimestampNanosecondType>().values(), 1_000_000),
                    };
                    out.extend(
                        v.iter().map(|&t| if per_ms == 0 { t.saturating_mul(1000) } else { t.div_euclid(per_ms) }),
                    );
                }
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(_, _) => {
                    let texts =
                        strings(col.as_ref()).map_err(|m| CliError::file(file, format!("column \"timestamp\" {m}")))?;
                    for (i, text) in texts.iter().enumerate() {
                        out.push(
                            crate::report::rfc3339_ms(text).map_err(|m| row_error(file, first + i, "timestamp", m))?,
                        );
                    }
                }
                other => {
                    return Err(CliError::file(
                        file,
                        format!("column \"timestamp\" has type {other}; calib reads a timestamp or RFC 3339 text"),
                    ));
                }
            }
            first += batch.num_rows();
        }
    }
    Ok(Some(out))
}

/// `calib apply` on Parquet: every input column (of every file of a
/// dataset, in order) is written to `w` as one Snappy-compressed Parquet
/// file, then the dataset's partition-directory columns the files lack
/// (typed by [`partition_type`]; Hive's null partition as null), then
/// `calibrated` (a double). Batch by batch: memory does not grow with the
/// input. Input errors come back as the inner error.
pub fn apply(
    model: &Model,
    input: &Path,
    w: &mut (dyn Write + Send),
    stats: &mut ApplyStats,
) -> std::io::Result<Result<(), CliError>> {
    match apply_files(model, input, w, stats) {
        Ok(()) => Ok(Ok(())),
        Err(Failure::Input(e)) => Ok(Err(e)),
        Err(Failure::Write(e)) => Err(e),
    }
}

/// Why [`apply_files`] stopped: bad input, or the output could not be written.
enum Failure {
    Input(CliError),
    Write(std::io::Error),
}

impl From<CliError> for Failure {
    fn from(e: CliError) -> Self {
        Failure::Input(e)
    }
}

fn write_failed(e: impl std::error::Error + Send + Sync + 'static) -> Failure {
    Failure::Write(std::io::Error::other(e))
}

fn apply_files(model: &Model, input: &Path, w: &mut (dyn Write + Send), stats: &mut ApplyStats) -> Result<(), Failure> {
    let files = files(input)?;
    // Each partition column's type, from its values in every directory.
    let mut dir_values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in files.iter().flat_map(|file| partition_values(input, file)) {
        dir_values.entry(k).or_default().push(v);
    }
    let dir_types: BTreeMap<String, DataType> =
        dir_values.into_iter().map(|(k, vs)| (k, partition_type(vs.iter().map(String::as_str)))).collect();
    let dir_type = |k: &str| dir_types[k].clone();
    let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    let mut writer: Option<ArrowWriter<&mut (dyn Write + Send)>> = None;
    let mut first_schema: Option<SchemaRef> = None;
    let mut sink = Some(w);
    let mut scores = Vec::with_capacity(BATCH_ROWS);
    let mut classes = Vec::new();
    for file in &files {
        let (schema, reader) = open(file, None)?;
        // Partition-directory columns the file does not have.
        let hive: Vec<(String, String)> =
            partition_values(input, file).into_iter().filter(|(k, _)| schema.index_of(k).is_err()).collect();
        let from_dir = |n: &str| hive.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        if schema.index_of("score").is_err() {
            return Err(missing(file, &schema, "score").into());
        }
        if schema.index_of("calibrated").is_ok() || from_dir("calibrated").is_some() {
            return Err(CliError::file(file, "the input already has a \"calibrated\" column").into());
        }
        let mut fields: Vec<_> = schema.fields().iter().cloned().collect();
        fields.extend(hive.iter().map(|(k, _)| Arc::new(arrow_schema::Field::new(k, dir_type(k), true))));
        fields.push(Arc::new(arrow_schema::Field::new("calibrated", DataType::Float64, false)));
        let out = Arc::new(arrow_schema::Schema::new_with_metadata(fields, schema.metadata().clone()));
        match &first_schema {
            None => {
                let w = sink.take().expect("the writer is created once");
                writer = Some(ArrowWriter::try_new(w, out.clone(), Some(props.clone())).map_err(write_failed)?);
                first_schema = Some(out.clone());
            }
            Some(first) if first.fields() != out.fields() => {
                return Err(CliError::file(
                    file,
                    format!(
                        "its columns differ from those of {}: the files of a dataset need one schema",
                        files[0].display()
                    ),
                )
                .into());
            }
            Some(_) => {}
        }
        let aw = writer.as_mut().expect("created above");
        let dir_class = from_dir("class").map(|v| dir_name(file, "class", v)).transpose()?;
        let mut first = 0usize;
        for batch in reader {
            let batch = batch.map_err(|e| decode_error(file, e))?;
            let n = batch.num_rows();
            scores.clear();
            push_numbers(&mut scores, batch.column_by_name("score").expect("checked"), file, first, "score", false)?;
            classes.clear();
            match (batch.column_by_name("class"), &dir_class) {
                (Some(c), _) => push_strings(&mut classes, c, file, first, "class")?,
                (None, Some(v)) => classes.extend(std::iter::repeat_n(v.clone(), n)),
                (None, None) => {}
            }
            let mut calibrated = Vec::with_capacity(n);
            for (i, &s) in scores.iter().enumerate() {
                let p = model
                    .map(classes.get(i).map(String::as_str))
                    .apply_counted(s, stats)
                    .map_err(|e| row_error(file, first + i, "score", e))?;
                calibrated.push(p);
            }
            let mut columns = batch.columns().to_vec();
            columns.extend(hive.iter().map(|(k, v)| partition_column(v, &dir_type(k), n)));
            columns.push(Arc::new(arrow_array::Float64Array::from(calibrated)));
            let batch = RecordBatch::try_new(out.clone(), columns).map_err(write_failed)?;
            aw.write(&batch).map_err(write_failed)?;
            first += n;
        }
    }
    writer.expect("files() returns at least one file").close().map_err(write_failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_values_are_typed_as_spark_infers_them() {
        assert_eq!(iso_date("1970-01-01"), Some(0));
        assert_eq!(iso_date("2024-02-29"), Some(19782));
        assert_eq!(iso_date("1969-12-31"), Some(-1));
        for bad in ["2023-02-29", "2026-13-01", "2026-00-10", "+026-11-01", "2026-1-01", "2026-11-01T00", ""] {
            assert_eq!(iso_date(bad), None, "{bad:?}");
        }
        let ty = |vs: &[&str]| partition_type(vs.iter().copied());
        assert_eq!(ty(&["03", "12", HIVE_NULL]), DataType::Int64);
        assert_eq!(ty(&["1", "0.5"]), DataType::Float64);
        assert_eq!(ty(&["1", "inf"]), DataType::Utf8, "not finite: text");
        assert_eq!(ty(&["2026-11-01", HIVE_NULL]), DataType::Date32);
        assert_eq!(ty(&["2026-11-01", "web"]), DataType::Utf8);
        assert_eq!(ty(&[HIVE_NULL]), DataType::Utf8);
    }
}
