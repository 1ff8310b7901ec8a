//! End-to-end tests of the `calib` binary: every command, the numbers it
//! prints checked against calib-core on the same data, and every bad input
//! checked for exit code 2 and a one-line `file:line: column …` message.
//!
//! The binary is built once per test run with the `cargo` that runs the tests
//! (so calib-tests needs no dependency on calib-cli), and located from
//! cargo's own build report. `CALIB_BIN` overrides it, e.g. to test an
//! installed binary.

use calib_core::binning::{BinStrategy, KPolicy};
use calib_core::map::{ApplyStats, NonFinite, OutOfBounds};
use calib_core::metrics;
use calib_core::model::{Direction, FitConfig, Method, Model, fit_model};
use calib_core::rng::SeededRng;
use calib_core::synthetic::DEMO_CLASSES;
use calib_tests::binary::calib_bin;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

// ---------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------

/// What one run of `calib` did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    args: String,
}

fn calib<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_os_string()).collect();
    let out = Command::new(calib_bin()).args(&args).output().expect("cannot run calib");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        args: args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "),
    }
}

impl Run {
    fn ok(self) -> Run {
        assert_eq!(self.code, Some(0), "calib {} failed:\n{}", self.args, self.stderr);
        self
    }
    /// Exit code 2 with exactly one line on stderr, `calib: error: …`.
    /// Returns that line without the prefix.
    fn input_error(self) -> String {
        assert_eq!(self.code, Some(2), "calib {}: expected exit 2; stderr:\n{}", self.args, self.stderr);
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "calib {}: expected a one-line error, got:\n{}", self.args, self.stderr);
        assert!(self.stderr.ends_with('\n'), "error line is not terminated: {:?}", self.stderr);
        let msg = lines[0]
            .strip_prefix("calib: error: ")
            .unwrap_or_else(|| panic!("calib {}: unexpected error format {:?}", self.args, lines[0]));
        msg.to_string()
    }
    /// A clap usage error: exit 2, a message, no output.
    fn usage_error(self) {
        assert_eq!(self.code, Some(2), "calib {}: expected exit 2; stderr:\n{}", self.args, self.stderr);
        assert!(
            self.stderr.contains("error:") || self.stderr.contains("Usage:"),
            "calib {}: no error message:\n{}",
            self.args,
            self.stderr
        );
        assert!(self.stdout.is_empty(), "calib {}: usage error wrote to stdout:\n{}", self.args, self.stdout);
    }
}

// ---------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write test input");
    p
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn ds(p: &Path) -> String {
    p.display().to_string()
}

/// Sorted names in a directory.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Rows of a labelled data set, as they go into a CSV and into calib-core.
#[derive(Debug, Clone, Default)]
struct Data {
    score: Vec<f64>,
    label: Vec<f64>,
    weight: Vec<f64>,
    class: Vec<String>,
}

impl Data {
    /// `n` rows of an over-confident ranker: P(y = 1 | s) = s², with scores
    /// on a 1/200 grid (so there are ties) and weights in [0.5, 2).
    fn overconfident(n: usize, seed: u64, classes: &[(&str, usize)]) -> Data {
        let mut rng = SeededRng::new(seed);
        let mut d = Data::default();
        let mut names = classes.iter().flat_map(|&(c, k)| std::iter::repeat_n(c.to_string(), k));
        for _ in 0..n {
            let s = (rng.uniform() * 200.0).floor() / 200.0;
            d.score.push(s);
            d.label.push(rng.bernoulli(s * s));
            d.weight.push(0.5 + 1.5 * rng.uniform());
            d.class.push(names.next().unwrap_or_else(|| "rest".to_string()));
        }
        d
    }

    /// Label falls with the score.
    fn decreasing(n: usize, seed: u64) -> Data {
        let mut d = Data::overconfident(n, seed, &[]);
        let mut rng = SeededRng::new(seed ^ 0xdec);
        for i in 0..n {
            d.label[i] = rng.bernoulli(1.0 - d.score[i]);
        }
        d
    }

    /// A CSV with the columns in this order (`id` and `note` are ignored
    /// by calib; `note` has a quoted comma).
    fn csv(&self, columns: &[&str]) -> String {
        let mut s = columns.join(",");
        s.push('\n');
        for i in 0..self.score.len() {
            let fields: Vec<String> = columns
                .iter()
                .map(|&c| match c {
                    "score" => format!("{}", self.score[i]),
                    "label" => format!("{}", self.label[i]),
                    "weight" => format!("{}", self.weight[i]),
                    "class" => self.class[i].clone(),
                    "id" => format!("r{i}"),
                    "note" => format!("\"n{i}, ok\""),
                    other => panic!("unknown column {other}"),
                })
                .collect();
            s.push_str(&fields.join(","));
            s.push('\n');
        }
        s
    }

    fn classes(&self) -> Vec<&str> {
        self.class.iter().map(String::as_str).collect()
    }
}

/// The model `calib fit` should write for `data`, fitted by calib-core
/// (compare its `to_json_pretty()` with the CLI's file).
fn core_fit(data: &Data, weights: bool, classes: bool, cfg: &FitConfig) -> Model {
    let cls = data.classes();
    fit_model(
        &data.score,
        &data.label,
        if weights { Some(&data.weight[..]) } else { None },
        if classes { Some(&cls[..]) } else { None },
        cfg,
    )
    .expect("calib-core fit")
}

/// Runs `calib fit` on `csv` with extra args; returns the model file text.
fn cli_fit(dir: &Path, csv: &str, extra: &[&str]) -> String {
    let input = write(dir, "train.csv", csv);
    let out = dir.join("model.json");
    let _ = std::fs::remove_file(&out);
    let run = calib(
        [OsStr::new("fit"), "--input".as_ref(), input.as_os_str(), "--out".as_ref(), out.as_os_str()]
            .into_iter()
            .chain(extra.iter().map(OsStr::new)),
    )
    .ok();
    assert!(run.stdout.is_empty(), "fit printed to stdout: {}", run.stdout);
    assert!(run.stderr.contains("fitted"), "fit summary missing: {}", run.stderr);
    read(&out)
}

fn assert_strictly_increasing(v: &[f64], what: &str) {
    assert!(v.windows(2).all(|w| w[0] < w[1]), "{what} not strictly increasing: {v:?}");
}

// ---------------------------------------------------------------------------
// calib demo
// ---------------------------------------------------------------------------

/// A row of the demo's table: class, rows, then (before, after) for ECE,
/// AECE, DECE and Brier — as printed.
#[derive(Debug)]
struct DemoRow {
    class: String,
    rows: usize,
    pairs: Vec<(String, String)>,
}

