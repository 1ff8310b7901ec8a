//! `calib verify`: check a manifest the way the serving loader does.
//!
//! Exit 0: verified (and the trust state advanced, when given). Exit 1:
//! rejected; stderr says why, with a stable code (`bad_signature`,
//! `unknown_key`, `expired`, `rollback`, …). Exit 2: unreadable files or
//! bad arguments.
//!
//! Without `--model` only the manifest is checked (signatures, type,
//! schema, core fingerprint, expiry, gate report, version); with it, the
//! model's canonical digest is checked against the model subject too —
//! exactly `Calibrator::from_manifest`. A missing trust-state file is a
//! fresh state (no version trusted yet); it is written only on success.

use crate::io::{self, CliError};
use crate::keys;
use calib_core::audit::ManifestEvent;
use calib_core::manifest::{self, Calibrator, ManifestError, TrustPolicy, TrustState, VerifiedManifest};
use clap::Args;
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The manifest (DSSE envelope).
    #[arg(long)]
    manifest: PathBuf,
    /// A trusted public key file (repeat for several).
    #[arg(long, required = true)]
    pubkey: Vec<PathBuf>,
    /// Distinct trusted keys that must have signed.
    #[arg(long, default_value_t = 1)]
    threshold: usize,
    /// The model file; checked against the manifest's model subject.
    #[arg(long)]
    model: Option<PathBuf>,
    /// The calib-wasm module; checked against the manifest's wasm subject.
    #[arg(long)]
    wasm: Option<PathBuf>,
    /// Trust state (JSON): refuses versions below the last trusted one.
    #[arg(long)]
    trust_state: Option<PathBuf>,
    /// Accept a manifest that records no gate report.
    #[arg(long)]
    allow_no_gates: bool,
    /// Append a `manifest.verified` or `manifest.rejected` event to this log.
    #[arg(long)]
    audit: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

fn load_state(path: &Path) -> Result<TrustState, CliError> {
    match std::fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TrustState::default()),
        Err(e) => Err(CliError::file(path, format!("cannot read: {e}"))),
        Ok(text) => TrustState::from_json(&text).map_err(|e| CliError::file(path, e)),
    }
}

pub fn run(a: VerifyArgs) -> Result<u8, CliError> {
    let envelope = io::read_manifest(&a.manifest)?;
    let keys: Vec<_> = a.pubkey.iter().map(|k| keys::load_public(k)).collect::<Result<_, _>>()?;
    let mut policy = TrustPolicy::new(keys, a.threshold).map_err(|e| CliError::Usage(e.to_string()))?;
    policy.require_gate_report = !a.allow_no_gates;
    let model = a.model.as_deref().map(|p| io::read_artifact(p, "model")).transpose()?;
    let wasm = a.wasm.as_deref().map(|p| io::read_artifact(p, "wasm module")).transpose()?;
    let mut state = match &a.trust_state {
        Some(p) => load_state(p)?,
        None => TrustState::default(),
    };
    let now = time::OffsetDateTime::now_utc();
    let outcome = (|| -> Result<VerifiedManifest, ManifestError> {
        let m = match &model {
            Some(bytes) => Calibrator::from_manifest_at(&envelope, bytes, &policy, &mut state, now)?.manifest().clone(),
            None => {
                let m = manifest::verify_manifest(&envelope, &policy, now)?;
                state.check(&m)?;
                state.accept(&m);
                m
            }
        };
        if let Some(w) = &wasm {
            m.check_wasm(w)?;
        }
        Ok(m)
    })();
    let mut data = crate::audit::manifest_data(&a.manifest, &envelope);
    match outcome {
        Ok(m) => {
            if let Some(p) = &a.trust_state {
                let text = state.to_json();
                io::write_atomic(p, |w| w.write_all(text.as_bytes()).and_then(|_| w.write_all(b"\n")))?;
            }
            data["model_checked"] = json!(model.is_some());
            data["signers"] = json!(m.signers());
            crate::audit::record(a.audit.as_deref(), ManifestEvent::Verified, data)?;
            if a.json {
                let out = json!({
                    "ok": true, "version": m.version(), "manifest_sha256": m.digest(),
                    "model_sha256": m.model_digest(), "model_checked": model.is_some(),
                    "signers": m.signers(), "expires": m.statement().predicate.expires,
                });
                outln!("{out}");
            } else {
                outln!("verified: manifest version {} ({})", m.version(), m.digest());
                outln!("  signed by {}", m.signers().iter().map(|s| s.to_hex()).collect::<Vec<_>>().join(", "));
                match model {
                    Some(_) => outln!("  model {} matches its subject", m.model_digest()),
                    None => outln!("  model {} not checked (no --model)", m.model_digest()),
                }
                outln!("  expires {}", m.statement().predicate.expires);
            }
            Ok(0)
        }
        Err(e) => {
            data["code"] = json!(e.code());
            data["reason"] = json!(e.message());
            crate::audit::record(a.audit.as_deref(), ManifestEvent::Rejected, data)?;
            if a.json {
                outln!("{}", json!({ "ok": false, "code": e.code(), "reason": e.message() }));
            }
            eprintln!("calib: rejected: {} ({})", e.message(), e.code());
            Ok(1)
        }
    }
}
