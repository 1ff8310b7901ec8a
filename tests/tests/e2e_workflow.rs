//! End to end: `calib demo --workflow` runs the whole deployment workflow,
//! and every artefact it leaves verifies with the ordinary commands — the
//! manifests with `calib verify`, the audit chain with `calib audit verify`,
//! the rollouts with `calib rollout simulate`, the gates with `calib gate` —
//! and serves with `calib-serving`.

mod e2e_common;

use calib_tests::binary::{Run, calib_in};
use e2e_common::{Server, flags};
use serde_json::{Value, json};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The workflow, run once for every test of this file (16 s in a debug
/// build; fewer rows than the default 200 000 keep it short). The parity
/// outputs it reads are the test's own (`CALIB_PARITY_DIR`): a Node and a
/// WASM runtime that agree with this core, so the run does not depend on
/// what the binding tests last left in `target/parity/`.
fn workflow() -> &'static (tempfile::TempDir, Run) {
    static RUN: OnceLock<(tempfile::TempDir, Run)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let parity = dir.path().join("parity");
        std::fs::create_dir(&parity).unwrap();
        let own = calib_core::fingerprint::core_fingerprint().to_hex();
        for runtime in ["node", "wasm-node"] {
            let v = json!({ "runtime": runtime, "fingerprint": own });
            std::fs::write(parity.join(format!("{runtime}.json")), v.to_string()).unwrap();
        }
        let args = ["demo", "--workflow", "--out", "wf", "--rows", "60000"];
        let out = std::process::Command::new(calib_tests::binary::calib_bin())
            .current_dir(dir.path())
            .args(args)
            .env("CALIB_PARITY_DIR", &parity)
            .output()
            .expect("run calib");
        let run = Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
            args: args.join(" "),
        };
        (dir, run)
    })
}

fn out() -> PathBuf {
    workflow().0.path().join("wf")
}

fn calib<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(args: I) -> Run {
    calib_in(&out(), args)
}

fn json_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_workflow_passes_every_step_and_prints_one_summary() {
    let run = &workflow().1;
    assert_eq!(run.code, Some(0), "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let steps = [
        "1 core fingerprint",
        "2 baseline",
        "3 gates",
        "4 sign and verify",
        "5 staged rollout",
        "6 report",
        "audit chain",
    ];
    for (line, step) in lines[1..].iter().zip(steps) {
        assert!(
            line[..20].trim_end() == step && line[21..].starts_with("ok "),
            "{line:?} is not step {step:?} passing"
        );
    }
    assert!(run.stdout.contains("published (stable_hold_complete)"), "{}", run.stdout);
    assert!(run.stdout.contains("reverted (consecutive_breaches)"), "{}", run.stdout);
    assert!(run.stdout.contains("legacy manifest") && run.stdout.contains("refused (fingerprint_mismatch)"));
    assert!(run.stdout.ends_with("verdict: every step passed\n"), "{}", run.stdout);
    let summary = json_file(&out().join("summary.json"));
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["steps"].as_array().unwrap().len(), steps.len());
}

#[test]
fn the_manifests_verify_and_the_legacy_one_is_refused() {
    let _ = workflow();
    let pubkey = "keys/calib.pub";
    for role in ["incumbent", "candidate"] {
        let m = format!("{role}/manifest.json");
        let model = format!("{role}/model.json");
        calib(["verify", "--manifest", &m, "--pubkey", pubkey, "--model", &model]).code(0);
    }
    let r =
        calib(["verify", "--manifest", "legacy/manifest.json", "--pubkey", pubkey, "--model", "candidate/model.json"]);
    let r = r.code(1);
    assert!(r.stderr.contains("fingerprint_mismatch"), "{}", r.stderr);
    // The candidate names the incumbent as its parent; the trust state is at 2.
    let field = |role: &str, name: &str| -> String {
        let r = calib(["manifest", "show", &format!("{role}/manifest.json")]).code(0);
        r.stdout.lines().find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_string())).expect(name)
    };
    assert_eq!(field("candidate", "parent"), field("incumbent", "digest"));
    assert_eq!(field("candidate", "version"), "2");
    assert_eq!(json_file(&out().join("trust-state.json"))["version"], 2);
    // The secret key is its owner's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out().join("keys/calib.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The gates pass again when `calib gate` recomputes them on the artefacts.
    calib([
        "gate",
        "--candidate",
        "candidate/model.json",
        "--incumbent",
        "incumbent/model.json",
        "--input",
        "data/holdout.csv",
    ])
    .code(0);
    // Every runtime in reach agrees on the core fingerprint.
    let fp = json_file(&out().join("fingerprints.json"));
    let runtimes = fp["runtimes"].as_array().unwrap();
    let names: Vec<&str> = runtimes.iter().map(|r| r["runtime"].as_str().unwrap()).collect();
    assert_eq!(names, ["calib", "node", "wasm-node"]);
    assert!(runtimes.iter().all(|r| r["matches"] == true && r["fingerprint"] == fp["core"]), "{fp}");
}

