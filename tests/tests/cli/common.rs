//! What every `calib` CLI test uses: running the binary and reading its
//! outcome, writing and reading files, seeded data sets and the models the
//! commands are checked against.

use calib_core::map::OutOfBounds;
use calib_core::model::{FitConfig, Model, fit_model};
use calib_core::rng::SeededRng;
use calib_tests::binary::calib_in;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

pub use calib_tests::binary::Run;

// ---------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------

/// Runs `calib` with `args` in the test's own directory.
pub fn calib<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    calib_in(Path::new("."), args)
}

/// What a CLI test expects of one run: success, an input error or a usage
/// error (every failure is exit 2; they differ in what they print).
pub trait Expect {
    /// Exit code 0; the run, for more checks.
    fn ok(self) -> Run;
    /// Exit code 2 with exactly one line on stderr, `calib: error: …`.
    /// Returns that line without the prefix.
    fn input_error(self) -> String;
    /// A clap usage error: exit 2, a message, no output.
    fn usage_error(self);
}

impl Expect for Run {
    fn ok(self) -> Run {
        assert_eq!(self.code, Some(0), "calib {} failed:\n{}", self.args, self.stderr);
        self
    }
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

pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write test input");
    p
}

pub fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

pub fn ds(p: &Path) -> String {
    p.display().to_string()
}

/// Sorted names in a directory.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Rows of a labelled data set, as they go into a CSV and into calib-core.
#[derive(Debug, Clone, Default)]
pub struct Data {
    pub score: Vec<f64>,
    pub label: Vec<f64>,
    pub weight: Vec<f64>,
    pub class: Vec<String>,
}

impl Data {
    /// `n` rows of an over-confident ranker: P(y = 1 | s) = s², with scores
    /// on a 1/200 grid (so there are ties) and weights in [0.5, 2).
    pub fn overconfident(n: usize, seed: u64, classes: &[(&str, usize)]) -> Data {
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
    pub fn decreasing(n: usize, seed: u64) -> Data {
        let mut d = Data::overconfident(n, seed, &[]);
        let mut rng = SeededRng::new(seed ^ 0xdec);
        for i in 0..n {
            d.label[i] = rng.bernoulli(1.0 - d.score[i]);
        }
        d
    }

    /// A CSV with the columns in this order (`id` and `note` are ignored
    /// by calib; `note` has a quoted comma).
    pub fn csv(&self, columns: &[&str]) -> String {
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

    pub fn classes(&self) -> Vec<&str> {
        self.class.iter().map(String::as_str).collect()
    }
}

/// The model `calib fit` should write for `data`, fitted by calib-core
/// (compare its `to_json_pretty()` with the CLI's file).
pub fn core_fit(data: &Data, weights: bool, classes: bool, cfg: &FitConfig) -> Model {
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
pub fn cli_fit(dir: &Path, csv: &str, extra: &[&str]) -> String {
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

pub fn assert_strictly_increasing(v: &[f64], what: &str) {
    assert!(v.windows(2).all(|w| w[0] < w[1]), "{what} not strictly increasing: {v:?}");
}

/// Fits a two-class model (`a`, `b`) with calib-core and writes it.
pub fn class_model(dir: &Path, cfg: &FitConfig) -> (Model, PathBuf) {
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

// ---------------------------------------------------------------------------
// Bad input: exit 2, one line naming file, line and column
// ---------------------------------------------------------------------------

/// A fitted model (clip policy) in `dir`; returns its path.
pub fn simple_model(dir: &Path, name: &str, oob: OutOfBounds) -> PathBuf {
    let cfg = FitConfig { out_of_bounds: oob, ..FitConfig::default() };
    let m = fit_model::<&str>(&[0.1, 0.3, 0.5, 0.9], &[0.0, 0.0, 1.0, 1.0], None, None, &cfg).unwrap();
    write(dir, name, &m.to_json_pretty())
}

/// Runs `cmd` (fit, eval or apply) on `input` and returns the error line.
pub fn fail_on(cmd: &str, dir: &Path, input: &Path, model: Option<&Path>) -> String {
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
pub fn assert_located(msg: &str, file: &Path, line: u64, column: &str, what: &str) {
    let want = format!("{}:{line}: column {column}: ", file.display());
    assert!(msg.starts_with(&want), "expected {want:?}…, got {msg:?}");
    assert!(msg.contains(what), "expected {what:?} in {msg:?}");
}
