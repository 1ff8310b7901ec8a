//! Parquet inputs of the CLI. The committed files (tests/vectors/parquet,
//! written by pyarrow: tests/vectors/gen_parquet.py) hold the same rows as
//! typed.csv, so every command must give the same output from either, byte
//! for byte. Datasets (directories of part files) are written here with the
//! parquet crate, to place bad values in a chosen file and row.

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use calib_tests::binary::calib_in;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/parquet")
}

/// A temp dir holding copies of the committed files.
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(vectors()).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    dir
}

fn read(d: &Path, name: &str) -> Vec<u8> {
    std::fs::read(d.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The codecs calib is built with, as gen_parquet.py names their files.
const CODECS: [&str; 5] = ["snappy", "zstd", "gzip", "lz4", "none"];

/// The whole of a small Parquet file (the tests' outputs) as one batch.
fn read_batch(path: &Path) -> RecordBatch {
    let file = std::fs::File::open(path).unwrap();
    let mut reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().with_batch_size(1 << 20).build().unwrap();
    let batch = reader.next().expect("a batch").unwrap();
    assert!(reader.next().is_none(), "{} is small enough for one batch", path.display());
    batch
}

#[test]
fn every_codec_gives_the_model_and_metrics_the_csv_gives() {
    let dir = workdir();
    let d = dir.path();
    // Per-class maps too: 400 rows over 3 classes.
    let fit = ["--min-class-samples", "50"];
    calib_in(d, [&["fit", "--input", "typed.csv", "--out", "csv.json"][..], &fit].concat()).code(0);
    let want = read(d, "csv.json");
    assert!(String::from_utf8_lossy(&want).contains("\"news\""), "the CSV fit has per-class maps");
    let want_eval = calib_in(d, ["eval", "--model", "csv.json", "--input", "typed.csv", "--json"]).code(0).stdout;
    for codec in CODECS {
        let file = format!("typed_{codec}.parquet");
        calib_in(d, [&["fit", "--input", &file, "--out", "pq.json"][..], &fit].concat()).code(0);
        assert!(read(d, "pq.json") == want, "{file}: the model differs from the CSV's");
        let eval = calib_in(d, ["eval", "--model", "csv.json", "--input", &file, "--json"]).code(0).stdout;
        assert_eq!(eval, want_eval, "{file}: metrics differ");
        // Map/reduce from Parquet parts gives the same model as well.
        calib_in(d, ["sketch", "--input", &file, "--out", "pq.sketch"]).code(0);
        calib_in(d, [&["fit", "--sketch", "pq.sketch", "--out", "sk.json"][..], &fit].concat()).code(0);
        assert!(read(d, "sk.json") == want, "{file}: the sketched model differs");
    }
}

#[test]
fn a_parquet_file_is_recognised_by_its_content_not_its_name() {
    let dir = workdir();
    let d = dir.path();
    std::fs::copy(d.join("typed_snappy.parquet"), d.join("logs.dat")).unwrap();
    calib_in(d, ["fit", "--input", "typed.csv", "--out", "a.json"]).code(0);
    calib_in(d, ["fit", "--input", "logs.dat", "--out", "b.json"]).code(0);
    assert!(read(d, "a.json") == read(d, "b.json"));
}

#[test]
fn plain_strings_int_labels_and_many_row_groups() {
    let dir = workdir();
    let d = dir.path();
    // plain.parquet: typed.csv's score, label and class only.
    let csv = String::from_utf8(read(d, "typed.csv")).unwrap();
    let three: String = csv.lines().map(|l| l.splitn(4, ',').take(3).collect::<Vec<_>>().join(",") + "\n").collect();
    std::fs::write(d.join("three.csv"), three).unwrap();
    let meta = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(d.join("plain.parquet")).unwrap())
        .unwrap()
        .metadata()
        .clone();
    assert!(meta.num_row_groups() > 1, "the file exercises several row groups");
    calib_in(d, ["fit", "--input", "three.csv", "--out", "a.json", "--min-class-samples", "50"]).code(0);
    calib_in(d, ["fit", "--input", "plain.parquet", "--out", "b.json", "--min-class-samples", "50"]).code(0);
    assert!(read(d, "a.json") == read(d, "b.json"));
}

#[test]
fn bad_values_are_named_by_file_row_and_column() {
    let dir = workdir();
    let d = dir.path();
    let r = calib_in(d, ["fit", "--input", "null_label.parquet", "--out", "m.json"]).code(2);
    assert!(r.stderr.contains("null_label.parquet: row 5: column \"label\": null value"), "{}", r.stderr);
    let r = calib_in(d, ["fit", "--input", "text_score.parquet", "--out", "m.json"]).code(2);
    assert!(r.stderr.contains("text_score.parquet: column \"score\" has type Utf8"), "{}", r.stderr);
    let r = calib_in(d, ["fit", "--input", "typed_brotli.parquet", "--out", "m.json"]).code(2);
    assert!(r.stderr.contains("brotli") && r.stderr.contains("snappy, zstd"), "{}", r.stderr);
    let r = calib_in(d, ["eval", "--model", "x.json", "--input", "typed_zstd.parquet"]).code(2);
    assert!(r.stderr.contains("x.json"), "{}", r.stderr);
    // A truncated file (footer gone) and a file without a required column.
    let bytes = read(d, "typed_zstd.parquet");
    std::fs::write(d.join("cut.parquet"), &bytes[..bytes.len() / 2]).unwrap();
    let r = calib_in(d, ["fit", "--input", "cut.parquet", "--out", "m.json"]).code(2);
    assert!(r.stderr.contains("cut.parquet: not a readable Parquet file"), "{}", r.stderr);
    let r = calib_in(d, ["gate", "--help"]).code(0);
    assert!(r.stdout.contains("Parquet"), "{}", r.stdout);
    assert!(!d.join("m.json").exists(), "nothing is written on bad input");
}

/// Writes a Parquet file of `score` (f64), `label` (i64) and optionally `class`.
fn write_part(path: &Path, score: &[f64], label: &[i64], class: Option<&[&str]>) {
    let mut cols: Vec<(&str, ArrayRef)> = vec![
        ("score", Arc::new(Float64Array::from(score.to_vec()))),
        ("label", Arc::new(Int64Array::from(label.to_vec()))),
    ];
    if let Some(c) = class {
        cols.push(("class", Arc::new(StringArray::from(c.to_vec()))));
    }
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn csv_of(score: &[f64], label: &[i64]) -> String {
    let mut s = String::from("score,label\n");
    for (x, y) in score.iter().zip(label) {
        s += &format!("{x:?},{y}\n");
    }
    s
}

#[test]
fn a_directory_is_one_dataset_of_its_part_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let score: Vec<f64> = (0..900).map(|i| ((i * 37) % 101) as f64 / 100.0).collect();
    let label: Vec<i64> = (0..900).map(|i| i64::from((i * 7919) % 100 < (i * 37) % 101)).collect();
    // Spark's layout: partition directories, part files, and the marker and
    // checksum files that readers skip.
    write_part(&d.join("logs/day=01/part-00000.parquet"), &score[..300], &label[..300], None);
    write_part(&d.join("logs/day=01/part-00001.parquet"), &score[300..500], &label[300..500], None);
    write_part(&d.join("logs/day=02/part-00000.parquet"), &score[500..], &label[500..], None);
    std::fs::write(d.join("logs/_SUCCESS"), "").unwrap();
    std::fs::write(d.join("logs/day=01/.part-00000.parquet.crc"), "crc").unwrap();
    std::fs::write(d.join("all.csv"), csv_of(&score, &label)).unwrap();
    calib_in(d, ["fit", "--input", "all.csv", "--out", "a.json"]).code(0);
    calib_in(d, ["fit", "--input", "logs", "--out", "b.json"]).code(0);
    assert!(read(d, "a.json") == read(d, "b.json"), "a dataset fits like all its rows");

    // A bad label in the last file is reported by that file's own row.
    let mut bad = label[500..].to_vec();
    bad[41] = 3;
    write_part(&d.join("logs/day=02/part-00000.parquet"), &score[500..], &bad, None);
    let r = calib_in(d, ["fit", "--input", "logs", "--out", "c.json"]).code(2);
    assert!(r.stderr.contains("day=02/part-00000.parquet: row 42: column \"label\""), "{}", r.stderr);
    write_part(&d.join("logs/day=02/part-00000.parquet"), &score[500..], &label[500..], None);

    // Every file needs the columns the first one has.
    let classes = vec!["web"; 100];
    write_part(&d.join("logs/day=03/part-00000.parquet"), &score[..100], &label[..100], Some(&classes));
    let r = calib_in(d, ["fit", "--input", "logs", "--out", "c.json"]).code(2);
    assert!(r.stderr.contains("day=03/part-00000.parquet: has a \"class\" column"), "{}", r.stderr);
    std::fs::remove_dir_all(d.join("logs/day=03")).unwrap();

    // Anything else in the directory is an error, not silently skipped.
    std::fs::write(d.join("logs/day=02/notes.txt"), "hello").unwrap();
    let r = calib_in(d, ["fit", "--input", "logs", "--out", "c.json"]).code(2);
    assert!(r.stderr.contains("notes.txt: not a Parquet file"), "{}", r.stderr);
    assert!(!d.join("c.json").exists());
    std::fs::create_dir(d.join("empty")).unwrap();
    let r = calib_in(d, ["fit", "--input", "empty", "--out", "c.json"]).code(2);
    assert!(r.stderr.contains("no data files"), "{}", r.stderr);
}

/// `calibrated` of a CSV written by `calib apply`.
fn calibrated_of_csv(text: &str) -> Vec<f64> {
    let mut lines = text.lines();
    let col = lines.next().unwrap().split(',').position(|h| h == "calibrated").unwrap();
    lines.map(|l| l.split(',').nth(col).unwrap().parse().unwrap()).collect()
}

#[test]
fn apply_writes_parquet_with_every_input_column_and_the_csv_values() {
    let dir = workdir();
    let d = dir.path();
    calib_in(d, ["fit", "--input", "typed.csv", "--out", "m.json", "--min-class-samples", "50"]).code(0);
    let csv = calib_in(d, ["apply", "--model", "m.json", "--input", "typed.csv"]).code(0).stdout;
    let want = calibrated_of_csv(&csv);
    calib_in(d, ["apply", "--model", "m.json", "--input", "typed_zstd.parquet", "--out", "out.parquet"]).code(0);
    let input = read_batch(&d.join("typed_zstd.parquet")).schema();
    let out = read_batch(&d.join("out.parquet"));
    let schema = out.schema();
    let names: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
    let mut expected: Vec<&String> = input.fields().iter().map(|f| f.name()).collect();
    let calibrated = "calibrated".to_string();
    expected.push(&calibrated);
    assert_eq!(names, expected);
    for (a, b) in input.fields().iter().zip(schema.fields()) {
        assert_eq!(a.data_type(), b.data_type(), "{}: the column keeps its type", a.name());
    }
    let c = out.column_by_name("calibrated").unwrap().as_primitive::<Float64Type>();
    assert_eq!(c.null_count(), 0);
    let got = c.values().to_vec();
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "row {i}: {g} vs {w}");
    }

    // To a pipe, the Parquet bytes go to stdout.
    let out = std::process::Command::new(calib_tests::binary::calib_bin())
        .current_dir(d)
        .args(["apply", "--model", "m.json", "--input", "typed_zstd.parquet"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == read(d, "out.parquet"), "stdout gets the file --out gets");

    // A bad row: nothing is written, the earlier output stays as it was.
    let before = read(d, "out.parquet");
    write_part(&d.join("nan.parquet"), &[0.2, 7.0, 0.4], &[0, 1, 0], None);
    calib_in(d, ["fit", "--input", "typed.csv", "--out", "strict.json", "--out-of-bounds", "error"]).code(0);
    let r = calib_in(d, ["apply", "--model", "strict.json", "--input", "nan.parquet", "--out", "out.parquet"]).code(2);
    assert!(r.stderr.contains("nan.parquet: row 2: column \"score\""), "{}", r.stderr);
    assert!(read(d, "out.parquet") == before, "a failed apply leaves the old output untouched");
    let r = calib_in(d, ["apply", "--model", "m.json", "--input", "out.parquet", "--out", "again.parquet"]).code(2);
    assert!(r.stderr.contains("already has a \"calibrated\" column"), "{}", r.stderr);
    assert!(!d.join("again.parquet").exists());
}

