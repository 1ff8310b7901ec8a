//! Helpers of the end-to-end tests (`e2e_*.rs`): the `calib-serving`
//! binary as a child process on 127.0.0.1, a small HTTP/1.1 client, signed
//! fixtures, and a strict checker of the Prometheus text format.
//!
//! Everything is bounded: every server is started with a lifetime and is
//! killed when its guard drops; every client socket has a timeout.

#![allow(dead_code)]

use calib_core::manifest::{self, ManifestSpec, SecretKey};
use calib_core::model::Model;
use calib_core::rollout::{Phase, State};
use calib_tests::trust::{HoldoutData, demo_model, key, passing_report};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The `calib-serving` binary, built once by the `cargo` running the tests
/// (same profile, same target directory as `calib`, so it lies beside it);
/// `CALIB_SERVING_BIN` overrides it.
pub fn serving_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("CALIB_SERVING_BIN") {
            return PathBuf::from(p);
        }
        let calib = calib_tests::binary::calib_bin();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the workspace");
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(root).args(["build", "-q", "-p", "calib-serving", "--bin", "calib-serving"]);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let out = cmd.output().expect("cannot run cargo");
        assert!(out.status.success(), "building calib-serving failed:\n{}", String::from_utf8_lossy(&out.stderr));
        calib.with_file_name(format!("calib-serving{}", std::env::consts::EXE_SUFFIX))
    })
}

