//! `calib gate`: the SLA gates of a candidate against the incumbent.
//!
//! Exit codes: 0 every gate passed, 1 a gate breached, 3 no data (a gate
//! had fewer samples than its minimum), 4 a gate could not be measured
//! (verdict `error`, e.g. the candidate refuses a holdout score under its
//! `error` out-of-bounds policy), 2 bad input (files, arguments, config).
//! The code follows the overall verdict, the worst gate in the order
//! pass < no data < error < breach.

use crate::io::{self, CliError, Wanted};
use calib_core::gate::{GateConfig, GateConfigFile, GateKind, GateReport, GateResult, Holdout, Verdict};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct GateArgs {
    /// The candidate model.
    #[arg(long)]
    candidate: PathBuf,
    /// The incumbent model (the one serving now).
    #[arg(long)]
    incumbent: PathBuf,
    /// Holdout (CSV or Parquet) with `query_id`, `score`, `label` and optionally `class`.
    #[arg(long)]
    input: PathBuf,
    /// Gate thresholds (TOML); omitted fields keep the SLA defaults.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write the JSON report to this file (for `calib sign --gate-report`).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The exit code of a verdict.
pub fn exit_code(v: Verdict) -> u8 {
    match v {
        Verdict::Pass => 0,
        Verdict::Breach => 1,
        Verdict::NoData => 3,
        Verdict::Error => 4,
    }
}

/// Reads and lints a gate config file (TOML).
pub fn load_config(path: &Path) -> Result<GateConfig, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::file(path, format!("cannot read: {e}")))?;
    let file: GateConfigFile = toml::from_str(&text).map_err(|e| {
        // toml's messages span several lines (a source excerpt): keep one.
        let msg = e.message().to_string();
        let at = e.span().map(|s| format!(" (line {})", text[..s.start].lines().count().max(1))).unwrap_or_default();
        CliError::file(path, format!("bad gate config{at}: {msg}"))
    })?;
    file.resolve().map_err(|issues| {
        let all: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        CliError::file(path, format!("refused gate config: {}", all.join("; ")))
    })
}

pub fn run(a: GateArgs) -> Result<u8, CliError> {
    let config = match &a.config {
        Some(p) => load_config(p)?,
        None => GateConfig::default(),
    };
    let candidate = io::load_model(&a.candidate)?;
    let incumbent = io::load_model(&a.incumbent)?;
    let cols = io::read_columns(&a.input, Wanted { label: true, query_id: true })?;
    let holdout = Holdout {
        query_ids: cols.query_id.as_deref().expect("query_id column was required"),
        scores: &cols.score,
        labels: cols.label.as_deref().expect("label column was required"),
        classes: cols.class.as_deref(),
    };
    let report = calib_core::gate::evaluate_holdout(&candidate, &incumbent, &holdout, &config)
        .map_err(|e| cols.locate(&e, "score"))?;
    let json = serde_json::to_string_pretty(&report).expect("a gate report serialises");
    if let Some(out) = &a.out {
        io::write_atomic(out, |w| w.write_all(json.as_bytes()).and_then(|_| w.write_all(b"\n")))?;
    }
    if a.json {
        outln!("{json}");
    } else {
        print_table(&report);
    }
    Ok(exit_code(report.verdict))
}

fn limit(g: &GateResult) -> String {
    match g.gate {
        GateKind::P99Latency => format!("< {} ms", g.threshold),
        GateKind::AeceExcess | GateKind::MedianShift => format!("<= {}", g.threshold),
        GateKind::RecallAt50 => format!(">= {}", g.threshold),
    }
}

fn value(g: &GateResult) -> String {
    match (g.gate, g.value) {
        (_, None) => "-".to_string(),
        (GateKind::P99Latency, Some(v)) => format!("{v:.4} ms"),
        (GateKind::RecallAt50, Some(v)) => format!("{v:+.6}"),
        (_, Some(v)) => format!("{v:.6}"),
    }
}

fn print_table(r: &GateReport) {
    outln!("gates of candidate {} against incumbent {}", r.candidate_sha256, r.incumbent_sha256);
    outln!("holdout: {} rows, {} queries", r.rows, r.queries);
    outln!("{:<14} {:<8} {:>14} {:>12} {:>9} {:>11}", "gate", "verdict", "value", "limit", "samples", "min_samples");
    for g in &r.gates {
        outln!(
            "{:<14} {:<8} {:>14} {:>12} {:>9} {:>11}",
            g.gate.name(),
            g.verdict.name(),
            value(g),
            limit(g),
            g.samples,
            g.min_samples
        );
    }
    for g in r.gates.iter().filter(|g| g.note.is_some()) {
        outln!("  {}: {}", g.gate.name(), g.note.as_deref().unwrap_or_default());
    }
    if let Some(d) = &r.aece {
        let groups = std::iter::once(("(all rows)", &d.overall)).chain(d.classes.iter().map(|(k, v)| (k.as_str(), v)));
        for (name, g) in groups {
            outln!(
                "  aece {name}: n {} K {} AECE {:.6} c_hat {:.4} tau {:.6} excess {:.6}",
                g.n,
                g.bins,
                g.aece,
                g.c_hat,
                g.tau,
                g.excess
            );
        }
    }
    if let Some(rc) = &r.recall {
        outln!("  recall@50: candidate {:.6} incumbent {:.6} over {} queries", rc.candidate, rc.incumbent, rc.queries);
    }
    outln!("verdict: {}", r.verdict.name());
}