#[test]
fn report_reads_parquet_timestamps_like_rfc3339_text() {
    let dir = workdir();
    let d = dir.path();
    calib_in(d, ["fit", "--input", "typed.csv", "--out", "m.json"]).code(0);
    let pack = |input: &str| {
        let out = calib_in(d, ["report", "--model", "m.json", "--input", input, "--out", "r.html", "--json"]).stdout;
        let mut v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        v.as_object_mut().unwrap().remove("input");
        v
    };
    let a = pack("typed.csv");
    let b = pack("typed_snappy.parquet");
    assert_eq!(a, b);
    assert!(a.to_string().contains("2026-11-01"), "the windows come from the timestamps: {a}");
}

/// The committed files are what gen_parquet.py makes with the pinned
/// pyarrow (scripts/test.sh sets CALIB_PYTHON; required under CI=true).
#[test]
fn parquet_vectors_are_up_to_date() {
    calib_tests::vectors::check_generator("gen_parquet.py");
}

#[test]
fn sketch_streams_a_large_dataset_in_chunks_with_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 1.3 M rows over two files: more than one chunk (2^20 rows) is sketched
    // and merged, the second chunk starting inside the second file.
    let n = 1_300_000usize;
    let score: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1000) as f64 / 1000.0).collect();
    let label: Vec<i64> = (0..n).map(|i| i64::from((i * 104_729) % 1000 < (i * 7919) % 1000)).collect();
    write_part(&d.join("logs/part-0.parquet"), &score[..700_000], &label[..700_000], None);
    write_part(&d.join("logs/part-1.parquet"), &score[700_000..], &label[700_000..], None);
    std::fs::write(d.join("all.csv"), csv_of(&score, &label)).unwrap();
    calib_in(d, ["sketch", "--input", "all.csv", "--out", "csv.sketch"]).code(0);
    let r = calib_in(d, ["sketch", "--input", "logs", "--out", "pq.sketch"]).code(0);
    assert!(r.stderr.contains("sketched 1300000 rows in 2 chunks (1000 cells)"), "{}", r.stderr);
    assert!(read(d, "csv.sketch") == read(d, "pq.sketch"), "streamed and one-shot sketches are the same bytes");

    // A bad label after the first chunk is still named by its file and row.
    let mut bad = label[700_000..].to_vec();
    bad[500_000] = 3;
    write_part(&d.join("logs/part-1.parquet"), &score[700_000..], &bad, None);
    let r = calib_in(d, ["sketch", "--input", "logs", "--out", "bad.sketch"]).code(2);
    assert!(
        r.stderr.contains("part-1.parquet: row 500001: column \"label\": label 3 at index 1200000"),
        "{}",
        r.stderr
    );
    assert!(!d.join("bad.sketch").exists());
}

