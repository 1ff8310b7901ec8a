//! `calib`: fit, apply and evaluate calibration maps from the command line.
//!
//! The CLI parses arguments, reads and writes files and prints; every number
//! it shows is computed by calib-core.

/// `println!` that ends the process quietly when stdout is closed (e.g.
/// `calib demo | head`) instead of panicking on a broken pipe.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::io::emit_line(format_args!($($arg)*))
    };
}

mod apply;
mod audit;
mod chaos;
mod demo;
mod eval;
mod fit;
mod gate;
mod governance;
mod io;
mod keys;
mod manifest;
mod monitor;
mod parity;
mod report;
mod rollout;
mod sign;
mod sketch;
mod svg;
mod verify;
mod workflow;

// Kept at the crate root for the commands that call `crate::load_model`.
use io::load_model;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "calib", version, about = "Calibrate ranker scores into probabilities you can trust")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Fit per-class calibrators on built-in data and show before/after metrics.
    Demo(demo::DemoArgs),
    /// Fit a calibration model from rows (CSV or Parquet) with `score` and `label` columns.
    Fit(fit::FitArgs),
    /// Write the exact fit statistics (a mergeable sketch) of a part of the data (CSV or Parquet).
    Sketch(sketch::SketchArgs),
    /// Merge sketches (of the parts of a data set) into one.
    Merge(sketch::MergeArgs),
    /// Add a `calibrated` column to a CSV or Parquet input with a `score` column.
    Apply(apply::ApplyArgs),
    /// Calibration metrics of `score` as a probability, or of a model's output.
    Eval(eval::EvalArgs),
    /// Staged canary rollout: init, step, status, simulate, plan.
    Rollout(rollout::RolloutArgs),
    /// SLA gates of a candidate against the incumbent on a holdout (exit 0 pass, 1 breach, 3 no data, 4 error).
    Gate(gate::GateArgs),
    /// Write an Ed25519 key pair (calib.key, mode 0600, and calib.pub) into a directory.
    Keygen(keys::KeygenArgs),
    /// Sign a manifest (in-toto statement in a DSSE envelope) for a model.
    Sign(sign::SignArgs),
    /// Verify a manifest as the serving loader does (exit 0 verified, 1 rejected).
    Verify(verify::VerifyArgs),
    /// Inspect manifests.
    Manifest(manifest::ManifestArgs),
    /// The hash-chained audit log: verify it, append events.
    Audit(audit::AuditArgs),
    /// Compare two runtimes' outputs for the same inputs (exit 0 parity, 1 differ).
    Parity(parity::ParityArgs),
    /// One self-contained HTML page of a model on labelled traffic (exit 1 when an alert fails).
    Report(report::ReportArgs),
    /// One window through the drift monitor: metrics, alerts, Prometheus text (exit 1 when an alert fails).
    Monitor(monitor::MonitorArgs),
    /// The chaos suite: hostile scenarios and a resilience score (exit 1 when one misbehaves).
    Chaos(chaos::ChaosArgs),
    /// Quarterly re-fit with bootstrapped tolerances: candidate, gate report, compliance report.
    Governance(governance::GovernanceArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Fit(a) => fit::run(a),
        Command::Sketch(a) => sketch::run_sketch(a),
        Command::Merge(a) => sketch::run_merge(a),
        Command::Apply(a) => apply::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Rollout(a) => rollout::run(a),
        Command::Gate(a) => gate::run(a),
        Command::Keygen(a) => keys::run(a),
        Command::Sign(a) => sign::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Manifest(a) => manifest::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Parity(a) => parity::run(a),
        Command::Report(a) => report::run(a),
        Command::Monitor(a) => monitor::run(a),
        Command::Chaos(a) => chaos::run(a),
        Command::Governance(a) => governance::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("calib: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