fn demo_table(stdout: &str) -> Vec<DemoRow> {
    let names: Vec<&str> = DEMO_CLASSES.iter().copied().chain(["overall"]).collect();
    stdout
        .lines()
        .filter_map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            if t.is_empty() || !names.contains(&t[0]) {
                return None;
            }
            assert_eq!(t.len(), 14, "unexpected table row {l:?}");
            let pairs = (0..4)
                .map(|k| {
                    let b = 2 + 3 * k;
                    assert_eq!(t[b + 1], "→", "unexpected table row {l:?}");
                    (t[b].to_string(), t[b + 2].to_string())
                })
                .collect();
            Some(DemoRow { class: t[0].to_string(), rows: t[1].parse().expect("row count"), pairs })
        })
        .collect()
}

#[test]
fn demo_writes_model_svg_and_holdout_and_improves_every_class() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("nested").join("demo");
    let run = calib([OsStr::new("demo"), "--out".as_ref(), out.as_os_str()]).ok();

    let table = demo_table(&run.stdout);
    let classes: Vec<&str> = table.iter().map(|r| r.class.as_str()).collect();
    assert_eq!(classes, ["navigational", "informational", "transactional", "overall"], "{}", run.stdout);
    for r in &table {
        let f = |s: &str| s.parse::<f64>().unwrap_or_else(|_| panic!("not a number {s:?} in {r:?}"));
        for (metric, k) in [("ECE", 0), ("AECE", 1), ("Brier", 3)] {
            let (before, after) = (f(&r.pairs[k].0), f(&r.pairs[k].1));
            assert!(after < before, "{metric} of {} did not improve: {before} → {after}", r.class);
        }
        assert!(r.rows > 0);
    }
    let overall = &table[3];
    assert_eq!(overall.rows, table[..3].iter().map(|r| r.rows).sum::<usize>(), "class rows do not add up");

    // model.json: a valid model with a map per demo class.
    let model_path = out.join("model.json");
    let model = Model::from_json(&read(&model_path)).expect("demo model loads");
    assert_eq!(model.classes().collect::<Vec<_>>(), {
        let mut c = DEMO_CLASSES.to_vec();
        c.sort();
        c
    });

    // reliability.svg: one panel per class and overall, with bin markers.
    let svg = read(&out.join("reliability.svg"));
    assert!(svg.starts_with("<svg"), "svg starts with {:?}", &svg[..svg.len().min(40)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<svg").count(), 1);
    assert_eq!(svg.matches("<g class=\"panel\"").count(), 4);
    for name in ["navigational", "informational", "transactional", "overall"] {
        assert!(svg.contains(&format!("<g class=\"panel\" data-title=\"{name}\"")), "no panel for {name}");
    }
    assert!(svg.matches("class=\"bin\"").count() >= 4 * 2, "too few bin markers");
    assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count(), "unbalanced <g>");
    // Bin markers carry a <title> child; the legend's circles close themselves.
    assert_eq!(svg.matches("<circle class=\"bin\"").count(), svg.matches("</circle>").count());
    assert!(!svg.contains("NaN"), "NaN coordinates in the svg");

    // holdout.csv: the held-out rows; evaluating them with the model gives
    // the table's overall numbers.
    let holdout = out.join("holdout.csv");
    let text = read(&holdout);
    assert_eq!(text.lines().next(), Some("query_id,class,score,label"));
    assert_eq!(text.lines().count() - 1, overall.rows);
    let json = |args: &[&OsStr]| -> serde_json::Value {
        let r = calib(args).ok();
        serde_json::from_str(r.stdout.trim()).expect("eval --json prints JSON")
    };
    let before = json(&["eval".as_ref(), "--input".as_ref(), holdout.as_os_str(), "--json".as_ref()]);
    let after = json(&[
        "eval".as_ref(),
        "--input".as_ref(),
        holdout.as_os_str(),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--json".as_ref(),
    ]);
    for (k, key) in [(0, "ece"), (1, "aece"), (2, "dece"), (3, "brier")] {
        let b = format!("{:.4}", before[key].as_f64().unwrap());
        let a = format!("{:.4}", after[key].as_f64().unwrap());
        assert_eq!((b, a), overall.pairs[k], "eval of holdout.csv disagrees with the demo's {key}");
    }
    assert_eq!(before["clamp_rate"].as_f64(), Some(0.0));
    assert!((0.0..0.05).contains(&after["clamp_rate"].as_f64().unwrap()), "{after}");
}

#[test]
fn demo_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let ra = calib([OsStr::new("demo"), "--out".as_ref(), a.as_os_str()]).ok();
    let rb = calib([OsStr::new("demo"), "--out".as_ref(), b.as_os_str()]).ok();
    for f in ["model.json", "reliability.svg", "holdout.csv"] {
        assert!(std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(), "{f} differs between runs");
    }
    let table = |s: &str| format!("{:?}", demo_table(s));
    assert_eq!(table(&ra.stdout), table(&rb.stdout));
    // ... and the seed matters.
    let c = tmp.path().join("c");
    calib([OsStr::new("demo"), "--out".as_ref(), c.as_os_str(), "--seed".as_ref(), "7".as_ref()]).ok();
    assert!(std::fs::read(a.join("model.json")).unwrap() != std::fs::read(c.join("model.json")).unwrap());
}

// ---------------------------------------------------------------------------
// calib fit
// ---------------------------------------------------------------------------

#[test]
fn fit_isotonic_default_with_weights_classes_and_ignored_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::overconfident(700, 1, &[("big", 400), ("mid", 150), ("tiny", 20)]);
    let csv = data.csv(&["id", "class", "score", "note", "label", "weight"]);

    // Default --min-class-samples (1000): no class is big enough.
    let text = cli_fit(tmp.path(), &csv, &[]);
    let want = core_fit(&data, true, true, &FitConfig::default());
    assert_eq!(text, want.to_json_pretty(), "fit differs from calib-core's fit_model");
    let model = Model::from_json(&text).unwrap();
    assert_eq!(model.classes().count(), 0);

    // --min-class-samples 150: big and mid (exactly 150) get maps, tiny and rest do not.
    let text = cli_fit(tmp.path(), &csv, &["--min-class-samples", "150"]);
    let cfg = FitConfig { min_class_samples: 150, ..FitConfig::default() };
    assert_eq!(text, core_fit(&data, true, true, &cfg).to_json_pretty());
    let model = Model::from_json(&text).unwrap();
    let f = model.file();
    assert_eq!(f.classes.keys().map(String::as_str).collect::<Vec<_>>(), ["big", "mid"]);
    assert_eq!(f.schema_version, 1);
    assert_eq!(f.method, Method::Isotonic);
    assert!(!f.strict);
    assert_eq!(f.out_of_bounds, OutOfBounds::Clip);
    assert_eq!(f.global.n, 700);
    assert_eq!(f.classes["big"].n, 400);
    assert_eq!(f.classes["mid"].n, 150);
    for m in std::iter::once(&f.global).chain(f.classes.values()) {
        assert!(m.increasing);
        assert_strictly_increasing(&m.x, "x");
        assert!(m.y.windows(2).all(|w| w[0] <= w[1]), "isotonic y decreases: {:?}", m.y);
        assert!(m.y.iter().all(|y| (0.0..=1.0).contains(y)));
    }
    // Weights are used: the unweighted fit is a different model.
    assert_ne!(text, core_fit(&data, false, true, &cfg).to_json_pretty());
}

