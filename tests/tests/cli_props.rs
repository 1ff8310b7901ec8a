//! The `calib` binary's data paths against calib-core in memory, on random
//! inputs: `fit`, `apply` and `eval` of a CSV file give, bit for bit, the
//! model, probabilities and metrics the core gives on the same rows; `fit`
//! and `eval` of the same rows as Parquet give the same; and a CSV file
//! with one byte flipped, inserted or deleted is either refused by `fit`,
//! `eval` and `apply` (exit 2, naming the file and where) or read as what
//! it now says, never silently as something else. What the corrupted file
//! "says" is worked out here by a CSV reader of its own (RFC 4180 as the
//! `csv` crate reads it: a quote opens a field only at its start, `""` is a
//! quote inside one, a record ends at an unquoted `\r` or `\n`, blank lines
//! are skipped, fields are trimmed), not by calib-cli's. A Parquet file with
//! one byte flipped is refused by `fit` or read as the `parquet` crate
//! reads it (calib-cli has a decoder of its own).

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use calib_core::binning::{BinStrategy, KPolicy};
use calib_core::map::{ApplyStats, OutOfBounds};
use calib_core::metrics;
use calib_core::model::{Direction, FitConfig, Method, Model, fit_model};
use calib_tests::binary::{Run, calib_in};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;
use std::path::Path;
use std::sync::Arc;

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Rows as the core takes them.
#[derive(Debug, Clone, PartialEq)]
struct Data {
    score: Vec<f64>,
    label: Vec<f64>,
    weight: Option<Vec<f64>>,
    class: Option<Vec<String>>,
}

/// How `calib fit` is called: the method and the smallest class with its
/// own map.
#[derive(Debug, Clone, Copy)]
struct Fit {
    histogram: bool,
    min_class_samples: usize,
}

impl Fit {
    fn args(self) -> Vec<String> {
        let method = if self.histogram { "histogram" } else { "isotonic" };
        vec![
            "--method".into(),
            method.into(),
            "--bins".into(),
            "4".into(),
            "--min-class-samples".into(),
            self.min_class_samples.to_string(),
        ]
    }

    /// The configuration `calib fit` builds from these arguments (its
    /// defaults for every other option).
    fn config(self) -> FitConfig {
        FitConfig {
            method: if self.histogram { Method::Histogram } else { Method::Isotonic },
            direction: Direction::Increasing,
            strict: false,
            y_min: None,
            y_max: None,
            bins: KPolicy::Fixed(4),
            strategy: BinStrategy::EqualMass,
            min_samples_per_bin: 1,
            min_class_samples: self.min_class_samples,
            out_of_bounds: OutOfBounds::Clip,
            epsilon: 0.0,
            ..FitConfig::default()
        }
    }

    fn core(self, d: &Data) -> calib_core::Result<Model> {
        fit_model(&d.score, &d.label, d.weight.as_deref(), d.class.as_deref(), &self.config())
    }
}

/// Scores in [0, 1] with many ties.
fn score() -> BoxedStrategy<f64> {
    prop_oneof![4 => (0i32..=8).prop_map(|i| f64::from(i) / 8.0), 2 => 0.0..=1.0f64, 1 => Just(1.0 / 3.0)].boxed()
}

fn data() -> impl Strategy<Value = Data> {
    (1usize..=24, any::<bool>(), any::<bool>()).prop_flat_map(|(n, weighted, classed)| {
        let weight = prop_oneof![Just(1.0), Just(0.5), Just(2.0), Just(3.25), 0.01..5.0f64];
        let class = prop_oneof![Just("a".to_string()), Just("b".to_string())];
        (
            proptest::collection::vec(score(), n),
            proptest::collection::vec(prop_oneof![Just(0.0), Just(1.0)], n),
            proptest::collection::vec(weight, n),
            proptest::collection::vec(class, n),
        )
            .prop_map(move |(score, label, weight, class)| Data {
                score,
                label,
                weight: weighted.then_some(weight),
                class: classed.then_some(class),
            })
    })
}

