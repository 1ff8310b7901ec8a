//! End to end: the `calib-serving` example as a process on 127.0.0.1 —
//! it refuses what does not verify, routes by bucket, hot-reloads under
//! load without a failed request, keeps serving through a bad reload, and
//! its `/metrics` is valid Prometheus text.

mod e2e_common;

use base64::Engine as _;
use calib_core::bucket;
use calib_core::manifest::Envelope;
use calib_core::map::ApplyStats;
use calib_core::model::Model;
use calib_core::rollout::Phase;
use e2e_common::{Fixture, SALT, Server, parse_prometheus, write_atomic};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn start(fx: &Fixture, candidate: bool, extra: &[&str]) -> Server {
    let mut args = fx.args(candidate);
    args.extend(extra.iter().map(Into::into));
    match Server::start(&args) {
        Ok(s) => s,
        Err(r) => panic!("calib-serving did not start (exit {:?}):\n{}", r.code, r.stderr),
    }
}

fn refused(fx: &Fixture) -> String {
    match Server::start(&fx.args(true)) {
        Ok(s) => panic!("calib-serving started on a bad manifest; stderr:\n{}", s.stderr()),
        Err(r) => {
            assert_eq!(r.code, Some(1), "a refused start-up exits 1:\n{}", r.stderr);
            assert!(r.stderr.contains("refusing to start"), "{}", r.stderr);
            r.stderr
        }
    }
}

/// The bits a model gives `scores` of `class`.
fn expected(model: &Model, class: Option<&str>, scores: &[f64]) -> Vec<u64> {
    let mut out = vec![0.0; scores.len()];
    model.apply_batch(class, scores, &mut out, &mut ApplyStats::default()).unwrap();
    out.iter().map(|p| p.to_bits()).collect()
}

fn bits(v: &Value) -> Vec<u64> {
    v["probabilities"].as_array().expect("probabilities").iter().map(|p| p.as_f64().unwrap().to_bits()).collect()
}

fn scores_for(i: usize) -> Vec<f64> {
    // 50 scores, some outside the fitted range (clamped).
    (0..50).map(|j| ((i * 50 + j) as f64 * 0.6180339887).fract() * 1.2 - 0.1).collect()
}

#[test]
fn refuses_tampered_foreign_and_mismatched_manifests_at_startup() {
    let fx = Fixture::new(Phase::Stage(25));
    let path = fx.path("candidate.manifest.json");
    let good = std::fs::read(&path).unwrap();

    // A payload edited after signing: the signature no longer verifies.
    let mut env: Envelope = serde_json::from_slice(&good).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = String::from_utf8(b64.decode(&env.payload).unwrap()).unwrap();
    env.payload = b64.encode(payload.replace("\"version\":2", "\"version\":9"));
    write_atomic(&path, &serde_json::to_vec(&env).unwrap());
    let err = refused(&fx);
    assert!(err.contains("candidate manifest") && err.contains("bad_signature"), "{err}");

    // Made for another core: refused by its fingerprint.
    let mut st = manifest_statement(&good);
    st.predicate.core_fingerprint = calib_core::canonical::Sha256Digest([0xab; 32]);
    write_atomic(&path, &calib_core::manifest::sign(&st, &[&fx.secret]).unwrap());
    let err = refused(&fx);
    assert!(err.contains("fingerprint_mismatch") && err.contains("this core's fingerprint is"), "{err}");

    // The right manifest beside the wrong model.
    write_atomic(&path, &good);
    write_atomic(&fx.path("candidate.model.json"), fx.incumbent.to_json().as_bytes());
    let err = refused(&fx);
    assert!(err.contains("subject_mismatch"), "{err}");

    // Signed by a key the service does not trust.
    fx.install("candidate", &fx.candidate, 2);
    let other = calib_tests::trust::key(7);
    write_atomic(&path, &calib_core::manifest::sign(&manifest_statement(&good), &[&other]).unwrap());
    let err = refused(&fx);
    assert!(err.contains("unknown_key"), "{err}");

    // The incumbent is checked as strictly.
    fx.install("candidate", &fx.candidate, 2);
    write_atomic(&fx.path("incumbent.model.json"), fx.candidate.to_json().as_bytes());
    let err = refused(&fx);
    assert!(err.contains("incumbent manifest") && err.contains("subject_mismatch"), "{err}");

    // And with everything in place it starts.
    fx.install("incumbent", &fx.incumbent, 1);
    let server = start(&fx, true, &[]);
    assert_eq!(server.health()["generation"], 1);
}

