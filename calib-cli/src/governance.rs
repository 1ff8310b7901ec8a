//! `calib governance`: the quarterly re-fit. Reads fresh traffic and the
//! current manifest (with the model beside it), runs
//! `calib_core::governance::review`, and writes into `--out DIR`:
//! `candidate.json` (the candidate model), `gate_report.json` (its gates
//! against the current model on the held-out queries), `compliance.json`
//! and `compliance.md` (the per-class evidence), and — with `--key`, when
//! the verdict passes — `manifest.json`, the candidate's signed manifest
//! (version + 1, the current manifest as parent). With `--audit` a
//! `governance.review` record binds the digests of all of them into the
//! hash-chained log.
//!
//! Exit codes follow the verdict, as `calib gate`'s do: 0 pass, 1 breach
//! (a τ above the limit, or a gate), 3 no data, 4 error; 2 bad input.

use crate::io::{self, CliError, Wanted};
use crate::keys;
use calib_core::binning::KPolicy;
use calib_core::canonical::{Sha256Digest, model_digest};
use calib_core::fingerprint::core_fingerprint;
use calib_core::gate::GateConfig;
use calib_core::governance::{
    self, CurrentVerification, Finding, Fresh, GovernanceConfig, GroupReview, GroupStatus, Progress, RecordedCHat,
    Signing,
};
use calib_core::manifest::{self, TrustPolicy};
use calib_core::{audit, model::Model};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Args, Debug)]
pub struct GovernanceArgs {
    /// Fresh traffic: `query_id`, `score`, `label` and optionally `class`.
    #[arg(long)]
    input: PathBuf,
    /// The current manifest (the model it vouches for travels beside it).
    #[arg(long)]
    current: PathBuf,
    /// The current model [default: `model.json` beside the manifest].
    #[arg(long)]
    current_model: Option<PathBuf>,
    /// Directory for the candidate, the gate report and the compliance report.
    #[arg(long)]
    out: PathBuf,
    /// Verify the current manifest's signatures with these keys (repeatable).
    #[arg(long)]
    pubkey: Vec<PathBuf>,
    /// Signatures the current manifest needs (with --pubkey).
    #[arg(long, default_value_t = 1)]
    threshold: usize,
    /// Sign the candidate's manifest with this key when the verdict passes.
    #[arg(long)]
    key: Vec<PathBuf>,
    /// Validity of the signed manifest: a duration (90d) or an RFC 3339 time.
    #[arg(long, default_value = "90d")]
    expires: String,
    /// Append a `governance.review` record to this audit log.
    #[arg(long)]
    audit: Option<PathBuf>,
    /// Bootstrap resamples B of ĉ.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(20..=100_000))]
    resamples: u64,
    /// Bootstrap seed (a fixed seed gives the same ĉ every time).
    #[arg(long, default_value_t = 0x00ca_11b0)]
    seed: u64,
    /// K of AECE, ĉ and τ: a number, or `cube-root`.
    #[arg(long, default_value = "15", value_parser = crate::fit::parse_bins)]
    bins: KPolicy,
    /// Fresh rows a class needs to be re-fitted (experiments only below 10 000).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(2..))]
    min_class_samples: u64,
    /// A τ above this is a breach.
    #[arg(long, default_value_t = 0.1)]
    max_tau: f64,
    /// Share of queries held out for the gates, in percent.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=99))]
    holdout_percent: u32,
    /// Gate thresholds (TOML), as for `calib gate`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The review's time (RFC 3339) [default: the system clock].
    #[arg(long)]
    now: Option<String>,
    /// Print the compliance report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct InputInfo {
    path: String,
    sha256: Sha256Digest,
    rows: u64,
    fit_rows: u64,
    holdout_rows: u64,
}

#[derive(Serialize)]
struct CurrentInfo {
    manifest: String,
    manifest_sha256: Sha256Digest,
    version: u64,
    expires: String,
    verification: String,
    model: String,
    model_sha256: Sha256Digest,
}

#[derive(Serialize)]
struct FileRef {
    file: &'static str,
    sha256: Sha256Digest,
}