fn fit_options() -> impl Strategy<Value = Fit> {
    (any::<bool>(), 1usize..=6).prop_map(|(histogram, min_class_samples)| Fit { histogram, min_class_samples })
}

/// The CSV text of `d` (numbers in shortest round-trip form).
fn csv_of(d: &Data) -> String {
    let mut s = String::from("score,label");
    if d.weight.is_some() {
        s.push_str(",weight");
    }
    if d.class.is_some() {
        s.push_str(",class");
    }
    s.push('\n');
    for i in 0..d.score.len() {
        s.push_str(&format!("{},{}", d.score[i], d.label[i]));
        if let Some(w) = &d.weight {
            s.push_str(&format!(",{}", w[i]));
        }
        if let Some(c) = &d.class {
            s.push_str(&format!(",{}", c[i]));
        }
        s.push('\n');
    }
    s
}

fn write_parquet(path: &Path, d: &Data) {
    let mut cols: Vec<(&str, ArrayRef)> = vec![
        ("score", Arc::new(Float64Array::from(d.score.clone()))),
        ("label", Arc::new(Float64Array::from(d.label.clone()))),
    ];
    if let Some(w) = &d.weight {
        cols.push(("weight", Arc::new(Float64Array::from(w.clone()))));
    }
    if let Some(c) = &d.class {
        cols.push(("class", Arc::new(StringArray::from(c.clone()))));
    }
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn run(dir: &Path, args: &[&str]) -> Run {
    calib_in(dir, args)
}

fn model_text(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).expect("fit wrote the model")
}

/// The JSON `calib eval --json` prints for these metrics and clamp rate.
fn eval_json(m: &metrics::Metrics, clamp_rate: f64) -> serde_json::Value {
    serde_json::json!({
        "n": m.n, "ece": m.ece, "aece": m.aece, "mce": m.mce, "dece": m.dece,
        "brier": m.brier, "log_loss": m.log_loss, "clamp_rate": clamp_rate,
    })
}

fn parse_eval(r: &Run) -> serde_json::Value {
    serde_json::from_str(r.stdout.trim()).unwrap_or_else(|e| panic!("eval --json printed {:?}: {e}", r.stdout))
}

/// The `calibrated` column of `calib apply`'s CSV output (the last field).
fn calibrated(out: &str) -> Vec<f64> {
    let mut lines = out.lines();
    assert!(lines.next().is_some_and(|h| h.ends_with(",calibrated")), "apply output header: {out}");
    lines.map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap()).collect()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

// ---------------------------------------------------------------------------
// A CSV reader of this test's own, for what a corrupted file says
// ---------------------------------------------------------------------------