#[test]
fn fit_histogram_fixed_bins() {
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::overconfident(500, 2, &[]);
    let text = cli_fit(tmp.path(), &data.csv(&["score", "label"]), &["--method", "histogram", "--bins", "5"]);
    let cfg = FitConfig { method: Method::Histogram, bins: KPolicy::Fixed(5), ..FitConfig::default() };
    assert_eq!(text, core_fit(&data, false, false, &cfg).to_json_pretty());
    let f = Model::from_json(&text).unwrap().file().clone();
    assert_eq!(f.method, Method::Histogram);
    assert_eq!(f.global.x.len(), 10, "5 bins are 10 breakpoints: {:?}", f.global.x);
    assert_strictly_increasing(&f.global.x, "x");
    // Each bin's value is the label mean of its rows.
    for b in 0..5 {
        let (lo, hi) = (f.global.x[2 * b], f.global.x[2 * b + 1]);
        let rows: Vec<usize> = (0..500).filter(|&i| data.score[i] >= lo && data.score[i] <= hi).collect();
        let mean = rows.iter().map(|&i| data.label[i]).sum::<f64>() / rows.len() as f64;
        assert!((f.global.y[2 * b] - mean).abs() < 1e-12 && f.global.y[2 * b] == f.global.y[2 * b + 1]);
    }

    // Equal-width edges and a minimum bin size.
    let text = cli_fit(
        tmp.path(),
        &data.csv(&["score", "label"]),
        &["--method", "histogram", "--bins", "8", "--binning", "equal-width", "--min-samples-per-bin", "70"],
    );
    let cfg = FitConfig {
        method: Method::Histogram,
        bins: KPolicy::Fixed(8),
        strategy: BinStrategy::EqualWidth,
        min_samples_per_bin: 70,
        ..FitConfig::default()
    };
    assert_eq!(text, core_fit(&data, false, false, &cfg).to_json_pretty());
}

#[test]
fn fit_histogram_cube_root_bins() {
    let tmp = tempfile::tempdir().unwrap();
    // 1000 distinct scores: round(cbrt(1000)) = 10 equal-mass bins.
    let mut data = Data::overconfident(1000, 3, &[]);
    for (i, s) in data.score.iter_mut().enumerate() {
        *s = (i as f64 + 0.5) / 1000.0;
    }
    for spelling in ["cube-root", "cube_root"] {
        let text = cli_fit(tmp.path(), &data.csv(&["score", "label"]), &["--method", "histogram", "--bins", spelling]);
        let cfg = FitConfig { method: Method::Histogram, bins: KPolicy::CUBE_ROOT, ..FitConfig::default() };
        assert_eq!(text, core_fit(&data, false, false, &cfg).to_json_pretty());
        let f = Model::from_json(&text).unwrap().file().clone();
        assert_eq!(f.global.x.len(), 20, "10 bins expected: {:?}", f.global.x);
        assert_eq!(f.global.merged_bins, 0);
    }
}

#[test]
fn fit_direction_false_auto_true() {
    let tmp = tempfile::tempdir().unwrap();
    let down = Data::decreasing(400, 4);
    let csv = down.csv(&["score", "label"]);

    let text = cli_fit(tmp.path(), &csv, &["--increasing", "false"]);
    let cfg = FitConfig { direction: Direction::Decreasing, ..FitConfig::default() };
    assert_eq!(text, core_fit(&down, false, false, &cfg).to_json_pretty());
    let g = Model::from_json(&text).unwrap().file().global.clone();
    assert!(!g.increasing);
    assert!(g.y.windows(2).all(|w| w[0] >= w[1]), "decreasing map has an increasing step: {:?}", g.y);
    assert!(g.y[0] > *g.y.last().unwrap(), "decreasing map is flat");

    let auto = cli_fit(tmp.path(), &csv, &["--increasing", "auto"]);
    assert_eq!(auto, text, "auto should pick decreasing on decreasing data");

    let forced = cli_fit(tmp.path(), &csv, &["--increasing", "true"]);
    let g = Model::from_json(&forced).unwrap().file().global.clone();
    assert!(g.increasing && g.y.windows(2).all(|w| w[0] <= w[1]));

    let up = Data::overconfident(400, 5, &[]);
    let auto_up = cli_fit(tmp.path(), &up.csv(&["score", "label"]), &["--increasing", "auto"]);
    assert_eq!(auto_up, core_fit(&up, false, false, &FitConfig::default()).to_json_pretty());
    assert!(Model::from_json(&auto_up).unwrap().file().global.increasing);
}

#[test]
fn fit_strict_is_strictly_increasing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::overconfident(600, 6, &[("a", 600)]);
    let csv = data.csv(&["score", "label", "class"]);
    let plain = Model::from_json(&cli_fit(tmp.path(), &csv, &[])).unwrap();
    assert!(
        plain.file().global.y.windows(2).any(|w| w[0] == w[1]),
        "plain isotonic on this data should have flat segments (else the strict check proves nothing)"
    );
    let text = cli_fit(tmp.path(), &csv, &["--strict", "--min-class-samples", "10"]);
    let cfg = FitConfig { strict: true, min_class_samples: 10, ..FitConfig::default() };
    assert_eq!(text, core_fit(&data, false, true, &cfg).to_json_pretty());
    let f = Model::from_json(&text).unwrap().file().clone();
    assert!(f.strict);
    for m in [&f.global, &f.classes["a"]] {
        assert_strictly_increasing(&m.x, "x");
        assert_strictly_increasing(&m.y, "strict y");
    }
}

