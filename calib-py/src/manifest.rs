//! Signed manifests: calib-core's `manifest` module (keys, trust policy,
//! trust state, verification and the verified loader) for Python.
//!
//! Verification happens entirely in the core, in DSSE's order (signatures
//! over the exact bytes before anything is parsed); a refusal becomes
//! `calib.ManifestError` with the core's manifest code (`"bad_signature"`,
//! `"expired"`, `"rollback"`, …).

use crate::errors::{type_error, value_error};
use crate::model::PyModel;
use calib_core::manifest::{
    self, Calibrator, ManifestError, ManifestSpec, PublicKey, SecretKey, TrustPolicy, TrustState, VerifiedManifest,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyString, PyType};
use std::path::PathBuf;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

static MANIFEST_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A core manifest error as `calib.ManifestError`.
fn manifest_error(py: Python<'_>, e: &ManifestError) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let cls = MANIFEST_ERROR.import(py, "calib._errors", "ManifestError")?;
        let err = cls.call1((e.to_string(), e.code(), "manifest", None::<usize>, None::<f64>))?;
        Ok(PyErr::from_value(err))
    };
    build().unwrap_or_else(|failure| failure)
}

fn check<T>(py: Python<'_>, r: Result<T, ManifestError>) -> PyResult<T> {
    r.map_err(|e| manifest_error(py, &e))
}

/// Bytes from `bytes`/`bytearray`/`memoryview`, or a `str`'s UTF-8.
fn bytes_of(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    obj.extract::<Vec<u8>>().map_err(|_| type_error(format!("{what} must be bytes or str")))
}

fn seed(obj: &Bound<'_, PyAny>) -> PyResult<[u8; 32]> {
    let v = bytes_of(obj, "seed")?;
    <[u8; 32]>::try_from(v.as_slice()).map_err(|_| value_error(format!("seed must be 32 bytes, got {}", v.len())))
}

/// `None` for now, or an RFC 3339 time (`"2026-05-01T00:00:00Z"`).
fn time_of(now: Option<&str>) -> PyResult<OffsetDateTime> {
    match now {
        None => Ok(OffsetDateTime::now_utc()),
        Some(t) => OffsetDateTime::parse(t, &Rfc3339)
            .map_err(|e| value_error(format!("now must be an RFC 3339 time such as 2026-05-01T00:00:00Z: {e}"))),
    }
}

/// An Ed25519 public key that verifies manifests.
#[pyclass(module = "calib", name = "PublicKey", frozen)]
pub struct PyPublicKey {
    inner: PublicKey,
}

#[pymethods]
impl PyPublicKey {
    /// Parses a public key file (as `calib keygen` writes it).
    #[staticmethod]
    fn from_file_text(py: Python<'_>, text: &str) -> PyResult<Self> {
        Ok(PyPublicKey { inner: check(py, PublicKey::from_file_text(text))? })
    }

    /// Reads a public key file.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        Self::from_file_text(py, &std::fs::read_to_string(path)?)
    }

    /// A key from its 32 raw bytes.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, raw: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PyPublicKey { inner: check(py, PublicKey::from_bytes(&seed(raw)?))? })
    }

    /// The 32 raw bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// The public key file (JSON).
    fn to_file_text(&self) -> String {
        self.inner.to_file_text()
    }

    /// The key id: hex SHA-256 of the raw key (a hint, never a proof).
    #[getter]
    fn key_id(&self) -> String {
        self.inner.key_id().to_hex()
    }

    fn __repr__(&self) -> String {
        format!("PublicKey(key_id='{}')", self.inner.key_id().to_hex())
    }
}

/// An Ed25519 secret key that signs manifests (wiped from memory when freed).
#[pyclass(module = "calib", name = "SecretKey", frozen)]
pub struct PySecretKey {
    inner: SecretKey,
}

#[pymethods]
impl PySecretKey {
    /// A new key from the operating system's random source.
    #[staticmethod]
    fn generate(py: Python<'_>) -> PyResult<Self> {
        Ok(PySecretKey { inner: check(py, SecretKey::generate())? })
    }

