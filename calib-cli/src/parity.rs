//! `calib parity a.csv b.csv`: do two runtimes give the same outputs?
//!
//! Each CSV has a header. The outputs are its `calibrated` column (what
//! `calib apply` writes) or, when there is no such column, its only column.
//! When both files have a `score` column, the scores must be bitwise equal
//! row by row (they must be the same inputs). A `label` column (in either
//! file; equal when in both) adds |ΔECE|. `NaN` is read as NaN.
//!
//! Exit 0: parity (bitwise identical, or within `--tolerance`); 1: the
//! outputs differ; 2: bad input.

use crate::io::{self, CliError};
use calib_core::error::Shortest;
use calib_core::parity::{ParityOptions, ParityReport, parity_report};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct ParityArgs {
    /// Outputs of runtime a (CSV).
    a: PathBuf,
    /// Outputs of runtime b (CSV), same inputs in the same order.
    b: PathBuf,
    /// Pass when L∞ and |ΔECE| are at most this, instead of bitwise identity.
    #[arg(long)]
    tolerance: Option<f64>,
    /// Equal-width bins K of the per-bin counts and ECE.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    bins: u32,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

struct Outputs {
    values: Vec<f64>,
    scores: Option<Vec<f64>>,
    labels: Option<Vec<f64>>,
    offsets: Vec<u64>,
    source: io::Source,
}

fn read(path: &Path) -> Result<Outputs, CliError> {
    let (src, mut rdr) = io::csv::open(path)?.reader(true);
    let headers = rdr.headers().map_err(|e| CliError::file(path, format!("cannot read the header: {e}")))?.clone();
    io::csv::check_header(&src, &headers)?;
    let find = |n: &str| io::csv::column(&src, &headers, n);
    let value_c = match (find("calibrated")?, headers.len()) {
        (Some(c), _) => c,
        (None, 1) => 0,
        (None, _) => {
            return Err(CliError::Header {
                file: path.display().to_string(),
                message: format!(
                    "no \"calibrated\" column and more than one column (header has: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            });
        }
    };
    let (score_c, label_c) = (find("score")?.filter(|&c| c != value_c), find("label")?);
    let mut out = Outputs {
        values: Vec::new(),
        scores: score_c.map(|_| Vec::new()),
        labels: label_c.map(|_| Vec::new()),
        offsets: Vec::new(),
        source: src.clone(),
    };
    for rec in rdr.records() {
        let rec = rec.map_err(|e| io::csv::malformed(&src, &e, &headers))?;
        let byte = rec.position().map(|p| p.byte()).unwrap_or(0);
        let num = |c: usize| io::parse_number(rec.get(c).unwrap_or(""), &src, byte, c, &headers[c]);
        out.values.push(num(value_c)?);
        if let (Some(c), Some(v)) = (score_c, out.scores.as_mut()) {
            v.push(num(c)?);
        }
        if let (Some(c), Some(v)) = (label_c, out.labels.as_mut()) {
            v.push(num(c)?);
        }
        out.offsets.push(byte);
    }
    io::csv::check_closed(&src, out.offsets.last().copied(), &headers)?;
    if out.values.is_empty() {
        return Err(CliError::file(path, "no data rows after the header"));
    }
    Ok(out)
}

/// The first row where two columns that must match differ, as an error.
fn same_column(name: &str, a: &[f64], b: &[f64], path_b: &Path, outs_b: &Outputs) -> Result<(), CliError> {
    match a.iter().zip(b).position(|(x, y)| x.to_bits() != y.to_bits()) {
        None => Ok(()),
        Some(i) => Err(CliError::Input {
            file: path_b.display().to_string(),
            line: outs_b.source.line_at(outs_b.offsets[i]),
            column: name.to_string(),
            message: format!(
                "{name} {} differs from {} in the other file: these are not the same inputs",
                Shortest(b[i]),
                Shortest(a[i])
            ),
        }),
    }
}

pub fn run(a: ParityArgs) -> Result<u8, CliError> {
    let (ra, rb) = (read(&a.a)?, read(&a.b)?);
    if ra.values.len() != rb.values.len() {
        return Err(CliError::Usage(format!(
            "{} has {} rows but {} has {}: parity needs the same inputs",
            a.a.display(),
            ra.values.len(),
            a.b.display(),
            rb.values.len()
        )));
    }
    if let (Some(sa), Some(sb)) = (&ra.scores, &rb.scores) {
        same_column("score", sa, sb, &a.b, &rb)?;
    }
    if let (Some(la), Some(lb)) = (&ra.labels, &rb.labels) {
        same_column("label", la, lb, &a.b, &rb)?;
    }
    let labels = ra.labels.as_deref().or(rb.labels.as_deref());
    let options = ParityOptions { bins: a.bins as usize, tolerance: a.tolerance };
    let report = parity_report(&ra.values, &rb.values, labels, &options).map_err(|e| CliError::Usage(e.to_string()))?;
    if a.json {
        outln!("{}", serde_json::to_string(&report).expect("a parity report serialises"));
    } else {
        print(&report, &a.a, &a.b);
    }
    Ok(if report.pass { 0 } else { 1 })
}

fn print(r: &ParityReport, a: &Path, b: &Path) {
    outln!("parity of {} (a) and {} (b): {} outputs", a.display(), b.display(), r.n);
    outln!("  bitwise different  {}", r.bitwise_different);
    if let Some(i) = r.first_different {
        outln!("  first difference   row {} (0-based)", i);
    }
    outln!("  L-inf              {:e}", r.linf);
    match (r.ece_a, r.ece_b, r.delta_ece) {
        (Some(x), Some(y), Some(d)) => outln!("  ECE                a {x:.12} b {y:.12} |delta| {d:e}"),
        _ => outln!("  ECE                - (needs a label column and outputs in [0, 1])"),
    }
    outln!("  {:>4} {:>23} {:>10} {:>10}", "bin", "range", "count a", "count b");
    for bin in &r.bins {
        let i = bin.bin as usize;
        let mark = if bin.count_a != bin.count_b { "  <" } else { "" };
        let range = format!("({:.4}, {:.4}]", r.edges[i], r.edges[i + 1]);
        outln!("  {:>4} {range:>23} {:>10} {:>10}{mark}", i, bin.count_a, bin.count_b);
    }
    if r.unbinned_a + r.unbinned_b > 0 {
        outln!("  outside [0, 1] or NaN: a {} b {}", r.unbinned_a, r.unbinned_b);
    }
    match r.tolerance {
        None => outln!("parity: {} (bitwise)", if r.pass { "pass" } else { "FAIL" }),
        Some(t) => outln!("parity: {} (tolerance {t})", if r.pass { "pass" } else { "FAIL" }),
    }
}
