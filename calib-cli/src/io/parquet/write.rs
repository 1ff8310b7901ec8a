//! `calib apply`'s Parquet output: the input's columns, its partition
//! directories' columns, and `calibrated`, written batch by batch.

use super::dataset::{BATCH_ROWS, files, open, refuse_repeated};
use super::decode::{decode_error, missing, push_numbers, push_strings, row_error};
use super::partition::{dir_name, partition_column, partition_type, partition_values};
use crate::io::CliError;
use arrow_array::RecordBatch;
use arrow_schema::{DataType, SchemaRef};
use calib_core::map::ApplyStats;
use calib_core::model::Model;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// `calib apply` on Parquet: every input column (of every file of a
/// dataset, in order) is written to `w` as one Snappy-compressed Parquet
/// file, then the dataset's partition-directory columns the files lack
/// (typed by [`super::partition::partition_type`]; Hive's null partition as null), then
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
        refuse_repeated(file, &schema, &["score", "class", "calibrated"])?;
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
