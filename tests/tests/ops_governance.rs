//! Quarterly governance: a class too small keeps its map and is flagged, a
//! class whose τ is too high is a breach, a fixed seed gives the same ĉ
//! every time (and the very ĉ of `tolerance::bootstrap_c_hat`), and `calib
//! governance` writes the candidate, the gate report, the compliance
//! reports, a signed manifest and an audit record. The rules after a review
//! (findings, the successor a pass signs, a manifest's standing) are
//! calib-core's and are checked here directly.

mod ops_common;

use calib_core::gate::Verdict;
use calib_core::governance::{self, Fresh, GovernanceConfig, GroupStatus, MapSource, RecordedCHat};
use calib_core::map::ApplyStats;
use calib_core::model::{FitConfig, Model, fit_model};
use calib_core::rng::SeededRng;
use calib_core::tolerance::{BootstrapOptions, bootstrap_c_hat};
use calib_tests::binary::calib_in;
use serde_json::Value;
use std::path::Path;

struct Data {
    q: Vec<String>,
    c: Vec<String>,
    s: Vec<f64>,
    y: Vec<f64>,
}

/// `big` (12 000 rows), `small` (3 000) and `tiny` (40), 20 rows a query.
fn data(seed: u64, shift: f64) -> Data {
    let mut rng = SeededRng::new(seed);
    let mut d = Data { q: vec![], c: vec![], s: vec![], y: vec![] };
    for (class, n) in [("big", 12_000), ("small", 3_000), ("tiny", 40)] {
        for i in 0..n {
            let z = 1.1 * rng.normal();
            d.q.push(format!("{class}-{}", i / 20));
            d.c.push(class.to_string());
            d.s.push(1.0 / (1.0 + (-z).exp()));
            d.y.push(rng.bernoulli(1.0 / (1.0 + (-(1.4 * z + shift)).exp())));
        }
    }
    d
}

fn current() -> Model {
    let d = data(1, -0.3);
    let cfg = FitConfig { min_class_samples: 1000, ..FitConfig::default() };
    fit_model(&d.s, &d.y, None, Some(&d.c), &cfg).unwrap()
}

fn fast() -> GovernanceConfig {
    let mut g = GovernanceConfig { resamples: 30, ..GovernanceConfig::default() };
    g.gates.aece.resamples = 20;
    g
}

#[test]
fn small_classes_are_kept_and_a_fixed_seed_gives_the_same_c_hat() {
    let cur = current();
    let d = data(2, 0.2);
    let fresh = Fresh { query_ids: &d.q, scores: &d.s, labels: &d.y, classes: Some(&d.c[..]) };
    let r = governance::review(&cur, &fresh, &RecordedCHat::default(), &fast(), &mut |_| {}).unwrap();
    let g = |name: Option<&str>| r.groups.iter().find(|g| g.class.as_deref() == name).unwrap();
    assert_eq!(g(None).status, GroupStatus::Refit);
    assert_eq!(g(Some("big")).status, GroupStatus::Refit);
    for small in ["small", "tiny"] {
        let s = g(Some(small));
        assert_eq!((s.status, s.flagged), (GroupStatus::TooSmall, true), "{small}");
        assert!(s.c_hat.is_none());
    }
    assert_eq!(g(Some("small")).candidate_source, MapSource::Previous);
    assert_eq!(g(Some("tiny")).candidate_source, MapSource::Global, "the current model had no map for it");
    assert_eq!(r.candidate.file().classes["small"], cur.file().classes["small"], "kept bit for bit");
    assert_ne!(r.candidate.file().classes["big"], cur.file().classes["big"], "re-fitted");
    assert!(!r.candidate.file().classes.contains_key("tiny"));
    assert_eq!(r.verdict, r.gate_report.verdict, "flags are not breaches");

    // The same seed: the same ĉ, to the bit; and it is bootstrap_c_hat's.
    let again = governance::review(&cur, &fresh, &RecordedCHat::default(), &fast(), &mut |_| {}).unwrap();
    for (a, b) in r.groups.iter().zip(&again.groups) {
        assert_eq!(a.c_hat.map(f64::to_bits), b.c_hat.map(f64::to_bits));
    }
    let big = g(Some("big"));
    let map = r.candidate.class_map("big").unwrap();
    let mut st = ApplyStats::default();
    let outs: Vec<f64> =
        (0..d.s.len()).filter(|&i| d.c[i] == "big").map(|i| map.apply_counted(d.s[i], &mut st).unwrap()).collect();
    let opts = BootstrapOptions { resamples: 30, bins: 15, seed: fast().seed, min_samples: 10_000 };
    assert_eq!(big.c_hat.unwrap().to_bits(), bootstrap_c_hat(&outs, &opts).unwrap().0.to_bits());
    assert_eq!(big.bootstrap_rows, Some(12_000));
    assert_eq!(big.tau, Some(calib_core::metrics::tau(12_000, 15, big.c_hat.unwrap())));
    // Another seed, another ĉ.
    let other = governance::review(
        &cur,
        &fresh,
        &RecordedCHat::default(),
        &GovernanceConfig { seed: 9, ..fast() },
        &mut |_| {},
    )
    .unwrap();
    assert_ne!(other.groups[1].c_hat, r.groups[1].c_hat);
}