#[test]
fn fit_y_bounds_and_policies() {
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::overconfident(500, 7, &[]);
    let csv = data.csv(&["score", "label"]);

    let text = cli_fit(tmp.path(), &csv, &["--y-min", "0.2", "--y-max", "0.8"]);
    let cfg = FitConfig { y_min: Some(0.2), y_max: Some(0.8), ..FitConfig::default() };
    assert_eq!(text, core_fit(&data, false, false, &cfg).to_json_pretty());
    let y = Model::from_json(&text).unwrap().file().global.y.clone();
    assert!(y.iter().all(|v| (0.2..=0.8).contains(v)), "{y:?}");
    assert_eq!(y[0], 0.2, "the lowest block (mean 0) should be clipped up to y_min");
    assert_eq!(*y.last().unwrap(), 0.8, "the highest block should be clipped down to y_max");

    // Negative bounds parse as numbers, not flags.
    let text = cli_fit(tmp.path(), &csv, &["--y-min", "-0.5"]);
    let cfg = FitConfig { y_min: Some(-0.5), ..FitConfig::default() };
    assert_eq!(text, core_fit(&data, false, false, &cfg).to_json_pretty());

    // Out-of-bounds policies are stored and served.
    let text = cli_fit(tmp.path(), &csv, &["--out-of-bounds", "nan"]);
    let model = Model::from_json(&text).unwrap();
    assert_eq!(model.file().out_of_bounds, OutOfBounds::Nan);
    let (lo, hi) = (model.file().global.x[0], *model.file().global.x.last().unwrap());
    assert!(model.apply(None, lo - 1.0).unwrap().is_nan());
    assert!(model.apply(None, hi + 1.0).unwrap().is_nan());
    assert!(!model.apply(None, (lo + hi) / 2.0).unwrap().is_nan());
    let text = cli_fit(tmp.path(), &csv, &["--out-of-bounds", "error"]);
    assert_eq!(Model::from_json(&text).unwrap().file().out_of_bounds, OutOfBounds::Error);

    // ε clamps the outputs.
    let text = cli_fit(tmp.path(), &csv, &["--epsilon", "0.01"]);
    let model = Model::from_json(&text).unwrap();
    assert_eq!(model.file().epsilon, 0.01);
    assert_eq!(model.apply(None, -5.0).unwrap(), 0.01);
    assert_eq!(model.apply(None, 5.0).unwrap(), 0.99);
}

// ---------------------------------------------------------------------------
// calib apply
// ---------------------------------------------------------------------------

/// Fits a two-class model (`a`, `b`) with calib-core and writes it.
fn class_model(dir: &Path, cfg: &FitConfig) -> (Model, PathBuf) {
    let data = Data::overconfident(900, 8, &[("a", 300), ("b", 300), ("c", 300)]);
    // Make class b different from a: flip its labels.
    let mut d = data.clone();
    for i in 300..600 {
        d.label[i] = 1.0 - d.label[i];
    }
    let model = fit_model(&d.score, &d.label, None, Some(&d.classes()[..]), cfg).unwrap();
    let path = write(dir, "model.json", &model.to_json_pretty());
    (model, path)
}

/// The `calibrated` column of an apply output, checked against the model,
/// with the input's other fields unchanged.
fn check_apply_output(output: &str, input: &str, model: &Model, class_col: Option<usize>, score_col: usize) {
    let (out_lines, in_lines): (Vec<&str>, Vec<&str>) = (output.lines().collect(), input.lines().collect());
    assert_eq!(out_lines.len(), in_lines.len(), "row count changed:\n{output}");
    assert_eq!(out_lines[0], format!("{},calibrated", in_lines[0]));
    for (o, i) in out_lines[1..].iter().zip(&in_lines[1..]) {
        let (prefix, value) = o.rsplit_once(',').expect("a calibrated field");
        assert_eq!(prefix, *i, "input fields not preserved");
        let fields: Vec<&str> = i.split(',').collect();
        let score: f64 = fields[score_col].trim().parse().unwrap();
        let class = class_col.map(|c| fields[c].trim());
        let want = model.apply(class, score).unwrap();
        if want.is_nan() {
            assert_eq!(value, "NaN");
        } else {
            let got: f64 = value.parse().unwrap_or_else(|_| panic!("calibrated {value:?} is not a number"));
            assert_eq!(got.to_bits(), want.to_bits(), "row {i}: calibrated {got}, Model::apply {want}");
        }
    }
}

#[test]
fn apply_matches_model_apply_bitwise_with_class_routing() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = FitConfig { min_class_samples: 300, ..FitConfig::default() };
    let (model, model_path) = class_model(tmp.path(), &cfg);
    assert_eq!(model.classes().collect::<Vec<_>>(), ["a", "b", "c"]);

    let mut input = String::from("qid,class,extra,score\n");
    let mut rng = SeededRng::new(9);
    let classes = ["a", "b", "c", "unknown", ""];
    for i in 0..300 {
        let s = match i % 7 {
            0 => -0.25,                    // below every map
            1 => 1.5,                      // above
            2 => model.file().global.x[3], // exactly a breakpoint
            _ => rng.uniform(),
        };
        let _ = writeln!(input, "q{},{},x{i},{s}", i / 10, classes[i % classes.len()]);
    }
    let input_path = write(tmp.path(), "scores.csv", &input);

    // To stdout.
    let run = calib([
        OsStr::new("apply"),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--input".as_ref(),
        input_path.as_os_str(),
    ])
    .ok();
    check_apply_output(&run.stdout, &input, &model, Some(1), 3);
    assert!(run.stderr.contains("clamp rate"), "out-of-range scores should be reported: {}", run.stderr);

    // Unknown and empty classes use the global map, and classes really route.
    let global = model.global_map();
    let s = 0.5;
    assert_eq!(model.apply(Some("unknown"), s).unwrap().to_bits(), global.apply(s).unwrap().to_bits());
    assert_ne!(model.apply(Some("a"), s).unwrap(), model.apply(Some("b"), s).unwrap());

    // To a file: the same bytes, nothing on stdout.
    let out = tmp.path().join("calibrated.csv");
    let run2 = calib([
        OsStr::new("apply"),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--input".as_ref(),
        input_path.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ])
    .ok();
    assert!(run2.stdout.is_empty());
    assert_eq!(read(&out), run.stdout);
    assert_eq!(listing(tmp.path()), ["calibrated.csv", "model.json", "scores.csv"], "stray files left");
}

