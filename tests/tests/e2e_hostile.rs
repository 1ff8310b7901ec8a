//! End to end: the `calib-serving` example against hostile clients on
//! 127.0.0.1 — oversized and broken bodies, slow clients, shutdown with a
//! client holding a connection, expiry while serving, malformed requests in
//! bulk. Each of the first tests is one defect of issue 17 and failed
//! before its fix; the last holds what the hostile run found true (every
//! malformed request refused as JSON and counted, memory bounded). Every
//! socket has a read timeout and every server a lifetime, so each test is
//! bounded.

mod e2e_common;

use calib_core::rollout::Phase;
use e2e_common::{Fixture, Server, parse_prometheus};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

fn start(fx: &Fixture, candidate: bool, extra: &[&str]) -> Server {
    let mut args = fx.args(candidate);
    args.extend(extra.iter().map(Into::into));
    match Server::start(&args) {
        Ok(s) => s,
        Err(r) => panic!("calib-serving did not start (exit {:?}):\n{}", r.code, r.stderr),
    }
}

/// A raw connection: bytes are written as given, so requests can be
/// malformed, partial or slow.
fn connect(addr: SocketAddr, read_timeout: Duration) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect to calib-serving");
    s.set_read_timeout(Some(read_timeout)).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// One response as read off the wire: status, headers (names lower-case),
/// body (by `Content-Length`).
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

