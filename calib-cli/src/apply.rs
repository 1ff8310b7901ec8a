//! `calib apply`: streams the input, adding a `calibrated` column. CSV in
//! gives CSV out; Parquet in (a file or a dataset directory) gives one
//! Parquet file out, with every input column kept.

use crate::io::{self, CliError};
use calib_core::map::ApplyStats;
use clap::Args;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// Model JSON written by `calib fit`.
    #[arg(long)]
    model: PathBuf,
    /// CSV with a header, a Parquet file or a directory of Parquet files, with a `score` column (`class` optional).
    #[arg(long)]
    input: PathBuf,
    /// Output file, in the input's format (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(a: ApplyArgs) -> Result<u8, CliError> {
    let model = io::load_model(&a.model)?;
    let mut stats = ApplyStats::default();
    if io::parquet::is_parquet(&a.input) {
        if a.out.is_none() && std::io::stdout().is_terminal() {
            return Err(CliError::Usage(
                "the input is Parquet, so the output is a binary Parquet file: give --out, or redirect stdout".into(),
            ));
        }
        write_output(a.out.as_deref(), |w| io::parquet::apply(&model, &a.input, w, &mut stats))?;
        report_clamped(&stats);
        return Ok(0);
    }
    let path = &a.input;
    let input = io::csv::open(path)?;
    let size = input.size;
    let (src, mut rdr) = input.reader(false);
    let headers = rdr.headers().map_err(|e| CliError::file(path, format!("cannot read the header: {e}")))?.clone();
    io::csv::check_header(&src, &headers)?;
    let score_c = io::csv::require(&src, &headers, "score")?;
    let class_c = io::csv::column(&src, &headers, "class")?;
    if io::csv::column(&src, &headers, "calibrated")?.is_some() {
        return Err(CliError::Header {
            file: path.display().to_string(),
            message: "the input already has a \"calibrated\" column".to_string(),
        });
    }
    let pb = io::progress_for(size);
    let run = |w: &mut (dyn Write + Send)| -> std::io::Result<Result<(), CliError>> {
        let mut wtr = csv::Writer::from_writer(w);
        let mut h = headers.clone();
        h.push_field("calibrated");
        wtr.write_record(&h)?;
        let mut rec = csv::StringRecord::new();
        let (mut n, mut last) = (0u64, None);
        loop {
            match rdr.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Ok(Err(io::csv::malformed(&src, &e, &headers))),
            }
            let byte = rec.position().map(|p| p.byte()).unwrap_or(0);
            last = Some(byte);
            let s = match io::parse_number(rec.get(score_c).unwrap_or("").trim(), &src, byte, score_c, "score") {
                Ok(s) => s,
                Err(e) => return Ok(Err(e)),
            };
            let class =
                match class_c.map(|c| io::csv::parse_name(rec.get(c).unwrap_or("").trim(), &src, byte, c, "class")) {
                    Some(Err(e)) => return Ok(Err(e)),
                    Some(Ok(class)) => Some(class),
                    None => None,
                };
            let p = match model.map(class).apply_counted(s, &mut stats) {
                Ok(p) => p,
                Err(e) => {
                    return Ok(Err(CliError::Input {
                        file: path.display().to_string(),
                        line: src.line_at(byte),
                        column: format!("{} (score)", score_c + 1),
                        message: e.with_index(n as usize).to_string(),
                    }));
                }
            };
            let mut out = rec.clone();
            out.push_field(&format_prob(p));
            wtr.write_record(&out)?;
            n += 1;
            if let Some(pb) = &pb
                && n.is_multiple_of(65536)
            {
                pb.set_position(rec.position().map(|p| p.byte()).unwrap_or(0));
            }
        }
        if let Err(e) = io::csv::check_closed(&src, last, &headers) {
            return Ok(Err(e));
        }
        wtr.flush()?;
        Ok(Ok(()))
    };
    write_output(a.out.as_deref(), run)?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    report_clamped(&stats);
    Ok(0)
}

/// Runs `run` into `out`, or into a temp file copied to stdout. Everything
/// goes to a temp file first: on a bad row nothing is left half-written,
/// and stdout gets the output only once it is complete. `run`'s outer error
/// is a failed write, its inner one bad input.
fn write_output(
    out: Option<&Path>,
    mut run: impl FnMut(&mut (dyn Write + Send)) -> std::io::Result<Result<(), CliError>>,
) -> Result<(), CliError> {
    let mut inner: Result<(), CliError> = Ok(());
    match out {
        Some(out) => {
            io::write_atomic(out, |w| {
                inner = run(w)?;
                if inner.is_err() {
                    // Abort the atomic write: the temp file is discarded.
                    return Err(std::io::Error::other("bad input"));
                }
                Ok(())
            })
            .or_else(|e| if inner.is_err() { Ok(()) } else { Err(e) })?;
            inner
        }
        None => {
            let mut tmp =
                tempfile::tempfile().map_err(|e| CliError::Usage(format!("cannot create a temp file: {e}")))?;
            {
                let mut bw = std::io::BufWriter::new(&mut tmp);
                inner = run(&mut bw).map_err(|e| CliError::Usage(format!("write failed: {e}")))?;
                bw.flush().map_err(|e| CliError::Usage(format!("write failed: {e}")))?;
            }
            inner?;
            use std::io::{Seek, SeekFrom};
            tmp.seek(SeekFrom::Start(0)).map_err(|e| CliError::Usage(e.to_string()))?;
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            match std::io::copy(&mut tmp, &mut lock) {
                // The reader went away (`calib apply … | head`): not an error.
                Ok(_) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(CliError::Usage(format!("cannot write to stdout: {e}"))),
            }
        }
    }
}

/// Tells how many scores were clamped or non-finite, if any.
fn report_clamped(stats: &ApplyStats) {
    if stats.out_of_range + stats.non_finite > 0 {
        eprintln!(
            "calib: {} of {} scores were outside the fitted range or non-finite (clamp rate {:.4})",
            stats.out_of_range + stats.non_finite,
            stats.n,
            stats.clamp_rate()
        );
    }
}

/// Shortest round-tripping decimal; NaN as `NaN`.
pub fn format_prob(p: f64) -> String {
    if p.is_nan() { "NaN".to_string() } else { format!("{p}") }
}