#[test]
fn apply_without_class_column_uses_global_and_preserves_quoting() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = FitConfig { min_class_samples: 300, ..FitConfig::default() };
    let (model, model_path) = class_model(tmp.path(), &cfg);
    let input = "score,note\n0.25,plain\n0.75,\"with, comma\"\n 0.5 ,spaced\n";
    let input_path = write(tmp.path(), "s.csv", input);
    let run = calib([
        OsStr::new("apply"),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--input".as_ref(),
        input_path.as_os_str(),
    ])
    .ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "score,note,calibrated");
    assert!(lines[2].starts_with("0.75,\"with, comma\","), "quoted field not preserved: {}", lines[2]);
    assert!(lines[3].starts_with(" 0.5 ,spaced,"), "untrimmed field not preserved: {}", lines[3]);
    for (line, s) in lines[1..].iter().zip([0.25, 0.75, 0.5]) {
        let v: f64 = line.rsplit_once(',').unwrap().1.parse().unwrap();
        assert_eq!(v.to_bits(), model.global_map().apply(s).unwrap().to_bits());
    }

    // A header-only input is a valid empty stream.
    let empty = write(tmp.path(), "h.csv", "score,note\n");
    let run =
        calib([OsStr::new("apply"), "--model".as_ref(), model_path.as_os_str(), "--input".as_ref(), empty.as_os_str()])
            .ok();
    assert_eq!(run.stdout, "score,note,calibrated\n");
}

#[test]
fn apply_nan_policy_and_non_finite_fallback() {
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::overconfident(300, 10, &[]);
    let cfg = FitConfig { out_of_bounds: OutOfBounds::Nan, ..FitConfig::default() };
    let mut file = core_fit(&data, false, false, &cfg).file().clone();
    file.non_finite = NonFinite::Fallback(0.5);
    let model = Model::from_file(file).unwrap();
    let model_path = write(tmp.path(), "m.json", &model.to_json());
    let input = "score\n0.3\n-1\nNaN\ninf\n2\n";
    let input_path = write(tmp.path(), "s.csv", input);
    let run = calib([
        OsStr::new("apply"),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--input".as_ref(),
        input_path.as_os_str(),
    ])
    .ok();
    let values: Vec<&str> = run.stdout.lines().skip(1).map(|l| l.rsplit_once(',').unwrap().1).collect();
    assert_eq!(values[1..], ["NaN", "0.5", "0.5", "NaN"]);
    assert_eq!(values[0].parse::<f64>().unwrap().to_bits(), model.apply(None, 0.3).unwrap().to_bits());
    assert!(run.stderr.contains("4 of 5 scores"), "clamp summary: {}", run.stderr);
}

// ---------------------------------------------------------------------------
// calib eval
// ---------------------------------------------------------------------------

const EVAL_KEYS: [&str; 8] = ["n", "ece", "aece", "mce", "dece", "brier", "log_loss", "clamp_rate"];

fn eval_json(args: &[&OsStr]) -> serde_json::Map<String, serde_json::Value> {
    let run = calib(args).ok();
    assert_eq!(run.stdout.lines().count(), 1, "--json prints one line: {}", run.stdout);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("eval --json output is JSON");
    let obj = v.as_object().expect("a JSON object").clone();
    let keys: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(keys, EVAL_KEYS.into_iter().collect::<BTreeSet<_>>(), "eval --json keys");
    obj
}

fn assert_metrics(got: &serde_json::Map<String, serde_json::Value>, want: &metrics::Metrics, clamp_rate: f64) {
    assert_eq!(got["n"].as_u64(), Some(want.n));
    for (key, w) in [
        ("ece", want.ece),
        ("aece", want.aece),
        ("mce", want.mce),
        ("dece", want.dece),
        ("brier", want.brier),
        ("log_loss", want.log_loss),
        ("clamp_rate", clamp_rate),
    ] {
        let g = got[key].as_f64().unwrap_or_else(|| panic!("{key} is not a number: {}", got[key]));
        assert!(calib_tests::close(g, w, 1e-12), "{key}: calib eval {g}, calib-core {w}");
    }
}

#[test]
fn eval_json_matches_core_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::overconfident(800, 11, &[("a", 400)]);
    let input = write(tmp.path(), "d.csv", &data.csv(&["class", "label", "id", "score"]));
    for bins in [None, Some(7), Some(1)] {
        let mut args: Vec<&OsStr> = vec!["eval".as_ref(), "--input".as_ref(), input.as_os_str(), "--json".as_ref()];
        let b = bins.map(|b: usize| b.to_string());
        if let Some(b) = &b {
            args.extend([OsStr::new("--bins"), b.as_ref()]);
        }
        let got = eval_json(&args);
        let want = metrics::evaluate(&data.score, &data.label, None, bins.unwrap_or(15)).unwrap();
        assert_metrics(&got, &want, 0.0);
    }
    // Weighted.
    let input = write(tmp.path(), "w.csv", &data.csv(&["score", "weight", "label"]));
    let got = eval_json(&["eval".as_ref(), "--input".as_ref(), input.as_os_str(), "--json".as_ref()]);
    let want = metrics::evaluate(&data.score, &data.label, Some(&data.weight), 15).unwrap();
    assert_metrics(&got, &want, 0.0);
    // The table shows the same numbers.
    let table = calib([OsStr::new("eval"), "--input".as_ref(), input.as_os_str()]).ok().stdout;
    assert!(table.contains("800 rows, 15 bins"), "{table}");
    for (name, v) in [("ECE", want.ece), ("AECE", want.aece), ("Brier", want.brier), ("log-loss", want.log_loss)] {
        let line = table.lines().find(|l| l.split_whitespace().next() == Some(name)).expect(name);
        assert!(line.ends_with(&format!("{v:.6}")), "{name}: {line:?}, want {v:.6}");
    }
}

