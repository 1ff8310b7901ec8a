//! End to end through the `calib` binary: keygen, gate (every exit code),
//! sign, verify (each rejection with its code), manifest show, the audit
//! log and parity.

use calib_core::gate::GateReport;
use calib_tests::binary::{Run, calib_in};
use calib_tests::trust::{HoldoutData, demo_model};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A work directory with a candidate, an incumbent, a holdout and a gate
/// config that passes on them (p99 allowed 100 ms so a busy test machine
/// cannot flip the verdict; the latency breach has its own test).
struct Setup {
    dir: tempfile::TempDir,
}

fn holdout_csv(d: &HoldoutData) -> String {
    let mut s = String::from("query_id,class,score,label\n");
    for i in 0..d.scores.len() {
        writeln!(s, "{},{},{},{}", d.query_ids[i], d.classes[i], d.scores[i], d.labels[i]).unwrap();
    }
    s
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (model, data) = demo_model(8000, true);
    let (plain, _) = demo_model(8000, false);
    let w = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    w("model.json", &model.to_json());
    w("plain.json", &plain.to_json());
    w("holdout.csv", &holdout_csv(&data));
    w(
        "gates.toml",
        "[p99_latency]\nthreshold = 100.0\n[recall_at_50]\nmin_samples = 50\n[aece_excess]\nresamples = 50\n",
    );
    Setup { dir }
}

impl Setup {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn calib(&self, args: &[&str]) -> Run {
        calib_in(self.dir.path(), args)
    }
    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }
    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }
    fn gate(&self, candidate: &str, config: &str, extra: &[&str]) -> Run {
        let mut args = vec!["gate", "--candidate", candidate, "--incumbent", "model.json", "--input", "holdout.csv"];
        if !config.is_empty() {
            args.extend(["--config", config]);
        }
        args.extend(extra);
        self.calib(&args)
    }
    /// `calib sign` of `model` with keys/calib.key and report.json into `out`.
    fn sign(&self, model: &str, out: &str, extra: &[&str]) -> Run {
        let mut args =
            vec!["sign", "--model", model, "--key", "keys/calib.key", "--gate-report", "report.json", "--out", out];
        args.extend(extra);
        self.calib(&args)
    }
    /// Keys in `keys/`, a passing `report.json`, and `m.json` signed.
    fn signed(&self, extra: &[&str]) {
        self.calib(&["keygen", "--out", "keys"]).code(0);
        self.gate("model.json", "gates.toml", &["--out", "report.json"]).code(0);
        self.sign("model.json", "m.json", extra).code(0);
    }
    fn verify(&self, manifest: &str, extra: &[&str]) -> Run {
        let mut args = vec!["verify", "--manifest", manifest, "--pubkey", "keys/calib.pub", "--model", "model.json"];
        args.extend(extra);
        self.calib(&args)
    }
}

/// Exit 1 with `calib: rejected: … (code)` on stderr.
fn rejected(r: Run, code: &str) {
    let r = r.code(1);
    assert!(
        r.stderr.contains("calib: rejected: ") && r.stderr.trim_end().ends_with(&format!("({code})")),
        "{}",
        r.stderr
    );
}