/// Splits CSV bytes into records of fields as the `csv` crate does with
/// its defaults; `Err` for a file that ends inside a quoted field.
fn records(bytes: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ()> {
    #[derive(PartialEq)]
    enum At {
        Start,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut out, mut rec, mut field) = (Vec::new(), Vec::new(), Vec::new());
    let mut at = At::Start;
    let mut in_record = false;
    for &b in bytes {
        let newline = b == b'\n' || b == b'\r';
        match at {
            At::Quoted if b == b'"' => at = At::QuoteInQuoted,
            At::Quoted => field.push(b),
            At::QuoteInQuoted if b == b'"' => {
                field.push(b'"');
                at = At::Quoted;
            }
            _ if newline => {
                if in_record {
                    rec.push(std::mem::take(&mut field));
                    out.push(std::mem::take(&mut rec));
                }
                in_record = false;
                at = At::Start;
            }
            _ if b == b',' => {
                rec.push(std::mem::take(&mut field));
                in_record = true;
                at = At::Start;
            }
            At::Start if b == b'"' => {
                in_record = true;
                at = At::Quoted;
            }
            _ => {
                in_record = true;
                field.push(b);
                at = At::Unquoted;
            }
        }
    }
    if at == At::Quoted {
        return Err(());
    }
    if in_record {
        rec.push(field);
        out.push(rec);
    }
    Ok(out)
}

/// A CSV file as trimmed text: its header and rows, or `None` if it is
/// no CSV (ends inside a quote, is no UTF-8, has no header or ragged rows).
type Table = (Vec<String>, Vec<Vec<String>>);

fn table(bytes: &[u8]) -> Option<Table> {
    let recs = records(bytes).ok()?;
    let mut text: Vec<Vec<String>> = recs
        .into_iter()
        .map(|r| r.into_iter().map(|f| String::from_utf8(f).map(|s| s.trim().to_string())).collect())
        .collect::<Result<_, _>>()
        .ok()?;
    if text.is_empty() {
        return None;
    }
    let header = text.remove(0);
    if text.iter().any(|r| r.len() != header.len()) {
        return None;
    }
    Some((header, text))
}

/// The column named `name`: `Err` if two are, `Ok(None)` if none is.
fn col(header: &[String], name: &str) -> Result<Option<usize>, ()> {
    let found: Vec<usize> = header.iter().enumerate().filter(|(_, h)| *h == name).map(|(i, _)| i).collect();
    match found.len() {
        0 => Ok(None),
        1 => Ok(Some(found[0])),
        _ => Err(()),
    }
}

/// The class column's values, `Err` if one runs over a line break.
fn classes(rows: &[Vec<String>], class_c: Option<usize>) -> Result<Option<Vec<String>>, ()> {
    match class_c {
        Some(c) if rows.iter().any(|r| r[c].contains(['\n', '\r'])) => Err(()),
        Some(c) => Ok(Some(rows.iter().map(|r| r[c].clone()).collect())),
        None => Ok(None),
    }
}

/// What a CSV file says as `apply` input: its scores and classes, or
/// `None` if it is no valid input.
fn what_apply_reads(bytes: &[u8]) -> Option<(Vec<f64>, Option<Vec<String>>)> {
    let (header, rows) = table(bytes)?;
    let score_c = col(&header, "score").ok()??;
    let class_c = col(&header, "class").ok()?;
    if col(&header, "calibrated").ok()?.is_some() {
        return None;
    }
    let score = rows.iter().map(|r| r[score_c].parse::<f64>().ok()).collect::<Option<Vec<f64>>>()?;
    Some((score, classes(&rows, class_c).ok()?))
}

/// What a CSV file says as `fit`/`eval` input: its rows, or `None` if it
/// is no valid input (no UTF-8, ragged rows, a missing or repeated column,
/// a value that is no number, a class over a line break, no rows).
fn what_it_says(bytes: &[u8]) -> Option<Data> {
    let (header, rows) = table(bytes)?;
    let (score_c, label_c) = (col(&header, "score").ok()??, col(&header, "label").ok()??);
    let (weight_c, class_c) = (col(&header, "weight").ok()?, col(&header, "class").ok()?);
    if rows.is_empty() {
        return None;
    }
    let num = |c: usize| rows.iter().map(|r| r[c].parse::<f64>().ok()).collect::<Option<Vec<f64>>>();
    let class = classes(&rows, class_c).ok()?;
    Some(Data {
        score: num(score_c)?,
        label: num(label_c)?,
        weight: match weight_c {
            Some(c) => Some(num(c)?),
            None => None,
        },
        class,
    })
}

/// A refusal: exit 2 and one line `calib: error: FILE:LINE: …` (or
/// `FILE: …` for what is about the whole file).
fn assert_refusal(r: &Run, file: &str) {
    assert_eq!(r.code, Some(2), "calib {}: stderr:\n{}", r.args, r.stderr);
    let line = r.stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "calib {}: a one-line error, got:\n{}", r.args, r.stderr);
    let rest = line
        .strip_prefix("calib: error: ")
        .and_then(|l| l.strip_prefix(file))
        .unwrap_or_else(|| panic!("calib {}: the error names {file}: {line}", r.args));
    let located = rest.starts_with(": ")
        || rest.strip_prefix(':').is_some_and(|l| {
            l.split(':').next().is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
    assert!(located, "calib {}: FILE:LINE or FILE: expected: {line}", r.args);
}

#[derive(Debug, Clone, Copy)]
enum Corruption {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

/// Bytes a corruption writes: mostly the ones CSV and numbers give meaning
/// to, and any byte at all.
fn corrupt_byte() -> BoxedStrategy<u8> {
    prop_oneof![
        3 => proptest::sample::select(b",\n\r\" .-e09x\t\x0b\x00\xff".to_vec()),
        1 => any::<u8>(),
    ]
    .boxed()
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        (any::<usize>(), corrupt_byte()).prop_map(|(i, b)| Corruption::Flip(i, b)),
        (any::<usize>(), corrupt_byte()).prop_map(|(i, b)| Corruption::Insert(i, b)),
        any::<usize>().prop_map(Corruption::Delete),
    ]
}

fn corrupt(mut bytes: Vec<u8>, c: Corruption) -> Vec<u8> {
    match c {
        Corruption::Flip(i, b) => {
            let i = i % bytes.len();
            bytes[i] = if bytes[i] == b { b ^ 0x01 } else { b };
        }
        Corruption::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
        Corruption::Delete(i) => {
            bytes.remove(i % bytes.len());
        }
    }
    bytes
}

proptest! {
    #![proptest_config(config(32))]

    /// `fit`, `apply`, `eval` and `eval --model` on a CSV file agree with
    /// the core's in-memory results bit for bit.
    #[test]
    fn csv_fit_apply_eval_match_the_core(d in data(), fit in fit_options()) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::write(p.join("in.csv"), csv_of(&d)).unwrap();
        let mut args = vec!["fit", "--input", "in.csv", "--out", "m.json"];
        let extra = fit.args();
        args.extend(extra.iter().map(String::as_str));
        run(p, &args).code(0);
        let model = fit.core(&d).expect("the core fits valid rows");
        prop_assert_eq!(model_text(p, "m.json"), model.to_json_pretty());

        let mut want = vec![0.0; d.score.len()];
        let mut stats = ApplyStats::default();
        model.apply_rows(d.class.as_deref(), &d.score, &mut want, &mut stats).unwrap();
        let out = run(p, &["apply", "--model", "m.json", "--input", "in.csv"]).code(0).stdout;
        prop_assert_eq!(bits(&calibrated(&out)), bits(&want));

        let raw = metrics::evaluate(&d.score, &d.label, d.weight.as_deref(), 15).unwrap();
        let got = parse_eval(&run(p, &["eval", "--input", "in.csv", "--json"]).code(0));
        prop_assert_eq!(got, eval_json(&raw, ApplyStats::default().clamp_rate()));

        let cal = metrics::evaluate(&want, &d.label, d.weight.as_deref(), 7).unwrap();
        let got = parse_eval(&run(p, &["eval", "--input", "in.csv", "--model", "m.json", "--bins", "7", "--json"]).code(0));
        prop_assert_eq!(got, eval_json(&cal, stats.clamp_rate()));
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// `fit` and `eval` of the same rows as Parquet give the core's model
    /// and metrics, as they do from CSV.
    #[test]
    fn parquet_fit_and_eval_match_the_core(d in data(), fit in fit_options()) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        write_parquet(&p.join("in.parquet"), &d);
        let mut args = vec!["fit", "--input", "in.parquet", "--out", "m.json"];
        let extra = fit.args();
        args.extend(extra.iter().map(String::as_str));
        run(p, &args).code(0);
        let model = fit.core(&d).expect("the core fits valid rows");
        prop_assert_eq!(model_text(p, "m.json"), model.to_json_pretty());

        let mut probs = vec![0.0; d.score.len()];
        let mut stats = ApplyStats::default();
        model.apply_rows(d.class.as_deref(), &d.score, &mut probs, &mut stats).unwrap();
        let cal = metrics::evaluate(&probs, &d.label, d.weight.as_deref(), 15).unwrap();
        let got = parse_eval(&run(p, &["eval", "--input", "in.parquet", "--model", "m.json", "--json"]).code(0));
        prop_assert_eq!(got, eval_json(&cal, stats.clamp_rate()));
    }
}

proptest! {
    #![proptest_config(config(32))]

    /// One byte of a valid CSV flipped, inserted or deleted: `fit`, `eval`
    /// and `apply` (with the model of the rows before the corruption)
    /// either refuse the file (exit 2, naming it and the line) or give the
    /// core's result on what the file now says; and they refuse it exactly
    /// when it says nothing valid or the core refuses what it says.
    #[test]
    fn a_corrupted_csv_is_refused_or_read_as_it_now_is(d in data(), c in corruption()) {
        let fit = Fit { histogram: false, min_class_samples: 3 };
        let bytes = corrupt(csv_of(&d).into_bytes(), c);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::write(p.join("in.csv"), &bytes).unwrap();
        let says = what_it_says(&bytes);
        let core_model = says.as_ref().map(|d| fit.core(d));
        let mut args = vec!["fit", "--input", "in.csv", "--out", "m.json"];
        let extra = fit.args();
        args.extend(extra.iter().map(String::as_str));
        let r = run(p, &args);
        let shown = String::from_utf8_lossy(&bytes).into_owned();
        match &core_model {
            Some(Ok(model)) => {
                prop_assert_eq!(r.code, Some(0), "calib refused what says {:?}:\n{}\n{}", says, shown, r.stderr);
                prop_assert_eq!(model_text(p, "m.json"), model.to_json_pretty(), "file:\n{}", shown);
            }
            _ => {
                prop_assert!(r.code != Some(0), "calib fit accepted a file that says {:?}:\n{}", says, shown);
                assert_refusal(&r, "in.csv");
            }
        }

        let r = run(p, &["eval", "--input", "in.csv", "--json"]);
        let core_metrics = says.as_ref().map(|d| metrics::evaluate(&d.score, &d.label, d.weight.as_deref(), 15));
        match &core_metrics {
            Some(Ok(m)) => {
                prop_assert_eq!(r.code, Some(0), "calib refused what says {:?}:\n{}\n{}", says, shown, r.stderr);
                prop_assert_eq!(parse_eval(&r), eval_json(m, 0.0), "file:\n{}", shown);
            }
            _ => {
                prop_assert!(r.code != Some(0), "calib eval accepted a file that says {:?}:\n{}", says, shown);
                assert_refusal(&r, "in.csv");
            }
        }

        // `apply` with the model of the uncorrupted rows.
        std::fs::write(p.join("good.json"), fit.core(&d).expect("the core fits valid rows").to_json_pretty()).unwrap();
        let model = Model::from_json(&model_text(p, "good.json")).unwrap();
        let r = run(p, &["apply", "--model", "good.json", "--input", "in.csv"]);
        let reads = what_apply_reads(&bytes);
        let want = reads.as_ref().map(|(score, class)| {
            let mut out = vec![0.0; score.len()];
            model.apply_rows(class.as_deref(), score, &mut out, &mut ApplyStats::default()).map(|()| out)
        });
        match &want {
            Some(Ok(want)) => {
                prop_assert_eq!(r.code, Some(0), "calib refused what reads {:?}:\n{}\n{}", reads, shown, r.stderr);
                prop_assert_eq!(bits(&calibrated(&r.stdout)), bits(want), "file:\n{}", shown);
            }
            _ => {
                prop_assert!(r.code != Some(0), "calib apply accepted a file that reads {:?}:\n{}", reads, shown);
                assert_refusal(&r, "in.csv");
            }
        }
    }
}

/// What a Parquet file says, as the `parquet` crate reads it: its rows,
/// or `None` if that reader refuses it (or panics on it) or a column has
/// nulls or another type.
fn what_parquet_says(path: &Path) -> Option<Data> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Float64Type;
    let read = move || -> Option<Data> {
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).ok()?).ok()?.build().ok()?;
        let batches = reader.collect::<Result<Vec<RecordBatch>, _>>().ok()?;
        let mut d = Data { score: vec![], label: vec![], weight: None, class: None };
        for b in &batches {
            let num = |name: &str| -> Option<Option<Vec<f64>>> {
                let Some(c) = b.column_by_name(name) else { return Some(None) };
                let c = c.as_primitive_opt::<Float64Type>()?;
                (c.null_count() == 0).then(|| Some(c.values().to_vec()))
            };
            d.score.extend(num("score")??);
            d.label.extend(num("label")??);
            if let Some(w) = num("weight")? {
                d.weight.get_or_insert_with(Vec::new).extend(w);
            }
            if let Some(c) = b.column_by_name("class") {
                let c = c.as_string_opt::<i32>()?;
                if c.null_count() > 0 {
                    return None;
                }
                d.class.get_or_insert_with(Vec::new).extend(c.iter().map(|v| v.unwrap_or("").to_string()));
            }
        }
        Some(d)
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).ok().flatten()
}