#[test]
fn eval_with_model_reports_model_metrics_and_clamp_rate() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = FitConfig { min_class_samples: 300, ..FitConfig::default() };
    let (model, model_path) = class_model(tmp.path(), &cfg);
    let (lo, hi) = (model.file().global.x[0], *model.file().global.x.last().unwrap());
    assert!(lo <= 0.3 && hi > 0.9 && hi < 1.0, "need room above the map's range: [{lo}, {hi}]");

    // One of four scores is outside the fitted range.
    let input = write(tmp.path(), "e.csv", &format!("score,label\n0.3,0\n0.6,1\n{},1\n0.9,1\n", (hi + 1.0) / 2.0));
    let got = eval_json(&[
        "eval".as_ref(),
        "--input".as_ref(),
        input.as_os_str(),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(got["clamp_rate"].as_f64(), Some(0.25));
    let scores = [0.3, 0.6, (hi + 1.0) / 2.0, 0.9];
    let probs: Vec<f64> = scores.iter().map(|&s| model.apply(None, s).unwrap()).collect();
    assert_metrics(&got, &metrics::evaluate(&probs, &[0.0, 1.0, 1.0, 1.0], None, 15).unwrap(), 0.25);

    // With a class column: rows are routed to their class's map.
    let data = Data::overconfident(200, 12, &[("a", 50), ("b", 50), ("zzz", 50)]);
    let input = write(tmp.path(), "c.csv", &data.csv(&["score", "label", "class"]));
    let got = eval_json(&[
        "eval".as_ref(),
        "--input".as_ref(),
        input.as_os_str(),
        "--model".as_ref(),
        model_path.as_os_str(),
        "--json".as_ref(),
        "--bins".as_ref(),
        "10".as_ref(),
    ]);
    let mut probs = vec![0.0; 200];
    let mut stats = ApplyStats::default();
    model.apply_rows(Some(&data.classes()[..]), &data.score, &mut probs, &mut stats).unwrap();
    assert_metrics(&got, &metrics::evaluate(&probs, &data.label, None, 10).unwrap(), stats.clamp_rate());
}

// ---------------------------------------------------------------------------
// Bad input: exit 2, one line naming file, line and column
// ---------------------------------------------------------------------------

/// A fitted model (clip policy) in `dir`; returns its path.
fn simple_model(dir: &Path, name: &str, oob: OutOfBounds) -> PathBuf {
    let cfg = FitConfig { out_of_bounds: oob, ..FitConfig::default() };
    let m = fit_model::<&str>(&[0.1, 0.3, 0.5, 0.9], &[0.0, 0.0, 1.0, 1.0], None, None, &cfg).unwrap();
    write(dir, name, &m.to_json_pretty())
}

/// Runs `cmd` (fit, eval or apply) on `input` and returns the error line.
fn fail_on(cmd: &str, dir: &Path, input: &Path, model: Option<&Path>) -> String {
    let out = dir.join(format!("{cmd}-out"));
    let mut args: Vec<&OsStr> = vec![cmd.as_ref(), "--input".as_ref(), input.as_os_str()];
    match cmd {
        "fit" => args.extend(["--out".as_ref(), out.as_os_str()]),
        "apply" => args.extend(["--model".as_ref(), model.expect("apply needs a model").as_os_str()]),
        "eval" => {
            if let Some(m) = model {
                args.extend(["--model".as_ref(), m.as_os_str()]);
            }
        }
        _ => unreachable!(),
    }
    let msg = calib(&args).input_error();
    assert!(!out.exists(), "{cmd} wrote its output despite the error");
    msg
}

/// Asserts `msg` starts `{file}:{line}: column {column}` and mentions `what`.
fn assert_located(msg: &str, file: &Path, line: u64, column: &str, what: &str) {
    let want = format!("{}:{line}: column {column}: ", file.display());
    assert!(msg.starts_with(&want), "expected {want:?}…, got {msg:?}");
    assert!(msg.contains(what), "expected {what:?} in {msg:?}");
}

#[test]
fn bad_numbers_name_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);

    // Non-numeric score, in every command; score is column 2.
    let f = write(d, "text.csv", "id,score,label\na,0.1,0\nb,0.2,1\nc,abc,1\nd,0.4,0\n");
    for cmd in ["fit", "eval", "apply"] {
        assert_located(&fail_on(cmd, d, &f, Some(&model)), &f, 4, "2 (score)", "\"abc\"");
    }
    // An empty score field.
    let f = write(d, "blank.csv", "score,label\n0.1,0\n,1\n");
    for cmd in ["fit", "eval", "apply"] {
        assert_located(&fail_on(cmd, d, &f, Some(&model)), &f, 3, "1 (score)", "\"\"");
    }
    // NaN score in fit (parses as a number, refused by the fit).
    let f = write(d, "nan.csv", "score,label\n0.1,0\n0.2,1\nNaN,1\n");
    assert_located(&fail_on("fit", d, &f, None), &f, 4, "1 (score)", "non-finite score NaN");
    // ... and in apply under the default non-finite policy (error).
    assert_located(&fail_on("apply", d, &f, Some(&model)), &f, 4, "1 (score)", "NaN");
    // ... and eval without a model (not a probability).
    assert_located(&fail_on("eval", d, &f, None), &f, 4, "1 (score)", "NaN");
    // Infinite score in fit.
    let f = write(d, "inf.csv", "score,label\n0.1,0\n-inf,1\n");
    assert_located(&fail_on("fit", d, &f, None), &f, 3, "1 (score)", "inf");

    // Label 1.5; label is column 3.
    let f = write(d, "label.csv", "score,weight,label\n0.1,1,0\n0.2,1,1\n0.3,1,1.5\n");
    for cmd in ["fit", "eval"] {
        assert_located(&fail_on(cmd, d, &f, None), &f, 4, "3 (label)", "label 1.5");
    }
    // A non-numeric label.
    let f = write(d, "label2.csv", "score,label\n0.1,yes\n");
    for cmd in ["fit", "eval"] {
        assert_located(&fail_on(cmd, d, &f, None), &f, 2, "2 (label)", "\"yes\"");
    }
    // Negative weight; weight is column 1.
    let f = write(d, "weight.csv", "weight,score,label\n1,0.1,0\n-2,0.2,1\n1,0.3,1\n");
    for cmd in ["fit", "eval"] {
        assert_located(&fail_on(cmd, d, &f, None), &f, 3, "1 (weight)", "weight -2");
    }

    // eval of a score outside [0, 1] without a model.
    let f = write(d, "prob.csv", "score,label\n0.1,0\n0.5,1\n0.7,1\n1.25,1\n");
    assert_located(&fail_on("eval", d, &f, None), &f, 5, "1 (score)", "probability 1.25");
    // With a clip model the same file is fine.
    calib([OsStr::new("eval"), "--input".as_ref(), f.as_os_str(), "--model".as_ref(), model.as_os_str()]).ok();

    // A model fitted with --out-of-bounds error refuses out-of-range scores.
    let strict = simple_model(d, "err.json", OutOfBounds::Error);
    let f = write(d, "oob.csv", "label,score\n0,0.2\n1,0.5\n1,0.95\n0,0.3\n");
    assert_located(&fail_on("apply", d, &f, Some(&strict)), &f, 4, "2 (score)", "0.95");
    assert_located(&fail_on("eval", d, &f, Some(&strict)), &f, 4, "2 (score)", "0.95");
}

#[test]
fn malformed_csv_names_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);
    let f = write(d, "ragged.csv", "score,label\n0.1,0\n0.2,1\n0.3,1,extra\n0.4,0\n");
    for cmd in ["fit", "eval", "apply"] {
        assert_located(&fail_on(cmd, d, &f, Some(&model)), &f, 4, "-", "malformed CSV");
    }
    // A quoted field spanning lines counts as the lines it spans.
    let f = write(d, "multi.csv", "note,score,label\n\"two\nlines\",0.1,0\nx,abc,1\n");
    for cmd in ["fit", "eval", "apply"] {
        assert_located(&fail_on(cmd, d, &f, Some(&model)), &f, 4, "2 (score)", "\"abc\"");
    }
}