fn read_answer(s: &mut TcpStream) -> std::io::Result<Answer> {
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').unwrap_or((l, ""));
        headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
    }
    let length = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    r.read_exact(&mut body)?;
    Ok(Answer { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

/// Asserts `a` is the service's JSON error with `code`.
fn assert_json_error(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status, status, "{a:?}");
    assert_eq!(a.header("content-type"), Some("application/json"), "{a:?}");
    let v = a.json();
    assert_eq!(v["error"], code, "{a:?}");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{a:?}");
}

const BODY: &str = r#"{"key":"repo:1","scores":[0.25, 0.5, 0.75]}"#;

/// Issue 17, defect 17: the body-limit refusals were axum's `text/plain`
/// ("Failed to buffer the request body: …"), and a request declaring 50 MB
/// with `Expect: 100-continue` was told to go on instead of refused.
#[test]
fn body_refusals_are_json_and_an_oversized_length_is_refused_before_the_body() {
    let fx = Fixture::new(Phase::Off);
    let server = start(&fx, false, &["--watch-ms", "0"]);

    // 50 MB declared: refused at once, before any body byte, not `100 Continue`.
    let mut s = connect(server.addr, Duration::from_secs(5));
    s.write_all(
        b"POST /calibrate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
          Content-Length: 50000000\r\nExpect: 100-continue\r\n\r\n",
    )
    .unwrap();
    let a = read_answer(&mut s).expect("an answer to a 50 MB declaration");
    assert_json_error(&a, 413, "body_too_large");

    // 500 MB declared and a few bytes sent: answered at once too.
    let mut s = connect(server.addr, Duration::from_secs(5));
    s.write_all(b"POST /calibrate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500000000\r\n\r\n{\"key\":").unwrap();
    assert_json_error(&read_answer(&mut s).expect("an answer"), 413, "body_too_large");

    // A broken chunked body (the chunk size is not hex): a JSON 400.
    let mut s = connect(server.addr, Duration::from_secs(5));
    s.write_all(
        b"POST /calibrate HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    )
    .unwrap();
    assert_json_error(&read_answer(&mut s).expect("an answer"), 400, "bad_body");

    // A well-formed request still works, and the refusals were counted.
    let (status, body) = server.client().calibrate(&serde_json::from_str(BODY).unwrap());
    assert_eq!(status, 200, "{body}");
    let (_, text) = server.client().get("/metrics");
    let ex = parse_prometheus(&text).unwrap();
    assert_eq!(ex.value("calib_serving_requests_total", &[("calibrator", "none"), ("result", "error")]), 3.0);
    assert_eq!(ex.value("calib_serving_body_refusals_total", &[("reason", "body_too_large")]), 2.0);
    assert_eq!(ex.value("calib_serving_body_refusals_total", &[("reason", "bad_body")]), 1.0);
}

/// Whether the server closed `s` (or answered on it) within `limit`, while
/// the client trickles `lines` one every `every`.
fn cut_off_while_trickling(s: &mut TcpStream, lines: &[&str], every: Duration, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    s.set_read_timeout(Some(every)).unwrap();
    let mut buf = [0u8; 1024];
    for line in lines.iter().cycle() {
        if started.elapsed() > limit {
            return None;
        }
        if s.write_all(line.as_bytes()).is_err() {
            return Some(started.elapsed());
        }
        match s.read(&mut buf) {
            // Closed, or answered (hyper may say 408 before closing).
            Ok(_) => return Some(started.elapsed()),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return Some(started.elapsed()),
        }
    }
    unreachable!("the lines cycle")
}

/// Issue 17, defect 14: no read timeout on headers or bodies, so a client
/// trickling one header line a second held its connection as long as it
/// liked, a request declaring a long body and sending a few bytes was
/// never answered, and SIGTERM waited for such clients without bound.
#[test]
fn slow_clients_are_cut_off_and_cannot_stall_shutdown() {
    let fx = Fixture::new(Phase::Off);
    let timeouts = ["--header-timeout-ms", "500", "--body-timeout-ms", "500", "--shutdown-grace-ms", "1000"];
    let mut server = start(&fx, false, &[&["--watch-ms", "0"][..], &timeouts].concat());

    // Headers trickled one line every 150 ms: the connection is closed
    // after the header timeout (500 ms), not held.
    let mut s = connect(server.addr, Duration::from_secs(5));
    s.write_all(b"POST /calibrate HTTP/1.1\r\n").unwrap();
    let cut = cut_off_while_trickling(&mut s, &["X-Slow: 1\r\n"], Duration::from_millis(150), Duration::from_secs(4));
    assert!(cut.is_some(), "a client trickling headers kept its connection for 4 s");

    // A body declared 1000 bytes long, of which 7 arrive: a JSON 408 after
    // the body timeout, instead of no answer.
    let mut s = connect(server.addr, Duration::from_secs(4));
    let started = Instant::now();
    s.write_all(b"POST /calibrate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"key\":").unwrap();
    let a = read_answer(&mut s).expect("an answer to an unfinished body");
    assert_json_error(&a, 408, "body_timeout");
    assert!(started.elapsed() < Duration::from_secs(3), "answered after {:?}", started.elapsed());

    // Meanwhile the service serves; the refusal is counted.
    let (status, _) = server.client().calibrate(&json!({ "key": "repo:1", "scores": [0.5] }));
    assert_eq!(status, 200);
    let (_, text) = server.client().get("/metrics");
    let ex = parse_prometheus(&text).unwrap();
    assert_eq!(ex.value("calib_serving_body_refusals_total", &[("reason", "body_timeout")]), 1.0);
    drop(server);

    // SIGTERM with slow clients connected (timeouts far away, so only the
    // shutdown deadline can end them): the process exits after the grace
    // period (1 s), not when the clients give up.
    let long = ["--header-timeout-ms", "60000", "--body-timeout-ms", "60000", "--shutdown-grace-ms", "1000"];
    server = start(&fx, false, &[&["--watch-ms", "0"][..], &long].concat());
    let mut in_headers = connect(server.addr, Duration::from_secs(5));
    in_headers.write_all(b"POST /calibrate HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
    let mut in_body = connect(server.addr, Duration::from_secs(5));
    in_body.write_all(b"POST /calibrate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    server.term();
    let status = server.wait_exit(Duration::from_secs(6));
    assert!(status.is_some(), "SIGTERM with two slow clients open: still running after 6 s:\n{}", server.stderr());
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "stopped after {took:?}");
    // stderr is drained by a thread: give it a moment after the exit.
    let deadline = Instant::now() + Duration::from_secs(2);
    while !server.stderr().contains("grace") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(server.stderr().contains("shutdown grace"), "{}", server.stderr());
    drop((in_headers, in_body));
}

/// Issue 17, defect 15: the latency histogram counted the client's upload,
/// so a valid 31-byte body trickled over 3 s landed in `+Inf`, and slow
/// clients could move the p99 the rollout's latency gate reads. It now
/// measures from the body's arrival (parse, route, calibrate, encode).
#[test]
fn the_latency_histogram_does_not_count_the_clients_upload() {
    let fx = Fixture::new(Phase::Off);
    let server = start(&fx, false, &["--watch-ms", "0"]);
    let body = r#"{"key":"repo:1","scores":[0.5]}"#;
    assert_eq!(body.len(), 31);
    let mut s = connect(server.addr, Duration::from_secs(5));
    let head = format!("POST /calibrate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n", body.len());
    s.write_all(head.as_bytes()).unwrap();
    // 31 bytes over about 1.2 s: far beyond the last finite bucket (0.25 s).
    let started = Instant::now();
    for chunk in body.as_bytes().chunks(8) {
        s.write_all(chunk).unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    let a = read_answer(&mut s).unwrap();
    assert_eq!(a.status, 200, "{a:?}");
    assert!(started.elapsed() >= Duration::from_secs(1));

    let (_, text) = server.client().get("/metrics");
    let ex = parse_prometheus(&text).unwrap();
    let name = "calib_serving_request_duration_seconds";
    let labels = [("calibrator", "incumbent")];
    assert_eq!(ex.value(&format!("{name}_count"), &labels), 1.0);
    let last_finite = ex.value(&format!("{name}_bucket"), &[labels[0], ("le", "0.25")]);
    assert_eq!(last_finite, 1.0, "the trickled request was timed with its upload:\n{text}");
    assert!(ex.value(&format!("{name}_sum"), &labels) < 0.25);
}

/// Issue 17, defect 16: a candidate signed to expire in a minute still
/// answered after its expiry and `/healthz` said ok. Now, by calib-core's
/// `rollout::route`: an expired candidate's keys fall back to the
/// incumbent, an expired incumbent's keys are refused with 503, and both
/// show on `/healthz` and `/metrics` (seconds to expiry, for an alert that
/// fires before it happens).
#[test]
fn an_expired_manifest_stops_serving_and_says_so() {
    let (fx, fx2) = (Fixture::new(Phase::Stage(100)), Fixture::new(Phase::Off));
    // Built (if it must be) before the clock starts: the manifests expire
    // 5 s from now, time enough to start two servers on a loaded machine.
    e2e_common::serving_bin();
    let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(5);
    // A candidate at 100 %, expiring soon; and an incumbent alone, expiring soon.
    fx.install_until("candidate", &fx.candidate, 2, soon);
    fx2.install_until("incumbent", &fx2.incumbent, 1, soon);
    let rollout = start(&fx, true, &["--watch-ms", "0"]);
    let alone = start(&fx2, false, &["--watch-ms", "0"]);

    let ask = |s: &Server| s.client().calibrate(&json!({ "key": "repo:1", "scores": [0.5] }));
    let metric = |s: &Server, name: &str, who: &str| {
        let (_, text) = s.client().get("/metrics");
        parse_prometheus(&text).unwrap().value(name, &[("calibrator", who)])
    };
    let (status, body) = ask(&rollout);
    assert_eq!((status, body["calibrator"].as_str()), (200, Some("candidate")), "{body}");
    let h = rollout.health();
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["calibrators"][1]["expired"], false, "{h}");
    let left = metric(&rollout, "calib_serving_manifest_expiry_seconds", "candidate");
    assert!(left > 0.0 && left <= 5.0, "{left}");
    assert!(metric(&rollout, "calib_serving_manifest_expiry_seconds", "incumbent") > 3600.0);
    assert_eq!(metric(&rollout, "calib_serving_manifest_expired", "candidate"), 0.0);
    assert_eq!(ask(&alone).0, 200);

    let wait = soon - time::OffsetDateTime::now_utc() + time::Duration::milliseconds(300);
    std::thread::sleep(Duration::try_from(wait).unwrap_or_default());

    // The expired candidate no longer answers: its keys fall back to the incumbent.
    let (status, body) = ask(&rollout);
    assert_eq!((status, body["calibrator"].as_str()), (200, Some("incumbent")), "{body}");
    let h = rollout.health();
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["calibrators"][1]["expired"], true, "{h}");
    assert!(h["calibrators"][1]["seconds_to_expiry"].as_f64().unwrap() < 0.0, "{h}");
    assert_eq!(metric(&rollout, "calib_serving_manifest_expired", "candidate"), 1.0);
    // A reload of the same set is refused (expired), and the fallback stays.
    rollout.hup();
    let h = rollout.wait_for("a refused reload", |h| h["reloads_refused"] == 1);
    assert!(h["last_refusal"].as_str().unwrap().contains("expired"), "{h}");
    assert_eq!(ask(&rollout).1["calibrator"], "incumbent");

    // The expired incumbent refuses, and /healthz is not ok.
    let (status, body) = ask(&alone);
    assert_eq!((status, body["error"].as_str()), (503, Some("manifest_expired")), "{body}");
    let (status, text) = alone.client().get("/healthz");
    assert_eq!(status, 503, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["status"], "expired");
    assert_eq!(metric(&alone, "calib_serving_manifest_expired", "incumbent"), 1.0);
}

/// The shipped alert rules (examples/serving/alerts.yml) name only metrics
/// the service exposes, so the expiry alert cannot silently match nothing.
#[test]
fn the_shipped_alert_rules_name_exposed_metrics() {
    let rules =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/serving/alerts.yml")).unwrap();
    let fx = Fixture::new(Phase::Stage(50));
    let server = start(&fx, true, &["--watch-ms", "0"]);
    let (_, text) = server.client().get("/metrics");
    let ex = parse_prometheus(&text).unwrap();
    let mut named = 0;
    for expr in rules.lines().filter_map(|l| l.trim().strip_prefix("expr:")) {
        let metric = expr.split_whitespace().next().unwrap();
        let metric = metric.split('{').next().unwrap();
        assert!(ex.types.contains_key(metric), "alerts.yml names {metric}, which /metrics does not expose");
        for who in ["incumbent", "candidate"] {
            assert_eq!(ex.find(metric, &[("calibrator", who)]).len(), 1, "{metric} for the {who}");
        }
        named += 1;
    }
    assert_eq!(named, 2, "both expiry rules were read");
}

/// The resident memory of process `pid` in KiB (Linux), or `None`.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Malformed requests, as a hostile client sends them in bulk: each is
/// refused with a status and the service's JSON error, counted on
/// `/metrics`, and the service's memory stays bounded while good requests
/// keep being answered in between.
#[test]
fn malformed_requests_are_refused_as_json_counted_and_do_not_grow_memory() {
    let fx = Fixture::new(Phase::Off);
    let server = start(&fx, false, &["--watch-ms", "0"]);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: [(&str, u16, &str); 8] = [
        ("not json at all", 400, "bad_request"),
        ("{", 400, "bad_request"),
        (&deep, 400, "bad_request"),
        (r#"{"key":1,"scores":[0.5]}"#, 400, "bad_request"),
        (r#"{"key":"k","scores":["0.5"]}"#, 400, "bad_request"),
        (r#"{"key":"k","scores":[1e999]}"#, 400, "bad_request"),
        (r#"{"key":"k","scores":[0.5],"labels":[2]}"#, 400, "bad_labels"),
        (r#"{"key":"k","scores":[0.5, 0.6],"labels":[1]}"#, 400, "bad_labels"),
    ];
    let mut client = server.client();
    let mut refused = 0u64;
    let mut round = |client: &mut e2e_common::Client| {
        for (body, status, code) in &cases {
            let (got, text) = client.request("POST", "/calibrate", body).expect("an answer");
            let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
            assert_eq!((got, v["error"].as_str()), (*status, Some(*code)), "{}: {text}", &body[..body.len().min(60)]);
            assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{text}");
            refused += 1;
        }
        let (got, v) = client.calibrate(&serde_json::from_str(BODY).unwrap());
        assert_eq!(got, 200, "a good request between the bad ones: {v}");
    };
    // Warm up (allocator pools, the first snapshot), then measure.
    for _ in 0..20 {
        round(&mut client);
    }
    let before = rss_kib(server.pid());
    for _ in 0..150 {
        round(&mut client);
    }
    let after = rss_kib(server.pid());
    if let (Some(b), Some(a)) = (before, after) {
        // 1 200 refusals (some of 200 KB): no per-request leak.
        assert!(a < b + 16 * 1024, "resident memory grew from {b} KiB to {a} KiB over 1 200 refused requests");
    }
    let (_, text) = server.client().get("/metrics");
    let ex = parse_prometheus(&text).unwrap();
    assert_eq!(
        ex.value("calib_serving_requests_total", &[("calibrator", "none"), ("result", "error")]),
        refused as f64,
        "every refusal is counted"
    );
}