fn manifest_statement(envelope: &[u8]) -> calib_core::manifest::Statement {
    calib_core::manifest::inspect(envelope).unwrap().statement.unwrap()
}

#[test]
fn serves_the_candidate_exactly_to_the_keys_its_stage_includes() {
    let fx = Fixture::new(Phase::Stage(25));
    let server = start(&fx, true, &["--watch-ms", "0"]);
    let mut c = server.client();
    let (mut to_candidate, mut to_incumbent) = (0, 0);
    for i in 0..400 {
        let key = format!("repo:{i}");
        let class = ["navigational", "informational", "transactional", "unknown-class"][i % 4];
        let scores = scores_for(i);
        let (status, body) = c.calibrate(&json!({ "key": key, "class": class, "scores": scores }));
        assert_eq!(status, 200, "{body}");
        let included = bucket::included(SALT, &key, 25);
        let (name, model, version) =
            if included { ("candidate", &fx.candidate, 2) } else { ("incumbent", &fx.incumbent, 1) };
        assert_eq!(body["calibrator"], name, "key {key}");
        assert_eq!(body["version"], version);
        assert_eq!(body["stage"], "25");
        assert_eq!(bits(&body), expected(model, Some(class), &scores), "key {key}: not the {name}'s bits");
        if included { to_candidate += 1 } else { to_incumbent += 1 }
    }
    // 25 % of 400 keys, give or take the hash.
    assert!((60..=140).contains(&to_candidate), "{to_candidate} of 400 keys went to the candidate");
    assert!(to_incumbent > 0);

    // Without a candidate everything goes to the incumbent.
    drop(server);
    let server = start(&fx, false, &[]);
    let (_, body) = server.client().calibrate(&json!({ "key": "repo:1", "scores": [0.2, 0.7] }));
    assert_eq!(body["calibrator"], "incumbent");
    assert_eq!(body["stage"], "off");

    // Bad requests are refused with a reason, and counted.
    let mut c = server.client();
    let (status, body) = c.calibrate(&json!({ "key": "repo:1", "scores": "no" }));
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "bad_request");
    let (status, body) = c.calibrate(&json!({ "key": "repo:1", "scores": [0.5], "labels": [2.0] }));
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_labels")), "{body}");
}

/// Clients that keep calibrating until told to stop; every answer is
/// checked against one of the snapshots the test installs.
struct Load {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicU64>,
    failures: Arc<Mutex<Vec<String>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(server: &Server, clients: usize, valid: fn(&Value) -> bool) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicU64::new(0));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let deadline = Instant::now() + Duration::from_secs(30);
        let threads = (0..clients)
            .map(|t| {
                let (stop, ok, failures, addr) = (stop.clone(), ok.clone(), failures.clone(), server.addr);
                std::thread::spawn(move || {
                    let mut c = e2e_common::Client::connect(addr);
                    let mut i = t * 1_000_000;
                    // Bounded: stops when told, and in any case by the deadline.
                    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                        let body = json!({ "key": format!("repo:{}", i % 997), "scores": scores_for(i) });
                        match c.request("POST", "/calibrate", &body.to_string()) {
                            Ok((200, text)) => {
                                let v: Value = serde_json::from_str(&text).unwrap();
                                if valid(&v) {
                                    ok.fetch_add(1, Ordering::Relaxed);
                                } else {
                                    failures.lock().unwrap().push(format!("inconsistent answer {v}"));
                                }
                            }
                            Ok((status, text)) => failures.lock().unwrap().push(format!("{status}: {text}")),
                            Err(e) => {
                                failures.lock().unwrap().push(format!("I/O: {e}"));
                                c = e2e_common::Client::connect(addr);
                            }
                        }
                        i += 1;
                    }
                })
            })
            .collect();
        Load { stop, ok, failures, threads }
    }

    fn ok(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
    }

    fn wait_for_more(&self, n: u64) {
        let target = self.ok() + n;
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.ok() < target && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(self.ok() >= target, "the load stalled at {} answers", self.ok());
    }

    fn finish(self) -> (u64, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().unwrap();
        }
        (self.ok.load(Ordering::Relaxed), self.failures.lock().unwrap().clone())
    }
}

