//! `calib fit`.

use crate::io::{self, CliError, Wanted};
use calib_core::binning::{BinStrategy, KPolicy};
use calib_core::map::OutOfBounds;
use calib_core::model::{Direction, FitConfig, Method, fit_model};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    Isotonic,
    Histogram,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IncreasingArg {
    True,
    False,
    Auto,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OobArg {
    Clip,
    Nan,
    Error,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StrategyArg {
    EqualMass,
    EqualWidth,
}

/// Parses `--bins`: a number, or `cube-root` (also `cube_root`). The one
/// parser of a bins argument: `calib fit` and `calib governance` both use it.
pub fn parse_bins(s: &str) -> Result<KPolicy, String> {
    if s == "cube-root" || s == "cube_root" {
        return Ok(KPolicy::CUBE_ROOT);
    }
    match s.parse::<usize>() {
        Ok(k) if k >= 1 => Ok(KPolicy::Fixed(k)),
        _ => Err(format!("expected a positive number of bins or \"cube-root\", got {s:?}")),
    }
}

#[derive(Args, Debug)]
pub struct FitArgs {
    /// CSV with a header, Parquet file or directory of Parquet files; `score` and `label` required, `weight` and `class` optional.
    #[arg(long)]
    #[arg(long, required_unless_present = "sketch", conflicts_with = "sketch")]
    input: Option<PathBuf>,
    /// Fit from a sketch written by `calib sketch` / `calib merge` instead of rows.
    #[arg(long)]
    sketch: Option<PathBuf>,
    /// Where to write the model JSON.
    #[arg(long)]
    out: PathBuf,
    /// Calibration method.
    #[arg(long, value_enum, default_value = "isotonic")]
    method: MethodArg,
    /// Histogram bins: a number or `cube-root`.
    #[arg(long, default_value = "15", value_parser = parse_bins)]
    bins: KPolicy,
    /// Histogram edges.
    #[arg(long, value_enum, default_value = "equal-mass")]
    binning: StrategyArg,
    /// Histogram bins with fewer samples are merged into a neighbour.
    #[arg(long, default_value_t = 1)]
    min_samples_per_bin: u64,
    /// Direction of the isotonic map (`auto` decides as scikit-learn does).
    #[arg(long, value_enum, default_value = "true")]
    increasing: IncreasingArg,
    /// Policy for scores outside the fitted range at apply time.
    #[arg(long, value_enum, default_value = "clip")]
    out_of_bounds: OobArg,
    /// Strict (rank-preserving, centered) isotonic regression.
    #[arg(long)]
    strict: bool,
    /// Lower bound of calibrated values.
    #[arg(long, allow_negative_numbers = true)]
    y_min: Option<f64>,
    /// Upper bound of calibrated values.
    #[arg(long, allow_negative_numbers = true)]
    y_max: Option<f64>,
    /// Probability floor ε: outputs clamped to [ε, 1−ε].
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    epsilon: f64,
    /// Classes with fewer rows use the global map.
    #[arg(long, default_value_t = 1000)]
    min_class_samples: usize,
}

pub fn run(a: FitArgs) -> Result<u8, CliError> {
    let cfg = FitConfig {
        method: match a.method {
            MethodArg::Isotonic => Method::Isotonic,
            MethodArg::Histogram => Method::Histogram,
        },
        direction: match a.increasing {
            IncreasingArg::True => Direction::Increasing,
            IncreasingArg::False => Direction::Decreasing,
            IncreasingArg::Auto => Direction::Auto,
        },
        strict: a.strict,
        y_min: a.y_min,
        y_max: a.y_max,
        bins: a.bins,
        strategy: match a.binning {
            StrategyArg::EqualMass => BinStrategy::EqualMass,
            StrategyArg::EqualWidth => BinStrategy::EqualWidth,
        },
        min_samples_per_bin: a.min_samples_per_bin,
        min_class_samples: a.min_class_samples,
        out_of_bounds: match a.out_of_bounds {
            OobArg::Clip => OutOfBounds::Clip,
            OobArg::Nan => OutOfBounds::Nan,
            OobArg::Error => OutOfBounds::Error,
        },
        epsilon: a.epsilon,
        ..FitConfig::default()
    };
    let (model, rows) = match (&a.sketch, &a.input) {
        (Some(path), _) => {
            let sketch = crate::sketch::read_sketch(path)?;
            let model = sketch.fit_model(&cfg).map_err(|e| CliError::file(path, e))?;
            (model, sketch.rows())
        }
        (None, Some(input)) => {
            let cols = io::read_columns(input, Wanted { label: true, query_id: false })?;
            let labels = cols.label.as_deref().expect("label column was required");
            let model = fit_model(&cols.score, labels, cols.weight.as_deref(), cols.class.as_deref(), &cfg)
                .map_err(|e| if e.index().is_some() { cols.locate(&e, "score") } else { CliError::file(input, e) })?;
            (model, cols.score.len() as u64)
        }
        (None, None) => return Err(CliError::Usage("give --input or --sketch".into())),
    };
    let json = model.to_json_pretty();
    io::write_atomic(&a.out, |w| w.write_all(json.as_bytes()))?;
    let f = model.file();
    eprintln!(
        "calib: fitted {} map(s) ({} rows; global map has {} breakpoints) -> {}",
        1 + f.classes.len(),
        rows,
        f.global.x.len(),
        a.out.display()
    );
    Ok(0)
}
