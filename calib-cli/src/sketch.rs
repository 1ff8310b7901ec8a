//! `calib sketch` and `calib merge`: map/reduce fitting in any batch system.
//! Each part of a data set becomes a sketch (exact per-score sums), sketches
//! merge in any order, and `calib fit --sketch` fits the same map as a fit
//! over all rows at once (calib_core::sketch).

use crate::io::{self, CliError, Columns, Wanted};
use calib_core::sketch::{CHUNK_ROWS, FitSketch, Quantize};
use clap::Args;
use std::path::{Path, PathBuf};

/// Parses `--quantize`: `exact`, `f32` or `grid:STEP`.
fn parse_quantize(s: &str) -> Result<Quantize, String> {
    match s {
        "exact" => Ok(Quantize::Exact),
        "f32" => Ok(Quantize::F32),
        _ => match s.strip_prefix("grid:").map(str::parse::<f64>) {
            Some(Ok(step)) if step.is_finite() && step > 0.0 => Ok(Quantize::Grid(step)),
            _ => Err(format!("expected exact, f32 or grid:STEP with a positive STEP, got {s:?}")),
        },
    }
}

#[derive(Args, Debug)]
pub struct SketchArgs {
    /// CSV, Parquet file or directory of Parquet files, with `score` and `label` (optional `weight`, `class`).
    #[arg(long)]
    input: PathBuf,
    /// Where to write the sketch.
    #[arg(long)]
    out: PathBuf,
    /// Round scores first: `exact` (default), `f32` or `grid:STEP` (bounds the sketch's size).
    #[arg(long, default_value = "exact", value_parser = parse_quantize)]
    quantize: Quantize,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Sketches to merge (same quantisation, all with or all without classes).
    #[arg(required = true)]
    sketches: Vec<PathBuf>,
    /// Where to write the merged sketch.
    #[arg(long)]
    out: PathBuf,
}

/// Reads and checks a sketch file.
pub fn read_sketch(path: &Path) -> Result<FitSketch, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::file(path, format!("cannot read: {e}")))?;
    FitSketch::from_bytes(&bytes).map_err(|e| CliError::file(path, e))
}

fn write_sketch(path: &Path, sketch: &FitSketch) -> Result<(), CliError> {
    let bytes = sketch.to_bytes();
    io::write_atomic(path, |w| w.write_all(&bytes))
}

pub fn run_sketch(a: SketchArgs) -> Result<u8, CliError> {
    let (sketch, chunks) =
        if io::parquet::is_parquet(&a.input) { sketch_streamed(&a)? } else { (sketch_in_memory(&a)?, 1) };
    write_sketch(&a.out, &sketch)?;
    let per = if chunks > 1 { format!(" in {chunks} chunks") } else { String::new() };
    eprintln!("calib: sketched {} rows{per} ({} cells) -> {}", sketch.rows(), sketch.cells(), a.out.display());
    Ok(0)
}

/// The sketch of rows held in memory; a bad row is named by `cols`.
fn sketch_rows(cols: &Columns, quantize: Quantize) -> Result<FitSketch, CliError> {
    let labels = cols.label.as_deref().expect("label column was required");
    FitSketch::from_rows(&cols.score, labels, cols.weight.as_deref(), cols.class.as_deref(), quantize).map_err(|e| {
        match e.index() {
            // Indices in the whole input, as the core's errors elsewhere.
            Some(i) => cols.locate(&e.with_index(cols.first_index + i), "score"),
            None => CliError::file(&cols.path, e),
        }
    })
}

fn sketch_in_memory(a: &SketchArgs) -> Result<FitSketch, CliError> {
    let cols = io::read_columns(&a.input, Wanted { label: true, query_id: false })?;
    sketch_rows(&cols, a.quantize)
}

/// Parquet is sketched as it is read, and the number of chunks returned:
/// rows are buffered until the core's chunk rule says a chunk is due
/// (FitSketch::chunk_due), then sketched and merged in. The result equals a
/// one-shot sketch of all rows: exactly for integer weights, to rounding
/// (about 1e-16 relative per merge) for fractional ones.
fn sketch_streamed(a: &SketchArgs) -> Result<(FitSketch, usize), CliError> {
    let mut acc = FitSketch::empty(a.quantize, false).map_err(|e| CliError::Usage(e.to_string()))?;
    let mut chunks = 0;
    let mut merge = |cols: &mut Columns, always: bool| -> Result<(), CliError> {
        if cols.score.is_empty() {
            return Ok(());
        }
        if always || acc.chunk_due(cols.score.len(), CHUNK_ROWS) {
            chunks += 1;
            let part = sketch_rows(cols, a.quantize)?;
            acc.merge(&part).map_err(|e| CliError::file(&cols.path, e))?;
            cols.clear_rows();
        }
        Ok(())
    };
    let mut rest = io::parquet::scan(&a.input, Wanted { label: true, query_id: false }, |cols| merge(cols, false))?;
    merge(&mut rest, true)?;
    if acc.rows() == 0 {
        return Err(CliError::file(&a.input, "no data rows"));
    }
    Ok((acc, chunks))
}

pub fn run_merge(a: MergeArgs) -> Result<u8, CliError> {
    let mut all: Option<FitSketch> = None;
    for path in &a.sketches {
        let s = read_sketch(path)?;
        match &mut all {
            None => all = Some(s),
            Some(acc) => acc.merge(&s).map_err(|e| CliError::file(path, e))?,
        }
    }
    let all = all.expect("clap requires at least one sketch");
    write_sketch(&a.out, &all)?;
    eprintln!("calib: merged {} sketches ({} rows) -> {}", a.sketches.len(), all.rows(), a.out.display());
    Ok(0)
}
