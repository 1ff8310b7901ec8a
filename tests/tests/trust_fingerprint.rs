//! The binning-core fingerprint is pinned, and model digests are canonical.
//!
//! If `fingerprint_is_pinned` fails, calib-core's numeric behaviour changed.
//! If that was meant, put the new value in tests/vectors/core_fingerprint.json
//! (and `PINNED` below) in the same commit, say why in the message, and
//! regenerate the fuzz seeds (`CALIB_UPDATE_FUZZ_CORPUS=1 cargo test --test
//! trust_fuzz_corpus`): every manifest signed for the old core will be
//! refused by the new one. If it was not meant, it is a bug.

use calib_core::canonical::{self, Sha256Digest};
use calib_core::fingerprint::{compute_core_fingerprint, core_fingerprint};
use calib_core::model::Model;
use calib_tests::trust::demo_model;

const PINNED: &str = "09dffd4df9ac7f7a3c99fa6c101f8b7cad2779a9ce616bfd276d3c57383aa498";

#[test]
fn fingerprint_is_pinned() {
    assert_eq!(core_fingerprint().to_hex(), PINNED, "calib-core's numeric behaviour changed (see this file's docs)");
    assert_eq!(compute_core_fingerprint(), core_fingerprint());
}

#[test]
fn vector_file_agrees() {
    // Other runtimes (Python, Node, WASM) check their fingerprint against this file.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/core_fingerprint.json"))
        .expect("tests/vectors/core_fingerprint.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["sha256"].as_str(), Some(PINNED));
}

#[test]
fn canonical_bytes_do_not_depend_on_formatting() {
    let (model, _) = demo_model(3000, false);
    let bytes = canonical::model_bytes(&model);
    let text = std::str::from_utf8(&bytes).expect("UTF-8");
    // Keys sorted at every level, no whitespace.
    assert!(text.starts_with(r#"{"classes":{"#), "{}", &text[..40]);
    assert!(!text.contains(' ') && !text.contains('\n'));
    let global = text.find(r#""global":{"increasing":"#).expect("sorted map keys");
    assert!(global > text.find(r#""epsilon":"#).unwrap());
    // to_json (declaration order) and pretty JSON load to the same digest.
    let digest = canonical::model_digest(&model);
    assert_ne!(model.to_json().as_bytes(), &bytes[..], "to_json is not canonical; the test would prove nothing");
    for json in [model.to_json(), model.to_json_pretty()] {
        assert_eq!(canonical::model_digest(&Model::from_json(&json).unwrap()), digest);
    }
    // Re-parsing the canonical bytes is a fixed point.
    assert_eq!(canonical::model_bytes(&Model::from_json(text).unwrap()), bytes);
    assert_eq!(digest, Sha256Digest::of(&bytes));
    // Any value change moves the digest.
    let mut file = model.file().clone();
    file.global.y[1] = f64::from_bits(file.global.y[1].to_bits() + 1);
    assert_ne!(canonical::model_digest(&Model::from_file(file).unwrap()), digest);
}
