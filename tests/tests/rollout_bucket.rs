//! Stable bucketing: the committed vectors (the contract every binding
//! reproduces), their generator, monotone inclusion, uniformity, and the
//! build without an allocator.

use calib_core::bucket::{BUCKETS, bucket, bucket_bytes, included, included_basis_points};
use proptest::prelude::*;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

#[derive(Debug, Deserialize)]
struct Case {
    salt: String,
    key: String,
    note: String,
    bucket: u32,
    included: BTreeMap<String, bool>,
}

#[derive(Debug, Deserialize)]
struct Vectors {
    #[serde(rename = "_comment")]
    _comment: String,
    percents: Vec<u32>,
    cases: Vec<Case>,
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

fn vectors() -> Vectors {
    let text = std::fs::read_to_string(vectors_dir().join("bucket.json")).expect("tests/vectors/bucket.json");
    serde_json::from_str(&text).expect("bucket.json parses")
}

#[test]
fn committed_vectors_match_the_core() {
    let v = vectors();
    assert_eq!(v.percents, [5, 25, 50, 100]);
    assert!(v.cases.len() >= 50, "only {} cases", v.cases.len());
    for c in &v.cases {
        assert_eq!(bucket(&c.salt, &c.key), c.bucket, "{:?}/{:?} ({})", c.salt, c.key, c.note);
        assert_eq!(bucket_bytes(c.salt.as_bytes(), c.key.as_bytes()), c.bucket);
        assert_eq!(c.included.len(), v.percents.len());
        for (p, &want) in &c.included {
            let p: u32 = p.parse().expect("percent key");
            assert_eq!(included(&c.salt, &c.key, p), want, "{:?}/{:?} at {p} % ({})", c.salt, c.key, c.note);
            assert_eq!(included_basis_points(&c.salt, &c.key, p * 100), want);
        }
    }
    // The boundary cases really sit on both sides of every stage boundary.
    let buckets: Vec<u32> = v.cases.iter().map(|c| c.bucket).collect();
    for b in [0, 499, 500, 2499, 2500, 4999, 5000, 9999] {
        assert!(buckets.contains(&b), "no vector in bucket {b}");
    }
}

/// Whether the generator (Python's hashlib: an implementation independent
/// of calib-core) still writes exactly the committed file.
#[test]
fn committed_vectors_are_up_to_date() {
    calib_tests::vectors::check_generator("gen_bucket.py");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// A key included at p % is included at every larger share.
    #[test]
    fn inclusion_is_monotone(salt in ".{0,12}", key in ".{0,24}", a in 0u32..=10_000, b in 0u32..=10_000) {
        let (lo, hi) = (a.min(b), a.max(b));
        if included_basis_points(&salt, &key, lo) {
            prop_assert!(included_basis_points(&salt, &key, hi));
        }
        let (plo, phi) = (lo / 100, hi / 100);
        if included(&salt, &key, plo) {
            prop_assert!(included(&salt, &key, phi));
        }
        prop_assert!(bucket(&salt, &key) < BUCKETS);
    }
}

/// 200 000 deterministic keys spread evenly: over 100 groups of 100 buckets
/// (χ², 99 degrees of freedom) and over all 10 000 buckets (χ², 9 999), and
/// the 5/25/50 % shares lie within 5 standard deviations of their targets.
#[test]
fn buckets_are_uniform() {
    const N: usize = 200_000;
    let mut counts = vec![0u64; BUCKETS as usize];
    for i in 0..N {
        counts[bucket("calib-rollout-2026", &format!("repo:{i}")) as usize] += 1;
    }
    let chi2 = |observed: &[u64]| {
        let e = N as f64 / observed.len() as f64;
        observed.iter().map(|&o| (o as f64 - e).powi(2) / e).sum::<f64>()
    };
    let groups: Vec<u64> = counts.chunks(100).map(|c| c.iter().sum()).collect();
    // χ²(99): mean 99, sd √198 ≈ 14; 99 + 5·14 = 169.
    let g = chi2(&groups);
    assert!(g < 169.0, "χ² over 100 groups = {g}");
    // χ²(9 999): mean 9 999, sd √19 998 ≈ 141; 5 sd.
    let all = chi2(&counts);
    assert!(all < 9_999.0 + 5.0 * 141.5, "χ² over all buckets = {all}");
    assert!(all > 9_999.0 - 5.0 * 141.5, "χ² over all buckets = {all}: too even to be hashing");
    for p in [5u64, 25, 50] {
        let inside: u64 = counts[..(p * 100) as usize].iter().sum();
        let share = inside as f64 / N as f64;
        let target = p as f64 / 100.0;
        let sd = (target * (1.0 - target) / N as f64).sqrt();
        assert!((share - target).abs() < 5.0 * sd, "{p} %: share {share}, sd {sd}");
    }
}

/// `bucket` needs neither `alloc` nor `std`: calib-core with only the
/// `bucket` feature builds for a bare-metal target, which has no allocator
/// to call (skipped when that target is not installed, except in CI).
#[test]
fn bucket_builds_without_alloc() {
    const TARGET: &str = "thumbv7em-none-eabihf";
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == TARGET));
    if !installed {
        assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "{TARGET} must be installed in CI");
        eprintln!("skipping: {TARGET} is not installed");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(&root)
        .args(["check", "-p", "calib-core", "--no-default-features", "--features", "bucket", "--target", TARGET])
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
