//! Reading a Parquet input: the columns calib reads, whole or streamed
//! batch by batch, and the optional `timestamp` column.

use super::dataset::{files, open, total_rows};
use super::decode::{decode_error, first_null, missing, push_numbers, push_strings, row_error, strings};
use super::partition::{dir_name, dir_number, partition_values};
use crate::io::time::parse_ms;
use crate::io::{CliError, Columns, Origin, Part, Wanted, progress_rows};
use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow_schema::{DataType, TimeUnit};
use std::path::Path;

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
            pb = progress_rows(|| total_rows(&files));
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
                        out.push(parse_ms(text).map_err(|m| row_error(file, first + i, "timestamp", m))?);
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
