//! Replays the seed corpora of the parser fuzz targets (`fuzz/corpus/<target>/`
//! for every target in `calib_tests::fuzz::TARGETS`: CSV, Parquet, model
//! JSON, sketch bytes, rollout state, window JSON, audit log, gate and
//! rollout TOML) on stable, through the same harness as the cargo-fuzz
//! targets. A crash the fuzzer finds is committed to its target's corpus as
//! `crash-<what>` and so replayed here forever, with a named test in the
//! crate whose parser it broke.
//!
//! The seeds are real files: what calib's own writers produce (a fitted
//! model, a sketch, the state file and decision log of a rollout run through
//! the core's store, the test vectors' Parquet files) and hand-written
//! configs and CSVs. They are regenerated with
//! `CALIB_UPDATE_FUZZ_CORPUS=1 cargo test -p calib-tests --test fuzz_corpus`;
//! the state and audit seeds hold times and temp paths, so they are not
//! compared byte for byte with a fresh run: only checked to still parse
//! (`good_seeds_parse`), so that the fuzzer starts from valid inputs.

use calib_core::audit;
use calib_core::gate::GateConfigFile;
use calib_core::model::Model;
use calib_core::rollout::store::{Quiet, StateFile, Store};
use calib_core::rollout::{Config, Controller, WindowReport};
use calib_core::sketch::{FitSketch, Quantize};
use calib_tests::fuzz::{TARGETS, harness};
use calib_tests::trust::demo_model;
use std::path::{Path, PathBuf};

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus")).join(target)
}

