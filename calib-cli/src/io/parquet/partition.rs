//! Hive-style partition directories (`key=value` between a dataset's root
//! and its files): their values, the type `calib apply` writes each as, and
//! a directory's value read as a number or a name.

use crate::io::CliError;
use arrow_array::ArrayRef;
use arrow_schema::DataType;
use std::path::Path;
use std::sync::Arc;

/// Hive's name for a null partition value.
pub(super) const HIVE_NULL: &str = "__HIVE_DEFAULT_PARTITION__";

/// The `key=value` directories between a dataset's `root` and one of its
/// files, values percent-decoded (outermost first). None for a single file.
pub(super) fn partition_values(root: &Path, file: &Path) -> Vec<(String, String)> {
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
pub(super) fn partition_type<'a>(values: impl IntoIterator<Item = &'a str>) -> DataType {
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
pub(super) fn iso_date(v: &str) -> Option<i32> {
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
pub(super) fn partition_column(v: &str, data_type: &DataType, n: usize) -> ArrayRef {
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
pub(super) fn dir_name(file: &Path, name: &str, v: &str) -> Result<String, CliError> {
    if v == HIVE_NULL {
        return Err(CliError::file(file, format!("partition directory {name}={HIVE_NULL}: null value")));
    }
    Ok(v.to_string())
}

/// A partition directory's value for a numeric column.
pub(super) fn dir_number(file: &Path, name: &str, v: &str, bool_ok: bool) -> Result<f64, CliError> {
    match v {
        "true" if bool_ok => Ok(1.0),
        "false" if bool_ok => Ok(0.0),
        _ => dir_name(file, name, v)?.parse::<f64>().map_err(|_| {
            CliError::file(file, format!("partition directory {name}={v}: cannot parse {v:?} as a number"))
        }),
    }
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