#[test]
fn a_tau_above_the_limit_is_a_breach_and_keeps_the_previous_map() {
    let cur = current();
    let d = data(3, 0.0);
    let fresh = Fresh { query_ids: &d.q, scores: &d.s, labels: &d.y, classes: Some(&d.c[..]) };
    let cfg = GovernanceConfig { min_class_samples: 20, ..fast() };
    let mut events = 0;
    let r = governance::review(&cur, &fresh, &RecordedCHat::default(), &cfg, &mut |_| events += 1).unwrap();
    let tiny = r.groups.iter().find(|g| g.class.as_deref() == Some("tiny")).unwrap();
    assert_eq!(
        tiny.status,
        GroupStatus::TauBreach,
        "tau {:?} c_hat {:?} rows {:?}",
        tiny.tau,
        tiny.c_hat,
        tiny.bootstrap_rows
    );
    assert!(tiny.tau.unwrap() > 0.1, "{:?}", tiny.tau);
    assert_eq!(tiny.candidate_source, MapSource::Global);
    let small = r.groups.iter().find(|g| g.class.as_deref() == Some("small")).unwrap();
    assert_eq!(small.status, GroupStatus::Refit, "3000 rows: τ {:?}", small.tau);
    assert_eq!(r.verdict, Verdict::Breach);
    assert_eq!(events, 2 * 4 + 1, "start and end of 4 bootstraps, then the gates");
    // The limit decides: raise it and the same class passes.
    let loose = GovernanceConfig { max_allowed_tau: 0.9, ..cfg };
    let r = governance::review(&cur, &fresh, &RecordedCHat::default(), &loose, &mut |_| {}).unwrap();
    assert!(r.groups.iter().all(|g| g.status == GroupStatus::Refit));
}

fn write_fresh(path: &Path, d: &Data) {
    ops_common::write_csv(
        path,
        "query_id,class,score,label",
        (0..d.s.len()).map(|i| format!("{},{},{},{}", d.q[i], d.c[i], d.s[i], d.y[i])),
    );
}

