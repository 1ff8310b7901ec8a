//! End to end: `calib-serving`'s live canary windows. The service runs on
//! a manual clock (`--canary-manual-clock-ms`, moved by `POST
//! /canary/clock`), so windows open, wait out their label delay and close
//! in milliseconds; the tests send traffic and late feedback and check each
//! closed window's report against calib-core computing it directly on the
//! same rows.

mod e2e_common;

use calib_core::map::ApplyStats;
use calib_core::model::Model;
use calib_core::monitor::{MonitorConfig, WindowStorage, evaluate_alerts};
use calib_core::rollout::{Phase, WindowReport, WindowTraffic};
use e2e_common::{Client, Fixture, Server, flags, parse_prometheus, write_atomic};
use serde_json::{Value, json};

const MINUTE: i64 = 60_000;
/// A minute boundary, so windows start at `T0`.
const T0: i64 = 1_800_000_000_000 - 1_800_000_000_000 % MINUTE;
const ROWS: usize = 60;

/// One-minute windows judged two minutes after they end.
const CONFIG: &str = "window_minutes = 1\nlabel_delay_minutes = 2\nmin_samples = 1000\n";

fn start(fx: &Fixture, extra: &[(&str, &str)]) -> Server {
    write_atomic(&fx.path("rollout.toml"), CONFIG.as_bytes());
    let mut args = fx.args(true);
    args.extend(flags([
        ("rollout-config", fx.path("rollout.toml").into()),
        ("canary-manual-clock-ms", T0.to_string().into()),
        ("watch-ms", "0".into()),
    ]));
    args.extend(flags(extra.iter().map(|(k, v)| (*k, (*v).into()))));
    match Server::start(&args) {
        Ok(s) => s,
        Err(r) => panic!("calib-serving did not start (exit {:?}):\n{}", r.code, r.stderr),
    }
}

fn set_clock(c: &mut Client, now_ms: i64) {
    let (status, body) = c.request("POST", "/canary/clock", &json!({ "now_ms": now_ms }).to_string()).unwrap();
    assert_eq!(status, 200, "{body}");
}