/// Rows of `class,score,label[,weight]` as CSV.
fn csv_with(rows: &[(&str, f64, i64, f64)]) -> String {
    let mut s = String::from("class,score,label,weight\n");
    for (c, x, y, w) in rows {
        s += &format!("{c},{x:?},{y},{w:?}\n");
    }
    s
}

#[test]
fn hive_partition_directories_supply_the_columns_files_lack() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Spark's partitionBy("class", "weight"): the columns live in the path,
    // values percent-encoded ("news/sports" -> news%2Fsports).
    let groups = [("web", "web", 1.0, "1"), ("news/sports", "news%2Fsports", 0.5, "0.5"), ("web", "web", 2.0, "2")];
    let mut all = Vec::new();
    for (k, (class, encoded, weight, wdir)) in groups.iter().enumerate() {
        let score: Vec<f64> = (0..400).map(|i| ((i * 37 + k * 11) % 101) as f64 / 100.0).collect();
        let label: Vec<i64> = (0..400).map(|i| i64::from((i * 7919 + k) % 100 < (i * 37) % 101)).collect();
        let path = d.join(format!("logs/class={encoded}/weight={wdir}/part-{k}.parquet"));
        write_part(&path, &score, &label, None);
        all.extend(score.iter().zip(&label).map(|(&x, &y)| (*class, x, y, *weight)));
    }
    // The dataset's read order is path order: class=news%2Fsports sorts first.
    all.sort_by_key(|r| r.0 != "news/sports");
    std::fs::write(d.join("all.csv"), csv_with(&all)).unwrap();
    let fit = ["--min-class-samples", "100"];
    calib_in(d, [&["fit", "--input", "all.csv", "--out", "a.json"][..], &fit].concat()).code(0);
    calib_in(d, [&["fit", "--input", "logs", "--out", "b.json"][..], &fit].concat()).code(0);
    let model = read(d, "a.json");
    assert!(String::from_utf8_lossy(&model).contains("news/sports"), "per-class maps from the directories");
    assert!(model == read(d, "b.json"), "partition columns fit like file columns");

    // apply keeps the partition columns, typed as Spark infers them (text
    // for class, doubles for weight), and uses the class.
    let csv = calib_in(d, ["apply", "--model", "a.json", "--input", "all.csv"]).code(0).stdout;
    let want = calibrated_of_csv(&csv);
    calib_in(d, ["apply", "--model", "a.json", "--input", "logs", "--out", "out.parquet"]).code(0);
    let out = read_batch(&d.join("out.parquet"));
    let names: Vec<String> = out.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["score", "label", "class", "weight", "calibrated"]);
    let got = out.column_by_name("calibrated").unwrap().as_primitive::<Float64Type>().values().to_vec();
    let classes: Vec<String> =
        out.column_by_name("class").unwrap().as_string::<i32>().iter().map(|v| v.unwrap().to_string()).collect();
    let weights = out.column_by_name("weight").unwrap().as_primitive::<Float64Type>().values().to_vec();
    assert_eq!(weights, all.iter().map(|r| r.3).collect::<Vec<_>>());
    assert_eq!(
        got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    assert_eq!(classes, all.iter().map(|r| r.0.to_string()).collect::<Vec<_>>());

    // Integer directories become integers (hour=03 is 3); Hive's null
    // partition is a null of the column's type.
    for hour in ["03", "12", "__HIVE_DEFAULT_PARTITION__"] {
        write_part(&d.join(format!("hours/hour={hour}/p.parquet")), &[0.25, 0.75], &[0, 1], None);
    }
    calib_in(d, ["apply", "--model", "a.json", "--input", "hours", "--out", "hours.parquet"]).code(0);
    let out = read_batch(&d.join("hours.parquet"));
    assert_eq!(out.schema().field_with_name("hour").unwrap().data_type(), &arrow_schema::DataType::Int64);
    let hours: Vec<Option<i64>> = out.column_by_name("hour").unwrap().as_primitive::<Int64Type>().iter().collect();
    assert_eq!(hours, [Some(3), Some(3), Some(12), Some(12), None, None]);

    // Calendar dates become dates (days since 1970-01-01); a dataset with
    // one impossible date keeps the column as text.
    for day in ["2026-11-01", "2026-11-02"] {
        write_part(&d.join(format!("days/day={day}/p.parquet")), &[0.25], &[1], None);
    }
    calib_in(d, ["apply", "--model", "a.json", "--input", "days", "--out", "days.parquet"]).code(0);
    let out = read_batch(&d.join("days.parquet"));
    assert_eq!(out.schema().field_with_name("day").unwrap().data_type(), &arrow_schema::DataType::Date32);
    let days = out.column_by_name("day").unwrap().as_primitive::<Date32Type>().values().to_vec();
    assert_eq!(days, [20758, 20759], "days since 1970-01-01");
    write_part(&d.join("days/day=2026-02-30/p.parquet"), &[0.25], &[1], None);
    calib_in(d, ["apply", "--model", "a.json", "--input", "days", "--out", "days.parquet"]).code(0);
    let out = read_batch(&d.join("days.parquet"));
    assert_eq!(out.schema().field_with_name("day").unwrap().data_type(), &arrow_schema::DataType::Utf8);

    // In fitting, Hive's null partition and a value that is not a number are refused.
    write_part(&d.join("nulls/class=__HIVE_DEFAULT_PARTITION__/p.parquet"), &[0.1, 0.9], &[0, 1], None);
    let r = calib_in(d, ["fit", "--input", "nulls", "--out", "c.json"]).code(2);
    assert!(r.stderr.contains("partition directory class=__HIVE_DEFAULT_PARTITION__: null value"), "{}", r.stderr);
    write_part(&d.join("bad/weight=heavy/p.parquet"), &[0.1, 0.9], &[0, 1], None);
    let r = calib_in(d, ["fit", "--input", "bad", "--out", "c.json"]).code(2);
    assert!(r.stderr.contains("partition directory weight=heavy: cannot parse \"heavy\" as a number"), "{}", r.stderr);
    assert!(!d.join("c.json").exists());
}

