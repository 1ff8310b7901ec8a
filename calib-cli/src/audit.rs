//! `calib audit verify|append`, and the audit records `sign` and `verify`
//! append with `--audit LOG`.
//!
//! `audit verify` exits 0 when the chain is intact, 1 when a line was
//! edited, removed or reordered, or a rollout record names another config
//! than its rollout's (each such line is named), 2 when the log cannot be
//! read.

use crate::io::CliError;
use calib_core::audit::{self, ManifestEvent};
use calib_core::canonical::Sha256Digest;
use calib_core::rollout::store::DecisionLog;
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Check the hash chain; name every edited, removed or reordered line.
    Verify {
        /// The JSON-lines audit log.
        log: PathBuf,
        /// The head hash you kept from an earlier check: also catches lines
        /// cut off at the end.
        #[arg(long)]
        head: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Append one event (e.g. `manifest.published`).
    Append {
        /// The JSON-lines audit log (created if missing).
        log: PathBuf,
        /// Event kind, `[a-z0-9._-]`, e.g. manifest.published.
        #[arg(long)]
        kind: String,
        /// A manifest the event is about: its digest and version are recorded.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Extra event data: a JSON object.
        #[arg(long)]
        data: Option<String>,
    },
}

/// Appends a manifest event to `log` when one was given.
pub fn record(log: Option<&Path>, event: ManifestEvent, data: Value) -> Result<(), CliError> {
    let Some(log) = log else { return Ok(()) };
    audit::append(log, event.kind(), data).map_err(|e| CliError::file(log, e))?;
    Ok(())
}

/// What an event records about a manifest (read without verification:
/// the event says which bytes it was about, not that they are good).
pub fn manifest_data(path: &Path, bytes: &[u8]) -> Value {
    let mut data = json!({ "manifest": path.display().to_string(), "envelope_sha256": Sha256Digest::of(bytes) });
    if let Ok(m) = calib_core::manifest::inspect(bytes) {
        data["manifest_sha256"] = json!(m.digest);
        if let Ok(st) = &m.statement {
            data["version"] = json!(st.predicate.version);
        }
    }
    data
}

pub fn run(a: AuditArgs) -> Result<u8, CliError> {
    match a.command {
        AuditCommand::Verify { log, head, json } => verify(&log, head.as_deref(), json),
        AuditCommand::Append { log, kind, manifest, data } => {
            let mut value = match data {
                None => json!({}),
                Some(text) => match serde_json::from_str::<Value>(&text) {
                    Ok(v @ Value::Object(_)) => v,
                    Ok(_) => return Err(CliError::Usage(format!("--data {text:?} is not a JSON object"))),
                    Err(e) => return Err(CliError::Usage(format!("--data {text:?} is not valid JSON: {e}"))),
                },
            };
            if let Some(m) = &manifest {
                let bytes = crate::io::read_manifest(m)?;
                if let Value::Object(extra) = manifest_data(m, &bytes) {
                    value.as_object_mut().expect("an object").extend(extra);
                }
            }
            let r = audit::append(&log, &kind, value).map_err(|e| CliError::file(&log, e))?;
            outln!("appended {} as record {} (hash {})", r.kind, r.seq, r.hash);
            Ok(0)
        }
    }
}

fn verify(log: &Path, head: Option<&str>, as_json: bool) -> Result<u8, CliError> {
    let expected = match head {
        None => None,
        Some(h) => Some(
            Sha256Digest::from_hex(h).ok_or_else(|| CliError::Usage(format!("--head {h:?} is not 64 hex digits")))?,
        ),
    };
    let check = audit::verify_file(log).map_err(|e| CliError::file(log, e))?;
    let mut problems: Vec<String> = check.problems.iter().map(|p| p.to_string()).collect();
    // Rollout records must name their rollout's config; the core checks the
    // log it could open (a damaged chain is reported above).
    if let Ok(decisions) = DecisionLog::open(log) {
        problems.extend(decisions.config_problems().iter().map(|p| p.message().to_string()));
    }
    if let Some(h) = expected
        && h != check.head
    {
        problems.push(format!(
            "the chain ends at {} but the kept head is {h}: records were cut off at the end or the log was replaced",
            check.head
        ));
    }
    if as_json {
        outln!(
            "{}",
            json!({ "ok": problems.is_empty(), "records": check.records, "head": check.head, "problems": problems })
        );
    } else if problems.is_empty() {
        outln!("audit log intact: {} records, head {}", check.records, check.head);
    } else {
        outln!("audit log {} is damaged ({} problem(s)):", log.display(), problems.len());
        for p in &problems {
            outln!("  {p}");
        }
    }
    Ok(if problems.is_empty() { 0 } else { 1 })
}
