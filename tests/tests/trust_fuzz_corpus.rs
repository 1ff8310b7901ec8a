//! Replays the manifest fuzz target's seed corpus (fuzz/corpus/manifest/)
//! on stable, through the same harness as the cargo-fuzz target, and checks
//! the committed seeds are the ones the generator makes today.
//!
//! Seeds are regenerated with
//! `CALIB_UPDATE_FUZZ_CORPUS=1 cargo test -p calib-tests --test trust_fuzz_corpus`
//! (needed when the core fingerprint or the manifest format changes on
//! purpose: the valid seeds must stay valid, or the fuzzer never gets past
//! the early refusals). A crash the fuzzer finds is added to the corpus
//! under a `crash-…` name together with a named regression test here.

use calib_core::manifest::{Calibrator, TrustState, verify_manifest};
use calib_tests::trust::{fuzz_fixture, fuzz_manifest, fuzz_seeds, now};
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/manifest"))
}

#[test]
fn seed_corpus_is_up_to_date() {
    let dir = corpus_dir();
    let update = std::env::var_os("CALIB_UPDATE_FUZZ_CORPUS").is_some();
    for (name, bytes) in fuzz_seeds() {
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
            continue;
        }
        let committed =
            std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (regenerate, see docs)", path.display()));
        assert!(committed == bytes, "{} is stale: regenerate the seeds (see this file's docs)", path.display());
    }
}

#[test]
fn seed_corpus_never_panics() {
    let fx = fuzz_fixture();
    let mut n = 0;
    for entry in std::fs::read_dir(corpus_dir()).expect("fuzz/corpus/manifest") {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let r = std::panic::catch_unwind(|| fuzz_manifest(&fx, &bytes));
        assert!(r.is_ok(), "{} panics the manifest harness", path.display());
        n += 1;
    }
    assert!(n >= fuzz_seeds().len(), "the corpus lost seeds: {n}");
}

#[test]
fn valid_seeds_reach_the_loader() {
    // Guard the corpus's usefulness: the valid seeds pass every check, so
    // mutations of them exercise the deep paths, not only the parser.
    let fx = fuzz_fixture();
    let valid = std::fs::read(corpus_dir().join("valid")).unwrap();
    let cosigned = std::fs::read(corpus_dir().join("cosigned")).unwrap();
    verify_manifest(&valid, &fx.one_of_one, now()).expect("the valid seed verifies");
    verify_manifest(&cosigned, &fx.two_of_two, now()).expect("the cosigned seed meets 2-of-2");
    let mut state = TrustState::default();
    Calibrator::from_manifest_at(&valid, fx.model_json.as_bytes(), &fx.one_of_one, &mut state, now())
        .expect("the valid seed loads the fixture model");
}