#[test]
fn hot_reloads_under_concurrent_load_without_a_failed_request() {
    let fx = Fixture::new(Phase::Stage(5));
    let server = start(&fx, true, &["--watch-ms", "25"]);
    // Every answer must come from one whole snapshot: (stage, calibrator, version)
    // of generation 1 (stage 5), 2 (stage 50) or 3 (stage 50, candidate v3).
    fn valid(v: &Value) -> bool {
        let key = v["calibrator"].as_str().unwrap_or_default();
        matches!(
            (v["stage"].as_str().unwrap_or_default(), key, v["version"].as_u64().unwrap_or(0)),
            ("5", "candidate", 2) | ("50", "candidate", 2 | 3) | ("5" | "50", "incumbent", 1)
        )
    }
    let load = Load::start(&server, 4, valid);
    load.wait_for_more(300);

    // The rollout advances: the file watch swaps the new stage in.
    fx.set_phase(Phase::Stage(50));
    server.wait_for("stage 50", |h| h["stage"] == "50" && h["generation"] == 2);
    load.wait_for_more(300);

    // A new candidate version, announced by SIGHUP (and seen by the watch).
    let (v3, _) = calib_tests::trust::demo_model(6000, true);
    fx.install("candidate", &v3, 3);
    server.hup();
    // The watch may catch the new model before its manifest (two files):
    // that load is refused and the old snapshot serves until both are there.
    server.wait_for("candidate v3", |h| h["calibrators"][1]["version"] == 3);
    load.wait_for_more(300);

    let (ok, failures) = load.finish();
    assert!(
        failures.is_empty(),
        "{} of {} requests failed: {:?}",
        failures.len(),
        ok,
        &failures[..failures.len().min(5)]
    );
    assert!(ok >= 900, "only {ok} answers");

    // After the reloads, routing follows the new stage and version exactly.
    let mut c = server.client();
    for i in 0..200 {
        let key = format!("repo:{i}");
        let (_, body) = c.calibrate(&json!({ "key": key, "class": "navigational", "scores": scores_for(i) }));
        let included = bucket::included(SALT, &key, 50);
        assert_eq!(body["calibrator"], if included { "candidate" } else { "incumbent" });
        let model = if included { &v3 } else { &fx.incumbent };
        assert_eq!(bits(&body), expected(model, Some("navigational"), &scores_for(i)));
    }
}