#[test]
fn missing_columns_and_empty_inputs_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);
    let prefix = |f: &Path| format!("{}: ", f.display());
    let header = |f: &Path| format!("{}:1: ", f.display());

    let f = write(d, "nolabel.csv", "score,y\n0.1,0\n");
    for cmd in ["fit", "eval"] {
        let msg = fail_on(cmd, d, &f, None);
        assert!(msg.starts_with(&header(&f)) && msg.contains("\"label\""), "{msg}");
    }
    let f = write(d, "noscore.csv", "s,label\n0.1,0\n");
    for cmd in ["fit", "eval", "apply"] {
        let msg = fail_on(cmd, d, &f, Some(&model));
        assert!(msg.starts_with(&header(&f)) && msg.contains("\"score\""), "{msg}");
    }
    let f = write(d, "empty.csv", "");
    for cmd in ["fit", "eval", "apply"] {
        let msg = fail_on(cmd, d, &f, Some(&model));
        assert!(msg.starts_with(&header(&f)) && msg.contains("empty"), "{msg}");
    }
    let f = write(d, "header.csv", "score,label\n");
    for cmd in ["fit", "eval"] {
        let msg = fail_on(cmd, d, &f, None);
        assert!(msg.starts_with(&prefix(&f)) && msg.contains("no data rows"), "{msg}");
    }
    let f = d.join("does-not-exist.csv");
    for cmd in ["fit", "eval", "apply"] {
        let msg = fail_on(cmd, d, &f, Some(&model));
        assert!(msg.starts_with(&prefix(&f)) && msg.contains("cannot open"), "{msg}");
    }
    // The input already has the output column.
    let f = write(d, "has.csv", "score,calibrated\n0.1,0\n");
    let msg = fail_on("apply", d, &f, Some(&model));
    assert!(msg.starts_with(&header(&f)) && msg.contains("calibrated"), "{msg}");
}

#[test]
fn bad_models_are_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let input = write(d, "s.csv", "score,label\n0.2,0\n0.6,1\n");
    let good = read(&simple_model(d, "m.json", OutOfBounds::Clip));
    let cases: Vec<(&str, String, &str)> = vec![
        ("corrupt.json", "{\"schema_version\": 1, \"global\": ".to_string(), "not valid JSON"),
        ("garbage.json", "not json at all".to_string(), "at line 1 column"),
        ("v99.json", good.replace("\"schema_version\": 1", "\"schema_version\": 99"), "schema_version 99"),
        ("nov.json", good.replace("\"schema_version\": 1,", ""), "schema_version"),
        ("unknown.json", good.replace("\"strict\"", "\"bogus\": 1, \"strict\""), "bogus"),
        ("unsorted.json", good.replace("0.1,", "0.95,"), "out of order"),
        ("eps.json", good.replace("\"epsilon\": 0.0", "\"epsilon\": 0.7"), "epsilon"),
    ];
    for (name, text, what) in cases {
        assert_ne!(text, good, "{name}: the edit did not apply");
        let m = write(d, name, &text);
        for cmd in ["apply", "eval"] {
            let msg = fail_on(cmd, d, &input, Some(&m));
            assert!(msg.starts_with(&format!("{}: bad model", m.display())), "{name}/{cmd}: {msg}");
            assert!(msg.contains(what), "{name}/{cmd}: expected {what:?} in {msg:?}");
        }
    }
    let missing = d.join("nope.json");
    for cmd in ["apply", "eval"] {
        let msg = fail_on(cmd, d, &input, Some(&missing));
        assert!(msg.starts_with(&format!("{}: cannot read", missing.display())), "{msg}");
    }
}

#[test]
fn bad_parameters_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = write(d, "ok.csv", "score,label\n0.1,0\n0.3,0\n0.5,1\n0.9,1\n");
    let out = d.join("m.json");
    let bad: [&[&str]; 3] = [&["--y-min", "0.8", "--y-max", "0.2"], &["--epsilon", "0.7"], &["--epsilon=-0.1"]];
    for extra in bad {
        let msg = calib(
            [OsStr::new("fit"), "--input".as_ref(), f.as_os_str(), "--out".as_ref(), out.as_os_str()]
                .into_iter()
                .chain(extra.iter().map(OsStr::new)),
        )
        .input_error();
        assert!(msg.contains("invalid"), "{extra:?}: {msg}");
        assert!(!out.exists());
    }
    // An output directory that does not exist.
    let nowhere = d.join("no").join("such").join("m.json");
    let msg = calib([OsStr::new("fit"), "--input".as_ref(), f.as_os_str(), "--out".as_ref(), nowhere.as_os_str()])
        .input_error();
    assert!(msg.starts_with(&ds(&nowhere)), "{msg}");
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = write(d, "ok.csv", "score,label\n0.1,0\n0.5,1\n");
    let m = simple_model(d, "m.json", OutOfBounds::Clip);
    let (f, m, o) = (ds(&f), ds(&m), ds(&d.join("o")));
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["frobnicate"],
        vec!["fit", "--input", &f, "--out", &o, "--bogus"],
        vec!["fit", "--input", &f, "--out", &o, "--bins", "0"],
        vec!["fit", "--input", &f, "--out", &o, "--bins", "-3"],
        vec!["fit", "--input", &f, "--out", &o, "--bins", "many"],
        vec!["fit", "--input", &f, "--out", &o, "--method", "platt"],
        vec!["fit", "--input", &f, "--out", &o, "--increasing", "maybe"],
        vec!["fit", "--input", &f, "--out", &o, "--out-of-bounds", "wrap"],
        vec!["fit", "--input", &f, "--out", &o, "--y-min", "low"],
        vec!["fit", "--input", &f],
        vec!["fit", "--out", &o],
        vec!["apply", "--input", &f],
        vec!["apply", "--model", &m, "--input", &f, "--bogus"],
        vec!["eval", "--input", &f, "--bins", "0"],
        vec!["eval", "--input", &f, "--bins", "100001"],
        vec!["eval", "--input", &f, "--bogus"],
        vec!["eval"],
        vec!["demo", "--out", &o, "--rows", "5"],
        vec!["demo", "--out", &o, "--bogus"],
    ];
    for args in cases {
        calib(&args).usage_error();
    }
    assert!(!d.join("o").exists());
}