#[test]
fn the_audit_chain_verifies_and_names_an_edit() {
    let _ = workflow();
    let summary = json_file(&out().join("summary.json"));
    let head = summary["audit_head"].as_str().unwrap();
    let r = calib(["audit", "verify", "audit.jsonl", "--head", head]).code(0);
    assert!(r.stdout.contains("intact"), "{}", r.stdout);
    let log = std::fs::read_to_string(out().join("audit.jsonl")).unwrap();
    let kinds: Vec<String> =
        log.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["kind"].as_str().unwrap().to_string()).collect();
    for k in ["manifest.signed", "manifest.verified", "manifest.rejected", "manifest.published", "workflow.decision"] {
        assert!(kinds.iter().any(|x| x == k), "no {k} record in {kinds:?}");
    }
    assert_eq!(kinds.first().map(String::as_str), Some("workflow.start"));
    assert_eq!(kinds.last().map(String::as_str), Some("workflow.end"));
    // An edited copy is caught.
    let edited = out().join("..").join("edited.jsonl");
    std::fs::write(&edited, log.replacen("\"decision\":\"advance\"", "\"decision\":\"hold\"", 1)).unwrap();
    let r = calib_in(workflow().0.path(), ["audit", "verify", "edited.jsonl"]).code(1);
    assert!(r.stdout.contains("was edited"), "{}", r.stdout);
}

/// The `workflow.decision` records of one simulated rollout, in order.
fn decisions(rollout: &str) -> Vec<Value> {
    let log = std::fs::read_to_string(out().join("audit.jsonl")).unwrap();
    log.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["kind"] == "workflow.decision" && r["data"]["rollout"] == rollout)
        .map(|r| r["data"].clone())
        .collect()
}

#[test]
fn the_rollouts_replay_with_calib_rollout_simulate() {
    let _ = workflow();
    for (name, last_decision, final_stage) in [("clean", "publish", "published"), ("breach", "revert", "reverted")] {
        let scenario = format!("rollout-{name}/scenario.json");
        let replay = calib(["rollout", "simulate", "--scenario", &scenario, "--json"]).code(0);
        let replayed: Value = serde_json::from_str(&replay.stdout).unwrap();
        assert_eq!(replayed, json_file(&out().join(format!("rollout-{name}/decisions.json"))));
        // The decisions the workflow took (its audit records) are the replay's.
        let key = |e: &Value| (e["decision"].to_string(), e["stage_after"].to_string(), e["reasons"].to_string());
        let taken: Vec<_> = decisions(name).iter().map(key).collect();
        let entries = replayed.as_array().unwrap();
        assert_eq!(taken, entries.iter().map(key).collect::<Vec<_>>(), "{name}: the replay decides otherwise");
        assert_eq!(entries.last().unwrap()["decision"], last_decision);
        assert_eq!(json_file(&out().join(format!("rollout-{name}/state.json")))["phase"], final_stage);
    }
    let clean = json_file(&out().join("rollout-clean/decisions.json"));
    let stages: Vec<&str> = clean.as_array().unwrap().iter().map(|e| e["stage_after"].as_str().unwrap()).collect();
    for s in ["5", "25", "50", "100", "stable", "published"] {
        assert!(stages.contains(&s), "the clean rollout never reached {s}");
    }
    // The breach run trips on the AECE gate, where the labels were flipped.
    let breach = json_file(&out().join("rollout-breach/scenario.json"));
    let windows = breach["windows"].as_array().unwrap();
    let excess = |w: &Value| w["aece"].as_f64().unwrap() - w["tau"].as_f64().unwrap();
    assert!(windows[windows.len() - 2..].iter().all(|w| excess(w) > 0.01), "{breach}");
    assert!(windows[..windows.len() - 2].iter().all(|w| excess(w) <= 0.01));
}

#[test]
fn the_report_is_written_from_the_post_deployment_traffic() {
    let _ = workflow();
    let page = std::fs::read_to_string(out().join("report.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..page.len().min(200)]);
    let model = json_file(&out().join("baseline.json"));
    assert!(model["metrics"]["overall"]["aece"].as_f64().is_some());
    let traffic = std::fs::read_to_string(out().join("report/traffic.csv")).unwrap();
    let mut lines = traffic.lines();
    assert_eq!(lines.next(), Some("query_id,class,score,label,timestamp"));
    // The stable hold and the 100 % stage: 100 windows of 4000 rows.
    assert_eq!(lines.count(), 400_000);
    // The page carries the model it reports on and its drift pack.
    let digest = json_file(&out().join("candidate/gate-report.json"))["candidate_sha256"].as_str().unwrap().to_string();
    assert!(page.contains(&digest));
}

#[test]
fn calib_serving_serves_the_workflow_artefacts() {
    let _ = workflow();
    let o = out();
    let p = |s: &str| -> OsString { o.join(s).into() };
    for (state, calibrator, stage) in
        [("rollout-clean", "candidate", "published"), ("rollout-breach", "incumbent", "reverted")]
    {
        let args = flags([
            ("pubkey", p("keys/calib.pub")),
            ("incumbent-manifest", p("incumbent/manifest.json")),
            ("incumbent-model", p("incumbent/model.json")),
            ("candidate-manifest", p("candidate/manifest.json")),
            ("candidate-model", p("candidate/model.json")),
            ("rollout-state", p(&format!("{state}/state.json"))),
            ("salt", "calib-demo".into()),
        ]);
        let server = Server::start(&args).unwrap_or_else(|r| panic!("did not start: {}", r.stderr));
        let (status, body) =
            server.client().calibrate(&json!({ "key": "repo:1", "class": "navigational", "scores": [0.1, 0.9] }));
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["calibrator"].as_str(), body["stage"].as_str()), (Some(calibrator), Some(stage)), "{body}");
    }
}
