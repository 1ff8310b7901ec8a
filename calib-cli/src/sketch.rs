//! `calib sketch` and `calib merge`: map/reduce fitting in any batch system.
//! Each part of a data set becomes a sketch (exact per-score sums), sketches
//! merge in any order, and `calib fit --sketch` fits the same map as a fit
//! over all rows at once (calib_core::sketch).

use crate::io::{self, CliError, Wanted};
use calib_core::sketch::{FitSketch, Quantize};
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
    /// CSV with `score` and `label` (optional `weight`, `class`).
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
    let cols = io::read_columns(&a.input, Wanted { label: true, query_id: false })?;
    let labels = cols.label.as_deref().expect("label column was required");
    let sketch =
        FitSketch::from_rows(&cols.score, labels, cols.weight.as_deref(), cols.class.as_deref(), a.quantize)
            .map_err(|e| if e.index().is_some() { cols.locate(&e, "score") } else { CliError::file(&a.input, e) })?;
    write_sketch(&a.out, &sketch)?;
    eprintln!("calib: sketched {} rows -> {}", sketch.rows(), a.out.display());
    Ok(0)
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