#[test]
fn refuses_a_bad_reload_and_keeps_the_old_calibrator_serving() {
    let fx = Fixture::new(Phase::Stage(100));
    let trust = fx.path("trust.json");
    let server = start(&fx, true, &["--watch-ms", "25", "--trust-state", trust.to_str().unwrap()]);
    let load = Load::start(&server, 2, |v| v["calibrator"] == "candidate" && v["version"] == 2);
    load.wait_for_more(200);

    // A tampered candidate manifest lands: refused, version 2 keeps serving.
    let good = std::fs::read(fx.path("candidate.manifest.json")).unwrap();
    let mut env: Envelope = serde_json::from_slice(&good).unwrap();
    env.signatures[0].sig = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
    write_atomic(&fx.path("candidate.manifest.json"), &serde_json::to_vec(&env).unwrap());
    let h = server.wait_for("a refused reload", |h| h["reloads_refused"].as_u64() >= Some(1));
    assert!(h["last_refusal"].as_str().unwrap().contains("bad_signature"), "{h}");
    assert_eq!(h["generation"], 1);
    load.wait_for_more(200);

    // A rollback to an older version (validly signed) is refused too.
    fx.install("candidate", &fx.candidate, 1);
    let h =
        server.wait_for("a refused rollback", |h| h["last_refusal"].as_str().is_some_and(|r| r.contains("rollback")));
    assert_eq!(h["generation"], 1, "{h}");

    // So is a rollout state that is not one (written first, so no poll sees
    // a good set in between). The original manifest bytes come back: the
    // same version re-signed would be refused as a rollback too.
    write_atomic(&fx.path("rollout.json"), b"{\"phase\": \"sideways\"}");
    write_atomic(&fx.path("candidate.manifest.json"), &good);
    server.wait_for("a refused state", |h| h["last_refusal"].as_str().is_some_and(|r| r.contains("rollout state")));
    load.wait_for_more(200);

    // The good files again: it reloads, and the trust state was persisted.
    fx.set_phase(Phase::Stage(100));
    let h = server.wait_for("a good reload", |h| h["generation"] == 2 && h["last_refusal"].is_null());
    assert_eq!(h["calibrators"][1]["version"], 2);
    let (ok, failures) = load.finish();
    assert!(failures.is_empty(), "{} requests failed: {:?}", failures.len(), &failures[..failures.len().min(5)]);
    assert!(ok > 0);
    let saved: Value = serde_json::from_slice(&std::fs::read(&trust).unwrap()).unwrap();
    assert_eq!(saved["candidate"]["version"], 2);
    assert_eq!(saved["incumbent"]["version"], 1);
    drop(server);

    // The persisted trust state refuses a rollback at the next start-up.
    fx.install("candidate", &fx.candidate, 1);
    let mut args = fx.args(true);
    args.extend(["--trust-state".into(), trust.into_os_string()]);
    let r = Server::start(&args).err().expect("a rollback at start-up is refused");
    assert!(r.stderr.contains("rollback"), "{}", r.stderr);
}

#[test]
fn metrics_are_valid_prometheus_text_with_latency_drift_clamp_and_stage() {
    let fx = Fixture::new(Phase::Stage(50));
    let server = start(&fx, true, &["--watch-ms", "0"]);
    let mut c = server.client();
    let (mut labelled, mut served) = ([0u64; 2], [0u64; 2]);
    for i in 0..300 {
        let key = format!("repo:{i}");
        let scores = scores_for(i);
        // Labels from a fixed rule, on every other request.
        let labels: Vec<f64> = scores.iter().map(|s| f64::from(u8::from(*s > 0.5))).collect();
        let body = if i % 2 == 0 {
            json!({ "key": key, "class": "informational", "scores": scores, "labels": labels })
        } else {
            json!({ "key": key, "scores": scores })
        };
        let (status, v) = c.calibrate(&body);
        assert_eq!(status, 200, "{v}");
        let r = usize::from(v["calibrator"] == "candidate");
        served[r] += 50;
        if i % 2 == 0 {
            labelled[r] += 50;
        }
    }
    c.calibrate(&json!({ "nonsense": true }));
    // Bad labels are refused before anything is calibrated or counted.
    let (status, _) = c.calibrate(&json!({ "key": "repo:0", "scores": [0.5, 0.7], "labels": [2.0, 0.0] }));
    assert_eq!(status, 400);
    let (status, text) = c.get("/metrics");
    assert_eq!(status, 200);
    let ex = parse_prometheus(&text).unwrap_or_else(|e| panic!("/metrics is not valid Prometheus text: {e}\n{text}"));

    assert_eq!(ex.types["calib_serving_request_duration_seconds"], "histogram");
    let count = |who: &str| ex.value("calib_serving_request_duration_seconds_count", &[("calibrator", who)]);
    assert_eq!(count("incumbent") + count("candidate"), 300.0);
    assert_eq!(count("none"), 2.0, "the two refused requests are timed as unrouted");
    assert_eq!(ex.value("calib_serving_requests_total", &[("calibrator", "none"), ("result", "error")]), 2.0);
    assert_eq!(ex.value("calib_rollout_stage_percent", &[]), 50.0);
    assert_eq!(ex.value("calib_rollout_phase", &[("phase", "50")]), 1.0);
    for (i, who) in ["incumbent", "candidate"].into_iter().enumerate() {
        assert_eq!(ex.value("calib_serving_scores_total", &[("calibrator", who)]), served[i] as f64);
        // The drift monitor saw exactly the labelled rows, per calibrator.
        assert_eq!(ex.value("calib_window_scores", &[("calibrator", who)]), labelled[i] as f64);
        let clamped = ex.value("calib_serving_clamped_scores_total", &[("calibrator", who)]);
        let ratio = ex.value("calib_serving_clamp_ratio", &[("calibrator", who)]);
        assert!(clamped > 0.0, "scores below 0 and above 1 are outside every fitted range");
        assert_eq!(ratio, clamped / served[i] as f64);
        let monitor_ratio = ex.value("calib_clamp_ratio", &[("calibrator", who)]);
        assert!((0.0..=1.0).contains(&monitor_ratio));
        assert!(ex.value("calib_aece", &[("calibrator", who)]) >= 0.0);
        assert_eq!(ex.value("calib_alert_no_data", &[("calibrator", who), ("rule", "aece_drift")]), 1.0);
        assert_eq!(ex.value("calib_serving_drift_baseline_ready", &[("calibrator", who)]), 0.0);
    }
    assert_eq!(ex.find("calib_serving_manifest_info", &[("version", "2"), ("calibrator", "candidate")]).len(), 1);
    assert_eq!(ex.types["calib_calibrated_probability"], "histogram");
}