fn feedback(c: &mut Client, request_id: &str, labels: &[f64]) -> (u16, Value) {
    let body = json!({ "request_id": request_id, "labels": labels }).to_string();
    let (status, text) = c.request("POST", "/feedback", &body).unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn canary(c: &mut Client) -> Value {
    let (status, body) = c.get("/canary");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn apply(model: &Model, class: &str, scores: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; scores.len()];
    model.apply_batch(Some(class), scores, &mut out, &mut ApplyStats::default()).unwrap();
    out
}

/// One request of the test traffic: its key, class, scores and labels.
struct Query {
    key: String,
    class: &'static str,
    scores: Vec<f64>,
    labels: Vec<f64>,
}

fn query(i: usize) -> Query {
    let scores: Vec<f64> = (0..ROWS).map(|j| ((i * ROWS + j) as f64 * 0.618_033_988_7).fract()).collect();
    // Labels drawn against the score itself, so both calibrators rank well.
    let labels = scores
        .iter()
        .enumerate()
        .map(|(j, s)| f64::from(u8::from(((i * 31 + j * 17) as f64 * 0.754_877_666).fract() < *s)))
        .collect();
    let class = ["navigational", "informational", "transactional"][i % 3];
    Query { key: format!("repo:{i}"), class, scores, labels }
}

/// What calib-core measures on these queries, all labelled, computed here
/// directly: both models applied, the monitor over the candidate's rows,
/// `WindowReport::measure` (p99 is the service histogram's, checked apart).
fn expected(fx: &Fixture, queries: &[Query], start_ms: i64) -> WindowReport {
    let (mut candidate, mut incumbent, mut labels, mut ids) = (vec![], vec![], vec![], vec![]);
    for (q, query) in queries.iter().enumerate() {
        candidate.extend(apply(&fx.candidate, query.class, &query.scores));
        incumbent.extend(apply(&fx.incumbent, query.class, &query.scores));
        labels.extend_from_slice(&query.labels);
        ids.extend(std::iter::repeat_n(q.to_string(), ROWS));
    }
    let monitor = MonitorConfig::default();
    let mut storage = WindowStorage::for_rows(&monitor, candidate.len()).unwrap();
    let mut window = storage.window().unwrap();
    for (&p, &y) in candidate.iter().zip(&labels) {
        window.observe_probability(p, y).unwrap();
    }
    let summary = window.summary().unwrap();
    let alerts = evaluate_alerts(&summary, None, &monitor.alerts);
    let envelope = std::fs::read(fx.path("candidate.manifest.json")).unwrap();
    let statement = calib_core::manifest::inspect(&envelope).unwrap().statement.unwrap();
    let c_hat = statement.predicate.parameters.c_hat.overall.expect("the fixture's manifest records ĉ");
    WindowReport::measure(&WindowTraffic {
        start_ms,
        end_ms: start_ms + MINUTE,
        candidate: &candidate,
        incumbent: &incumbent,
        labels: &labels,
        query_ids: &ids,
        latencies_ms: None,
        monitor: &summary,
        alerts: &alerts,
        c_hat,
    })
    .unwrap()
}

/// p99 (ms) of `calibrator`'s requests by the service's histogram on
/// `/metrics`: the upper edge of the bucket holding rank ⌈0.99·n⌉.
fn histogram_p99(c: &mut Client, calibrator: &str) -> f64 {
    let (_, text) = c.get("/metrics");
    let m = parse_prometheus(&text).unwrap();
    let mut buckets: Vec<(f64, f64)> = m
        .find("calib_serving_request_duration_seconds_bucket", &[("calibrator", calibrator)])
        .iter()
        .map(|s| (s.labels["le"].parse::<f64>().unwrap_or(f64::INFINITY), s.value))
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = buckets.last().unwrap().1 as u64;
    let rank = (n * 99).div_ceil(100) as f64;
    let le = buckets.iter().find(|(_, cum)| *cum >= rank).unwrap().0;
    if le.is_finite() { le * 1e3 } else { f64::MAX }
}

#[test]
fn a_window_joins_late_labels_and_reports_what_the_core_measures_on_its_rows() {
    let fx = Fixture::new(Phase::Stage(50));
    let server = start(&fx, &[]);
    let mut c = server.client();

    // Window A, [T0, T0 + 1 min): 40 queries, every other one labelled inline.
    let queries: Vec<Query> = (0..40).map(query).collect();
    let mut late = Vec::new();
    let mut answered = [0, 0];
    for (i, q) in queries.iter().enumerate() {
        let inline = i % 2 == 0;
        let mut body = json!({ "key": q.key, "class": q.class, "scores": q.scores });
        if inline {
            body["labels"] = json!(q.labels);
        }
        let (status, resp) = c.calibrate(&body);
        assert_eq!(status, 200, "{resp}");
        answered[usize::from(resp["calibrator"] == "candidate")] += 1;
        let id = resp["request_id"].as_str().expect("a held request has a request_id").to_string();
        if !inline {
            late.push((id, q.labels.clone()));
        }
    }
    assert!(answered[0] > 0 && answered[1] > 0, "both calibrators answer at 50 %: {answered:?}");
    // Only window A's candidate requests are in the service histogram so far.
    let p99 = histogram_p99(&mut c, "candidate");

    // Window B opens; A is over but within its label delay.
    set_clock(&mut c, T0 + MINUTE + 1);
    let q = query(100);
    let (status, resp) = c.calibrate(&json!({ "key": q.key, "class": q.class, "scores": q.scores }));
    assert_eq!(status, 200, "{resp}");
    let in_b = resp["request_id"].as_str().unwrap().to_string();

    // Late labels for A count in A.
    for (id, labels) in &late {
        let (status, resp) = feedback(&mut c, id, labels);
        assert_eq!((status, resp["window_start_ms"].as_i64()), (200, Some(T0)), "{resp}");
    }
    // Refusals, each with its status and code.
    let (status, resp) = feedback(&mut c, &late[0].0, &late[0].1);
    assert_eq!((status, resp["error"].as_str()), (409, Some("already_labelled")), "{resp}");
    let (status, resp) = feedback(&mut c, "0-1", &late[0].1);
    assert_eq!((status, resp["error"].as_str()), (404, Some("unknown_request_id")), "{resp}");
    let (status, resp) = feedback(&mut c, &in_b, &[1.0]);
    assert_eq!((status, resp["error"].as_str()), (400, Some("bad_labels")), "{resp}");

    let s = canary(&mut c);
    assert_eq!(s["closed"].as_array().unwrap().len(), 0, "A waits for its label delay: {s}");
    let open_a = &s["open"][0];
    assert_eq!((open_a["start_ms"].as_i64(), open_a["labelled_rows"].as_u64()), (Some(T0), Some(40 * ROWS as u64)));
    assert_eq!(open_a["timed"], json!({ "answered": answered[1], "shadow": answered[0] }));

    // A's delay is over: A is judged, B is not.
    set_clock(&mut c, T0 + 3 * MINUTE);
    let (status, resp) = feedback(&mut c, &late[1].0, &late[1].1);
    assert_eq!((status, resp["error"].as_str()), (410, Some("request_expired")), "{resp}");
    let (status, resp) = feedback(&mut c, &in_b, &q.labels);
    assert_eq!((status, resp["window_start_ms"].as_i64()), (200, Some(T0 + MINUTE)), "{resp}");

    let s = canary(&mut c);
    let closed = s["closed"].as_array().unwrap();
    assert_eq!(closed.len(), 1, "{s}");
    let got: WindowReport = serde_json::from_value(closed[0]["report"].clone()).unwrap();
    let want = expected(&fx, &queries, T0);
    assert_eq!(got.samples, 40 * ROWS as u64);
    assert_eq!(WindowReport { p99_latency_ms: None, ..got }, want, "the service's report and the core's differ");
    assert!(want.aece.is_some() && want.recall_at_50_delta.is_some() && want.median_confidence_shift.is_some());
    let got_p99 = got.p99_latency_ms.expect("the candidate answered, so it was timed");
    assert!((got_p99 - p99).abs() <= 1e-12 * p99, "p99 {got_p99} ms, but the histogram says {p99} ms");
    // The gates judged it under the config: 2400 samples ≥ min_samples.
    let gates = closed[0]["gates"].as_array().unwrap();
    assert_eq!(gates.len(), 4);
    assert!(gates.iter().all(|g| g["verdict"] != "no_data"), "{gates:?}");

    let (_, text) = c.get("/metrics");
    let m = parse_prometheus(&text).unwrap();
    assert_eq!(m.value("calib_canary_windows_closed_total", &[]), 1.0);
    assert_eq!(m.value("calib_canary_held_rows", &[]), ROWS as f64, "only B's query is held");
    for (result, n) in [
        ("ok", 21.0),
        ("already_labelled", 1.0),
        ("unknown_request_id", 1.0),
        ("bad_labels", 1.0),
        ("request_expired", 1.0),
    ] {
        assert_eq!(m.value("calib_canary_feedback_total", &[("result", result)]), n, "{result}");
    }
    assert_eq!(m.value("calib_canary_last_window", &[("measurement", "samples")]), 2400.0);
    assert_eq!(m.value("calib_canary_last_window", &[("measurement", "aece")]), want.aece.unwrap());
    assert_eq!(m.find("calib_canary_last_window_gate", &[]).len(), 4);

    // B without labels by its judgement would be no data; it had one query
    // labelled, 60 rows: judged, with every gate no_data (60 < min_samples).
    set_clock(&mut c, T0 + 4 * MINUTE);
    let s = canary(&mut c);
    let b = &s["closed"][1];
    assert_eq!(b["report"]["samples"].as_u64(), Some(ROWS as u64), "{s}");
    assert!(b["gates"].as_array().unwrap().iter().all(|g| g["verdict"] == "no_data"), "{b}");
}

#[test]
fn at_off_the_candidate_is_timed_in_shadow() {
    let fx = Fixture::new(Phase::Off);
    let server = start(&fx, &[]);
    let mut c = server.client();
    for i in 0..20 {
        let q = query(i);
        let (status, resp) =
            c.calibrate(&json!({ "key": q.key, "class": q.class, "scores": q.scores, "labels": q.labels }));
        assert_eq!((status, resp["calibrator"].as_str()), (200, Some("incumbent")), "{resp}");
    }
    let p99 = histogram_p99(&mut c, "incumbent");
    set_clock(&mut c, T0 + 3 * MINUTE);
    let s = canary(&mut c);
    let got: WindowReport = serde_json::from_value(s["closed"][0]["report"].clone()).unwrap();
    let queries: Vec<Query> = (0..20).map(query).collect();
    assert_eq!(WindowReport { p99_latency_ms: None, ..got }, expected(&fx, &queries, T0));
    // The shadow requests' p99: every request ran the candidate.
    let got_p99 = got.p99_latency_ms.expect("timed in shadow");
    assert!((got_p99 - p99).abs() <= 1e-12 * p99, "p99 {got_p99} ms, but the histogram says {p99} ms");
}

#[test]
fn the_join_store_is_bounded_and_frees_what_is_judged() {
    let fx = Fixture::new(Phase::Stage(25));
    // Room for two requests of 60 rows.
    let server = start(&fx, &[("canary-capacity-rows", "150")]);
    let mut c = server.client();
    let mut ids = Vec::new();
    for i in 0..3 {
        let q = query(i);
        let (status, resp) = c.calibrate(&json!({ "key": q.key, "class": q.class, "scores": q.scores }));
        assert_eq!(status, 200, "a request the store cannot hold is still served: {resp}");
        ids.push(resp["request_id"].as_str().map(str::to_string));
    }
    assert!(ids[0].is_some() && ids[1].is_some() && ids[2].is_none(), "{ids:?}");
    let s = canary(&mut c);
    assert_eq!((s["held_rows"].as_u64(), s["not_held"]["requests"].as_u64()), (Some(120), Some(1)), "{s}");

    // Judged, the window's rows leave the store, and new requests are held.
    set_clock(&mut c, T0 + 3 * MINUTE);
    let q = query(9);
    let (_, resp) = c.calibrate(&json!({ "key": q.key, "class": q.class, "scores": q.scores }));
    assert!(resp["request_id"].is_string(), "{resp}");
    let s = canary(&mut c);
    assert_eq!((s["held_rows"].as_u64(), s["windows_closed"].as_u64()), (Some(60), Some(1)), "{s}");
    let (_, text) = c.get("/metrics");
    let m = parse_prometheus(&text).unwrap();
    assert_eq!(m.value("calib_canary_not_held_requests_total", &[("reason", "full")]), 1.0);
    assert_eq!(m.value("calib_canary_not_held_requests_total", &[("reason", "model_changed")]), 0.0);
    assert_eq!(m.value("calib_canary_capacity_rows", &[]), 150.0);
    // The first window's ids are expired now.
    let (status, resp) = feedback(&mut c, ids[0].as_deref().unwrap(), &q.labels);
    assert_eq!((status, resp["error"].as_str()), (410, Some("request_expired")), "{resp}");
}

#[test]
fn a_window_measures_one_pair_of_models() {
    let fx = Fixture::new(Phase::Stage(50));
    let server = start(&fx, &[]);
    let mut c = server.client();
    let send = |c: &mut Client, i: usize| {
        let q = query(i);
        let (status, resp) = c.calibrate(&json!({ "key": q.key, "class": q.class, "scores": q.scores }));
        assert_eq!(status, 200, "{resp}");
        resp["request_id"].as_str().map(str::to_string)
    };
    assert!(send(&mut c, 0).is_some());
    // Another candidate is swapped in within the window: its requests are
    // not mixed into a window that measures the first one.
    fx.install("candidate", &fx.incumbent, 3);
    server.hup();
    server.wait_for("the reload", |h| h["generation"] == 2);
    assert_eq!(send(&mut c, 1), None);
    let s = canary(&mut c);
    assert_eq!(s["not_held"]["by_reason"]["model_changed"], 1, "{s}");
    // The next window measures the new pair.
    set_clock(&mut c, T0 + MINUTE);
    assert!(send(&mut c, 2).is_some());
    let s = canary(&mut c);
    let open = s["open"].as_array().unwrap();
    assert_eq!(open.len(), 2, "{s}");
    assert_ne!(open[0]["candidate_model_sha256"], open[1]["candidate_model_sha256"]);
    assert_eq!(open[1]["candidate_model_sha256"], open[1]["incumbent_model_sha256"], "{s}");
}

#[test]
fn without_a_rollout_config_there_is_no_canary() {
    let fx = Fixture::new(Phase::Stage(25));
    let server = Server::start(&fx.args(true)).unwrap_or_else(|r| panic!("{}", r.stderr));
    let mut c = server.client();
    let q = query(0);
    let (status, resp) = c.calibrate(&json!({ "key": q.key, "class": q.class, "scores": q.scores }));
    assert_eq!(status, 200);
    assert!(resp.get("request_id").is_none(), "{resp}");
    let (status, resp) = feedback(&mut c, "1-0", &q.labels);
    assert_eq!((status, resp["error"].as_str()), (404, Some("canary_off")), "{resp}");
    let (status, _) = c.get("/canary");
    assert_eq!(status, 404);

    // A config the plan refuses stops the start-up.
    write_atomic(&fx.path("bad.toml"), b"stages = [5, 25]\n");
    let mut args = fx.args(true);
    args.extend(flags([("rollout-config", fx.path("bad.toml").into())]));
    let r = Server::start(&args).err().expect("a config that never publishes is refused");
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("never_publishes"), "{}", r.stderr);
}