// ---------------------------------------------------------------------------
// Atomic outputs
// ---------------------------------------------------------------------------

#[test]
fn failed_apply_and_fit_leave_no_output_and_no_temp_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);
    let strict = simple_model(d, "err.json", OutOfBounds::Error);
    // Enough good rows before the bad one that buffered output reaches the temp file.
    let mut big = String::from("score,label\n");
    for i in 0..60_000 {
        // Inside the models' range [0.1, 0.9].
        let _ = writeln!(big, "{},{}", 0.1 + (i % 800) as f64 / 1000.0, i % 2);
    }
    let good_rows = big.clone();
    big.push_str("oops,1\n");
    let bad = write(d, "bad.csv", &big);
    let mut oob_text = good_rows.clone();
    oob_text.push_str("2.5,1\n");
    let oob = write(d, "oob.csv", &oob_text);
    let label = write(d, "label.csv", "score,label\n0.1,0\n0.2,7\n");
    let before = listing(d);
    let out = d.join("out.csv");

    let apply = |input: &Path, m: &Path| {
        calib([
            OsStr::new("apply"),
            "--model".as_ref(),
            m.as_os_str(),
            "--input".as_ref(),
            input.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
    };
    let fit = |input: &Path| {
        calib([OsStr::new("fit"), "--input".as_ref(), input.as_os_str(), "--out".as_ref(), out.as_os_str()])
    };

    // No output file before: none after.
    let bad_line = good_rows.lines().count() as u64 + 1;
    assert_located(&apply(&bad, &model).input_error(), &bad, bad_line, "1 (score)", "oops");
    assert_located(&apply(&oob, &strict).input_error(), &oob, bad_line, "1 (score)", "2.5");
    assert_located(&fit(&label).input_error(), &label, 3, "2 (label)", "label 7");
    assert_located(&fit(&bad).input_error(), &bad, bad_line, "1 (score)", "oops");
    assert_eq!(listing(d), before, "a failed run left files behind");

    // A pre-existing output is left exactly as it was.
    std::fs::write(&out, "keep me\n").unwrap();
    let before = listing(d);
    apply(&bad, &model).input_error();
    apply(&oob, &strict).input_error();
    fit(&label).input_error();
    assert_eq!(read(&out), "keep me\n");
    assert_eq!(listing(d), before, "a failed run left files behind");

    // To stdout: nothing is printed before the error.
    let run = calib([OsStr::new("apply"), "--model".as_ref(), model.as_os_str(), "--input".as_ref(), bad.as_os_str()]);
    assert!(run.stdout.is_empty(), "partial output on stdout: {} bytes", run.stdout.len());
    run.input_error();

    // A successful run replaces the old output, again without leftovers.
    let good = write(d, "good.csv", &good_rows);
    let before = listing(d);
    apply(&good, &model).ok();
    assert!(read(&out).starts_with("score,label,calibrated\n"));
    assert_eq!(read(&out).lines().count(), 60_001);
    assert_eq!(listing(d), before);
    fit(&good).ok();
    Model::from_json(&read(&out)).expect("fit replaced the output with a model");
    assert_eq!(listing(d), before);
}

// ---------------------------------------------------------------------------
// Line numbers in files that are not plain LF-terminated
// ---------------------------------------------------------------------------

// Regression: with CRLF line endings every reported line was one too small,
// because the CLI trusted csv's `StringRecord::position().line()` (counted
// before the `\n` of the previous terminator; BurntSushi/rust-csv#395). Lines
// are now worked out from the record's byte offset. Windows/Excel exports are
// CRLF, so this is the common case for many users.
#[test]
fn crlf_input_reports_the_right_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);
    let f = write(d, "crlf.csv", "score,label\r\n0.1,0\r\n0.2,1\r\nabc,1\r\n");
    for cmd in ["fit", "eval", "apply"] {
        assert_located(&fail_on(cmd, d, &f, Some(&model)), &f, 4, "1 (score)", "\"abc\"");
    }
    let f = write(d, "crlf-label.csv", "score,label\r\n0.1,0\r\n0.2,1.5\r\n");
    assert_located(&fail_on("fit", d, &f, None), &f, 3, "2 (label)", "label 1.5");
}

// Regression: blank lines right before the bad row were not counted (the
// record's position is taken before the skipped blank lines,
// BurntSushi/rust-csv#208).
#[test]
fn blank_lines_before_a_bad_row_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);
    let f = write(d, "blank.csv", "score,label\n0.1,0\n\n\nabc,1\n");
    for cmd in ["fit", "eval", "apply"] {
        assert_located(&fail_on(cmd, d, &f, Some(&model)), &f, 5, "1 (score)", "\"abc\"");
    }
}

// A blank line that is not directly before the bad row is counted too.
#[test]
fn blank_lines_earlier_in_the_file_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let f = write(d, "blank.csv", "score,label\n\n0.1,0\n\n0.2,0\nabc,1\n");
    assert_located(&fail_on("fit", d, &f, None), &f, 6, "1 (score)", "\"abc\"");
}

// Regression: a missing required column was reported without a line; the
// header is line 1 and the message says so.
#[test]
fn missing_column_names_the_header_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let model = simple_model(d, "m.json", OutOfBounds::Clip);
    let f = write(d, "nolabel.csv", "score,y\n0.1,0\n");
    for cmd in ["fit", "eval"] {
        let msg = fail_on(cmd, d, &f, None);
        assert!(msg.starts_with(&format!("{}:1: ", f.display())), "{cmd}: {msg}");
    }
    let f = write(d, "noscore.csv", "s,label\n0.1,0\n");
    for cmd in ["fit", "eval", "apply"] {
        let msg = fail_on(cmd, d, &f, Some(&model));
        assert!(msg.starts_with(&format!("{}:1: ", f.display())), "{cmd}: {msg}");
    }
}

// Regression: apply's error for a bad row named the right line but said
// "at index 0 of scores" whatever the row; it now names the row's 0-based
// index, as fit and eval do.
#[test]
fn apply_error_names_the_row_index() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let strict = simple_model(d, "err.json", OutOfBounds::Error);
    let f = write(d, "oob.csv", "score\n0.2\n0.5\n0.95\n");
    let apply = fail_on("apply", d, &f, Some(&strict));
    let eval_input = write(d, "oob-l.csv", "score,label\n0.2,0\n0.5,0\n0.95,0\n");
    let eval = fail_on("eval", d, &eval_input, Some(&strict));
    assert!(eval.contains("at index 2 of scores"), "{eval}");
    assert!(apply.contains("at index 2 of scores"), "apply names the wrong row: {apply}");
}
