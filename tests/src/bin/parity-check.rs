//! The cross-runtime parity check, run by scripts/test.sh after every
//! runtime has written `<target>/parity/<runtime>.json`.
//!
//! For each runtime it compares every output with calib-core's expected bits
//! (tests/vectors/parity.json) using calib-core's parity report, checks that
//! the runtime's core fingerprint equals this core's, and applies the
//! single-core rule to the binding crates' sources. It writes
//! `<target>/parity/report.json` and exits non-zero on any difference.
//!
//! Usage: parity-check --require rust,python,node,wasm-node,wasm-chromium

use calib_core::parity::{ParityOptions, parity_report};
use calib_tests::parity::{self, ParityVectors, RuntimeOutputs};

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let required: Vec<String> = match args.iter().position(|a| a == "--require") {
        Some(i) => args.get(i + 1).map(|s| s.split(',').map(str::to_string).collect()).unwrap_or_default(),
        None => vec!["rust".into()],
    };
    let v: ParityVectors =
        serde_json::from_str(&std::fs::read_to_string(parity::path()).expect("vectors exist")).expect("vectors parse");
    let expected: Vec<f64> = v.apply.iter().flat_map(|c| c.expected.iter().map(|h| parity::unhex(h))).collect();
    let core_fp = calib_core::fingerprint::core_fingerprint().to_string();
    let dir = parity::outputs_dir();
    let mut failures = Vec::new();
    let mut rows = Vec::new();
    println!("{:<15} {:>8} {:>9} {:>10} {:>11}  fingerprint", "runtime", "outputs", "bitwise≠", "L∞", "metrics≠");
    for rt in &required {
        let path = dir.join(format!("{rt}.json"));
        let out: RuntimeOutputs = match std::fs::read_to_string(&path).map(|t| serde_json::from_str(&t)) {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => {
                failures.push(format!("{rt}: {} does not parse: {e}", path.display()));
                continue;
            }
            Err(e) => {
                failures.push(format!("{rt}: no outputs at {} ({e}): did its suite run?", path.display()));
                continue;
            }
        };
        let got: Vec<f64> = v
            .apply
            .iter()
            .flat_map(|c| {
                let o = out.apply.get(&c.name).cloned().unwrap_or_default();
                (0..c.expected.len())
                    .map(move |i| o.get(i).map(|h| parity::unhex(h)).unwrap_or(f64::NAN))
                    .collect::<Vec<_>>()
            })
            .collect();
        let report = parity_report(&expected, &got, None, &ParityOptions::default()).expect("same lengths");
        let diffs = parity::differences(&v, &out);
        let metric_diffs =
            diffs.iter().filter(|d| v.metrics.iter().any(|m| d.0.starts_with(&format!("{}/", m.name)))).count();
        let fp = if rt == "rust" { core_fp.clone() } else { out.fingerprint.clone() };
        let fp_ok = fp == core_fp;
        println!(
            "{:<15} {:>8} {:>9} {:>10.3e} {:>11}  {}",
            rt,
            report.n,
            report.bitwise_different,
            report.linf,
            metric_diffs,
            if fp_ok { "= core" } else { "DIFFERENT" }
        );
        if !diffs.is_empty() {
            failures.push(format!("{rt}: {} outputs differ bitwise; first {:?}", diffs.len(), &diffs[0]));
        }
        if !fp_ok {
            failures.push(format!("{rt}: fingerprint {fp:?} differs from the core's {core_fp}"));
        }
        rows.push(serde_json::json!({
            "runtime": rt,
            "fingerprint": fp,
            "fingerprint_matches_core": fp_ok,
            "metric_differences": metric_diffs,
            "report": report,
        }));
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for binding in ["calib-py", "calib-js", "calib-node", "calib-wasm"] {
        let d = root.join(binding).join("src");
        if d.exists() {
            failures.extend(parity::lint_binding(&d));
        }
    }
    let report = serde_json::json!({ "core_fingerprint": core_fp, "runtimes": rows, "failures": failures });
    std::fs::create_dir_all(&dir).expect("target/parity");
    std::fs::write(dir.join("report.json"), serde_json::to_string_pretty(&report).unwrap()).expect("report written");
    println!("report: {}", dir.join("report.json").display());
    if failures.is_empty() {
        println!("parity: {} runtimes, 0 differing outputs, one fingerprint", required.len());
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            eprintln!("parity: {f}");
        }
        ExitCode::FAILURE
    }
}
