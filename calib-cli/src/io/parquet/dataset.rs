//! The files of a Parquet input, and opening one of them for reading.

use super::structure::{check_footer, check_pages};
use crate::io::CliError;
use crate::io::csv::PARQUET_MAGIC;
use arrow_schema::SchemaRef;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Rows per Arrow batch: large enough to amortise decoding, small enough
/// that a batch stays in cache-sized memory.
pub(super) const BATCH_ROWS: usize = 65_536;

/// Whether `path` is read as Parquet: a directory (a dataset of Parquet
/// files), or a regular file that starts with Parquet's magic bytes. The
/// file name does not matter. Anything else (a pipe, a FIFO) is not opened
/// here, as reading it would consume its first bytes: it is read as CSV,
/// which refuses Parquet there with a clear message
/// ([`crate::io::csv::open`]).
pub fn is_parquet(path: &Path) -> bool {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => true,
        Ok(m) if m.is_file() => {
            let mut magic = [0u8; 4];
            File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == PARQUET_MAGIC
        }
        _ => false,
    }
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

/// Opens one file: its Arrow schema and a reader of the named columns
/// (those that exist; the caller checks the required ones), or of every
/// column for `None`.
pub(super) fn open(path: &Path, names: Option<&[&str]>) -> Result<(SchemaRef, ParquetRecordBatchReader), CliError> {
    let mut f = File::open(path).map_err(|e| CliError::file(path, format!("cannot open: {e}")))?;
    check_footer(path, &mut f)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(|e| CliError::file(path, format!("not a readable Parquet file: {e}")))?;
    check_chunks(path, builder.metadata())?;
    let schema = builder.schema().clone();
    if let Some(names) = names {
        refuse_repeated(path, &schema, names)?;
    }
    let roots: Option<Vec<usize>> = names.map(|names| names.iter().filter_map(|n| schema.index_of(n).ok()).collect());
    check_pages(path, builder.metadata(), roots.as_deref())?;
    let mask = match &roots {
        Some(roots) => ProjectionMask::roots(builder.parquet_schema(), roots.iter().copied()),
        None => ProjectionMask::all(),
    };
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| CliError::file(path, format!("cannot read Parquet: {e}")))?;
    Ok((schema, reader))
}

/// Refuses a footer whose column chunks do not lie inside the file: the
/// parquet crate asserts (panics on, and so aborts calib on) a negative
/// offset or size, and a chunk beyond the end cannot be read anyway. Found
/// by the Parquet fuzz target (fuzz/corpus/parquet/crash-negative-offset).
fn check_chunks(path: &Path, meta: &parquet::file::metadata::ParquetMetaData) -> Result<(), CliError> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(u64::MAX);
    for (g, group) in meta.row_groups().iter().enumerate() {
        for c in group.columns() {
            let start = c.dictionary_page_offset().unwrap_or(c.data_page_offset());
            let len = c.compressed_size();
            let end = u64::try_from(start).ok().zip(u64::try_from(len).ok()).and_then(|(s, l)| s.checked_add(l));
            if end.is_none_or(|e| e > size) {
                return Err(CliError::file(
                    path,
                    format!(
                        "not a readable Parquet file: row group {g}, column {:?} claims bytes {start}..+{len}, outside the file's {size} bytes",
                        c.column_path().string()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Refuses a schema in which two columns share one of the `names` calib
/// reads, naming both (1-based, in schema order): which of them calib read
/// would be a guess.
pub(super) fn refuse_repeated(path: &Path, schema: &SchemaRef, names: &[&str]) -> Result<(), CliError> {
    for name in names {
        let mut found = schema.fields().iter().enumerate().filter(|(_, f)| f.name() == name).map(|(i, _)| i);
        if let (Some(a), Some(b)) = (found.next(), found.next()) {
            return Err(CliError::file(
                path,
                format!("the schema names two columns {name:?}, columns {} and {}: rename or drop one", a + 1, b + 1),
            ));
        }
    }
    Ok(())
}

/// The row count of a dataset, from the files' footers (for the progress bar).
pub(super) fn total_rows(files: &[PathBuf]) -> u64 {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    files
        .iter()
        .filter_map(|p| SerializedFileReader::new(File::open(p).ok()?).ok())
        .map(|r| r.metadata().file_metadata().num_rows().max(0) as u64)
        .sum()
}
