//! Signed calibration manifests, and the loader that serves only what they
//! vouch for.
//!
//! A calibrator reaches production only through a manifest that says what
//! it is (the SHA-256 of the model's [canonical bytes](crate::canonical)),
//! which core computes it (the [fingerprint](crate::fingerprint)), which
//! gates it passed (the [gate report](crate::gate::GateReport)) and who
//! signed it. The prior art: DSSE / in-toto (sign the exact bytes, verify
//! before parsing), TUF (versions against rollback, expiry against freeze
//! attacks), minisign (Ed25519, small key ids).
//!
//! # Format
//!
//! A DSSE envelope, written as compact JSON without a trailing newline:
//!
//! ```json
//! {"payloadType":"application/vnd.calib.manifest+json","payload":"<base64>",
//!  "signatures":[{"keyid":"<hex SHA-256 of the public key>","sig":"<base64>"}]}
//! ```
//!
//! Each signature is Ed25519 over the DSSE pre-authentication encoding
//! `"DSSEv1" SP len(type) SP type SP len(payload) SP payload` of the exact
//! payload bytes. The payload is an in-toto Statement v1 in canonical JSON:
//! `subject` names the model (`"model"`, the SHA-256 of its canonical bytes)
//! and, when given, the WASM module (`"wasm"`, the SHA-256 of the file), and
//! the [`Predicate`] carries the schema version, a monotone `version`,
//! `created`/`expires` (RFC 3339), the core fingerprint, the digest of the
//! parent manifest, the parameters (ĉ per class, ε, the K policy, τ) and
//! the gate report.
//!
//! **The model travels beside the manifest**, not inside it: the manifest
//! is small and can be inspected, mirrored and audited without the model,
//! and the subject digest binds the two. Because the digest is over
//! canonical bytes, re-serialising the model (whitespace, key order) does
//! not break it; changing any value does.
//!
//! **A manifest's digest** (the `parent` of its successor, the trust
//! state's record) is the SHA-256 of its payload, the signed bytes — so
//! adding a co-signature does not change which manifest it is.
//!
//! # Verification
//!
//! [`verify_manifest`], in DSSE's order, failing closed with a distinct
//! [`ManifestErrorKind`] for each cause:
//!
//! 1. Parse the envelope (size- and signature-count-limited).
//! 2. Verify signatures over the PAE of the exact bytes **before** the
//!    payload is parsed. A signature's `keyid` is only a hint: it selects
//!    which trusted key to try (all of them when it is empty), it never
//!    makes a key trusted, and a signature whose keyid names another key
//!    does not count. The policy needs `threshold` distinct trusted keys.
//!    No trusted key named → [`UnknownKey`](ManifestErrorKind::UnknownKey);
//!    named but not verifying → [`BadSignature`](ManifestErrorKind::BadSignature);
//!    too few → [`ThresholdNotMet`](ManifestErrorKind::ThresholdNotMet).
//! 3. Refuse any payloadType but calib's, then any statement type,
//!    predicate type or schema version this calib does not know.
//! 4. Refuse a manifest made for another core fingerprint, an expired one,
//!    and (policy permitting) one without a passing gate report for the
//!    model it names.
//!
//! The loader ([`Calibrator::from_manifest`]) then checks the version
//! against the [`TrustState`] (lower than the last trusted version, or the
//! same version with other content, is a rollback), checks the model bytes
//! against the subject digest, and only then advances the trust state and
//! returns a calibrator. It never hands out an unverified model.
//!
//! # Layout
//!
//! One concept per file, all re-exported here: [`ManifestError`] (`error`),
//! keys and key files (`keys`), the DSSE envelope, signing and inspection
//! (`envelope`), the in-toto statement and building it (`statement`),
//! manifest times (`time`), the [`TrustPolicy`] (`policy`), verification
//! (`verify`), the [`TrustState`] (`trust`) and the verified loader
//! (`loader`).

mod envelope;
mod error;
mod keys;
mod loader;
mod policy;
mod statement;
mod time;
mod trust;
mod verify;

pub use self::time::{format_time, parse_expires};
pub use envelope::{
    Envelope, EnvelopeSignature, MAX_ENVELOPE_BYTES, MAX_SIGNATURES, PAYLOAD_TYPE, UnverifiedManifest, add_signature,
    inspect, pae, sign,
};
pub use error::{ManifestError, ManifestErrorKind};
pub use keys::{PublicKey, SecretKey};
pub use loader::Calibrator;
pub use policy::TrustPolicy;
pub use statement::{
    MANIFEST_SCHEMA_VERSION, MODEL_SUBJECT, ManifestSpec, PREDICATE_TYPE, Parameters, PerGroup, Predicate,
    STATEMENT_TYPE, Statement, Subject, WASM_SUBJECT, build_statement, next_version,
};
pub use trust::TrustState;
pub use verify::{CLOCK_SKEW, VerifiedManifest, verify_manifest};
