//! Signed manifests: the round trip, one test per tamper case (each with
//! its own error), trust policies, the trust state and the loader.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use calib_core::canonical::{Sha256Digest, model_digest};
use calib_core::gate::{GateReport, Verdict};
use calib_core::manifest::{
    self, Calibrator, ManifestErrorKind as K, PublicKey, SecretKey, TrustPolicy, TrustState, verify_manifest,
};
use calib_core::model::Model;
use calib_tests::trust::{at, demo_model, key, now, passing_report, statement};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::OnceLock;

struct Fixture {
    model: Model,
    model_json: String,
    report: GateReport,
    /// Version 3, signed by key(1), with a wasm subject.
    envelope: Vec<u8>,
}

const WASM: &[u8] = b"\0asm\x01\0\0\0 pretend module";

fn fx() -> &'static Fixture {
    static FX: OnceLock<Fixture> = OnceLock::new();
    FX.get_or_init(|| {
        let (model, data) = demo_model(2000, true);
        let report = passing_report(&model, &data);
        let envelope = manifest::sign(&statement(&model, Some(&report), 3, Some(WASM)), &[&key(1)]).unwrap();
        Fixture { model_json: model.to_json(), model, report, envelope }
    })
}

fn policy() -> TrustPolicy {
    TrustPolicy::single(key(1).public_key())
}

fn verify(bytes: &[u8]) -> Result<manifest::VerifiedManifest, manifest::ManifestError> {
    verify_manifest(bytes, &policy(), now())
}

fn kind_of(bytes: &[u8]) -> K {
    verify(bytes).expect_err("must be refused").kind()
}

/// Load through the loader with a fresh state.
fn load(envelope: &[u8], model: &[u8]) -> Result<Calibrator, manifest::ManifestError> {
    Calibrator::from_manifest_at(envelope, model, &policy(), &mut TrustState::default(), now())
}

