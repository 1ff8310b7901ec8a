//! The workflow's trust steps: the core fingerprint of every runtime it can
//! reach, the legacy check, keys, signing and verifying — all with
//! calib-core's `fingerprint`, `manifest` and `audit`, as `calib keygen`,
//! `sign` and `verify` use them.

use crate::io::{self, CliError};
use calib_core::audit::{self, ManifestEvent};
use calib_core::canonical::Sha256Digest;
use calib_core::fingerprint::core_fingerprint;
use calib_core::gate::GateReport;
use calib_core::governance::Successor;
use calib_core::manifest::{self, Calibrator, ManifestErrorKind, SecretKey, Statement, TrustPolicy, TrustState};
use calib_core::model::Model;
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// One runtime's fingerprint, as its parity output recorded it.
#[derive(Debug, Clone, Serialize)]
pub struct Runtime {
    /// `calib` (this binary's core), or a parity output's runtime: `rust`,
    /// `node`, `python`, `wasm-node`, `wasm-chromium`.
    pub runtime: String,
    /// Where the fingerprint came from.
    pub source: String,
    /// Its binning-core fingerprint.
    pub fingerprint: String,
    /// Whether it is this core's.
    pub matches: bool,
}

/// Where parity outputs (`<target>/parity/<runtime>.json`) may be:
/// `CALIB_PARITY_DIR` when set (and then only there), else the target dir
/// of `CARGO_TARGET_DIR`, of this binary (`<target>/<profile>/calib`), and
/// `./target`.
fn parity_dirs() -> Vec<PathBuf> {
    if let Some(d) = std::env::var_os("CALIB_PARITY_DIR") {
        return vec![PathBuf::from(d)];
    }
    let mut dirs = Vec::new();
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        dirs.push(PathBuf::from(t).join("parity"));
    }
    if let Some(target) = std::env::current_exe().ok().and_then(|e| Some(e.parent()?.parent()?.to_path_buf())) {
        dirs.push(target.join("parity"));
    }
    dirs.push(PathBuf::from("target").join("parity"));
    let mut unique: Vec<PathBuf> = Vec::new();
    for d in dirs {
        let d = std::path::absolute(&d).unwrap_or(d);
        if !unique.contains(&d) {
            unique.push(d);
        }
    }
    unique
}

/// This core's fingerprint, and every runtime's found in the parity
/// outputs of the first parity directory that exists (`None`: none does).
pub fn runtimes() -> (Option<PathBuf>, Vec<Runtime>) {
    runtimes_in(&parity_dirs())
}

fn runtimes_in(dirs: &[PathBuf]) -> (Option<PathBuf>, Vec<Runtime>) {
    let own = core_fingerprint();
    let mut out = vec![Runtime {
        runtime: "calib".into(),
        source: "calib_core::fingerprint::core_fingerprint()".into(),
        fingerprint: own.to_hex(),
        matches: true,
    }];
    let Some(dir) = dirs.iter().find(|d| d.is_dir()).cloned() else { return (None, out) };
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    files.sort();
    for f in files.into_iter().filter(|f| f.extension().is_some_and(|e| e == "json")) {
        let Ok(bytes) = std::fs::read(&f) else { continue };
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else { continue };
        // Runtime outputs name their runtime; the parity report does not.
        let (Some(runtime), Some(fp)) = (v["runtime"].as_str(), v["fingerprint"].as_str()) else { continue };
        out.push(Runtime {
            runtime: runtime.to_string(),
            source: f.display().to_string(),
            fingerprint: fp.to_string(),
            matches: Sha256Digest::from_hex(fp) == Some(own),
        });
    }
    (Some(dir), out)
}

/// A key pair in `dir`: `calib.key` and `calib.pub`, written as
/// `calib keygen --force` writes them.
pub fn keygen(dir: &Path) -> Result<SecretKey, CliError> {
    crate::keys::write_pair(dir, true)
}

/// A signed manifest for `model`: its statement and envelope bytes.
pub struct Signed {
    pub statement: Statement,
    pub envelope: Vec<u8>,
}

/// What a manifest is signed for.
pub struct Release<'a> {
    pub model: &'a Model,
    pub report: &'a GateReport,
    /// Its version and parent (calib-core's succession rule).
    pub successor: Successor,
    pub created: OffsetDateTime,
    pub expires: OffsetDateTime,
}

