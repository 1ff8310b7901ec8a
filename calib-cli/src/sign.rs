//! `calib sign`: a signed manifest for a model.

use crate::io::{self, CliError};
use crate::keys;
use calib_core::audit::ManifestEvent;
use calib_core::gate::GateReport;
use calib_core::manifest::{self, ManifestSpec};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct SignArgs {
    /// The model the manifest vouches for.
    #[arg(long)]
    model: PathBuf,
    /// Secret key file (repeat for several signers).
    #[arg(long, required = true)]
    key: Vec<PathBuf>,
    /// The shipped calib-wasm module, recorded as a second subject.
    #[arg(long)]
    wasm: Option<PathBuf>,
    /// Gate report from `calib gate --out`; it must pass and be about this model.
    #[arg(long)]
    gate_report: Option<PathBuf>,
    /// Release number (default: the parent's + 1, or 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    version: Option<u64>,
    /// Validity: a duration (90d, 12h, 30m, 2w) or an RFC 3339 time.
    #[arg(long, default_value = "90d")]
    expires: String,
    /// The manifest this one replaces (its digest becomes `parent`).
    #[arg(long)]
    parent: Option<PathBuf>,
    /// Output manifest (a DSSE envelope, JSON).
    #[arg(long)]
    out: PathBuf,
    /// Append a `manifest.signed` event to this audit log.
    #[arg(long)]
    audit: Option<PathBuf>,
}

pub fn run(a: SignArgs) -> Result<u8, CliError> {
    let model = crate::load_model(&a.model)?;
    let keys: Vec<_> = a.key.iter().map(|k| keys::load_secret(k)).collect::<Result<_, _>>()?;
    let wasm = a.wasm.as_deref().map(|p| io::read_artifact(p, "wasm module")).transpose()?;
    let report: Option<GateReport> = match &a.gate_report {
        None => None,
        Some(p) => Some(
            serde_json::from_slice(&keys::read_bytes(p)?)
                .map_err(|e| CliError::file(p, format!("not a gate report: {e}")))?,
        ),
    };
    let (parent, parent_version) = match &a.parent {
        None => (None, None),
        Some(p) => {
            // Read, not verified: verify the parent with `calib verify` first.
            let m = manifest::inspect(&io::read_manifest(p)?).map_err(|e| CliError::file(p, e))?;
            let st = m.statement.map_err(|e| CliError::file(p, format!("not a calib manifest: {e}")))?;
            (Some(m.digest), Some(st.predicate.version))
        }
    };
    let bad = |e: manifest::ManifestError| CliError::Usage(e.to_string());
    let version = manifest::next_version(a.version, parent_version).map_err(bad)?;
    let now = time::OffsetDateTime::now_utc();
    let expires = manifest::parse_expires(&a.expires, now).map_err(|e| CliError::Usage(e.to_string()))?;
    let spec = ManifestSpec {
        model: &model,
        wasm: wasm.as_deref(),
        gate_report: report.as_ref(),
        version,
        created: now,
        expires,
        parent,
    };
    let statement = manifest::build_statement(&spec).map_err(bad)?;
    let envelope = manifest::sign(&statement, &keys.iter().collect::<Vec<_>>()).map_err(bad)?;
    io::write_atomic(&a.out, |w| w.write_all(&envelope))?;
    let keyids: Vec<String> = keys.iter().map(|k| k.public_key().key_id().to_hex()).collect();
    let model_digest = &statement.subject[0].digest["sha256"];
    let mut data = crate::audit::manifest_data(&a.out, &envelope);
    data["model_sha256"] = json!(model_digest);
    data["keyids"] = json!(keyids);
    data["expires"] = json!(statement.predicate.expires);
    crate::audit::record(a.audit.as_deref(), ManifestEvent::Signed, data)?;
    outln!("signed manifest version {version} for model {model_digest}");
    outln!("  expires {}", statement.predicate.expires);
    outln!("  keyid(s) {}", keyids.join(", "));
    if report.is_none() {
        outln!("  no gate report: loaders refuse it unless told to accept manifests without gates");
    }
    outln!("  written to {}", a.out.display());
    Ok(0)
}
