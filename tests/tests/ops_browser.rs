//! `calib report` in a real browser: headless Chromium loads the page from a
//! tiny local HTTP server, the test checks the DOM it built (the charts with
//! the expected bins and points, no request but the page itself), and a
//! screenshot is kept at `target/ops-browser/report.png`.
//!
//! Needs Chromium (`chromium`, or `CALIB_CHROMIUM=/path`); scripts/test.sh
//! installs it. Without it the test fails, unless `CALIB_SKIP_BROWSER=1`
//! says to skip it (it then prints that it did).

mod ops_common;

use calib_tests::binary::calib_in;
use ops_common::{ranker, write_csv};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CALIB_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Serves `page` at `/report.html` on 127.0.0.1 until dropped (or for at
/// most two minutes); records every request line.
struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(page: Vec<u8>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (stop.clone(), requests.clone());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !s.load(Ordering::Relaxed) && Instant::now() < deadline {
                let Ok((mut conn, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let _ = conn.set_nonblocking(false);
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = [0u8; 4096];
                let n = conn.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                let line = head.lines().next().unwrap_or("").to_string();
                r.lock().unwrap().push(line.clone());
                let (status, body, kind): (&str, &[u8], &str) = if line.starts_with("GET /report.html ") {
                    ("200 OK", &page, "text/html; charset=utf-8")
                } else {
                    ("404 Not Found", b"not found", "text/plain")
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(body);
            }
        });
        Server { port, stop, requests, thread: Some(thread) }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs Chromium headless with `extra` flags on `url`; returns stdout.
fn run_chromium(bin: &Path, extra: &[String], url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking"])
        .args(["--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start chromium");
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

#[test]
fn the_report_renders_in_chromium_with_its_charts() {
    let Some(bin) = chromium() else {
        if std::env::var_os("CALIB_SKIP_BROWSER").is_some() {
            eprintln!("skipped: no chromium and CALIB_SKIP_BROWSER is set");
            return;
        }
        panic!(
            "chromium not found: install it (apt-get install chromium; scripts/test.sh does) or set CALIB_SKIP_BROWSER=1"
        );
    };
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("model.json"), ops_common::model(1, 8000).to_json()).unwrap();
    let (s, y) = ranker(2, 9000);
    let t0 = 1_772_409_600i64; // 2026-03-02T00:00:00Z, a Monday
    let days = 9i64;
    write_csv(
        &p.join("traffic.csv"),
        "timestamp,class,score,label",
        (0..s.len()).map(|i| {
            let t = time::OffsetDateTime::from_unix_timestamp(t0 + i as i64 * days * 86_400 / s.len() as i64).unwrap();
            let t = t.format(&time::format_description::well_known::Rfc3339).unwrap();
            format!("{t},{},{},{}", ["web", "news"][i % 2], s[i], y[i])
        }),
    );
    let (bs, by) = ranker(3, 9000);
    write_csv(&p.join("base.csv"), "score,label", bs.iter().zip(&by).map(|(s, y)| format!("{s},{y}")));
    calib_in(
        p,
        ["report", "--model", "model.json", "--input", "traffic.csv", "--baseline", "base.csv", "--out", "report.html"],
    )
    .code(0);
    let page = std::fs::read(p.join("report.html")).unwrap();

    let server = Server::start(page);
    let url = format!("http://127.0.0.1:{}/report.html", server.port);
    let dom = run_chromium(&bin, &["--virtual-time-budget=5000".into(), "--dump-dom".into()], &url);
    assert!(
        dom.contains("<h1>Calibration report</h1>"),
        "chromium did not render the page:\n{}",
        &dom[..dom.len().min(500)]
    );

    // The numbers the page carries, read back from the DOM the browser built.
    let start = dom.find(r#"id="drift-pack">"#).expect("the embedded drift pack");
    let body = &dom[start + r#"id="drift-pack">"#.len()..];
    let pack: Value = serde_json::from_str(&body[..body.find("</script>").unwrap()]).unwrap();
    let n_days = pack["daily"].as_array().unwrap().len();
    let n_weeks = pack["weekly"].as_array().unwrap().len();
    assert_eq!((n_days, n_weeks), (9, 2));
    let count = |needle: &str| dom.matches(needle).count();
    assert_eq!(count("<svg"), 6, "reliability, histogram and four trend charts");
    let rel = pack["reliability"].as_array().unwrap().len();
    let rel_base = pack["baseline_reliability"].as_array().unwrap().len();
    assert!(rel >= 10, "{rel} reliability bins");
    assert_eq!(count(r#"<circle class="bin""#), rel + rel_base, "one point per reliability bin");
    assert_eq!(count(r#"<line class="ci""#), rel + rel_base, "one interval per reliability bin");
    assert_eq!(count(r#"<rect class="bar""#), 2 * 20, "20 histogram bins, input and baseline");
    assert_eq!(count(r#"<circle class="point""#), 6 * n_days + 6 * n_weeks, "six series per day and per week");
    assert_eq!(count(r#"<tr class="alert""#), 3);

    // The page asked for nothing but itself (a browser may try a favicon).
    // Chromium also opens speculative connections that it closes without
    // sending a request: those record an empty line and are not requests.
    let reqs: Vec<String> = server.requests.lock().unwrap().iter().filter(|r| !r.is_empty()).cloned().collect();
    assert!(reqs.iter().any(|r| r.starts_with("GET /report.html ")), "{reqs:?}");
    assert!(reqs.iter().all(|r| r.starts_with("GET /report.html ") || r.starts_with("GET /favicon.ico ")), "{reqs:?}");

    // A screenshot, kept under target/ for a person to look at.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("ops-browser");
    std::fs::create_dir_all(&target).unwrap();
    let png = target.join("report.png");
    let _ = std::fs::remove_file(&png);
    run_chromium(&bin, &[format!("--screenshot={}", png.display()), "--window-size=1200,2600".into()], &url);
    drop(server);
    let bytes = std::fs::read(&png).expect("chromium wrote no screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h) =
        (u32::from_be_bytes(bytes[16..20].try_into().unwrap()), u32::from_be_bytes(bytes[20..24].try_into().unwrap()));
    assert_eq!((w, h), (1200, 2600));
    assert!(bytes.len() > 50_000, "a blank page compresses to far less");
}
