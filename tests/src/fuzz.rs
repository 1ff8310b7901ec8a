//! The fuzz harnesses of every input parser but the manifest's (that one is
//! [`crate::trust::fuzz_manifest`]): one function per cargo-fuzz target in
//! `fuzz/fuzz_targets/`, replayed on stable over the committed corpora by
//! `tests/tests/fuzz_corpus.rs`, so a target and its replay run the same
//! code.
//!
//! Each harness feeds arbitrary bytes to a parser the way calib feeds it a
//! file, and must never panic; where it is cheap it also checks a round
//! trip (parse → serialise → parse gives the same value), so a parser that
//! accepts what its own writer cannot reproduce is caught too. Hangs and
//! memory are bounded by the fuzzer (`-timeout`, `-rss_limit_mb`, see
//! `scripts/test.sh`), not here.

use calib_cli::io::{self, Wanted};
use calib_core::audit::{self, AuditRecord};
use calib_core::gate::GateConfigFile;
use calib_core::model::{FitConfig, Model};
use calib_core::rollout::store::StateFile;
use calib_core::rollout::{Config, WindowReport};
use calib_core::sketch::FitSketch;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A fuzz harness: takes any bytes, panics only on a bug.
pub type Harness = fn(&[u8]);

/// Every fuzz target of this module, by name (the name of its binary in
/// `fuzz/Cargo.toml` and of its corpus directory under `fuzz/corpus/`).
pub const TARGETS: &[(&str, Harness)] = &[
    ("csv", fuzz_csv),
    ("parquet", fuzz_parquet),
    ("model", fuzz_model),
    ("sketch", fuzz_sketch),
    ("state", fuzz_state),
    ("window", fuzz_window),
    ("audit", fuzz_audit),
    ("gate_toml", fuzz_gate_toml),
    ("rollout_toml", fuzz_rollout_toml),
];

/// The harness of target `name` (see [`TARGETS`]).
pub fn harness(name: &str) -> Option<Harness> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Writes `data` to a fresh file in the temp directory (the CLI readers
/// take paths), named for this process and call so that parallel fuzz jobs
/// and test threads never share one. Removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(data: &[u8], ext: &str) -> Scratch {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("calib-fuzz-{}-{n}.{ext}", std::process::id()));
        std::fs::write(&path, data).expect("the temp directory is writable");
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Reads `path` with the CLI's reader every way a command does, and checks
/// what it returns is self-consistent: every column present has one value
/// per score. (A score may be NaN or infinite: `nan` and `inf` are numbers
/// to the reader, and what a non-finite score does is the core's rule,
/// `non_finite` at apply, a refusal at fit.)
fn read_input(path: &Path) {
    for wanted in [Wanted { label: true, query_id: true }, Wanted { label: false, query_id: false }] {
        let Ok(cols) = io::read_columns(path, wanted) else { continue };
        let n = cols.score.len();
        assert!(cols.label.as_ref().is_none_or(|v| v.len() == n), "one label per row");
        assert!(cols.weight.as_ref().is_none_or(|v| v.len() == n), "one weight per row");
        assert!(cols.class.as_ref().is_none_or(|v| v.len() == n), "one class per row");
        assert!(cols.query_id.as_ref().is_none_or(|v| v.len() == n), "one query id per row");
        if let Ok(Some(ts)) = io::read_timestamps(&cols) {
            assert_eq!(ts.len(), n, "one timestamp per row");
        }
    }
}

/// CSV rows, through calib-cli's CSV reader (`io::read_columns`).
pub fn fuzz_csv(data: &[u8]) {
    // Bytes starting with Parquet's magic go to the Parquet target.
    if data.starts_with(b"PAR1") {
        return;
    }
    let file = Scratch::new(data, "csv");
    read_input(&file.0);
}

/// A Parquet file, through calib-cli's Parquet reader.
pub fn fuzz_parquet(data: &[u8]) {
    let file = Scratch::new(data, "parquet");
    read_input(&file.0);
}

/// A model's JSON (`Model::from_json`): a model that loads serialises to
/// JSON that loads to the same JSON, and applies to any score.
pub fn fuzz_model(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(model) = Model::from_json(text) else { return };
    let json = model.to_json();
    let again = Model::from_json(&json).expect("a model's own JSON loads");
    assert_eq!(again.to_json(), json, "model JSON round trip");
    for s in [0.0, 0.5, 1.0, -1.0, 2.0, f64::NAN, f64::INFINITY] {
        let _ = model.apply(None, s);
    }
}

/// A sketch's bytes (`FitSketch::from_bytes`): a sketch that loads
/// re-encodes to bytes that load to the same sketch, and fitting,
/// evaluating and merging it (what `calib fit --sketch` and `calib eval
/// --sketch` do with one) never panic.
pub fn fuzz_sketch(data: &[u8]) {
    let Ok(sketch) = FitSketch::from_bytes(data) else { return };
    let bytes = sketch.to_bytes();
    let again = FitSketch::from_bytes(&bytes).expect("a sketch's own bytes load");
    assert_eq!(again.to_bytes(), bytes, "sketch round trip");
    let _ = sketch.evaluate(15);
    let _ = sketch.fit_model(&FitConfig::default());
    let mut twice = sketch.clone();
    let _ = twice.merge(&sketch);
}

/// A rollout state file (`StateFile::parse`): a file that parses writes
/// bytes that parse to the same file, and building its controller (which
/// checks config and state) never panics.
pub fn fuzz_state(data: &[u8]) {
    let path = Path::new("fuzz-state.json");
    let Ok(sf) = StateFile::parse(data, path) else { return };
    let again = StateFile::parse(&sf.to_bytes(), path).expect("a state file's own bytes parse");
    assert_eq!(again, sf, "state file round trip");
    let _ = sf.controller(path);
}

/// A window's JSON (`WindowReport`'s serde): a window that parses
/// serialises to JSON that parses to the same window; validating it against
/// the default config never panics.
pub fn fuzz_window(data: &[u8]) {
    let Ok(w) = serde_json::from_slice::<WindowReport>(data) else { return };
    let json = serde_json::to_vec(&w).expect("a window serialises");
    let again: WindowReport = serde_json::from_slice(&json).expect("a window's own JSON parses");
    assert_eq!(again, w, "window round trip");
    let _ = w.validate(&Config::default());
}

/// An audit log (`audit::verify_chain`): an intact chain's every line is
/// the canonical line of the record it parses to.
pub fn fuzz_audit(data: &[u8]) {
    let check = audit::verify_chain(data);
    assert!(check.records as usize <= data.split(|&b| b == b'\n').count(), "no more records than lines");
    if check.is_ok() {
        for line in data.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let r: AuditRecord = serde_json::from_slice(line).expect("an intact chain's line parses");
            assert_eq!(r.to_line(), line, "audit line round trip");
        }
    }
}

/// A gate config (TOML, `GateConfigFile`, then `resolve` as `calib gate`
/// does).
pub fn fuzz_gate_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(file) = toml::from_str::<GateConfigFile>(text) else { return };
    let _ = file.resolve();
}

/// A rollout config (TOML, `Config`, then `validate` and `plan` as
/// `calib rollout plan` does): a config that parses serialises to JSON that
/// parses to the same config.
pub fn fuzz_rollout_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(config) = toml::from_str::<Config>(text) else { return };
    let json = serde_json::to_string(&config).expect("a config serialises");
    let again: Config = serde_json::from_str(&json).expect("a config's own JSON parses");
    assert_eq!(again, config, "rollout config round trip");
    if config.validate().is_ok() {
        let _ = config.plan();
    }
}
