//! `calib monitor`: one window of labelled traffic through the drift
//! monitor — its metrics, its alerts, and the Prometheus text exposition
//! (printed, or written atomically for a node_exporter textfile collector).
//!
//! Exit codes: 0 no alert at `fail`, 1 an alert fires at `fail`, 2 bad input.

use crate::io::{self, CliError, Wanted};
use calib_core::canonical::model_digest;
use calib_core::monitor::{self, AlertState, MonitorConfig, Rows, Severity};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct MonitorArgs {
    /// The model serving the window.
    #[arg(long)]
    model: PathBuf,
    /// The window: `score`, `label`, optionally `class`.
    #[arg(long)]
    input: PathBuf,
    /// The baseline window for the drift rule.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Equal-mass bins K of AECE and DECE.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    bins: u32,
    /// A constant label for every Prometheus sample, `name=value` (repeatable).
    #[arg(long = "label", value_name = "NAME=VALUE")]
    labels: Vec<String>,
    /// Print the Prometheus text exposition instead of a table.
    #[arg(long, conflicts_with = "json")]
    prometheus: bool,
    /// Also write the exposition to this file (atomically).
    #[arg(long)]
    prom_out: Option<PathBuf>,
    /// Print the window, baseline and alerts as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: MonitorArgs) -> Result<u8, CliError> {
    let model = io::load_model(&a.model)?;
    let config = MonitorConfig { bins: a.bins as usize, ..MonitorConfig::default() };
    let mut labels: Vec<(String, String)> = Vec::new();
    for l in &a.labels {
        let (k, v) = l.split_once('=').ok_or_else(|| CliError::Usage(format!("--label {l:?} is not NAME=VALUE")))?;
        labels.push((k.to_string(), v.to_string()));
    }
    let measure = |path: &PathBuf| {
        let cols = io::read_columns(path, Wanted { label: true, query_id: false })?;
        let rows = Rows {
            scores: &cols.score,
            labels: cols.label.as_deref().expect("label column was required"),
            classes: cols.class.as_deref(),
            timestamps_ms: None,
        };
        monitor::window_of(&model, &rows, &config).map_err(|e| cols.locate(&e, "score"))
    };
    let (window, hist) = measure(&a.input)?;
    let baseline = a.baseline.as_ref().map(|p| measure(p).map(|(s, _)| s)).transpose()?;
    let alerts = monitor::evaluate_alerts(&window, baseline.as_ref(), &config.alerts);
    let digest = model_digest(&model).to_hex();
    let mut all: Vec<(&str, &str)> = vec![("model_sha256", digest.as_str())];
    all.extend(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut text = String::new();
    monitor::write_prometheus(&mut text, &window, &hist.counts, &alerts, &all)
        .map_err(|e| CliError::Usage(format!("--label: {e}")))?;
    if let Some(out) = &a.prom_out {
        io::write_atomic(out, |w| w.write_all(text.as_bytes()))?;
    }
    if a.prometheus {
        print!("{text}");
    } else if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "model_sha256": digest, "window": window, "baseline": baseline,
                "alerts": alerts, "histogram": hist,
            }))
            .expect("a window serialises")
        );
    } else {
        outln!("window {}: {} scores, {} calibrated", a.input.display(), window.scores, window.calibrated);
        let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.6}"));
        outln!(
            "  AECE {}  DECE {}  Brier {}  clamp rate {:.6}  positive rate {}  merged bins {} %",
            opt(window.aece),
            opt(window.dece),
            opt(window.brier),
            window.clamp_rate,
            opt(window.positive_rate),
            window.merged_bin_percent.map_or("-".to_string(), |m| format!("{m:.1}"))
        );
        for x in &alerts {
            let state = match (x.state, x.severity) {
                (AlertState::Firing, s) => format!("FIRING ({})", s.map_or("-", Severity::name)),
                (AlertState::Ok, _) => "ok".into(),
                (AlertState::NoData, _) => format!("no data ({})", x.note.map_or("-", |n| n.name())),
            };
            outln!("  alert {:<12} {state}", x.rule.name());
        }
    }
    let failing = alerts.iter().any(|x| x.fails());
    Ok(if failing { 1 } else { 0 })
}