fn files(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = corpus(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    out.sort();
    out
}

fn seed(target: &str, name: &str) -> Vec<u8> {
    std::fs::read(corpus(target).join(name)).unwrap_or_else(|e| panic!("{target}/{name}: {e}"))
}

#[test]
fn every_corpus_replays_without_a_panic() {
    for (target, fuzz) in TARGETS {
        let seeds = files(target);
        assert!(seeds.len() >= 3, "{target}: the corpus lost its seeds ({} left)", seeds.len());
        for (path, bytes) in seeds {
            let r = std::panic::catch_unwind(|| fuzz(&bytes));
            assert!(r.is_ok(), "{} panics the {target} harness", path.display());
        }
    }
}

#[test]
fn every_fuzz_target_has_a_corpus_and_a_binary() {
    let cargo = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/Cargo.toml")).unwrap();
    for (target, _) in TARGETS {
        assert!(corpus(target).is_dir(), "fuzz/corpus/{target} is missing");
        assert!(cargo.contains(&format!("name = \"{target}\"")), "fuzz/Cargo.toml has no [[bin]] {target}");
        let src = format!("{}/../fuzz/fuzz_targets/{target}.rs", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(text.contains(&format!("harness(\"{target}\")")), "{src} does not run the {target} harness");
    }
    assert!(harness("no-such-target").is_none());
}

#[test]
fn good_seeds_parse() {
    // The seeds named `ok-…` are valid inputs, so the fuzzer's mutations
    // of them reach past the first refusal.
    let text = |t, n| String::from_utf8(seed(t, n)).unwrap();
    Model::from_json(&text("model", "ok-classes")).expect("model seed");
    Model::from_json(&text("model", "ok-global")).expect("model seed");
    FitSketch::from_bytes(&seed("sketch", "ok-classes")).expect("sketch seed");
    FitSketch::from_bytes(&seed("sketch", "ok-f32")).expect("sketch seed");
    let st = StateFile::parse(&seed("state", "ok-init"), Path::new("s")).expect("state seed");
    st.controller(Path::new("s")).expect("the state seed's controller");
    StateFile::parse(&seed("state", "ok-stepped"), Path::new("s")).expect("state seed");
    serde_json::from_slice::<WindowReport>(&seed("window", "ok-pass")).expect("window seed");
    assert!(audit::verify_chain(&seed("audit", "ok-rollout")).is_ok(), "audit seed");
    let gate: GateConfigFile = toml::from_str(&text("gate_toml", "ok-full")).expect("gate seed");
    gate.resolve().expect("the gate seed resolves");
    let cfg: Config = toml::from_str(&text("rollout_toml", "ok-full")).expect("rollout seed");
    cfg.validate().expect("the rollout seed validates");
    let parquet = calib_cli::io::read_columns(
        &corpus("parquet").join("ok-typed"),
        calib_cli::io::Wanted { label: true, query_id: true },
    );
    assert!(parquet.is_ok(), "parquet seed: {parquet:?}");
    let csv = calib_cli::io::read_columns(
        &corpus("csv").join("ok-all"),
        calib_cli::io::Wanted { label: true, query_id: true },
    );
    assert!(csv.is_ok(), "csv seed: {csv:?}");
}

/// Writes every generated seed (only under `CALIB_UPDATE_FUZZ_CORPUS`).
#[test]
fn regenerate_seeds() {
    if std::env::var_os("CALIB_UPDATE_FUZZ_CORPUS").is_none() {
        return;
    }
    let put = |target: &str, name: &str, bytes: &[u8]| {
        std::fs::create_dir_all(corpus(target)).unwrap();
        std::fs::write(corpus(target).join(name), bytes).unwrap();
    };

    // CSV: the columns every command reads, quoting, CRLF, a timestamp.
    put("csv", "ok-all", b"score,label,weight,class,query_id,timestamp\n0.1,0,1,web,q1,2026-03-02T00:00:00Z\n0.8,1,2.5,\"mobile, app\",q2,2026-03-02T00:01:00Z\n0.55,1,1,web,q2,2026-03-02T00:02:00Z\n");
    put("csv", "ok-crlf", b"score,label\r\n0.2,0\r\n0.7,1\r\n");
    put("csv", "ok-quoted", b"\"score\",\"label\",\"class\"\n\"0.25\",\"0\",\"a \"\"b\"\"\"\n0.75,1,\"x\ny\"\n");
    put("csv", "bad-unterminated", b"score,label,class\n0.1,0,web\n0.9,1,\"web\n0.5,0,app\n");
    put("csv", "bad-number", b"score,label\nnan,0\n1e400,1\n,1\n");

    // Parquet: the CLI test vectors (written by pyarrow, several codecs).
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/parquet");
    for (from, to) in [
        ("typed_none.parquet", "ok-typed"),
        ("typed_snappy.parquet", "ok-snappy"),
        ("null_label.parquet", "null-label"),
        ("text_score.parquet", "text-score"),
    ] {
        put("parquet", to, &std::fs::read(vectors.join(from)).unwrap());
    }

    // Models: fitted by the core, with and without classes.
    let (model, data) = demo_model(2000, true);
    put("model", "ok-classes", model.to_json_pretty().as_bytes());
    let global = calib_core::model::fit_model::<&str>(
        &data.scores,
        &data.labels,
        None,
        None,
        &calib_core::model::FitConfig::default(),
    )
    .unwrap();
    put("model", "ok-global", global.to_json().as_bytes());
    put("model", "bad-version", b"{\"schema_version\": 99}");

    // Sketches: exact with classes, f32 without, and a grid.
    let classes: Vec<String> = (0..data.scores.len()).map(|i| ["web", "app"][i % 2].to_string()).collect();
    let s = |q, c: Option<&[String]>| {
        FitSketch::from_rows(&data.scores[..200], &data.labels[..200], None, c.map(|c| &c[..200]), q)
            .unwrap()
            .to_bytes()
    };
    put("sketch", "ok-classes", &s(Quantize::Exact, Some(&classes)));
    put("sketch", "ok-f32", &s(Quantize::F32, None));
    put("sketch", "ok-grid", &s(Quantize::Grid(0.01), None));

    // A rollout run through the core's store: its state file after init and
    // after a step, its decision log, and the window it decided.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("st.json");
    let store = Store::new(&state);
    let controller = Controller::new(Config::default()).unwrap();
    let start = 1_772_409_600_000; // 2026-03-02T00:00:00Z
    store.init(&controller, Some(serde_json::json!({"version": 3})), None, start, &mut Quiet).unwrap();
    put("state", "ok-init", &std::fs::read(&state).unwrap());
    let window = WindowReport {
        start_ms: start,
        end_ms: start + 15 * 60_000,
        samples: 5000,
        p99_latency_ms: Some(0.42),
        aece: Some(0.021),
        tau: Some(0.015),
        median_confidence_shift: Some(0.004),
        recall_at_50_delta: Some(0.0),
    };
    store.step(&window, window.end_ms, &mut Quiet).unwrap();
    let breach =
        WindowReport { start_ms: window.end_ms, end_ms: window.end_ms + 15 * 60_000, aece: Some(0.5), ..window };
    store.step(&breach, breach.end_ms, &mut Quiet).unwrap();
    let stepped = std::fs::read(&state).unwrap();
    put("state", "ok-stepped", &stepped);
    // Issue 17's first defect: a hand-edited config block.
    let edited = String::from_utf8(stepped).unwrap().replacen("\"threshold\": 0.01", "\"threshold\": 1.0", 1);
    put("state", "edited-config", edited.as_bytes());
    put("audit", "ok-rollout", &std::fs::read(dir.path().join("st.audit.jsonl")).unwrap());
    let log = std::fs::read(dir.path().join("st.audit.jsonl")).unwrap();
    let first = log.split(|&b| b == b'\n').next().unwrap();
    put("audit", "one-line", &[first, b"\n"].concat());
    put("audit", "torn", &log[..log.len() - 7]);
    put("window", "ok-pass", &serde_json::to_vec_pretty(&window).unwrap());
    put("window", "ok-breach", &serde_json::to_vec(&breach).unwrap());
    put(
        "window",
        "nodata",
        &serde_json::to_vec(&WindowReport { aece: None, tau: None, samples: 3, ..window }).unwrap(),
    );

    // Gate and rollout configs.
    put("gate_toml", "ok-full", b"[p99_latency]\nthreshold = 1.0\nmin_samples = 100\n[aece_excess]\nthreshold = 0.01\nmin_samples = 1000\nbins = 15\nresamples = 200\nseed = 13242800\nclass_min_samples = 10000\n[median_shift]\nthreshold = 0.02\n[recall_at_50]\nthreshold = 0.0\n");
    put("gate_toml", "ok-cube-root", b"[aece_excess]\nbins = \"cube_root\"\n");
    put("gate_toml", "empty", b"");
    put("rollout_toml", "ok-full", b"stages = [1, 10, 50, 100]\nwindow_minutes = 15\nmin_windows_per_stage = 4\nstable_hold_hours = 24\nconsecutive_breaches_to_trip = 2\nmin_samples = 1000\nnodata = \"breach\"\ncooldown_minutes = 60\nmax_trips_per_version = 1\ndry_run_gates = [\"recall_at_50\"]\nbreaches_in_last = { m = 3, n = 10 }\n[thresholds.aece_excess]\nthreshold = 0.01\nmin_samples = 1000\n[thresholds.p99_latency]\nthreshold = 1.0\nmin_samples = 100\n");
    put("rollout_toml", "ok-stages", b"stages = [5, 100]\n");
    put("rollout_toml", "empty", b"");
}

#[test]
fn a_parquet_column_chunk_outside_the_file_is_an_error_not_an_abort() {
    // Found by the parquet target: a footer whose column chunk has a
    // negative offset made the parquet crate assert, which aborts calib
    // (release builds abort on panic). Now a one-line error.
    let path = corpus("parquet").join("crash-negative-offset");
    let e = calib_cli::io::read_columns(&path, calib_cli::io::Wanted { label: true, query_id: false })
        .expect_err("a corrupt footer is refused");
    assert!(e.to_string().contains("not a readable Parquet file"), "{e}");
}