#[test]
fn calib_governance_writes_signed_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let cur = current();
    std::fs::create_dir(p.join("cur")).unwrap();
    std::fs::write(p.join("cur/model.json"), cur.to_json()).unwrap();
    write_fresh(&p.join("holdout.csv"), &data(4, -0.3));
    write_fresh(&p.join("fresh.csv"), &data(5, 0.1));
    std::fs::write(p.join("gates.toml"), "[aece_excess]\nresamples = 20\n[median_shift]\nthreshold = 0.2\n").unwrap();
    calib_in(p, ["keygen", "--out", "keys"]).code(0);
    calib_in(
        p,
        [
            "gate",
            "--candidate",
            "cur/model.json",
            "--incumbent",
            "cur/model.json",
            "--input",
            "holdout.csv",
            "--config",
            "gates.toml",
            "--out",
            "cur/gate.json",
        ],
    )
    .code(0);
    calib_in(
        p,
        [
            "sign",
            "--model",
            "cur/model.json",
            "--key",
            "keys/calib.key",
            "--gate-report",
            "cur/gate.json",
            "--out",
            "cur/manifest.json",
        ],
    )
    .code(0);
    // The current manifest was signed just now by the real clock, so the
    // review runs at that clock too: at a fixed past time it would be a
    // manifest from the future, which verification refuses (not_yet_valid).
    let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap();
    let run_on = |input: &str, out: &str| {
        calib_in(
            p,
            [
                "governance",
                "--input",
                input,
                "--current",
                "cur/manifest.json",
                "--out",
                out,
                "--pubkey",
                "keys/calib.pub",
                "--key",
                "keys/calib.key",
                "--audit",
                "audit.jsonl",
                "--resamples",
                "30",
                "--config",
                "gates.toml",
                "--now",
                &now,
                "--expires",
                "2099-01-01T00:00:00Z",
            ],
        )
    };
    let run = |out: &str| run_on("fresh.csv", out);
    let r = run("gov").code(0);
    assert!(r.stdout.contains("verdict: pass"), "{}", r.stdout);
    for f in ["candidate.json", "gate_report.json", "compliance.json", "compliance.md", "manifest.json"] {
        assert!(p.join("gov").join(f).is_file(), "{f}");
    }
    let c: Value = serde_json::from_slice(&std::fs::read(p.join("gov/compliance.json")).unwrap()).unwrap();
    assert_eq!(c["verdict"], "pass");
    assert_eq!(c["current"]["verification"], "verified");
    let groups = c["groups"].as_array().unwrap();
    let small = groups.iter().find(|g| g["class"] == "small").unwrap();
    assert_eq!((small["status"].as_str(), small["flagged"].as_bool()), (Some("too_small"), Some(true)));
    let big = groups.iter().find(|g| g["class"] == "big").unwrap();
    assert!(big["previous_c_hat"].as_f64().is_some(), "the current manifest recorded ĉ of big (12 000 holdout rows)");
    assert!(
        groups[0]["class"].is_null() && groups[0]["previous_c_hat"].as_f64().is_some(),
        "global: the holdout-wide ĉ"
    );
    assert!(
        c["findings"].as_array().unwrap().iter().any(|f| f.as_str().unwrap().starts_with("small: 3000 fresh rows"))
    );
    let md = std::fs::read_to_string(p.join("gov/compliance.md")).unwrap();
    assert!(md.contains("**Verdict: pass**") && md.contains("| small | 3000 | too small: kept, flagged ⚑"), "{md}");
    // The signed manifest verifies with the candidate, as version 2 whose parent is the current one.
    let v = calib_in(
        p,
        [
            "verify",
            "--manifest",
            "gov/manifest.json",
            "--pubkey",
            "keys/calib.pub",
            "--model",
            "gov/candidate.json",
            "--json",
        ],
    )
    .code(0);
    let v: Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(v["version"], 2);
    // The audit record chains and binds the compliance report.
    let a = calib_in(p, ["audit", "verify", "audit.jsonl", "--json"]).code(0);
    assert!(a.stdout.contains("\"ok\":true"), "{}", a.stdout);
    let log = std::fs::read_to_string(p.join("audit.jsonl")).unwrap();
    let rec: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(rec["kind"], "governance.review");
    let digest = calib_core::canonical::Sha256Digest::of(&std::fs::read(p.join("gov/compliance.json")).unwrap());
    assert_eq!(rec["data"]["compliance_sha256"], digest.to_hex());
    // A fixed seed and time: the same candidate and the same ĉ, τ and AECEs.
    // (The gate report, and so the digests naming it, carry measured latency.)
    run("gov2").code(0);
    let read = |f: &str| std::fs::read_to_string(p.join(f)).unwrap();
    assert!(read("gov/candidate.json") == read("gov2/candidate.json"), "the candidate differs between runs");
    let c2: Value = serde_json::from_slice(&std::fs::read(p.join("gov2/compliance.json")).unwrap()).unwrap();
    assert_eq!(c2["groups"], c["groups"]);

    // A FIFO gives its bytes once: the input is hashed from what was read,
    // not read a second time (which would block, or hash nothing).
    #[cfg(unix)]
    {
        let fifo = p.join("fresh.fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let bytes = std::fs::read(p.join("fresh.csv")).unwrap();
        let writer = {
            let (fifo, bytes) = (fifo.clone(), bytes.clone());
            std::thread::spawn(move || std::fs::write(fifo, bytes).unwrap())
        };
        run_on("fresh.fifo", "gov-fifo").code(0);
        writer.join().unwrap();
        let cf: Value = serde_json::from_slice(&std::fs::read(p.join("gov-fifo/compliance.json")).unwrap()).unwrap();
        assert_eq!(cf["input"]["sha256"], calib_core::canonical::Sha256Digest::of(&bytes).to_hex());
        assert_eq!(cf["groups"], c["groups"]);
    }

    // τ breach: exit 1, no manifest signed.
    let r = calib_in(
        p,
        [
            "governance",
            "--input",
            "fresh.csv",
            "--current",
            "cur/manifest.json",
            "--out",
            "gov3",
            "--key",
            "keys/calib.key",
            "--resamples",
            "30",
            "--config",
            "gates.toml",
            "--min-class-samples",
            "20",
        ],
    )
    .code(1);
    assert!(r.stdout.contains("tiny") && r.stdout.contains("verdict: breach"), "{}", r.stdout);
    assert!(!p.join("gov3/manifest.json").exists());
    let c3: Value = serde_json::from_slice(&std::fs::read(p.join("gov3/compliance.json")).unwrap()).unwrap();
    assert!(c3["findings"].as_array().unwrap().iter().any(|f| f.as_str().unwrap().contains("not signed")));

    // The model beside the manifest must be the one it vouches for.
    std::fs::write(p.join("other.json"), ops_common::model(9, 2000).to_json()).unwrap();
    let r = calib_in(
        p,
        [
            "governance",
            "--input",
            "fresh.csv",
            "--current",
            "cur/manifest.json",
            "--current-model",
            "other.json",
            "--out",
            "gov4",
        ],
    )
    .code(2);
    assert!(r.stderr.contains("not the model"), "{}", r.stderr);
    // Fresh data without query_id: bad input.
    ops_common::write_csv(&p.join("noq.csv"), "score,label", ["0.5,1".into()]);
    calib_in(p, ["governance", "--input", "noq.csv", "--current", "cur/manifest.json", "--out", "gov5"]).code(2);
    // `--bins` is parsed as `calib fit` parses it (one parser): 0 is refused.
    let r = calib_in(
        p,
        ["governance", "--input", "fresh.csv", "--current", "cur/manifest.json", "--out", "gov6", "--bins", "0"],
    )
    .code(2);
    assert!(r.stderr.contains("positive number of bins"), "{}", r.stderr);
    assert!(!p.join("gov6").exists());
}