#[test]
fn the_drift_monitor_sets_its_baseline_after_a_full_window_and_then_judges_drift() {
    let fx = Fixture::new(Phase::Off);
    let server = start(&fx, false, &["--watch-ms", "0", "--monitor-window-secs", "2"]);
    let mut c = server.client();
    // 10 000 labelled rows: the drift rule's minimum, in the first window.
    let send = |c: &mut e2e_common::Client, offset: usize| {
        for i in 0..200 {
            let scores = scores_for(offset + i);
            let labels: Vec<f64> = scores.iter().map(|s| f64::from(u8::from(*s > 0.4))).collect();
            let (status, v) = c.calibrate(&json!({ "key": "k", "scores": scores, "labels": labels }));
            assert_eq!(status, 200, "{v}");
        }
    };
    let started = Instant::now();
    send(&mut c, 0);
    assert!(started.elapsed() < Duration::from_secs(2), "the first batch must fit in the first window");
    let (_, text) = c.get("/metrics");
    let ex = parse_prometheus(&text).unwrap();
    assert_eq!(ex.value("calib_serving_drift_baseline_ready", &[("calibrator", "incumbent")]), 0.0);
    assert_eq!(ex.value("calib_window_scores", &[("calibrator", "incumbent")]), 10_000.0);
    std::thread::sleep(Duration::from_millis(2100).saturating_sub(started.elapsed()));
    // The next rows close the first window: it becomes the baseline.
    send(&mut c, 200);
    let (_, text) = c.get("/metrics");
    let ex = parse_prometheus(&text).unwrap();
    assert_eq!(ex.value("calib_serving_drift_baseline_ready", &[("calibrator", "incumbent")]), 1.0);
    assert!(ex.value("calib_serving_drift_windows_total", &[("calibrator", "incumbent")]) >= 1.0);
    let window = ex.value("calib_window_scores", &[("calibrator", "incumbent")]);
    if window >= 10_000.0 {
        // Both windows have enough rows: the drift rule is judged.
        assert_eq!(ex.value("calib_alert_no_data", &[("calibrator", "incumbent"), ("rule", "aece_drift")]), 0.0);
    }
}