proptest! {
    #![proptest_config(config(24))]

    /// One byte of a valid Parquet file flipped: `fit` refuses it (exit 2,
    /// naming the file) or gives the core's model on what the `parquet`
    /// crate reads from it, or, where that reader refuses it, the model of
    /// the rows before the corruption (a byte no value depends on).
    #[test]
    fn a_corrupted_parquet_file_is_refused_or_read_as_it_now_is(
        d in data(), at in any::<usize>(), byte in any::<u8>(),
    ) {
        parquet_flip(d, at, byte)?;
    }
}

/// Found by `a_corrupted_parquet_file_is_refused_or_read_as_it_now_is`:
/// this flip of a data page header makes the page claim a dictionary
/// encoding in a chunk without a dictionary page. The parquet crate's
/// decoder panicked on it ("Decoder for dict should have been set"), and
/// `calib fit` exited 101; the page check of calib-cli's Parquet reader now
/// refuses the file with exit 2.
#[test]
fn a_page_claiming_a_missing_dictionary_is_refused() {
    let d = Data {
        score: vec![0.25, 0.5, 0.0, 0.625, 0.125],
        label: vec![0.0, 0.0, 1.0, 0.0, 0.0],
        weight: Some(vec![2.0, 0.01, 1.0, 0.5, 3.25]),
        class: None,
    };
    parquet_flip(d, 5291302154736972482, 228).unwrap();
}

