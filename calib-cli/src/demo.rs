//! `calib demo`: the main job on built-in data.

use crate::io::{self, CliError};
use crate::svg::{self, Panel, Series};
use calib_core::binning::BinStrategy;
use calib_core::map::ApplyStats;
use calib_core::metrics::{self, Metrics};
use calib_core::model::{FitConfig, fit_model};
use calib_core::synthetic::{DEMO_CLASSES, demo_dataset};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Directory for model.json, reliability.svg and holdout.csv.
    #[arg(long, default_value = "calib-demo")]
    out: PathBuf,
    /// Rows of built-in data.
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1000..=50_000_000))]
    rows: u64,
    /// Seed of the built-in data.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Bins K of the metrics.
    #[arg(long, default_value_t = 15)]
    bins: usize,
    /// Run the whole deployment workflow instead (fingerprints, baseline,
    /// gates, sign and verify, staged rollout, report); artefacts in --out.
    #[arg(long)]
    workflow: bool,
}

pub fn run(a: DemoArgs) -> Result<u8, CliError> {
    if a.workflow {
        let o = crate::workflow::Options { out: a.out, rows: a.rows as usize, seed: a.seed, bins: a.bins };
        return crate::workflow::run(o);
    }
    let d = demo_dataset(a.rows as usize, a.seed);
    let names: Vec<&str> = d.class.iter().map(|&c| DEMO_CLASSES[c as usize]).collect();
    let pick = |train: bool| -> (Vec<f64>, Vec<f64>, Vec<&str>) {
        let mut s = Vec::new();
        let mut l = Vec::new();
        let mut c = Vec::new();
        for (i, &name) in names.iter().enumerate() {
            if d.train[i] == train {
                s.push(d.score[i]);
                l.push(d.label[i]);
                c.push(name);
            }
        }
        (s, l, c)
    };
    let (ts, tl, tc) = pick(true);
    let (hs, hl, hc) = pick(false);
    let model =
        fit_model(&ts, &tl, None, Some(&tc), &FitConfig::default()).map_err(|e| CliError::Usage(e.to_string()))?;
    let mut calibrated = vec![0.0; hs.len()];
    let mut stats = ApplyStats::default();
    model.apply_rows(Some(&hc), &hs, &mut calibrated, &mut stats).map_err(|e| CliError::Usage(e.to_string()))?;

    let k = a.bins;
    let usage = |e: calib_core::Error| CliError::Usage(e.to_string());
    // Raw scores are judged as if they were probabilities: the "before".
    let before = metrics::evaluate_by_class(&hs, &hl, &hc, &DEMO_CLASSES, k).map_err(usage)?;
    let after = metrics::evaluate_by_class(&calibrated, &hl, &hc, &DEMO_CLASSES, k).map_err(usage)?;
    let rows: Vec<(String, u64, Metrics, Metrics)> = before
        .into_iter()
        .zip(after)
        .map(|((class, b), (_, af))| (class.unwrap_or("overall").to_string(), b.n, b, af))
        .collect();
    let mut panels_data = Vec::new();
    for (class, idx) in metrics::class_groups(&hc, &DEMO_CLASSES) {
        let before: Vec<f64> = idx.iter().map(|&i| hs[i]).collect();
        let after: Vec<f64> = idx.iter().map(|&i| calibrated[i]).collect();
        let labels: Vec<f64> = idx.iter().map(|&i| hl[i]).collect();
        let name = class.unwrap_or("overall").to_string();
        let rb = metrics::reliability_bins(&before, &labels, None, k, BinStrategy::EqualWidth)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let ra = metrics::reliability_bins(&after, &labels, None, k, BinStrategy::EqualWidth)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        panels_data.push((name, rb, ra));
    }

    outln!(
        "calib demo: {} rows from a miscalibrated ranker over {} query classes (seed {})",
        a.rows,
        DEMO_CLASSES.len(),
        a.seed
    );
    outln!(
        "fitted per-class isotonic maps on {} training rows; metrics on {} held-out rows, {k} bins\n",
        ts.len(),
        hs.len()
    );
    outln!(
        "{:<14} {:>7}  {:>17}  {:>17}  {:>17}  {:>17}",
        "class",
        "rows",
        "ECE before→after",
        "AECE before→after",
        "DECE before→after",
        "Brier before→after"
    );
    for (name, n, b, af) in &rows {
        outln!(
            "{:<14} {:>7}  {:>7.4} → {:<7.4}  {:>7.4} → {:<7.4}  {:>7.4} → {:<7.4}  {:>7.4} → {:<7.4}",
            name,
            n,
            b.ece,
            af.ece,
            b.aece,
            af.aece,
            b.dece,
            af.dece,
            b.brier,
            af.brier
        );
    }

    std::fs::create_dir_all(&a.out).map_err(|e| CliError::file(&a.out, format!("cannot create directory: {e}")))?;
    let model_path = a.out.join("model.json");
    let json = model.to_json_pretty();
    io::write_atomic(&model_path, |w| w.write_all(json.as_bytes()))?;
    let panels: Vec<Panel<'_>> = panels_data
        .iter()
        .map(|(name, rb, ra)| Panel {
            title: name.clone(),
            series: vec![
                Series { label: "raw score", color: "#d95f02", bins: rb },
                Series { label: "calibrated", color: "#1b6ca8", bins: ra },
            ],
        })
        .collect();
    let svg_path = a.out.join("reliability.svg");
    let svg = svg::reliability_svg("calib demo: reliability on the held-out split", &panels);
    io::write_atomic(&svg_path, |w| w.write_all(svg.as_bytes()))?;
    let holdout_path = a.out.join("holdout.csv");
    io::write_atomic(&holdout_path, |w| {
        writeln!(w, "query_id,class,score,label")?;
        for (i, name) in names.iter().enumerate() {
            if !d.train[i] {
                writeln!(w, "{},{},{},{}", d.query_id[i], name, d.score[i], d.label[i])?;
            }
        }
        Ok(())
    })?;
    outln!("\nwrote {}", model_path.display());
    outln!("wrote {}", svg_path.display());
    outln!(
        "wrote {} (try: calib eval --input {} --model {})",
        holdout_path.display(),
        holdout_path.display(),
        model_path.display()
    );
    Ok(0)
}