#[test]
fn keygen_writes_a_private_secret_and_refuses_to_overwrite() {
    let s = Setup { dir: tempfile::tempdir().unwrap() };
    let r = s.calib(&["keygen", "--out", "k"]).code(0);
    let pubkey: serde_json::Value = serde_json::from_str(&s.read("k/calib.pub")).unwrap();
    assert!(r.stdout.contains(pubkey["keyid"].as_str().unwrap()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |n: &str| std::fs::metadata(s.path(n)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("k/calib.key"), 0o600);
        assert_eq!(mode("k/calib.pub"), 0o644);
    }
    let before = s.read("k/calib.key");
    let r = s.calib(&["keygen", "--out", "k"]).code(2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(s.read("k/calib.key"), before);
    s.calib(&["keygen", "--out", "k", "--force"]).code(0);
    assert_ne!(s.read("k/calib.key"), before);
    assert_eq!(std::fs::read_dir(s.path("k")).unwrap().count(), 2, "no temp files left behind");
}

#[test]
fn gate_exit_codes() {
    let s = setup();
    // 0: pass, with the JSON report on stdout and in --out.
    let r = s.gate("model.json", "gates.toml", &["--json", "--out", "r.json"]).code(0);
    let report: GateReport = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report.verdict.name(), "pass");
    assert_eq!(serde_json::from_str::<GateReport>(&s.read("r.json")).unwrap(), report);
    // The table names every gate and the verdict.
    let r = s.gate("model.json", "gates.toml", &[]).code(0);
    for g in ["p99_latency", "aece_excess", "median_shift", "recall_at_50", "verdict: pass"] {
        assert!(r.stdout.contains(g), "{g}\n{}", r.stdout);
    }
    // 1: breach (a 1 ns latency limit cannot be met).
    s.write("fast.toml", &s.read("gates.toml").replace("threshold = 100.0", "threshold = 0.000001"));
    let r = s.gate("model.json", "fast.toml", &[]).code(1);
    assert!(r.stdout.contains("verdict: breach"), "{}", r.stdout);
    // 3: no data (the default minimums need more rows and queries).
    let head: String = s.read("holdout.csv").lines().take(41).map(|l| format!("{l}\n")).collect();
    s.write("small.csv", &head);
    let r =
        s.calib(&["gate", "--candidate", "model.json", "--incumbent", "model.json", "--input", "small.csv"]).code(3);
    assert!(r.stdout.contains("no_data"), "{}", r.stdout);
    // 4: error (the candidate refuses most holdout scores).
    s.write(
        "narrow.json",
        r#"{"schema_version":1,"method":"isotonic","strict":false,"out_of_bounds":"error","non_finite":"error","epsilon":0.0,"global":{"x":[0.4,0.6],"y":[0.3,0.7],"increasing":true,"n":2},"classes":{}}"#,
    );
    let r = s.gate("narrow.json", "gates.toml", &[]).code(4);
    assert!(r.stdout.contains("verdict: error") && r.stdout.contains("cannot be applied"), "{}", r.stdout);
}

#[test]
fn gate_config_lint_and_bad_input_exit_2() {
    let s = setup();
    for (toml, why) in [
        ("[p99_latency]\nthreshold = inf\n", "never fail"),
        ("[median_shift]\nthreshold = nan\n", "NaN"),
        ("[aece_excess]\nmin_samples = 0\n", "min_samples = 0"),
        ("[recall_at_50]\nthreshold = -1.0\n", "never fail"),
        ("[p99]\nthreshold = 1.0\n", "unknown field"),
        ("[median_shift]\nthreshold = \"x\"\n", "bad gate config"),
    ] {
        s.write("bad.toml", toml);
        let r = s.gate("model.json", "bad.toml", &[]).code(2);
        assert!(r.stderr.contains("bad.toml") && r.stderr.contains(why), "{toml}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "one-line error: {}", r.stderr);
    }
    s.write("noq.csv", "score,label\n0.5,1\n");
    let r = s.calib(&["gate", "--candidate", "model.json", "--incumbent", "model.json", "--input", "noq.csv"]).code(2);
    assert!(r.stderr.contains("query_id"), "{}", r.stderr);
    s.write("badlabel.csv", "query_id,score,label\nq,0.5,1\nq,0.6,3\n");
    let r =
        s.calib(&["gate", "--candidate", "model.json", "--incumbent", "model.json", "--input", "badlabel.csv"]).code(2);
    assert!(r.stderr.contains("badlabel.csv:3"), "{}", r.stderr);
}

#[test]
fn sign_verify_and_each_rejection() {
    let s = setup();
    s.signed(&[]);
    let r = s.verify("m.json", &["--json"]).code(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["ok"].as_bool(), v["version"].as_u64(), v["model_checked"].as_bool()),
        (Some(true), Some(1), Some(true))
    );

    // A flipped byte anywhere in the payload: bad signature.
    let mut bytes = std::fs::read(s.path("m.json")).unwrap();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    std::fs::write(s.path("flipped.json"), &bytes).unwrap();
    rejected(s.verify("flipped.json", &[]), "bad_signature");

    // The wrong key.
    s.calib(&["keygen", "--out", "other"]).code(0);
    rejected(s.calib(&["verify", "--manifest", "m.json", "--pubkey", "other/calib.pub"]), "unknown_key");

    // A model swapped behind its subject.
    let r = s.calib(&["verify", "--manifest", "m.json", "--pubkey", "keys/calib.pub", "--model", "plain.json"]);
    rejected(r, "subject_mismatch");

    // Without a gate report: refused unless allowed.
    s.calib(&["sign", "--model", "model.json", "--key", "keys/calib.key", "--out", "bare.json"]).code(0);
    rejected(s.verify("bare.json", &[]), "gates_not_passed");
    s.verify("bare.json", &["--allow-no-gates"]).code(0);

    // A report about another model cannot be signed.
    let r = s.sign("plain.json", "x.json", &[]).code(2);
    assert!(r.stderr.contains("cannot sign") && r.stderr.contains("about model"), "{}", r.stderr);
    assert!(!s.path("x.json").exists());

    // Expired.
    s.sign("model.json", "short.json", &["--expires", "1s"]).code(0);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    rejected(s.verify("short.json", &[]), "expired");

    // A wasm module other than the one signed.
    s.write("calib.wasm", "\0asm module");
    s.write("other.wasm", "\0asm other");
    s.sign("model.json", "w.json", &["--wasm", "calib.wasm"]).code(0);
    s.verify("w.json", &["--wasm", "calib.wasm"]).code(0);
    rejected(s.verify("w.json", &["--wasm", "other.wasm"]), "subject_mismatch");
}

#[test]
fn trust_state_refuses_rollback_and_threshold_needs_both_keys() {
    let s = setup();
    s.signed(&[]);
    s.calib(&["keygen", "--out", "keys2"]).code(0);
    // v2 names v1 as its parent and is co-signed by two keys.
    let r = s.sign("model.json", "m2.json", &["--key", "keys2/calib.key", "--parent", "m.json"]).code(0);
    assert!(r.stdout.contains("version 2"), "{}", r.stdout);
    let show = s.calib(&["manifest", "show", "m2.json"]).code(0).stdout;
    let m1 = s.verify("m.json", &["--json"]).code(0).stdout;
    let m1: serde_json::Value = serde_json::from_str(&m1).unwrap();
    assert!(show.contains(&format!("parent         {}", m1["manifest_sha256"].as_str().unwrap())), "{show}");

    s.verify("m2.json", &["--trust-state", "state.json"]).code(0);
    assert!(s.read("state.json").contains(r#""version":2"#), "{}", s.read("state.json"));
    rejected(s.verify("m.json", &["--trust-state", "state.json"]), "rollback");
    assert!(s.read("state.json").contains(r#""version":2"#), "a rejection leaves the state alone");
    s.verify("m2.json", &["--trust-state", "state.json"]).code(0);

    let both = ["--pubkey", "keys2/calib.pub", "--threshold", "2"];
    s.verify("m2.json", &both).code(0);
    rejected(s.verify("m.json", &both), "threshold_not_met");
    let r = s.verify("m.json", &["--threshold", "3"]).code(2);
    assert!(r.stderr.contains("threshold 3"), "{}", r.stderr);
    // --version must rise above the parent's.
    let r = s.sign("model.json", "m3.json", &["--parent", "m2.json", "--version", "2"]).code(2);
    assert!(r.stderr.contains("must be above"), "{}", r.stderr);
}

/// Issue 17, defect 6: `sign --parent` of a manifest at version u64::MAX
/// computed the parent's + 1 unchecked: 0 in a release build ("version must
/// be at least 1"), a panic in a debug one. The sum is checked and the
/// message says there is no next version.
#[test]
fn sign_after_the_largest_version_says_there_is_no_next_one() {
    let s = setup();
    s.signed(&["--version", "18446744073709551615"]);
    let r = s.sign("model.json", "m2.json", &["--parent", "m.json"]).code(2);
    assert!(
        r.stderr.contains("the parent's version is 18446744073709551615, the largest a version can be")
            && r.stderr.contains("overflow"),
        "{}",
        r.stderr
    );
    assert!(!s.path("m2.json").exists());
}

/// Issue 17, defect 9: `sign --key K --key K` reported two signers (and
/// recorded both key ids in the audit log) for one signature. A repeated
/// key is refused: a t-of-n policy needs t distinct keys.
#[test]
fn sign_refuses_a_repeated_key() {
    let s = setup();
    s.signed(&[]);
    let r = s.sign("model.json", "m2.json", &["--key", "keys/calib.key", "--audit", "a.jsonl"]).code(2);
    assert!(r.stderr.contains("given twice"), "{}", r.stderr);
    assert!(!s.path("m2.json").exists() && !s.path("a.jsonl").exists());
}

#[test]
fn manifest_show_summarises_without_verifying() {
    let s = setup();
    s.signed(&[]);
    let out = s.calib(&["manifest", "show", "m.json"]).code(0).stdout;
    for want in [
        "NOT VERIFIED",
        "application/vnd.calib.manifest+json",
        "version        1",
        "(this core)",
        "c_hat (all)",
        "gates          pass",
    ] {
        assert!(out.contains(want), "{want:?} missing:\n{out}");
    }
    let json = s.calib(&["manifest", "show", "m.json", "--json"]).code(0).stdout;
    let st: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    s.write("junk.json", "{");
    s.calib(&["manifest", "show", "junk.json"]).code(2);
}

#[test]
fn audit_log_records_events_and_finds_tampering() {
    let s = setup();
    s.signed(&["--audit", "audit.log"]);
    s.verify("m.json", &["--audit", "audit.log"]).code(0);
    s.calib(&[
        "verify",
        "--manifest",
        "m.json",
        "--pubkey",
        "keys/calib.pub",
        "--model",
        "plain.json",
        "--audit",
        "audit.log",
    ])
    .code(1);
    s.calib(&[
        "audit",
        "append",
        "audit.log",
        "--kind",
        "manifest.published",
        "--manifest",
        "m.json",
        "--data",
        r#"{"by":"ci"}"#,
    ])
    .code(0);
    let r = s.calib(&["audit", "verify", "audit.log"]).code(0);
    assert!(r.stdout.contains("intact: 4 records"), "{}", r.stdout);
    let head = r.stdout.trim().rsplit(' ').next().unwrap().to_string();
    let log = s.read("audit.log");
    let kinds: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["manifest.signed", "manifest.verified", "manifest.rejected", "manifest.published"]);
    assert!(log.lines().nth(2).unwrap().contains("subject_mismatch"));
    s.calib(&["audit", "verify", "audit.log", "--head", &head]).code(0);

    // Edit line 2: named.
    let edited = log.replacen("manifest.verified", "manifest.verifieD", 1);
    s.write("edited.log", &edited);
    let r = s.calib(&["audit", "verify", "edited.log"]).code(1);
    assert!(r.stdout.contains("line 2: was edited"), "{}", r.stdout);
    // Remove line 3: named.
    let removed: String = log.lines().enumerate().filter(|(i, _)| *i != 2).map(|(_, l)| format!("{l}\n")).collect();
    s.write("removed.log", &removed);
    let r = s.calib(&["audit", "verify", "removed.log", "--json"]).code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v["problems"][0].as_str().unwrap().starts_with("line 3:"), "{v}");
    // Cut off the last line: only the kept head shows it.
    let cut: String = log.lines().take(3).map(|l| format!("{l}\n")).collect();
    s.write("cut.log", &cut);
    s.calib(&["audit", "verify", "cut.log"]).code(0);
    let r = s.calib(&["audit", "verify", "cut.log", "--head", &head]).code(1);
    assert!(r.stdout.contains("cut off"), "{}", r.stdout);
    s.calib(&["audit", "verify", "missing.log"]).code(2);
    s.calib(&["audit", "append", "audit.log", "--kind", "Bad Kind"]).code(2);
    // A directory is not a log: named once (it was "X: X: Is a directory").
    std::fs::create_dir(s.dir.path().join("logs")).unwrap();
    let r = s.calib(&["audit", "verify", "logs"]).code(2);
    assert_eq!(r.stderr.matches("logs").count(), 1, "{}", r.stderr);
    // --data that is not JSON says why; JSON that is not an object says that.
    let r = s.calib(&["audit", "append", "audit.log", "--kind", "note", "--data", r#"{"y":1e400}"#]).code(2);
    assert!(r.stderr.contains("is not valid JSON") && r.stderr.contains("out of range"), "{}", r.stderr);
    let r = s.calib(&["audit", "append", "audit.log", "--kind", "note", "--data", "[1]"]).code(2);
    assert!(r.stderr.contains("is not a JSON object"), "{}", r.stderr);
}

#[test]
fn parity_exit_codes() {
    static CSV: OnceLock<String> = OnceLock::new();
    let s = Setup { dir: tempfile::tempdir().unwrap() };
    let base = CSV.get_or_init(|| {
        let mut t = String::from("score,label,calibrated\n");
        for i in 0..200 {
            let p = i as f64 / 199.0;
            writeln!(t, "{},{},{}", p, (i % 3 == 0) as u8, p * 0.9 + 0.05).unwrap();
        }
        t
    });
    s.write("a.csv", base);
    s.write("b.csv", base);
    let r = s.calib(&["parity", "a.csv", "b.csv"]).code(0);
    assert!(r.stdout.contains("bitwise different  0") && r.stdout.contains("parity: pass"), "{}", r.stdout);
    // One output one ulp off.
    let lines: Vec<&str> = base.lines().collect();
    let mut b = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i == 7 {
            let f: Vec<&str> = l.split(',').collect();
            let v: f64 = f[2].parse().unwrap();
            writeln!(b, "{},{},{}", f[0], f[1], f64::from_bits(v.to_bits() + 1)).unwrap();
        } else {
            writeln!(b, "{l}").unwrap();
        }
    }
    s.write("b.csv", &b);
    let r = s.calib(&["parity", "a.csv", "b.csv", "--json"]).code(1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!((v["bitwise_different"].as_u64(), v["first_different"].as_u64()), (Some(1), Some(6)));
    assert!(v["linf"].as_f64().unwrap() > 0.0 && v["delta_ece"].as_f64().is_some());
    assert_eq!(v["bins"].as_array().unwrap().len(), 15);
    s.calib(&["parity", "a.csv", "b.csv", "--tolerance", "1e-12"]).code(0);
    // A single-column file is read as the outputs.
    let single: String = std::iter::once("p\n".to_string())
        .chain(lines[1..].iter().map(|l| format!("{}\n", l.split(',').nth(2).unwrap())))
        .collect();
    s.write("single.csv", &single);
    s.calib(&["parity", "a.csv", "single.csv"]).code(0);
    // Other inputs, a length mismatch, or no usable column: bad input.
    s.write("c.csv", &base.replacen("\n0.005025125628140704,", "\n0.5,", 1));
    let r = s.calib(&["parity", "a.csv", "c.csv"]).code(2);
    assert!(r.stderr.contains("not the same inputs") && r.stderr.contains("c.csv:3"), "{}", r.stderr);
    s.write("short.csv", &lines[..10].join("\n"));
    s.calib(&["parity", "a.csv", "short.csv"]).code(2);
    s.write("two.csv", "x,y\n1,2\n");
    s.calib(&["parity", "a.csv", "two.csv"]).code(2);
}