/// The check of `a_corrupted_parquet_file_is_refused_or_read_as_it_now_is`
/// for one data set and flip (byte `at` modulo the file's size set to
/// `byte`).
fn parquet_flip(d: Data, at: usize, byte: u8) -> Result<(), TestCaseError> {
    let fit = Fit { histogram: false, min_class_samples: 3 };
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write_parquet(&p.join("good.parquet"), &d);
    let mut bytes = std::fs::read(p.join("good.parquet")).unwrap();
    let i = at % bytes.len();
    bytes[i] = if bytes[i] == byte { byte ^ 0x01 } else { byte };
    std::fs::write(p.join("in.parquet"), &bytes).unwrap();
    let says = what_parquet_says(&p.join("in.parquet"));
    let mut args = vec!["fit", "--input", "in.parquet", "--out", "m.json"];
    let extra = fit.args();
    args.extend(extra.iter().map(String::as_str));
    let r = run(p, &args);
    if r.code == Some(0) {
        let want = match &says {
            Some(s) => fit.core(s),
            None => fit.core(&d),
        };
        let want = want.map(|m| m.to_json_pretty());
        prop_assert_eq!(
            Ok(model_text(p, "m.json")),
            want.map_err(|e| e.to_string()),
            "byte {} set to {}; reads {:?}",
            i,
            byte,
            says
        );
    } else {
        prop_assert_eq!(r.code, Some(2), "calib {}: {}", r.args, r.stderr);
        prop_assert!(r.stderr.starts_with("calib: error: in.parquet"), "names the file: {}", r.stderr);
    }
    Ok(())
}
