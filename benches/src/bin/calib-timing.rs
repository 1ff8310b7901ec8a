//! calib's half of the side-by-side comparison with scikit-learn.
//!
//! `benches/compare_sklearn.py` writes the data (raw little-endian f64
//! files), runs this binary, and times scikit-learn and numpy on the same
//! files. This binary times calib's fit, batch apply, single apply, ECE,
//! AECE and DECE, and prints the median wall time of each over `--reps`
//! repetitions as one JSON object on stdout. It writes its batch
//! predictions to `--pred-out` so the script can check them against
//! scikit-learn's.
//!
//! ```text
//! cargo build --release -p calib-benches
//! target/release/calib-timing --fit-scores S --fit-labels Y --predict-scores P \
//!     --metric-probs MP --metric-labels MY --pred-out OUT [--reps 5] [--only all|fit|load]
//! ```
//!
//! `--only load` reads the fit rows and exits, `--only fit` reads them and
//! fits `--reps` times: the difference of their peak RSS (`/usr/bin/time -v`)
//! is the fit's extra memory.

use calib_core::isotonic::{self, IsotonicOptions};
use calib_core::map::{ApplyOptions, ApplyStats, CellIndex, MapRef, slopes_into};
use calib_core::metrics;
use std::collections::HashMap;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

/// Bins of every metric, as in the comparison's numpy code.
const K: usize = 15;
/// Single-score applies per repetition; the scores cycle through this many
/// of the prediction rows.
const SINGLE_CALLS: usize = 1_000_000;
const RING: usize = 1 << 16;

type Failure = Box<dyn std::error::Error>;

/// Reads a raw little-endian f64 file straight into one vector (no second
/// copy of the bytes, so the load's peak RSS is the data itself).
fn read_f64(path: &str) -> Result<Vec<f64>, Failure> {
    let file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let len = file.metadata()?.len() as usize;
    if !len.is_multiple_of(8) {
        return Err(format!("{path}: {len} bytes is not a whole number of f64").into());
    }
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut out = Vec::with_capacity(len / 8);
    let mut chunk = [0u8; 8];
    for _ in 0..len / 8 {
        reader.read_exact(&mut chunk)?;
        out.push(f64::from_le_bytes(chunk));
    }
    Ok(out)
}

fn write_f64(path: &str, v: &[f64]) -> Result<(), Failure> {
    let mut w = BufWriter::new(File::create(path).map_err(|e| format!("{path}: {e}"))?);
    for x in v {
        w.write_all(&x.to_le_bytes())?;
    }
    w.flush()?;
    Ok(())
}

/// Median of the wall times of `reps` runs of `f`, in seconds; also the last result.
fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps {
        let t = Instant::now();
        let r = black_box(f());
        times.push(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    times.sort_by(f64::total_cmp);
    let mid = times.len() / 2;
    let median = if times.len() % 2 == 1 { times[mid] } else { (times[mid - 1] + times[mid]) / 2.0 };
    (median, last.expect("reps >= 1"))
}

struct Args(HashMap<String, String>);

impl Args {
    fn parse() -> Result<Args, Failure> {
        let mut map = HashMap::new();
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let name = flag.strip_prefix("--").ok_or_else(|| format!("unexpected argument {flag:?}"))?;
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            map.insert(name.to_string(), value);
        }
        Ok(Args(map))
    }
    fn get(&self, name: &str) -> Result<&str, Failure> {
        self.0.get(name).map(String::as_str).ok_or_else(|| format!("missing --{name}").into())
    }
}

fn run() -> Result<(), Failure> {
    let args = Args::parse()?;
    let reps: usize = args.0.get("reps").map_or(Ok(5), |r| r.parse())?;
    if reps == 0 {
        return Err("--reps must be at least 1".into());
    }
    let only = args.0.get("only").map_or("all", String::as_str);
    let scores = read_f64(args.get("fit-scores")?)?;
    let labels = read_f64(args.get("fit-labels")?)?;
    let options = IsotonicOptions::default();
    match only {
        "load" => {
            println!("{{\"n_fit\": {}}}", scores.len());
            return Ok(());
        }
        "fit" => {
            let (fit_s, bp) = time(reps, || isotonic::fit(&scores, &labels, None, &options));
            println!("{{\"n_fit\": {}, \"breakpoints\": {}, \"fit_s\": {fit_s:e}}}", scores.len(), bp?.x.len());
            return Ok(());
        }
        "all" => {}
        other => return Err(format!("--only {other:?}: expected all, fit or load").into()),
    }

    let (fit_s, bp) = time(reps, || isotonic::fit(&scores, &labels, None, &options));
    let bp = bp?;
    let n_fit = scores.len();
    drop((scores, labels));

    // Serve as a loaded model does: borrowed breakpoints, a cell index and
    // precomputed segment slopes.
    let mut cells = vec![0u32; CellIndex::buffer_len(bp.x.len())];
    let index = CellIndex::build(&bp.x, &mut cells)?;
    let mut slopes = vec![0.0; bp.x.len().saturating_sub(1)];
    slopes_into(&bp.x, &bp.y, &mut slopes)?;
    let map = MapRef::new(&bp.x, &bp.y, ApplyOptions::default())?.with_index(index).with_slopes(&slopes);

    let predict = read_f64(args.get("predict-scores")?)?;
    // A fresh output per repetition, as scikit-learn's predict allocates its result.
    let (predict_s, out) = time(reps, || -> Result<Vec<f64>, calib_core::Error> {
        let mut out = vec![0.0; predict.len()];
        map.apply_batch(&predict, &mut out, &mut ApplyStats::default())?;
        Ok(out)
    });
    write_f64(args.get("pred-out")?, &out?)?;

    let ring = &predict[..RING.min(predict.len())];
    let (single_s, _) = time(reps, || {
        let mut acc = 0.0;
        for i in 0..SINGLE_CALLS {
            acc += map.apply(black_box(ring[i % ring.len()])).unwrap_or(f64::NAN);
        }
        acc
    });
    let n_pred = predict.len();
    drop(predict);

    let probs = read_f64(args.get("metric-probs")?)?;
    let mlabels = read_f64(args.get("metric-labels")?)?;
    let (ece_s, ece) = time(reps, || metrics::ece(&probs, &mlabels, None, K));
    let (aece_s, aece) = time(reps, || metrics::aece(&probs, &mlabels, None, K));
    let (dece_s, dece) = time(reps, || metrics::dece(&probs, &mlabels, None, K));

    println!(
        "{{\"reps\": {reps}, \"n_fit\": {n_fit}, \"breakpoints\": {m}, \"n_predict\": {n_pred}, \"n_metric\": {n_met}, \
         \"fit_s\": {fit_s:e}, \"predict_s\": {predict_s:e}, \"single_predict_s\": {single:e}, \
         \"ece_s\": {ece_s:e}, \"aece_s\": {aece_s:e}, \"dece_s\": {dece_s:e}, \
         \"ece\": {ece:e}, \"aece\": {aece:e}, \"dece\": {dece:e}}}",
        m = bp.x.len(),
        n_met = probs.len(),
        single = single_s / SINGLE_CALLS as f64,
        ece = ece?,
        aece = aece?,
        dece = dece?,
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("calib-timing: {e}");
            ExitCode::FAILURE
        }
    }
}
