//! SHA-256 digests, canonical JSON and the canonical bytes of a model.
//!
//! A digest names bytes, so the same thing must always have the same bytes.
//! calib's **canonical JSON** is: object keys sorted (by their UTF-8 bytes,
//! which is code-point order), no insignificant whitespace, strings escaped
//! as serde_json escapes them, and every number written as serde_json writes
//! it — integers as integers, f64 in the shortest form that parses back to
//! the same bits. A model's **canonical bytes** are the canonical JSON of its
//! file form; the manifest's model subject is their SHA-256.
//!
//! Why not hash [`Model::to_json`]: it writes struct fields in declaration
//! order, and serde_json only sorts maps when its `preserve_order` feature is
//! off — a feature any crate in a build can turn on. The writer here sorts
//! explicitly, so the digest does not depend on how the crate graph is built.

use crate::model::Model;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// A SHA-256 digest. Displays, parses and (de)serialises as 64 lowercase hex
/// digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    /// The SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256Digest {
        Sha256Digest(Sha256::digest(bytes).into())
    }
    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
    /// Parses 64 hex digits (either case). `None` for anything else.
    pub fn from_hex(text: &str) -> Option<Sha256Digest> {
        let b = text.as_bytes();
        if b.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in b.chunks_exact(2).enumerate() {
            out[i] = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Some(Sha256Digest(out))
    }
    /// The 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({self})")
    }
}

impl serde::Serialize for Sha256Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Sha256Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        // Only lowercase hex is accepted on input: one digest, one spelling,
        // so a changed letter case is a changed document.
        if s.bytes().any(|c| c.is_ascii_uppercase()) {
            return Err(serde::de::Error::custom("a SHA-256 digest must be 64 lowercase hex digits"));
        }
        Sha256Digest::from_hex(&s).ok_or_else(|| serde::de::Error::custom("a SHA-256 digest must be 64 hex digits"))
    }
}

/// The canonical JSON bytes of `value` (see the module docs).
pub fn canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_leaf(&Value::String(k.clone()), out);
                out.push(b':');
                write_canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(v, out);
            }
            out.push(b']');
        }
        leaf => write_leaf(leaf, out),
    }
}

fn write_leaf(leaf: &Value, out: &mut Vec<u8>) {
    // serde_json writes a leaf (null, bool, number, string) compactly, with
    // f64 in ryu's shortest round-trip form; it cannot fail for a Value.
    out.extend_from_slice(serde_json::to_string(leaf).expect("a JSON leaf always serialises").as_bytes());
}

/// Canonical JSON of any serialisable value.
pub fn canonical_json_of<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    Ok(canonical_json(&serde_json::to_value(value)?))
}

/// The model's canonical bytes: canonical JSON of its file form.
pub fn model_bytes(model: &Model) -> Vec<u8> {
    canonical_json_of(model.file()).expect("a validated model file always serialises")
}

/// SHA-256 of the model's canonical bytes: the manifest's model subject.
pub fn model_digest(model: &Model) -> Sha256Digest {
    Sha256Digest::of(&model_bytes(model))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_and_whitespace_dropped() {
        let v: Value = serde_json::from_str(r#"{ "b": [1, 2.5, {"z": null, "a": true}], "a": "x\u00e9\n" }"#).unwrap();
        let text = String::from_utf8(canonical_json(&v)).unwrap();
        assert_eq!(text, "{\"a\":\"x\u{e9}\\n\",\"b\":[1,2.5,{\"a\":true,\"z\":null}]}");
    }

    #[test]
    fn shortest_floats() {
        let v: Value = serde_json::from_str("[0.30000000000000004, 1e-7, 100.0, 0.1]").unwrap();
        assert_eq!(canonical_json(&v), b"[0.30000000000000004,1e-7,100.0,0.1]");
    }

    #[test]
    fn hex_round_trip() {
        let d = Sha256Digest::of(b"abc");
        assert_eq!(d.to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(Sha256Digest::from_hex(&d.to_hex()), Some(d));
        assert_eq!(Sha256Digest::from_hex("zz"), None);
    }
}