fn envelope_value(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// Replaces the signatures of an edited envelope by a fresh one of `key`
/// (so only the edit, not the signature, is under test).
fn resign(mut env: Value, key: &SecretKey) -> Vec<u8> {
    env["signatures"] = json!([{ "keyid": "", "sig": "AAAA" }]);
    let placeholder = serde_json::to_vec(&env).unwrap();
    let signed = manifest::add_signature(&placeholder, key).unwrap();
    let mut v = envelope_value(&signed);
    v["signatures"].as_array_mut().unwrap().remove(0);
    serde_json::to_vec(&v).unwrap()
}

/// Signs an edited statement (as JSON) with key(1).
fn sign_edited(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let m = manifest::inspect(&fx().envelope).unwrap();
    let mut st: Value = serde_json::from_slice(&m.payload).unwrap();
    edit(&mut st);
    let mut env = envelope_value(&fx().envelope);
    env["payload"] = json!(B64.encode(calib_core::canonical::canonical_json(&st)));
    resign(env, &key(1))
}

#[test]
fn round_trip() {
    let f = fx();
    let m = verify(&f.envelope).expect("verifies");
    assert_eq!(m.version(), 3);
    assert_eq!(m.signers(), &[key(1).public_key().key_id()]);
    assert_eq!(m.model_digest(), model_digest(&f.model));
    assert_eq!(m.wasm_digest(), Some(Sha256Digest::of(WASM)));
    assert_eq!(m.statement().predicate.gate_report.as_ref(), Some(&f.report));
    assert_eq!(m.expires(), at("2031-01-01T00:00:00Z"));
    // ĉ and τ per group come from the gate report.
    let p = &m.statement().predicate.parameters;
    assert_eq!(p.c_hat.overall, Some(f.report.aece.as_ref().unwrap().overall.c_hat));
    assert_eq!(p.epsilon, f.model.options().epsilon);
    m.check_wasm(WASM).expect("wasm matches");

    let mut state = TrustState::default();
    let c = Calibrator::from_manifest_at(&f.envelope, f.model_json.as_bytes(), &policy(), &mut state, now()).unwrap();
    assert_eq!(model_digest(c.model()), model_digest(&f.model));
    assert_eq!(c.apply(Some("navigational"), 0.4).unwrap(), f.model.apply(Some("navigational"), 0.4).unwrap());
    assert_eq!(state, TrustState { version: 3, manifest_sha256: Some(m.digest()) });
    // Loading the same manifest again is fine (idempotent).
    Calibrator::from_manifest_at(&f.envelope, f.model_json.as_bytes(), &policy(), &mut state, now()).unwrap();
    // The envelope is compact JSON with no trailing newline: no byte is insignificant.
    assert!(f.envelope.starts_with(br#"{"payloadType":"application/vnd.calib.manifest+json","payload":""#));
    assert!(!f.envelope.contains(&b'\n') && !f.envelope.contains(&b' '));
}

#[test]
fn flipped_payload_byte_is_a_bad_signature() {
    let mut env = envelope_value(&fx().envelope);
    let mut payload = B64.decode(env["payload"].as_str().unwrap()).unwrap();
    payload[40] ^= 0x01;
    env["payload"] = json!(B64.encode(&payload));
    assert_eq!(kind_of(&serde_json::to_vec(&env).unwrap()), K::BadSignature);
}

#[test]
fn flipped_signature_byte_is_a_bad_signature() {
    let mut env = envelope_value(&fx().envelope);
    let mut sig = B64.decode(env["signatures"][0]["sig"].as_str().unwrap()).unwrap();
    sig[10] ^= 0x80;
    env["signatures"][0]["sig"] = json!(B64.encode(&sig));
    assert_eq!(kind_of(&serde_json::to_vec(&env).unwrap()), K::BadSignature);
}

#[test]
fn flipped_payload_type_byte_is_a_bad_signature() {
    // The type is covered by the signature (PAE), and signatures come first.
    let mut env = envelope_value(&fx().envelope);
    env["payloadType"] = json!("application/vnd.calib.manifest+jsoN");
    let e = verify(&serde_json::to_vec(&env).unwrap()).unwrap_err();
    assert_eq!(e.kind(), K::BadSignature);
    assert!(e.message().contains("not calib's"), "{e}");
}

#[test]
fn validly_signed_foreign_payload_type_is_unsupported() {
    let mut env = envelope_value(&fx().envelope);
    env["payloadType"] = json!("application/vnd.in-toto+json");
    assert_eq!(kind_of(&resign(env, &key(1))), K::UnsupportedPayloadType);
}

#[test]
fn unknown_schema_versions_and_types_are_unsupported() {
    assert_eq!(kind_of(&sign_edited(|st| st["predicate"]["schema_version"] = json!(2))), K::UnsupportedSchema);
    assert_eq!(
        kind_of(&sign_edited(|st| st["predicateType"] = json!("https://example.invalid/other"))),
        K::UnsupportedSchema
    );
    assert_eq!(
        kind_of(&sign_edited(|st| st["_type"] = json!("https://in-toto.io/Statement/v0.1"))),
        K::UnsupportedSchema
    );
    // An unknown field in a known schema is malformed, not silently ignored.
    assert_eq!(kind_of(&sign_edited(|st| st["predicate"]["surprise"] = json!(1))), K::Malformed);
}

#[test]
fn wrong_key_is_an_unknown_key() {
    let f = fx();
    let other = manifest::sign(&statement(&f.model, Some(&f.report), 3, None), &[&key(9)]).unwrap();
    let e = verify(&other).unwrap_err();
    assert_eq!(e.kind(), K::UnknownKey);
    assert!(e.message().contains(&key(9).public_key().key_id().to_hex()), "{e}");
    // Even with the trusted key's id as the hint, the signature does not verify.
    let mut env = envelope_value(&other);
    env["signatures"][0]["keyid"] = json!(key(1).public_key().key_id().to_hex());
    assert_eq!(kind_of(&serde_json::to_vec(&env).unwrap()), K::BadSignature);
}

#[test]
fn older_version_replayed_is_a_rollback() {
    let f = fx();
    let v5 = manifest::sign(&statement(&f.model, Some(&f.report), 5, None), &[&key(1)]).unwrap();
    let v4 = manifest::sign(&statement(&f.model, Some(&f.report), 4, None), &[&key(1)]).unwrap();
    let mut state = TrustState::default();
    let model = f.model_json.as_bytes();
    Calibrator::from_manifest_at(&v5, model, &policy(), &mut state, now()).unwrap();
    assert_eq!(state.version, 5);
    let e = Calibrator::from_manifest_at(&v4, model, &policy(), &mut state, now()).unwrap_err();
    assert_eq!(e.kind(), K::Rollback);
    assert_eq!(state.version, 5, "a refused manifest leaves the state alone");
    // The same version with other content (here: another wasm subject) is refused too.
    let other_v5 = manifest::sign(&statement(&f.model, Some(&f.report), 5, Some(WASM)), &[&key(1)]).unwrap();
    assert_eq!(
        Calibrator::from_manifest_at(&other_v5, model, &policy(), &mut state, now()).unwrap_err().kind(),
        K::Rollback
    );
    // The state survives a JSON round trip.
    let state = TrustState::from_json(&state.to_json()).unwrap();
    assert_eq!(
        Calibrator::from_manifest_at(&v4, model, &policy(), &mut state.clone(), now()).unwrap_err().kind(),
        K::Rollback
    );
}

#[test]
fn expired_manifest_is_expired() {
    let f = fx();
    let e = verify_manifest(&f.envelope, &policy(), at("2031-01-01T00:00:00Z")).unwrap_err();
    assert_eq!(e.kind(), K::Expired);
    assert!(e.message().contains("2031-01-01T00:00:00Z"), "{e}");
    assert!(verify_manifest(&f.envelope, &policy(), at("2030-12-31T23:59:59Z")).is_ok());
}

#[test]
fn swapped_model_is_a_subject_mismatch() {
    let f = fx();
    let (other, _) = demo_model(2000, false);
    let mut state = TrustState::default();
    let e = Calibrator::from_manifest_at(&f.envelope, other.to_json().as_bytes(), &policy(), &mut state, now())
        .unwrap_err();
    assert_eq!(e.kind(), K::SubjectMismatch);
    assert_eq!(state, TrustState::default(), "no state change on a refused load");
    // One changed value is enough.
    let mut file = f.model.file().clone();
    file.epsilon = 1e-9;
    let tweaked = Model::from_file(file).unwrap().to_json();
    assert_eq!(load(&f.envelope, tweaked.as_bytes()).unwrap_err().kind(), K::SubjectMismatch);
    // Re-serialising the same model does not matter: the digest is canonical.
    load(&f.envelope, f.model.to_json_pretty().as_bytes()).expect("same model, other whitespace");
    // Garbage is a bad model, not a panic.
    assert_eq!(load(&f.envelope, b"\xff{").unwrap_err().kind(), K::BadModel);
    // The wasm subject is checked the same way.
    assert_eq!(verify(&f.envelope).unwrap().check_wasm(b"other").unwrap_err().kind(), K::SubjectMismatch);
}

#[test]
fn manifest_for_another_core_is_refused() {
    let f = fx();
    let mut st = statement(&f.model, Some(&f.report), 3, None);
    st.predicate.core_fingerprint = Sha256Digest([0x11; 32]);
    let e = verify(&manifest::sign(&st, &[&key(1)]).unwrap()).unwrap_err();
    assert_eq!(e.kind(), K::FingerprintMismatch);
    assert!(e.message().contains(&calib_core::fingerprint::core_fingerprint().to_hex()), "{e}");
}

#[test]
fn gates_must_have_passed_for_this_model() {
    let f = fx();
    let bare = manifest::sign(&statement(&f.model, None, 1, None), &[&key(1)]).unwrap();
    assert_eq!(kind_of(&bare), K::GatesNotPassed);
    let mut lenient = policy();
    lenient.require_gate_report = false;
    verify_manifest(&bare, &lenient, now()).expect("policy allows no gate report");
    // A report that did not pass, or is about another model, is refused
    // both when signing and when verifying.
    let mut failed = f.report.clone();
    failed.verdict = Verdict::Breach;
    failed.gates[1].verdict = Verdict::Breach;
    let spec_err = manifest::build_statement(&manifest::ManifestSpec {
        model: &f.model,
        wasm: None,
        gate_report: Some(&failed),
        version: 1,
        created: at("2029-12-01T00:00:00Z"),
        expires: at("2031-01-01T00:00:00Z"),
        parent: None,
    })
    .unwrap_err();
    assert_eq!(spec_err.kind(), K::BadRequest);
    let forged = sign_edited(|st| st["predicate"]["gate_report"]["verdict"] = json!("breach"));
    assert_eq!(kind_of(&forged), K::GatesNotPassed);
    let other = sign_edited(|st| st["predicate"]["gate_report"]["candidate_sha256"] = json!("00".repeat(32)));
    assert_eq!(kind_of(&other), K::GatesNotPassed);
}

#[test]
fn threshold_needs_distinct_trusted_keys() {
    let f = fx();
    let two = TrustPolicy::new(vec![key(1).public_key(), key(2).public_key(), key(1).public_key()], 2).unwrap();
    assert_eq!(two.keys().len(), 2, "duplicate keys count once");
    let e = verify_manifest(&f.envelope, &two, now()).unwrap_err();
    assert_eq!(e.kind(), K::ThresholdNotMet);
    let cosigned = manifest::add_signature(&f.envelope, &key(2)).unwrap();
    let m = verify_manifest(&cosigned, &two, now()).unwrap();
    assert_eq!(m.signers().len(), 2);
    assert_eq!(m.digest(), verify(&f.envelope).unwrap().digest(), "a co-signature does not change the manifest");
    // The same key's signature twice (second without a hint) still counts once.
    let mut env = envelope_value(&f.envelope);
    let dup = env["signatures"][0].clone();
    env["signatures"].as_array_mut().unwrap().push(json!({ "keyid": "", "sig": dup["sig"] }));
    assert_eq!(
        verify_manifest(&serde_json::to_vec(&env).unwrap(), &two, now()).unwrap_err().kind(),
        K::ThresholdNotMet
    );
    // An untrusted co-signer does not help.
    let with_untrusted = manifest::add_signature(&f.envelope, &key(9)).unwrap();
    assert_eq!(verify_manifest(&with_untrusted, &two, now()).unwrap_err().kind(), K::ThresholdNotMet);
    assert_eq!(manifest::add_signature(&f.envelope, &key(1)).unwrap_err().kind(), K::BadRequest);
    for bad in [0, 3] {
        let e = TrustPolicy::new(vec![key(1).public_key(), key(2).public_key()], bad).unwrap_err();
        assert_eq!(e.kind(), K::BadPolicy);
    }
    assert_eq!(TrustPolicy::new(vec![], 1).unwrap_err().kind(), K::BadPolicy);
}

#[test]
fn keyid_is_only_a_hint() {
    let f = fx();
    // Empty hint: every trusted key is tried.
    let mut env = envelope_value(&f.envelope);
    env["signatures"][0]["keyid"] = json!("");
    verify(&serde_json::to_vec(&env).unwrap()).expect("an empty keyid is allowed");
    // A hint naming another trusted key: the signature counts for nobody.
    let both = TrustPolicy::new(vec![key(1).public_key(), key(2).public_key()], 1).unwrap();
    env["signatures"][0]["keyid"] = json!(key(2).public_key().key_id().to_hex());
    let e = verify_manifest(&serde_json::to_vec(&env).unwrap(), &both, now()).unwrap_err();
    assert_eq!(e.kind(), K::BadSignature);
}

#[test]
fn malformed_envelopes_are_malformed() {
    for bad in [&b""[..], b"{}", b"[]", b"null", br#"{"payloadType":"x","payload":"!!","signatures":[{"sig":"AA=="}]}"#]
    {
        assert_eq!(kind_of(bad), K::Malformed, "{:?}", String::from_utf8_lossy(bad));
    }
    let mut env = envelope_value(&fx().envelope);
    env["signatures"] = json!([]);
    assert_eq!(kind_of(&serde_json::to_vec(&env).unwrap()), K::Malformed);
    env["extra"] = json!(1);
    assert_eq!(kind_of(&serde_json::to_vec(&env).unwrap()), K::Malformed);
    let huge = vec![b' '; manifest::MAX_ENVELOPE_BYTES + 1];
    assert_eq!(kind_of(&huge), K::Malformed);
}

#[test]
fn key_files_round_trip_and_detect_damage() {
    let k = SecretKey::generate().unwrap();
    let again = SecretKey::from_file_text(&k.to_file_text()).unwrap();
    assert_eq!(again.public_key(), k.public_key());
    let p = PublicKey::from_file_text(&k.public_key().to_file_text()).unwrap();
    assert_eq!(p, k.public_key());
    assert_eq!(p.key_id(), Sha256Digest::of(&p.to_bytes()), "key id = SHA-256 of the raw public key");
    // A public key file is not a secret key file, and a damaged id is caught.
    assert_eq!(SecretKey::from_file_text(&p.to_file_text()).unwrap_err().kind(), K::BadKey);
    let text = p.to_file_text();
    let id = p.key_id().to_hex();
    // The last hex digit changed (the key is random: "0" must become something else).
    let last = if id.ends_with('0') { '1' } else { '0' };
    let damaged = text.replace(&id, &format!("{}{last}", &id[..63]));
    assert_ne!(damaged, text);
    assert_eq!(PublicKey::from_file_text(&damaged).unwrap_err().kind(), K::BadKey);
    assert!(!format!("{k:?}").contains(&k.to_file_text()[40..80]), "Debug must not print the secret");
}

#[test]
fn expiry_durations() {
    let t = at("2030-01-01T00:00:00Z");
    assert_eq!(manifest::parse_expires("90d", t).unwrap(), at("2030-04-01T00:00:00Z"));
    assert_eq!(manifest::parse_expires("12h", t).unwrap(), at("2030-01-01T12:00:00Z"));
    assert_eq!(manifest::parse_expires("2w", t).unwrap(), at("2030-01-15T00:00:00Z"));
    assert_eq!(manifest::parse_expires("2031-02-03T04:05:06Z", t).unwrap(), at("2031-02-03T04:05:06Z"));
    for bad in ["", "d", "90", "90x", "-1d", "99999999999999999999d"] {
        assert_eq!(manifest::parse_expires(bad, t).unwrap_err().kind(), K::BadRequest, "{bad:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any single-byte change anywhere in an envelope fails verification.
    #[test]
    fn any_single_byte_change_fails(pos in any::<prop::sample::Index>(), delta in 1u8..=255) {
        let mut bytes = fx().envelope.clone();
        let i = pos.index(bytes.len());
        bytes[i] = bytes[i].wrapping_add(delta);
        prop_assert!(verify(&bytes).is_err(), "byte {} changed to {:?} still verifies", i, bytes[i] as char);
        let mut state = TrustState::default();
        prop_assert!(Calibrator::from_manifest_at(&bytes, fx().model_json.as_bytes(), &policy(), &mut state, now()).is_err());
        prop_assert_eq!(state, TrustState::default());
    }
}

/// The unverified view (`calib report`, `calib governance`) judges expiry and
/// the model subject with the same core rules as `verify_manifest`.
#[test]
fn unverified_expiry_and_subject_use_the_verifier_rules() {
    let f = fx();
    let st = statement(&f.model, Some(&f.report), 3, None);
    let p = &st.predicate;
    assert!(p.expired_at(at("2031-01-01T00:00:00Z")).unwrap());
    assert!(!p.expired_at(at("2030-12-31T23:59:59Z")).unwrap());
    // Exactly at `expires` both say expired.
    let exp = at(&p.expires);
    assert!(p.expired_at(exp).unwrap());
    assert_eq!(verify_manifest(&f.envelope, &policy(), exp).unwrap_err().kind(), K::Expired);
    let mut bad = p.clone();
    bad.expires = "next tuesday".into();
    assert_eq!(bad.expired_at(now()).unwrap_err().kind(), K::Malformed);

    assert!(st.vouches_for(&f.model));
    assert_eq!(st.model_sha256(), Some(model_digest(&f.model).to_hex().as_str()));
    let (other, _) = demo_model(2000, false);
    assert!(!st.vouches_for(&other));
}

/// A successor's version is the core's rule, with checked arithmetic
/// (issue 17, defect 6).
#[test]
fn next_version_is_above_the_parent_and_never_wraps() {
    assert_eq!(manifest::next_version(None, None).unwrap(), 1);
    assert_eq!(manifest::next_version(None, Some(3)).unwrap(), 4);
    assert_eq!(manifest::next_version(Some(9), Some(3)).unwrap(), 9);
    assert_eq!(manifest::next_version(Some(3), Some(3)).unwrap_err().kind(), K::BadRequest);
    let e = manifest::next_version(None, Some(u64::MAX)).unwrap_err();
    assert_eq!(e.kind(), K::BadRequest);
    assert!(e.message().contains("overflow"), "{e}");
}

/// Issue 17, defect 8: `verify` accepted a signed manifest with version 0
/// (which `sign` never writes) and one created in 2099. Version 0 is
/// `malformed`; a `created` more than the stated clock skew (5 minutes)
/// after now is `not_yet_valid`, and within it is accepted.
#[test]
fn version_zero_and_a_future_created_are_refused() {
    let zero = sign_edited(|st| st["predicate"]["version"] = json!(0));
    let e = verify(&zero).unwrap_err();
    assert_eq!(e.kind(), K::Malformed, "{e}");
    assert!(e.message().contains("version 0"), "{e}");

    let future = sign_edited(|st| {
        st["predicate"]["created"] = json!("2099-01-01T00:00:00Z");
        st["predicate"]["expires"] = json!("2099-06-01T00:00:00Z");
    });
    let e = verify(&future).unwrap_err();
    assert_eq!((e.kind(), e.code()), (K::NotYetValid, "not_yet_valid"), "{e}");
    assert!(e.message().contains("2099-01-01T00:00:00Z") && e.message().contains("5 minutes"), "{e}");
    assert_eq!(load(&future, fx().model_json.as_bytes()).unwrap_err().kind(), K::NotYetValid);

    // A signer's clock a little ahead is allowed: 5 minutes, not a second more.
    let ahead = |s: &str| sign_edited(|st| st["predicate"]["created"] = json!(s));
    assert!(verify(&ahead("2030-01-01T00:05:00Z")).is_ok());
    assert_eq!(kind_of(&ahead("2030-01-01T00:05:01Z")), K::NotYetValid);
    assert_eq!(manifest::CLOCK_SKEW, time::Duration::minutes(5));
}

/// A key given twice is refused, not silently signed once (issue 17,
/// defect 9).
#[test]
fn sign_refuses_a_repeated_key() {
    let st = statement(&fx().model, Some(&fx().report), 3, None);
    let e = manifest::sign(&st, &[&key(1), &key(2), &key(1)]).unwrap_err();
    assert_eq!(e.kind(), K::BadRequest);
    assert!(e.message().contains(&key(1).public_key().key_id().to_hex()) && e.message().contains("given twice"), "{e}");
    assert!(manifest::sign(&st, &[&key(1), &key(2)]).is_ok());
}