#[test]
fn monitor_and_gate_read_parquet_like_csv() {
    let dir = workdir();
    let d = dir.path();
    calib_in(d, ["fit", "--input", "typed.csv", "--out", "inc.json"]).code(0);
    calib_in(d, ["fit", "--input", "typed.csv", "--out", "cand.json", "--strict"]).code(0);
    let monitor = |input: &str| {
        calib_in(d, ["monitor", "--model", "inc.json", "--input", input, "--baseline", input, "--json"]).stdout
    };
    assert_eq!(monitor("typed.csv"), monitor("typed_gzip.parquet"));
    // The gate report holds a measured latency; everything else must agree
    // (query_id is an int64 column in the Parquet file, text in the CSV).
    let gate = |input: &str| {
        let out =
            calib_in(d, ["gate", "--candidate", "cand.json", "--incumbent", "inc.json", "--input", input, "--json"])
                .stdout;
        let mut v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        for g in v["gates"].as_array_mut().unwrap() {
            if g["gate"] == "p99_latency" {
                g["value"] = serde_json::Value::Null;
            }
        }
        v
    };
    let (a, b) = (gate("typed.csv"), gate("typed_snappy.parquet"));
    assert_eq!(a, b);
    let gates: Vec<&str> = a["gates"].as_array().unwrap().iter().map(|g| g["gate"].as_str().unwrap()).collect();
    assert_eq!(gates, ["p99_latency", "aece_excess", "median_shift", "recall_at_50"]);
}

