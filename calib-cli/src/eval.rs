//! `calib eval`.

use crate::io::{self, CliError, Wanted};
use calib_core::map::ApplyStats;
use calib_core::metrics;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// CSV, Parquet file or directory of Parquet files, with `score` and `label` (optional `weight`, `class`).
    #[arg(long)]
    input: PathBuf,
    /// Evaluate this model's output instead of the raw score.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Number of bins K.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    bins: u32,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(serde::Serialize)]
struct EvalJson {
    n: u64,
    ece: f64,
    aece: f64,
    mce: f64,
    dece: f64,
    brier: f64,
    log_loss: f64,
    clamp_rate: f64,
}

pub fn run(a: EvalArgs) -> Result<u8, CliError> {
    let cols = io::read_columns(&a.input, Wanted { label: true, query_id: false })?;
    let labels = cols.label.as_deref().expect("label column was required");
    let mut stats = ApplyStats::default();
    let (probs, column) = match &a.model {
        Some(path) => {
            let model = io::load_model(path)?;
            let mut out = vec![0.0; cols.score.len()];
            model
                .apply_rows(cols.class.as_deref(), &cols.score, &mut out, &mut stats)
                .map_err(|e| cols.locate(&e, "score"))?;
            (out, "calibrated score")
        }
        None => (cols.score.clone(), "score"),
    };
    let m = metrics::evaluate(&probs, labels, cols.weight.as_deref(), a.bins as usize).map_err(|e| {
        let mut err = cols.locate(&e, "score");
        if let CliError::Input { message, .. } = &mut err
            && a.model.is_some()
            && e.kind() == calib_core::ErrorKind::ProbabilityOutOfRange
        {
            message.push_str(" (the model's output; was the model fitted with --out-of-bounds nan?)");
        }
        err
    })?;
    let out = EvalJson {
        n: m.n,
        ece: m.ece,
        aece: m.aece,
        mce: m.mce,
        dece: m.dece,
        brier: m.brier,
        log_loss: m.log_loss,
        clamp_rate: stats.clamp_rate(),
    };
    if a.json {
        outln!("{}", serde_json::to_string(&out).expect("plain struct serialises"));
    } else {
        outln!("metrics of the {column} over {} rows, {} bins", out.n, a.bins);
        for (name, v) in [
            ("ECE", out.ece),
            ("AECE", out.aece),
            ("MCE", out.mce),
            ("DECE", out.dece),
            ("Brier", out.brier),
            ("log-loss", out.log_loss),
            ("clamp rate", out.clamp_rate),
        ] {
            outln!("  {name:<11} {v:.6}");
        }
    }
    Ok(0)
}