/// `compliance.json`.
#[derive(Serialize)]
struct Compliance<'a> {
    report_version: u32,
    created: String,
    verdict: &'static str,
    input: InputInfo,
    current: CurrentInfo,
    candidate: FileRef,
    candidate_model_sha256: Sha256Digest,
    gate_report: FileRef,
    gate_verdict: &'static str,
    core_fingerprint: Sha256Digest,
    settings: &'a GovernanceConfig,
    groups: &'a [GroupReview],
    findings: Vec<Finding>,
    signed_manifest: Option<FileRef>,
}

/// Verifies the current manifest's signatures when keys are given; which
/// refusals are findings rather than errors is the core's
/// (`CurrentVerification::judge`).
fn verification(bytes: &[u8], a: &GovernanceArgs, now: OffsetDateTime) -> Result<CurrentVerification, CliError> {
    if a.pubkey.is_empty() {
        return Ok(CurrentVerification::Skipped);
    }
    let keys: Vec<_> = a.pubkey.iter().map(|k| keys::load_public(k)).collect::<Result<_, _>>()?;
    let policy = TrustPolicy::new(keys, a.threshold).map_err(|e| CliError::Usage(e.to_string()))?;
    CurrentVerification::judge(manifest::verify_manifest(bytes, &policy, now))
        .map_err(|e| CliError::file(&a.current, format!("does not verify: {e}")))
}

/// How the verification reads in the report.
fn verification_text(v: &CurrentVerification) -> String {
    match v {
        CurrentVerification::Skipped => "not verified (no --pubkey)".into(),
        CurrentVerification::Verified => "verified".into(),
        CurrentVerification::Flawed(e) => format!("signatures verified; {e}"),
    }
}

