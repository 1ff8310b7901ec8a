//! End to end: the `calib-serving` example against hostile clients on
//! 127.0.0.1 — oversized and broken bodies, slow clients, shutdown with a
//! client holding a connection, expiry while serving. Each test is one
//! defect of issue 17 and failed before its fix. Every socket has a read
//! timeout and every server a lifetime, so each test is bounded.

mod e2e_common;

use calib_core::rollout::Phase;
use e2e_common::{Fixture, Server, parse_prometheus};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

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