fn bad(e: manifest::ManifestError) -> CliError {
    CliError::Usage(e.to_string())
}

/// Builds and signs the manifest of a release (refused unless its gate
/// report passed and is about this model, as `calib sign` refuses it).
pub fn sign(r: &Release<'_>, key: &SecretKey) -> Result<Signed, CliError> {
    let spec = r.successor.spec(r.model, r.report, r.created, r.expires);
    let statement = manifest::build_statement(&spec).map_err(bad)?;
    let envelope = manifest::sign(&statement, &[key]).map_err(bad)?;
    Ok(Signed { statement, envelope })
}

/// Re-signs a statement as if for another core (`fingerprint`): the
/// manifest a retired core's release would carry.
pub fn sign_for_core(statement: &Statement, fingerprint: Sha256Digest, key: &SecretKey) -> Result<Vec<u8>, CliError> {
    let mut st = statement.clone();
    st.predicate.core_fingerprint = fingerprint;
    manifest::sign(&st, &[key]).map_err(bad)
}

/// Writes a manifest and appends `manifest.signed` to the audit log.
pub fn record_signed(log: &Path, path: &Path, signed: &Signed) -> Result<(), CliError> {
    io::write_atomic(path, |w| w.write_all(&signed.envelope))?;
    let mut data = crate::audit::manifest_data(path, &signed.envelope);
    data["model_sha256"] = json!(signed.statement.subject[0].digest["sha256"]);
    data["expires"] = json!(signed.statement.predicate.expires);
    append(log, ManifestEvent::Signed.kind(), data)
}

/// Appends one event to the audit log.
pub fn append(log: &Path, kind: &str, data: serde_json::Value) -> Result<(), CliError> {
    audit::append(log, kind, data).map(|_| ()).map_err(|e| CliError::file(log, e))
}

/// Verifies a manifest and its model exactly as the serving loader does,
/// and records the outcome (`manifest.verified` or `manifest.rejected`).
/// `Ok(Err(kind))` is a refusal.
pub fn verify(
    log: &Path,
    manifest_path: &Path,
    model_path: &Path,
    policy: &TrustPolicy,
    state: &mut TrustState,
) -> Result<Result<Calibrator, (ManifestErrorKind, String)>, CliError> {
    let envelope = crate::io::read_manifest(manifest_path)?;
    let model = crate::io::read_artifact(model_path, "model")?;
    let mut data = crate::audit::manifest_data(manifest_path, &envelope);
    match Calibrator::from_manifest(&envelope, &model, policy, state) {
        Ok(c) => {
            data["model_checked"] = json!(true);
            data["signers"] = json!(c.manifest().signers());
            append(log, ManifestEvent::Verified.kind(), data)?;
            Ok(Ok(c))
        }
        Err(e) => {
            data["code"] = json!(e.code());
            data["reason"] = json!(e.message());
            append(log, ManifestEvent::Rejected.kind(), data)?;
            Ok(Err((e.kind(), format!("{} ({})", e.message(), e.code()))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runtime_output_is_read_and_a_foreign_fingerprint_is_flagged() {
        let dir = tempfile::tempdir().unwrap();
        let own = core_fingerprint().to_hex();
        let write = |name: &str, v: serde_json::Value| std::fs::write(dir.path().join(name), v.to_string()).unwrap();
        write("node.json", json!({ "runtime": "node", "fingerprint": own, "apply": {} }));
        write("python.json", json!({ "fingerprint": "ab".repeat(32), "runtime": "python" }));
        // The parity report names no runtime, and a non-JSON file is skipped.
        write("report.json", json!({ "core_fingerprint": own, "runtimes": [] }));
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let missing = dir.path().join("missing");
        let (found, rts) = runtimes_in(&[missing, dir.path().to_path_buf()]);
        assert_eq!(found.as_deref(), Some(dir.path()));
        let got: Vec<(&str, bool)> = rts.iter().map(|r| (r.runtime.as_str(), r.matches)).collect();
        assert_eq!(got, [("calib", true), ("node", true), ("python", false)]);
        assert_eq!(runtimes_in(&[]).1.len(), 1, "without parity outputs only this binary is reached");
    }
}
