//! `calib report`: one self-contained HTML page (and, with `--json`, the
//! drift pack as JSON) of a model on labelled traffic.
//!
//! Every number comes from `calib_core::monitor::drift_pack`; this module
//! reads the files (the optional `timestamp` column as RFC 3339), summarises
//! the manifest **without verifying it** (`calib verify` does that), and
//! renders. Exit codes: 0 written (no alert at `fail`), 1 written but an
//! alert of the whole input fires at `fail`, 2 bad input.

mod html;

use crate::io::{self, CliError, Columns, Wanted};
use calib_core::canonical::model_digest;
use calib_core::governance::ManifestStanding;
use calib_core::manifest;
use calib_core::monitor::{self, AlertState, DriftPack, MonitorConfig, Rows};
use clap::Args;
use serde::Serialize;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The model (calib's JSON model file).
    #[arg(long)]
    model: PathBuf,
    /// Labelled traffic: `score`, `label`, optionally `class` and `timestamp` (RFC 3339).
    #[arg(long)]
    input: PathBuf,
    /// A baseline window of the same kind, for the drift rule and overlays.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// The model's manifest, summarised on the page (not verified).
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// The HTML page to write.
    #[arg(long, required_unless_present = "json")]
    out: Option<PathBuf>,
    /// Print the drift pack as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Equal-mass bins K of AECE and DECE (and equal-width bins of the reliability diagram).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    bins: u32,
}

/// A manifest as the page shows it: read, **not verified** (its standing
/// is calib-core's `governance::ManifestStanding`).
#[derive(Debug, Clone, Serialize)]
pub struct ManifestSummary {
    pub path: String,
    pub verified: bool,
    #[serde(flatten)]
    pub standing: ManifestStanding,
}

/// What `--json` prints: the drift pack, the model's digest and the manifest summary.
#[derive(Debug, Serialize)]
pub struct ReportJson<'a> {
    pub model_sha256: String,
    pub input: String,
    pub baseline_input: Option<String>,
    #[serde(flatten)]
    pub pack: &'a DriftPack,
    pub manifest: Option<ManifestSummary>,
}

/// Reads a labelled input: its columns and timestamps.
fn read_input(path: &Path) -> Result<(Columns, Option<Vec<i64>>), CliError> {
    let cols = io::read_columns(path, Wanted { label: true, query_id: false })?;
    let ts = io::read_timestamps(&cols)?;
    Ok((cols, ts))
}

fn rows<'a>(cols: &'a Columns, ts: &'a Option<Vec<i64>>) -> Rows<'a, String> {
    Rows {
        scores: &cols.score,
        labels: cols.label.as_deref().expect("label column was required"),
        classes: cols.class.as_deref(),
        timestamps_ms: ts.as_deref(),
    }
}

/// Summarises a manifest for display (parsed, not verified).
pub fn manifest_summary(path: &Path, model: &calib_core::model::Model) -> Result<ManifestSummary, CliError> {
    let bytes = io::read_manifest(path)?;
    let m = manifest::inspect(&bytes).map_err(|e| CliError::file(path, e))?;
    let standing = ManifestStanding::read(&m, model, OffsetDateTime::now_utc())
        .map_err(|e| CliError::file(path, format!("payload is not a calib statement: {e}")))?;
    Ok(ManifestSummary { path: path.display().to_string(), verified: false, standing })
}

pub fn run(a: ReportArgs) -> Result<u8, CliError> {
    let model = crate::load_model(&a.model)?;
    let (cols, ts) = read_input(&a.input)?;
    let base = a.baseline.as_deref().map(read_input).transpose()?;
    let manifest = a.manifest.as_deref().map(|p| manifest_summary(p, &model)).transpose()?;
    let config = MonitorConfig { bins: a.bins as usize, ..MonitorConfig::default() };
    let current = rows(&cols, &ts);
    let baseline_rows = base.as_ref().map(|(c, t)| rows(c, t));
    let pack = monitor::drift_pack(&model, &current, baseline_rows.as_ref(), &config).map_err(|e| {
        match (&base, e.is_baseline()) {
            (Some((bc, _)), true) => bc.locate(e.error(), "score"),
            _ => cols.locate(e.error(), "score"),
        }
    })?;
    let report = ReportJson {
        model_sha256: model_digest(&model).to_hex(),
        input: a.input.display().to_string(),
        baseline_input: a.baseline.as_ref().map(|p| p.display().to_string()),
        pack: &pack,
        manifest,
    };
    let json = serde_json::to_string_pretty(&report).expect("a drift pack serialises");
    if let Some(out) = &a.out {
        let page = html::render(&report, &json);
        io::write_atomic(out, |w| w.write_all(page.as_bytes()))?;
    }
    let failing = pack.alerts.iter().filter(|x| x.fails()).count();
    if a.json {
        outln!("{json}");
    } else {
        print_summary(&report);
        if let Some(out) = &a.out {
            outln!("wrote {}", out.display());
        }
    }
    Ok(if failing > 0 { 1 } else { 0 })
}

fn opt(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.6}"))
}

fn print_summary(r: &ReportJson<'_>) {
    let w = &r.pack.window;
    outln!("calib report: {} rows of {} under model {}", r.pack.rows, r.input, r.model_sha256);
    outln!(
        "  AECE {}  DECE {}  Brier {}  clamp rate {:.6}  positive rate {}  merged bins {} %",
        opt(w.aece),
        opt(w.dece),
        opt(w.brier),
        w.clamp_rate,
        opt(w.positive_rate),
        w.merged_bin_percent.map_or("-".to_string(), |m| format!("{m:.1}"))
    );
    if !r.pack.daily.is_empty() {
        outln!("  trends: {} days, {} weeks", r.pack.daily.len(), r.pack.weekly.len());
    }
    for a in &r.pack.alerts {
        let state = match (a.state, a.severity) {
            (AlertState::Firing, Some(s)) => format!("FIRING ({})", s.name()),
            (AlertState::Firing, None) => "FIRING".to_string(),
            (AlertState::Ok, _) => "ok".to_string(),
            (AlertState::NoData, _) => format!("no data ({})", a.note.map_or("-", |n| n.name())),
        };
        outln!("  alert {:<12} {state} value {} limit {}", a.rule.name(), opt(a.value), a.threshold);
    }
}