pub fn run(a: GovernanceArgs) -> Result<u8, CliError> {
    let now = match &a.now {
        Some(t) => OffsetDateTime::parse(t, &Rfc3339)
            .map_err(|e| CliError::Usage(format!("--now {t:?} is not an RFC 3339 time: {e}")))?,
        None => OffsetDateTime::now_utc(),
    };
    if !(a.max_tau.is_finite() && a.max_tau >= 0.0) {
        return Err(CliError::Usage(format!("--max-tau {} must be a finite number ≥ 0", a.max_tau)));
    }
    let gates = match &a.config {
        Some(p) => crate::gate::load_config(p)?,
        None => GateConfig::default(),
    };
    let cfg = GovernanceConfig {
        resamples: a.resamples as usize,
        seed: a.seed,
        bins: a.bins,
        min_class_samples: a.min_class_samples as usize,
        max_allowed_tau: a.max_tau,
        holdout_percent: a.holdout_percent,
        gates,
    };

    // The current manifest and the model it vouches for.
    let envelope = io::read_manifest(&a.current)?;
    let m = manifest::inspect(&envelope).map_err(|e| CliError::file(&a.current, e))?;
    let st = m.statement.map_err(|e| CliError::file(&a.current, format!("not a calib manifest: {e}")))?;
    let model_path = a.current_model.clone().unwrap_or_else(|| a.current.with_file_name("model.json"));
    let current: Model = crate::load_model(&model_path)?;
    let current_digest = model_digest(&current);
    if !st.vouches_for(&current) {
        return Err(CliError::file(
            &model_path,
            format!(
                "is model {current_digest}, not the model {} that {} vouches for",
                st.model_sha256().unwrap_or("(none)"),
                a.current.display()
            ),
        ));
    }
    let verified = verification(&envelope, &a, now)?;

    let cols = io::read_columns(&a.input, Wanted { label: true, query_id: true })?;
    let input_bytes = io::input_bytes(&cols)?;
    let fresh = Fresh {
        query_ids: cols.query_id.as_deref().expect("query_id column was required"),
        scores: &cols.score,
        labels: cols.label.as_deref().expect("label column was required"),
        classes: cols.class.as_deref(),
    };

    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} resamples ({elapsed})")
            .expect("static template")
            .progress_chars("=> "),
    );
    let mut resamples = 0u64;
    let mut on_progress = |p: Progress<'_>| match p {
        Progress::Bootstrap { class, index, groups, resamples: b } => {
            bar.set_length((groups * b) as u64);
            bar.set_message(format!("bootstrapping ĉ of {} ({}/{groups})", class.unwrap_or("(global)"), index + 1));
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            resamples = b as u64;
        }
        Progress::BootstrapDone => bar.inc(resamples),
        Progress::Gates => bar.set_message("gates of the candidate against the current model"),
    };
    let c = &st.predicate.parameters.c_hat;
    let previous = RecordedCHat { overall: c.overall, classes: c.classes.clone() };
    let review = governance::review(&current, &fresh, &previous, &cfg, &mut on_progress)
        .map_err(|e| cols.locate(&e, "score"))?;
    bar.finish_and_clear();

    std::fs::create_dir_all(&a.out).map_err(|e| CliError::file(&a.out, format!("cannot create directory: {e}")))?;
    let write = |name: &str, bytes: &[u8]| io::write_atomic(&a.out.join(name), |w| w.write_all(bytes));
    let candidate_json = review.candidate.to_json_pretty();
    write("candidate.json", candidate_json.as_bytes())?;
    let gate_json = serde_json::to_string_pretty(&review.gate_report).expect("a gate report serialises") + "\n";
    write("gate_report.json", gate_json.as_bytes())?;

    let mut findings = review.findings(&verified, &cfg);
    let mut signed = None;
    if !a.key.is_empty() {
        match review.signing(&st, m.digest).map_err(|e| CliError::Usage(e.to_string()))? {
            Signing::Sign(successor) => {
                let keys: Vec<_> = a.key.iter().map(|k| keys::load_secret(k)).collect::<Result<_, _>>()?;
                let expires = manifest::parse_expires(&a.expires, now).map_err(|e| CliError::Usage(e.to_string()))?;
                let bad = |e: manifest::ManifestError| CliError::Usage(e.to_string());
                let statement =
                    manifest::build_statement(&successor.spec(&review.candidate, &review.gate_report, now, expires))
                        .map_err(bad)?;
                let env = manifest::sign(&statement, &keys.iter().collect::<Vec<_>>()).map_err(bad)?;
                write("manifest.json", &env)?;
                signed = Some(FileRef { file: "manifest.json", sha256: Sha256Digest::of(&env) });
            }
            Signing::Withhold(why) => findings.push(why),
        }
    }

    let compliance = Compliance {
        report_version: governance::REVIEW_VERSION,
        created: manifest::format_time(now),
        verdict: review.verdict.name(),
        input: InputInfo {
            path: a.input.display().to_string(),
            sha256: Sha256Digest::of(&input_bytes),
            rows: review.rows,
            fit_rows: review.fit_rows,
            holdout_rows: review.holdout_rows,
        },
        current: CurrentInfo {
            manifest: a.current.display().to_string(),
            manifest_sha256: m.digest,
            version: st.predicate.version,
            expires: st.predicate.expires.clone(),
            verification: verification_text(&verified),
            model: model_path.display().to_string(),
            model_sha256: current_digest,
        },
        candidate: FileRef { file: "candidate.json", sha256: Sha256Digest::of(candidate_json.as_bytes()) },
        candidate_model_sha256: model_digest(&review.candidate),
        gate_report: FileRef { file: "gate_report.json", sha256: Sha256Digest::of(gate_json.as_bytes()) },
        gate_verdict: review.gate_report.verdict.name(),
        core_fingerprint: core_fingerprint(),
        settings: &cfg,
        groups: &review.groups,
        findings,
        signed_manifest: signed,
    };
    let cjson = serde_json::to_string_pretty(&compliance).expect("a compliance report serialises") + "\n";
    write("compliance.json", cjson.as_bytes())?;
    write("compliance.md", markdown(&compliance).as_bytes())?;

    if let Some(log) = &a.audit {
        let data = json!({
            "verdict": compliance.verdict,
            "compliance_sha256": Sha256Digest::of(cjson.as_bytes()),
            "candidate_model_sha256": compliance.candidate_model_sha256,
            "gate_report_sha256": compliance.gate_report.sha256,
            "current_manifest_sha256": m.digest,
            "input_sha256": compliance.input.sha256,
            "signed_manifest_sha256": compliance.signed_manifest.as_ref().map(|f| f.sha256),
        });
        audit::append_at(log, "governance.review", data, now.into()).map_err(|e| CliError::file(log, e))?;
    }

    if a.json {
        outln!("{}", cjson.trim_end());
    } else {
        print_table(&compliance, &a.out);
    }
    Ok(crate::gate::exit_code(review.verdict))
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".to_string(), |v| format!("{v:.digits$}"))
}

