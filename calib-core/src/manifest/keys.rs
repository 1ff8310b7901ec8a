//! Ed25519 keys that sign and verify manifests, and their key files.

use super::error::{ManifestError, ManifestErrorKind, Result};
use crate::canonical::Sha256Digest;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::format;
use std::string::{String, ToString};

/// The on-disk form of a key: `{"type": …, "key": hex, "keyid": hex}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: String,
    key: String,
    keyid: Sha256Digest,
}

const PUBLIC_KEY_TYPE: &str = "calib-ed25519-public-key";
const SECRET_KEY_TYPE: &str = "calib-ed25519-secret-key";

fn key_bytes(text: &str, want: &str) -> Result<([u8; 32], Sha256Digest)> {
    let f: KeyFile = serde_json::from_str(text)
        .map_err(|e| ManifestError::new(ManifestErrorKind::BadKey, format!("not a calib key file: {e}")))?;
    if f.kind != want {
        return Err(ManifestError::new(
            ManifestErrorKind::BadKey,
            format!("key file type is {:?}, expected {want:?}", f.kind),
        ));
    }
    let raw = Sha256Digest::from_hex(&f.key)
        .ok_or_else(|| ManifestError::new(ManifestErrorKind::BadKey, "the key is not 64 hex digits"))?;
    Ok((raw.0, f.keyid))
}

fn key_file_text(kind: &str, key: &[u8; 32], keyid: Sha256Digest) -> String {
    let f = KeyFile { kind: kind.to_string(), key: crate::canonical::to_hex(key), keyid };
    let mut s = serde_json::to_string_pretty(&f).expect("a key file serialises");
    s.push('\n');
    s
}

/// An Ed25519 public key that verifies manifests.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(pub(super) VerifyingKey);

impl PublicKey {
    /// A key from its 32 raw bytes (refused if not a valid curve point).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey> {
        VerifyingKey::from_bytes(bytes)
            .map(PublicKey)
            .map_err(|_| ManifestError::new(ManifestErrorKind::BadKey, "not a valid Ed25519 public key"))
    }
    /// The 32 raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
    /// The key id: hex SHA-256 of the raw public key (a hint, never a proof).
    pub fn key_id(&self) -> Sha256Digest {
        Sha256Digest::of(self.0.as_bytes())
    }
    /// Parses a public key file written by [`PublicKey::to_file_text`].
    pub fn from_file_text(text: &str) -> Result<PublicKey> {
        let (raw, keyid) = key_bytes(text, PUBLIC_KEY_TYPE)?;
        let key = PublicKey::from_bytes(&raw)?;
        if key.key_id() != keyid {
            return Err(ManifestError::new(
                ManifestErrorKind::BadKey,
                "the keyid does not match the key: damaged file",
            ));
        }
        Ok(key)
    }
    /// The public key file (JSON).
    pub fn to_file_text(&self) -> String {
        key_file_text(PUBLIC_KEY_TYPE, &self.to_bytes(), self.key_id())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

/// An Ed25519 secret key that signs manifests. Wiped from memory on drop.
#[derive(Clone)]
pub struct SecretKey(pub(super) SigningKey);

impl SecretKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> Result<SecretKey> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| {
            ManifestError::new(ManifestErrorKind::BadKey, format!("no randomness from the operating system: {e}"))
        })?;
        let key = SecretKey::from_seed(&seed);
        seed.fill(0);
        Ok(key)
    }
    /// The key of a 32-byte seed (for tests and reproducible fixtures).
    pub fn from_seed(seed: &[u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(seed))
    }
    /// Its public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }
    /// Parses a secret key file written by [`SecretKey::to_file_text`].
    pub fn from_file_text(text: &str) -> Result<SecretKey> {
        let (raw, keyid) = key_bytes(text, SECRET_KEY_TYPE)?;
        let key = SecretKey::from_seed(&raw);
        if key.public_key().key_id() != keyid {
            return Err(ManifestError::new(
                ManifestErrorKind::BadKey,
                "the keyid does not match the key: damaged file",
            ));
        }
        Ok(key)
    }
    /// The secret key file (JSON). Store it readable by its owner only.
    pub fn to_file_text(&self) -> String {
        key_file_text(SECRET_KEY_TYPE, &self.0.to_bytes(), self.public_key().key_id())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public {})", self.public_key().key_id())
    }
}
