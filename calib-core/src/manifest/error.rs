//! Why a manifest, key or policy was refused: [`ManifestError`] and its
//! kinds, each with a stable code.

use std::fmt;
use std::string::String;

/// Why a manifest, key or policy was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ManifestErrorKind {
    /// Not a well-formed envelope, statement or predicate.
    Malformed,
    /// No signature names a key the policy trusts.
    UnknownKey,
    /// A trusted key was named, but no signature verifies under it.
    BadSignature,
    /// Fewer distinct trusted keys signed than the policy requires.
    ThresholdNotMet,
    /// The signed payloadType is not calib's.
    UnsupportedPayloadType,
    /// The statement type, predicate type or schema version is unknown.
    UnsupportedSchema,
    /// The model (or WASM module) is not the one the manifest names.
    SubjectMismatch,
    /// The manifest's `expires` has passed.
    Expired,
    /// The manifest's `created` lies more than the allowed clock skew
    /// ([`CLOCK_SKEW`](super::CLOCK_SKEW)) after now.
    NotYetValid,
    /// The version is lower than the last trusted one (or reuses it).
    Rollback,
    /// The manifest was made for another core.
    FingerprintMismatch,
    /// No passing gate report for this model.
    GatesNotPassed,
    /// A key file or key that cannot be used.
    BadKey,
    /// A trust policy that cannot be satisfied or is empty.
    BadPolicy,
    /// The model bytes are not a valid model.
    BadModel,
    /// A manifest cannot be made from these inputs.
    BadRequest,
}

impl ManifestErrorKind {
    /// A stable code (`"bad_signature"`).
    pub fn code(self) -> &'static str {
        match self {
            ManifestErrorKind::Malformed => "malformed",
            ManifestErrorKind::UnknownKey => "unknown_key",
            ManifestErrorKind::BadSignature => "bad_signature",
            ManifestErrorKind::ThresholdNotMet => "threshold_not_met",
            ManifestErrorKind::UnsupportedPayloadType => "unsupported_payload_type",
            ManifestErrorKind::UnsupportedSchema => "unsupported_schema",
            ManifestErrorKind::SubjectMismatch => "subject_mismatch",
            ManifestErrorKind::Expired => "expired",
            ManifestErrorKind::NotYetValid => "not_yet_valid",
            ManifestErrorKind::Rollback => "rollback",
            ManifestErrorKind::FingerprintMismatch => "fingerprint_mismatch",
            ManifestErrorKind::GatesNotPassed => "gates_not_passed",
            ManifestErrorKind::BadKey => "bad_key",
            ManifestErrorKind::BadPolicy => "bad_policy",
            ManifestErrorKind::BadModel => "bad_model",
            ManifestErrorKind::BadRequest => "bad_request",
        }
    }
}

/// A refused manifest: the kind and a message saying exactly why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    kind: ManifestErrorKind,
    message: String,
}

impl ManifestError {
    pub(super) fn new(kind: ManifestErrorKind, message: impl Into<String>) -> Self {
        ManifestError { kind, message: message.into() }
    }
    /// Why it was refused.
    pub fn kind(&self) -> ManifestErrorKind {
        self.kind
    }
    /// The stable code of the kind.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
    /// The message without the code.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.kind.code())
    }
}

impl std::error::Error for ManifestError {}

pub(super) type Result<T> = core::result::Result<T, ManifestError>;

pub(super) fn malformed(message: impl Into<String>) -> ManifestError {
    ManifestError::new(ManifestErrorKind::Malformed, message)
}
