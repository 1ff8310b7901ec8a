//! Arrow columns decoded into calib's numbers and names, every null or
//! wrongly typed value reported with its file, row and column.

use crate::io::CliError;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, SchemaRef};
use std::path::Path;

/// An error about one value: its file, 1-based row within that file, and column.
pub(super) fn row_error(file: &Path, row: usize, column: &str, message: impl ToString) -> CliError {
    CliError::Row {
        file: file.display().to_string(),
        row: row as u64 + 1,
        column: column.to_string(),
        message: message.to_string(),
    }
}

/// A page that cannot be decoded; a codec calib is built without gets a hint.
pub(super) fn decode_error(file: &Path, e: impl std::fmt::Display) -> CliError {
    let msg = e.to_string();
    let hint = if msg.contains("Disabled feature") {
        " (calib reads uncompressed, snappy, zstd, gzip and lz4 Parquet; rewrite the file with one of those)"
    } else {
        ""
    };
    CliError::file(file, format!("cannot decode Parquet data: {msg}{hint}"))
}

/// The error for a missing required column.
pub(super) fn missing(path: &Path, schema: &SchemaRef, name: &str) -> CliError {
    let have: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    CliError::file(path, format!("missing required column {name:?} (the file has: {})", have.join(", ")))
}

/// Appends a numeric column's values as f64. `first` is the batch's first row in the file.
pub(super) fn push_numbers(
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
pub(super) fn first_null(col: &dyn Array) -> Option<usize> {
    let nulls = col.logical_nulls()?;
    if nulls.null_count() == 0 { None } else { (0..nulls.len()).find(|&i| nulls.is_null(i)) }
}

/// A name column's values as strings: strings, dictionary-encoded strings
/// or integers (written in decimal).
pub(super) fn strings(col: &dyn Array) -> Result<Vec<String>, String> {
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
pub(super) fn push_strings(
    out: &mut Vec<String>,
    col: &ArrayRef,
    path: &Path,
    first: usize,
    name: &str,
) -> Result<(), CliError> {
    if let Some(i) = first_null(col.as_ref()) {
        return Err(row_error(path, first + i, name, "null value (calib needs a name in every row)"));
    }
    out.extend(strings(col.as_ref()).map_err(|m| CliError::file(path, format!("column {name:?} {m}")))?);
    Ok(())
}