    /// The key of a 32-byte seed (tests and reproducible fixtures only).
    #[staticmethod]
    fn from_seed(seed_bytes: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PySecretKey { inner: SecretKey::from_seed(&seed(seed_bytes)?) })
    }

    /// Parses a secret key file (as `calib keygen` writes it).
    #[staticmethod]
    fn from_file_text(py: Python<'_>, text: &str) -> PyResult<Self> {
        Ok(PySecretKey { inner: check(py, SecretKey::from_file_text(text))? })
    }

    /// Reads a secret key file.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        Self::from_file_text(py, &std::fs::read_to_string(path)?)
    }

    /// The secret key file (JSON); store it readable by its owner only.
    fn to_file_text(&self) -> String {
        self.inner.to_file_text()
    }

    /// Its public key.
    fn public_key(&self) -> PyPublicKey {
        PyPublicKey { inner: self.inner.public_key() }
    }

    fn __repr__(&self) -> String {
        format!("SecretKey(public key_id='{}')", self.inner.public_key().key_id().to_hex())
    }
}

/// Which keys a loader trusts, and how many of them must sign.
///
/// `require_gate_report` (default `True`) refuses manifests without a
/// passing gate report for the model they name.
#[pyclass(module = "calib", name = "TrustPolicy", frozen)]
pub struct PyTrustPolicy {
    inner: TrustPolicy,
}

#[pymethods]
impl PyTrustPolicy {
    #[new]
    #[pyo3(signature = (keys, threshold = 1, require_gate_report = true))]
    fn new(
        py: Python<'_>,
        keys: Vec<PyRef<'_, PyPublicKey>>,
        threshold: usize,
        require_gate_report: bool,
    ) -> PyResult<Self> {
        let keys = keys.iter().map(|k| k.inner.clone()).collect();
        let mut inner = check(py, TrustPolicy::new(keys, threshold))?;
        inner.require_gate_report = require_gate_report;
        Ok(PyTrustPolicy { inner })
    }

    /// Distinct trusted keys that must sign.
    #[getter]
    fn threshold(&self) -> usize {
        self.inner.threshold()
    }

    /// Whether a passing gate report is required.
    #[getter]
    fn require_gate_report(&self) -> bool {
        self.inner.require_gate_report
    }

    /// The trusted keys' ids.
    #[getter]
    fn key_ids(&self) -> Vec<String> {
        self.inner.keys().iter().map(|k| k.key_id().to_hex()).collect()
    }
}

/// The loader's memory between loads: the last trusted version and the
/// manifest that carried it. Persist it (`to_json`/`save`) between runs, or
/// rollbacks cannot be detected.
#[pyclass(module = "calib", name = "TrustState")]
pub struct PyTrustState {
    inner: TrustState,
}

#[pymethods]
impl PyTrustState {
    /// A fresh state (no version trusted yet).
    #[new]
    fn new() -> Self {
        PyTrustState { inner: TrustState::default() }
    }

    /// Parses the JSON form.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        Ok(PyTrustState { inner: check(py, TrustState::from_json(text))? })
    }

    /// Reads a state file (a fresh state if it does not exist yet).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_json(py, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// The JSON form.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Writes the JSON form to `path`.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        Ok(std::fs::write(path, self.inner.to_json())?)
    }

    /// The highest version trusted so far (0: none).
    #[getter]
    fn version(&self) -> u64 {
        self.inner.version
    }

    /// The digest of the manifest that carried it, or `None`.
    #[getter]
    fn manifest_sha256(&self) -> Option<String> {
        self.inner.manifest_sha256.map(|d| d.to_hex())
    }
}

/// A manifest whose signatures, type, schema, core fingerprint, expiry and
/// gate report were checked by calib's core.
#[pyclass(module = "calib", name = "VerifiedManifest", frozen)]
pub struct PyVerifiedManifest {
    inner: VerifiedManifest,
}

#[pymethods]
impl PyVerifiedManifest {
    /// The release number.
    #[getter]
    fn version(&self) -> u64 {
        self.inner.version()
    }

    /// The expiry time (RFC 3339).
    #[getter]
    fn expires(&self) -> String {
        manifest::format_time(self.inner.expires())
    }

    /// The manifest's digest (hex SHA-256 of its signed payload).
    #[getter]
    fn digest(&self) -> String {
        self.inner.digest().to_hex()
    }

    /// The digest of the model it names (hex SHA-256 of canonical bytes).
    #[getter]
    fn model_digest(&self) -> String {
        self.inner.model_digest().to_hex()
    }

    /// The digest of the WASM module it names, or `None`.
    #[getter]
    fn wasm_digest(&self) -> Option<String> {
        self.inner.wasm_digest().map(|d| d.to_hex())
    }

    /// Key ids of the trusted keys whose signatures verified.
    #[getter]
    fn signers(&self) -> Vec<String> {
        self.inner.signers().iter().map(|d| d.to_hex()).collect()
    }