fn status_name(s: GroupStatus) -> &'static str {
    match s {
        GroupStatus::Refit => "refit",
        GroupStatus::TooSmall => "too small: kept, flagged",
        GroupStatus::NoFreshData => "no fresh data: kept, flagged",
        GroupStatus::TauBreach => "τ breach: kept",
    }
}

fn print_table(c: &Compliance<'_>, out: &Path) {
    outln!("governance review of manifest version {} ({})", c.current.version, c.current.verification);
    outln!("fresh: {} rows ({} fit, {} held out)", c.input.rows, c.input.fit_rows, c.input.holdout_rows);
    outln!("{:<20} {:>8} {:<28} {:>8} {:>8} {:>8}", "class", "rows", "status", "c_hat", "tau", "K");
    for g in c.groups {
        outln!(
            "{:<20} {:>8} {:<28} {:>8} {:>8} {:>8}",
            g.name(),
            g.rows,
            status_name(g.status),
            opt(g.c_hat, 4),
            opt(g.tau, 4),
            g.bins.map_or("–".to_string(), |k| k.to_string())
        );
    }
    outln!("gates: {}", c.gate_verdict);
    for f in &c.findings {
        outln!("  finding: {f}");
    }
    outln!("verdict: {}", c.verdict);
    outln!("wrote {}", out.display());
}

/// Escapes a table cell: pipes would end it, newlines would end the row.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn markdown(c: &Compliance<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Calibration governance review\n");
    let _ = writeln!(s, "**Verdict: {}** (gates: {})\n", c.verdict, c.gate_verdict);
    let _ = writeln!(s, "| | |\n|---|---|");
    let rows = [
        ("created", c.created.clone()),
        ("fresh input", format!("`{}` (sha256 `{}`)", cell(&c.input.path), c.input.sha256)),
        ("rows", format!("{} ({} fit, {} held out)", c.input.rows, c.input.fit_rows, c.input.holdout_rows)),
        (
            "current manifest",
            format!("`{}` version {} (`{}`)", cell(&c.current.manifest), c.current.version, c.current.manifest_sha256),
        ),
        ("verification", cell(&c.current.verification)),
        ("current model", format!("`{}`", c.current.model_sha256)),
        ("candidate model", format!("`{}` (`{}`)", c.candidate.file, c.candidate_model_sha256)),
        ("gate report", format!("`{}` (sha256 `{}`)", c.gate_report.file, c.gate_report.sha256)),
        ("core fingerprint", format!("`{}`", c.core_fingerprint)),
        (
            "settings",
            format!(
                "B = {}, seed {}, K {:?}, min class samples {}, max τ {}, {} % of queries held out",
                c.settings.resamples,
                c.settings.seed,
                c.settings.bins,
                c.settings.min_class_samples,
                c.settings.max_allowed_tau,
                c.settings.holdout_percent
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(s, "| {k} | {v} |");
    }
    if let Some(m) = &c.signed_manifest {
        let _ = writeln!(s, "| signed manifest | `{}` (sha256 `{}`) |", m.file, m.sha256);
    }
    let _ = writeln!(s, "\n## Classes\n");
    let _ = writeln!(
        s,
        "| class | rows | status | ĉ (new) | ĉ (recorded) | τ | K | AECE current | AECE candidate | map |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---|"
    );
    for g in c.groups {
        let source = match g.candidate_source {
            governance::MapSource::Refit => "re-fitted",
            governance::MapSource::Previous => "previous",
            governance::MapSource::Global => "global",
        };
        let _ = writeln!(
            s,
            "| {} | {} | {}{} | {} | {} | {} | {} | {} | {} | {} |",
            cell(g.name()),
            g.rows,
            status_name(g.status),
            if g.flagged { " ⚑" } else { "" },
            opt(g.c_hat, 4),
            opt(g.previous_c_hat, 4),
            opt(g.tau, 4),
            g.bins.map_or("–".to_string(), |k| k.to_string()),
            opt(g.aece_current, 5),
            opt(g.aece_candidate, 5),
            source
        );
    }
    let _ = writeln!(s, "\n## Findings\n");
    if c.findings.is_empty() {
        let _ = writeln!(s, "None.");
    }
    for f in &c.findings {
        let _ = writeln!(s, "- {}", f.to_string().replace('\n', " "));
    }
    s
}