#[test]
fn a_column_name_given_twice_in_the_schema_is_refused_naming_both() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let score: ArrayRef = Arc::new(Float64Array::from(vec![0.1, 0.7]));
    let other: ArrayRef = Arc::new(Float64Array::from(vec![0.9, 0.2]));
    let label: ArrayRef = Arc::new(Int64Array::from(vec![0, 1]));
    let batch = RecordBatch::try_from_iter([("score", score), ("label", label), ("score", other)]).unwrap();
    let f = d.join("two.parquet");
    let mut w = ArrowWriter::try_new(std::fs::File::create(&f).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let model = d.join("m.json");
    std::fs::write(d.join("ok.csv"), "score,label\n0.2,0\n0.8,1\n").unwrap();
    calib_in(d, ["fit", "--input", "ok.csv", "--out", "m.json"]).code(0);
    let want = format!("{}: the schema names two columns \"score\", columns 1 and 3", f.display());
    for args in [
        vec!["fit", "--input", f.to_str().unwrap(), "--out", "never.json"],
        vec!["eval", "--input", f.to_str().unwrap()],
        vec!["apply", "--model", model.to_str().unwrap(), "--input", f.to_str().unwrap(), "--out", "never.parquet"],
        vec!["sketch", "--input", f.to_str().unwrap(), "--out", "never.sketch"],
    ] {
        let run = calib_in(d, &args).code(2);
        assert!(run.stderr.contains(&want), "{}: {}", args[0], run.stderr);
    }
    assert!(!d.join("never.json").exists() && !d.join("never.parquet").exists());
}