    /// The in-toto statement as JSON text.
    fn statement_json(&self) -> PyResult<String> {
        serde_json::to_string(self.inner.statement()).map_err(|e| value_error(format!("{e}")))
    }

    fn __repr__(&self) -> String {
        format!("VerifiedManifest(version={}, digest='{}')", self.inner.version(), self.inner.digest().to_hex())
    }
}

/// Verifies a manifest envelope against `policy` (at `now`, RFC 3339, or
/// the current time): signatures first, then type, schema, core fingerprint,
/// expiry and gate report. Does not look at the model or a trust state.
#[pyfunction]
#[pyo3(signature = (envelope, policy, *, now = None))]
pub(crate) fn verify_manifest(
    py: Python<'_>,
    envelope: &Bound<'_, PyAny>,
    policy: &PyTrustPolicy,
    now: Option<&str>,
) -> PyResult<PyVerifiedManifest> {
    let env = bytes_of(envelope, "envelope")?;
    let now = time_of(now)?;
    Ok(PyVerifiedManifest { inner: check(py, manifest::verify_manifest(&env, &policy.inner, now))? })
}

/// The verified loader: verifies the manifest, checks its version against
/// `state` (rollbacks are refused) and the model bytes against the manifest's
/// subject, and only then advances `state` and returns
/// `(model, verified_manifest)`. On any failure `state` is unchanged and a
/// `calib.ManifestError` says why. Without a `state`, a fresh one is used
/// (so rollbacks cannot be detected).
#[pyfunction]
#[pyo3(signature = (envelope, model, policy, state = None, *, now = None))]
pub(crate) fn load_manifest(
    py: Python<'_>,
    envelope: &Bound<'_, PyAny>,
    model: &Bound<'_, PyAny>,
    policy: &PyTrustPolicy,
    state: Option<&Bound<'_, PyTrustState>>,
    now: Option<&str>,
) -> PyResult<(PyModel, PyVerifiedManifest)> {
    let env = bytes_of(envelope, "envelope")?;
    let model_bytes = bytes_of(model, "model")?;
    let now = time_of(now)?;
    let mut fresh = TrustState::default();
    // `try_borrow_mut`: a state in use elsewhere is an error, never a panic.
    let mut guard = state.map(|s| s.try_borrow_mut()).transpose()?;
    let st = match guard.as_mut() {
        Some(g) => &mut g.inner,
        None => &mut fresh,
    };
    let cal = check(py, Calibrator::from_manifest_at(&env, &model_bytes, &policy.inner, st, now))?;
    Ok((PyModel { inner: cal.model().clone() }, PyVerifiedManifest { inner: cal.manifest().clone() }))
}

/// Signs a manifest for `model` with one or more secret keys and returns the
/// envelope's bytes.
///
/// The manifest carries no gate report, so it loads only under a policy with
/// `require_gate_report=False`: for development and tests. Release
/// manifests come from `calib gate` and `calib sign`, which record the gates
/// the model passed. `expires` is a duration (`"90d"`, `"12h"`) or an
/// RFC 3339 time; `parent` the digest of the manifest this one replaces.
#[pyfunction]
#[pyo3(signature = (model, keys, *, version, expires = "90d", parent = None, wasm = None, now = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn sign_manifest<'py>(
    py: Python<'py>,
    model: &PyModel,
    keys: Vec<PyRef<'py, PySecretKey>>,
    version: u64,
    expires: &str,
    parent: Option<&str>,
    wasm: Option<&Bound<'py, PyAny>>,
    now: Option<&str>,
) -> PyResult<Bound<'py, PyBytes>> {
    let created = time_of(now)?;
    let expires = check(py, manifest::parse_expires(expires, created))?;
    let parent = match parent {
        None => None,
        Some(h) => Some(
            calib_core::canonical::Sha256Digest::from_hex(h)
                .ok_or_else(|| value_error(format!("parent must be 64 hex digits, got {h:?}")))?,
        ),
    };
    let wasm = wasm.map(|w| bytes_of(w, "wasm")).transpose()?;
    let spec = ManifestSpec {
        model: &model.inner,
        wasm: wasm.as_deref(),
        gate_report: None,
        version,
        created,
        expires,
        parent,
    };
    let statement = check(py, manifest::build_statement(&spec))?;
    let secret: Vec<&SecretKey> = keys.iter().map(|k| &k.inner).collect();
    let envelope = check(py, manifest::sign(&statement, &secret))?;
    Ok(PyBytes::new(py, &envelope))
}