/// The rules after a review are calib-core's: which refusals of the current
/// manifest are findings (and how they read), the successor a pass is signed
/// as, and a manifest's standing read without its keys.
#[test]
fn the_current_manifest_its_successor_and_its_standing_are_judged_by_the_core() {
    use calib_core::gate::GateKind;
    use calib_core::governance::{CurrentVerification, Finding, ManifestStanding, Successor};
    use calib_core::manifest::{self, ManifestErrorKind, TrustPolicy};
    use calib_tests::trust::{EXPIRES, at, demo_model, key, now, passing_report, statement};

    let (model, data) = demo_model(20_000, false);
    let report = passing_report(&model, &data);
    let st = statement(&model, Some(&report), 3, None);
    let envelope = manifest::sign(&st, &[&key(1)]).unwrap();
    let policy = TrustPolicy::single(key(1).public_key());
    let judge = |policy: &TrustPolicy, at| CurrentVerification::judge(manifest::verify_manifest(&envelope, policy, at));

    assert_eq!(judge(&policy, now()), Ok(CurrentVerification::Verified));
    assert_eq!(CurrentVerification::Verified.finding(), None);
    assert_eq!(CurrentVerification::Skipped.finding().unwrap().to_string(), "the current manifest was not verified");
    // Expired: replacing it is what governance is for, so it is a finding.
    let late = at("2032-01-01T00:00:00Z");
    let expired = judge(&policy, late).unwrap();
    let CurrentVerification::Flawed(e) = &expired else { panic!("an expired manifest is a flaw: {expired:?}") };
    assert_eq!(e.kind(), ManifestErrorKind::Expired);
    assert_eq!(expired.finding().unwrap().to_string(), format!("current manifest: {} (expired)", e.message()));
    // Signatures that do not verify are an error, never a finding.
    let refused = judge(&TrustPolicy::single(key(2).public_key()), now()).unwrap_err();
    assert!(!matches!(
        refused.kind(),
        ManifestErrorKind::Expired | ManifestErrorKind::FingerprintMismatch | ManifestErrorKind::GatesNotPassed
    ));

    let inspected = manifest::inspect(&envelope).unwrap();
    let next = Successor::of(&st, inspected.digest).unwrap();
    assert_eq!((next.version, next.parent), (4, Some(inspected.digest)));
    assert_eq!((Successor::FIRST.version, Successor::FIRST.parent), (1, None));
    // The largest version has no successor: refused, never wrapped.
    let last = statement(&model, Some(&report), u64::MAX, None);
    assert_eq!(Successor::of(&last, inspected.digest).unwrap_err().kind(), ManifestErrorKind::BadRequest);
    let spec = next.spec(&model, &report, now(), late);
    assert_eq!((spec.version, spec.parent, spec.created, spec.expires), (4, Some(inspected.digest), now(), late));

    let standing = ManifestStanding::read(&inspected, &model, now()).unwrap();
    assert!(!standing.expired && standing.core_matches && standing.model_matches);
    assert_eq!((standing.version, standing.expires.as_str()), (3, EXPIRES));
    assert_eq!((standing.digest, standing.gate_verdict), (inspected.digest, Some(Verdict::Pass)));
    assert!(ManifestStanding::read(&inspected, &model, late).unwrap().expired);
    let (other, _) = demo_model(20_000, true);
    assert!(!ManifestStanding::read(&inspected, &other, now()).unwrap().model_matches);

    // compliance.json carries these sentences: their wording is part of it.
    let g = |s: &str| s.to_string();
    for (finding, text) in [
        (
            Finding::TooSmall { group: g("small"), rows: 3000, min_rows: 10_000 },
            "small: 3000 fresh rows, fewer than 10000: previous map kept",
        ),
        (Finding::NoFreshData { group: g("(global)") }, "(global): no fresh rows: previous map kept"),
        (
            Finding::TauBreach { group: g("big"), tau: 0.123456, limit: 0.1 },
            "big: τ 0.1235 above the limit 0.1: breach, previous map kept",
        ),
        (Finding::Gate { gate: GateKind::MedianShift, verdict: Verdict::Breach }, "gate median_shift: breach"),
        (Finding::NotSigned { verdict: Verdict::NoData }, "not signed: the verdict is no_data, not pass"),
    ] {
        assert_eq!(finding.to_string(), text);
        assert_eq!(serde_json::to_value(&finding).unwrap(), Value::String(text.into()));
    }
}