/// A running `calib-serving`; killed when dropped.
pub struct Server {
    child: Child,
    /// Where it listens (127.0.0.1).
    pub addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

/// A start-up the service refused: its exit code and stderr.
#[derive(Debug)]
pub struct Refused {
    pub code: Option<i32>,
    pub stderr: String,
}

impl Server {
    /// Starts the service with `args` (plus `--port 0` and a lifetime) and
    /// waits for it to listen; `Err` if it exits instead.
    pub fn start(args: &[OsString]) -> Result<Server, Refused> {
        let mut child = Command::new(serving_bin())
            .args(args)
            .args(["--port", "0", "--max-lifetime-secs", "120"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start calib-serving");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
        let _ = out.read_line(&mut line);
        let addr = line.trim().strip_prefix("calib-serving listening on http://").and_then(|a| a.parse().ok());
        match addr {
            Some(addr) => Ok(Server { child, addr, stderr }),
            None => {
                let status = child.wait().expect("wait for calib-serving");
                // Let the stderr thread drain what is left.
                std::thread::sleep(Duration::from_millis(50));
                let stderr = stderr.lock().unwrap().clone();
                Err(Refused { code: status.code(), stderr })
            }
        }
    }

    /// Everything it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGHUP (a reload).
    pub fn hup(&self) {
        let ok = Command::new("kill").args(["-HUP", &self.pid().to_string()]).status().expect("run kill");
        assert!(ok.success(), "kill -HUP failed");
    }

    /// Sends SIGTERM (a graceful stop).
    pub fn term(&self) {
        let ok = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().expect("run kill");
        assert!(ok.success(), "kill -TERM failed");
    }

    /// Waits at most `limit` for the process to exit; its status, or `None`
    /// if it is still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll calib-serving") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A new client connection.
    pub fn client(&self) -> Client {
        Client::connect(self.addr)
    }

    /// `GET /healthz` as JSON.
    pub fn health(&self) -> serde_json::Value {
        let (status, body) = self.client().get("/healthz");
        assert_eq!(status, 200, "healthz: {body}");
        serde_json::from_str(&body).expect("healthz is JSON")
    }

    /// Waits (at most 10 s) until `healthz` satisfies `ok`.
    pub fn wait_for(&self, what: &str, ok: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let h = self.health();
            if ok(&h) {
                return h;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; healthz {h}; stderr:\n{}", self.stderr());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A keep-alive HTTP/1.1 client over one connection.
pub struct Client {
    stream: BufReader<TcpStream>,
}

impl Client {
    /// Connects (10 s timeouts).
    pub fn connect(addr: SocketAddr) -> Client {
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).expect("connect to calib-serving");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        Client { stream: BufReader::new(s) }
    }

    /// One request; the status and the body.
    pub fn request(&mut self, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.get_mut().write_all(req.as_bytes())?;
        let mut line = String::new();
        self.stream.read_line(&mut line)?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let (mut length, mut chunked) = (None, false);
        loop {
            line.clear();
            self.stream.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').unwrap_or((l, ""));
            match k.to_ascii_lowercase().as_str() {
                "content-length" => length = v.trim().parse::<usize>().ok(),
                "transfer-encoding" => chunked = v.to_ascii_lowercase().contains("chunked"),
                _ => {}
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.stream.read_line(&mut line)?;
                let n = usize::from_str_radix(line.trim(), 16).map_err(std::io::Error::other)?;
                let mut chunk = vec![0; n + 2];
                self.stream.read_exact(&mut chunk)?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        } else {
            body.resize(length.unwrap_or(0), 0);
            self.stream.read_exact(&mut body)?;
        }
        Ok((status, String::from_utf8(body).map_err(std::io::Error::other)?))
    }

    /// `GET path` (panics on an I/O error).
    pub fn get(&mut self, path: &str) -> (u16, String) {
        self.request("GET", path, "").expect("GET")
    }

    /// `POST /calibrate` (panics on an I/O error).
    pub fn calibrate(&mut self, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let (status, text) = self.request("POST", "/calibrate", &body.to_string()).expect("POST /calibrate");
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }
}

/// Signed fixtures in a temp dir: a key pair, an incumbent (plain isotonic,
/// version 1) and a candidate (strict isotonic, version 2) with passing
/// gate reports, and a rollout state file.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub secret: SecretKey,
    pub incumbent: Model,
    pub candidate: Model,
    pub holdout: HoldoutData,
}

/// The rollout salt of the fixtures.
pub const SALT: &str = "calib-e2e";

impl Fixture {
    /// Writes every file, with the rollout at `phase`.
    pub fn new(phase: Phase) -> Fixture {
        let (incumbent, holdout) = demo_model(8000, false);
        let (candidate, _) = demo_model(8000, true);
        let fx = Fixture { dir: tempfile::tempdir().unwrap(), secret: key(1), incumbent, candidate, holdout };
        write_atomic(&fx.path("calib.pub"), fx.secret.public_key().to_file_text().as_bytes());
        fx.install("incumbent", &fx.incumbent, 1);
        fx.install("candidate", &fx.candidate, 2);
        fx.set_phase(phase);
        fx
    }

    /// A path in the fixture directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A manifest for `model` at `version`, signed by the fixture key,
    /// valid from an hour ago for a day.
    pub fn manifest(&self, model: &Model, version: u64) -> Vec<u8> {
        self.manifest_until(model, version, time::OffsetDateTime::now_utc() + time::Duration::days(1))
    }

    /// A manifest for `model` at `version`, valid from an hour ago until
    /// `expires`.
    pub fn manifest_until(&self, model: &Model, version: u64, expires: time::OffsetDateTime) -> Vec<u8> {
        let report = passing_report(model, &self.holdout);
        let now = time::OffsetDateTime::now_utc();
        let spec = ManifestSpec {
            model,
            wasm: None,
            gate_report: Some(&report),
            version,
            created: now - time::Duration::hours(1),
            expires,
            parent: None,
        };
        let st = manifest::build_statement(&spec).expect("fixture statement");
        manifest::sign(&st, &[&self.secret]).expect("sign")
    }

    /// Writes `role.model.json` and `role.manifest.json` (each atomically).
    pub fn install(&self, role: &str, model: &Model, version: u64) {
        write_atomic(&self.path(&format!("{role}.model.json")), model.to_json().as_bytes());
        write_atomic(&self.path(&format!("{role}.manifest.json")), &self.manifest(model, version));
    }

    /// [`install`](Self::install) with a manifest that expires at `expires`.
    pub fn install_until(&self, role: &str, model: &Model, version: u64, expires: time::OffsetDateTime) {
        write_atomic(&self.path(&format!("{role}.model.json")), model.to_json().as_bytes());
        write_atomic(&self.path(&format!("{role}.manifest.json")), &self.manifest_until(model, version, expires));
    }

    /// Writes the rollout state at `phase` (a bare controller state).
    pub fn set_phase(&self, phase: Phase) {
        let state = State { phase, ..State::new() };
        write_atomic(&self.path("rollout.json"), state.to_json().as_bytes());
    }

    /// The service's arguments: the incumbent, and the candidate with its
    /// rollout when `candidate`.
    pub fn args(&self, candidate: bool) -> Vec<OsString> {
        let mut a = vec![
            ("pubkey", self.path("calib.pub").into()),
            ("incumbent-manifest", self.path("incumbent.manifest.json").into()),
            ("incumbent-model", self.path("incumbent.model.json").into()),
        ];
        if candidate {
            a.extend([
                ("candidate-manifest", self.path("candidate.manifest.json").into()),
                ("candidate-model", self.path("candidate.model.json").into()),
                ("rollout-state", self.path("rollout.json").into()),
                ("salt", SALT.into()),
            ]);
        }
        flags(a)
    }
}

/// `--name value` pairs as command-line arguments.
pub fn flags<'a>(pairs: impl IntoIterator<Item = (&'a str, OsString)>) -> Vec<OsString> {
    pairs.into_iter().flat_map(|(name, value)| [OsString::from(format!("--{name}")), value]).collect()
}

/// Replaces `path` atomically (temp file beside it, then rename), as a
/// deployment would.
pub fn write_atomic(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp-write");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// One series of a Prometheus exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A parsed exposition: each family's type, and every sample.
#[derive(Debug, Default)]
pub struct Exposition {
    pub types: BTreeMap<String, String>,
    pub samples: Vec<Sample>,
}

impl Exposition {
    /// The samples named `name` whose labels include every pair of `labels`.
    pub fn find(&self, name: &str, labels: &[(&str, &str)]) -> Vec<&Sample> {
        self.samples
            .iter()
            .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
            .collect()
    }

    /// The one sample named `name` with `labels` (panics unless exactly one).
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let found = self.find(name, labels);
        assert_eq!(found.len(), 1, "expected one {name} {labels:?}, found {found:?}");
        found[0].value
    }
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, with `:` too in metric names.
fn valid_name(n: &str, colons: bool) -> bool {
    let ok = |c: char, first: bool| {
        c.is_ascii_alphabetic() || c == '_' || (colons && c == ':') || (!first && c.is_ascii_digit())
    };
    n.chars().next().is_some_and(|c| ok(c, true)) && n.chars().skip(1).all(|c| ok(c, false))
}

fn parse_value(v: &str) -> Result<f64, String> {
    match v {
        "NaN" => Ok(f64::NAN),
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        _ => v.parse::<f64>().map_err(|_| format!("value {v:?} is not a float")),
    }
}

/// `{a="x",b="y"}` → labels, and the rest of the line.
fn parse_labels(s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    let Some(mut rest) = s.strip_prefix('{') else { return Ok((labels, s)) };
    loop {
        if let Some(r) = rest.strip_prefix('}') {
            return Ok((labels, r));
        }
        let eq = rest.find('=').ok_or("label without '='")?;
        let name = &rest[..eq];
        if !valid_name(name, false) {
            return Err(format!("bad label name {name:?}"));
        }
        rest = rest[eq + 1..].strip_prefix('"').ok_or("label value not quoted")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                None => return Err("unterminated label value".into()),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => return Err(format!("bad escape {other:?} in a label value")),
                },
                Some((_, c)) => value.push(c),
            }
        };
        if labels.insert(name.to_string(), value).is_some() {
            return Err(format!("label {name} repeated"));
        }
        rest = &rest[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// Parses the Prometheus text format (0.0.4) strictly: metric and label
/// names, escapes and values; one `HELP` and one `TYPE` per family, before
/// its samples; each family's samples in one group; no repeated series;
/// histograms with cumulative buckets ending in `+Inf` equal to `_count`.
pub fn parse_prometheus(text: &str) -> Result<Exposition, String> {
    let mut ex = Exposition::default();
    let mut helps = BTreeSet::new();
    let mut closed: BTreeSet<String> = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut series = BTreeSet::new();
    let family_of = |types: &BTreeMap<String, String>, name: &str| -> String {
        for suffix in ["_bucket", "_sum", "_count"] {
            if let Some(base) = name.strip_suffix(suffix)
                && types.get(base).is_some_and(|t| t == "histogram" || t == "summary")
            {
                return base.to_string();
            }
        }
        name.to_string()
    };
    if !text.ends_with('\n') {
        return Err("the exposition does not end with a newline".into());
    }
    for (n, line) in text.lines().enumerate() {
        let at = |m: String| format!("line {}: {m}: {line:?}", n + 1);
        let mut enter = |family: &str, current: &mut Option<String>| -> Result<(), String> {
            if current.as_deref() != Some(family) {
                if let Some(c) = current.take() {
                    closed.insert(c);
                }
                if closed.contains(family) {
                    return Err(format!("family {family} appears in two groups"));
                }
                *current = Some(family.to_string());
            }
            Ok(())
        };
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or_default();
            if !valid_name(name, true) || !helps.insert(name.to_string()) {
                return Err(at("bad or repeated HELP".into()));
            }
            enter(name, &mut current).map_err(at)?;
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let (name, kind) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) || parts.next().is_some() {
                return Err(at(format!("bad type {kind:?}")));
            }
            if ex.samples.iter().any(|s| family_of(&ex.types, &s.name) == name) {
                return Err(at("TYPE after samples of its family".into()));
            }
            if ex.types.insert(name.to_string(), kind.to_string()).is_some() {
                return Err(at("repeated TYPE".into()));
            }
            enter(name, &mut current).map_err(at)?;
        } else if line.starts_with('#') || line.is_empty() {
            continue;
        } else {
            let name_end = line.find(['{', ' ']).ok_or_else(|| at("no value".into()))?;
            let name = &line[..name_end];
            if !valid_name(name, true) {
                return Err(at("bad metric name".into()));
            }
            let (labels, rest) = parse_labels(&line[name_end..]).map_err(at)?;
            let mut fields = rest.trim_start_matches(' ').split(' ');
            let value = parse_value(fields.next().unwrap_or_default()).map_err(at)?;
            if let Some(ts) = fields.next()
                && ts.parse::<i64>().is_err()
            {
                return Err(at("bad timestamp".into()));
            }
            let family = family_of(&ex.types, name);
            enter(&family, &mut current).map_err(at)?;
            if !series.insert(format!("{name}{labels:?}")) {
                return Err(at("repeated series".into()));
            }
            ex.samples.push(Sample { name: name.to_string(), labels, value });
        }
    }
    for (family, kind) in &ex.types {
        if kind != "histogram" {
            continue;
        }
        let mut groups: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for s in ex.samples.iter().filter(|s| s.name == format!("{family}_bucket")) {
            let le = s.labels.get("le").ok_or(format!("{family}_bucket without le"))?;
            let mut rest = s.labels.clone();
            rest.remove("le");
            groups.entry(format!("{rest:?}")).or_default().push((parse_value(le)?, s.value));
        }
        for (key, buckets) in groups {
            let mut prev = (f64::NEG_INFINITY, 0.0);
            for &(le, v) in &buckets {
                if le <= prev.0 || v < prev.1 {
                    return Err(format!("{family}{key}: buckets not increasing and cumulative"));
                }
                prev = (le, v);
            }
            if prev.0 != f64::INFINITY {
                return Err(format!("{family}{key}: no +Inf bucket"));
            }
            let count = ex
                .samples
                .iter()
                .find(|s| s.name == format!("{family}_count") && format!("{:?}", s.labels) == key)
                .ok_or(format!("{family}{key}: no _count"))?;
            if count.value != prev.1 {
                return Err(format!("{family}{key}: +Inf bucket {} is not _count {}", prev.1, count.value));
            }
        }
    }
    Ok(ex)
}
