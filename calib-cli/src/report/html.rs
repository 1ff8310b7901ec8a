//! The report's HTML: one file, no external assets (no scripts, styles,
//! fonts or images from anywhere), every chart inline SVG, every text
//! escaped. The drift pack rides along as an inert JSON data block
//! (`<script type="application/json" id="drift-pack">`, never executed), so
//! the page carries its own numbers.

use super::ReportJson;
use crate::svg::{self, HistSeries, Panel, Series, TrendSeries, esc};
use calib_core::monitor::{Alert, AlertState, Period, WindowSummary};
use std::fmt::Write;

const CURRENT: &str = "#1b6ca8";
const BASELINE: &str = "#d95f02";

const STYLE: &str = "body{font-family:sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}\
h1{font-size:24px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}\
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}\
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}.meta{color:#555;font-size:13px}\
.fail{background:#fbe3e4;color:#8a1f11;font-weight:bold}.warn{background:#fff4ce;color:#6b4e00;font-weight:bold}\
.ok{color:#1e6b2f}.nodata{color:#777}.charts{display:flex;flex-wrap:wrap;gap:16px}code{font-size:12px}\
.note{color:#555;font-size:13px}";

fn num(v: Option<f64>) -> String {
    v.map_or("–".to_string(), |v| format!("{v:.5}"))
}

fn alert_cell(a: &Alert) -> (String, &'static str) {
    match (a.state, a.severity) {
        (AlertState::Firing, Some(s)) => {
            (format!("firing ({})", s.name()), if s.name() == "fail" { "fail" } else { "warn" })
        }
        (AlertState::Firing, None) => ("firing".to_string(), "fail"),
        (AlertState::Ok, _) => ("ok".to_string(), "ok"),
        (AlertState::NoData, _) => (format!("no data: {}", a.note.map_or("-", |n| n.name())), "nodata"),
    }
}

fn alerts_table(s: &mut String, alerts: &[Alert]) {
    s.push_str("<table class=\"alerts\"><tr><th>rule</th><th>state</th><th>value</th><th>limit</th><th>samples</th><th>needs</th></tr>");
    for a in alerts {
        let (state, class) = alert_cell(a);
        let _ = write!(
            s,
            r#"<tr class="alert" data-rule="{r}" data-state="{st}"><td>{r}</td><td class="{class}">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
            esc(&state),
            num(a.value),
            a.threshold,
            a.samples,
            a.min_samples,
            r = a.rule.name(),
            st = if a.firing() {
                "firing"
            } else if a.state == AlertState::Ok {
                "ok"
            } else {
                "no_data"
            },
        );
    }
    s.push_str("</table>");
}

/// A metric's name and how to show it.
type MetricRow = (&'static str, fn(&WindowSummary) -> String);

fn metrics_rows() -> [MetricRow; 13] {
    [
        ("scores", |w| w.scores.to_string()),
        ("calibrated rows", |w| w.calibrated.to_string()),
        ("rows of the equal-mass metrics", |w| w.sampled.to_string()),
        ("AECE", |w| num(w.aece)),
        ("DECE", |w| num(w.dece)),
        ("Brier", |w| num(w.brier)),
        ("observed positive rate", |w| num(w.positive_rate)),
        ("mean calibrated probability", |w| num(w.mean_probability)),
        ("clamp rate", |w| format!("{:.5}", w.clamp_rate)),
        ("out of range / non-finite", |w| format!("{} / {}", w.out_of_range, w.non_finite)),
        ("refused by the map", |w| w.refused.to_string()),
        ("equal-mass bins left of K", |w| format!("{} of {}", w.bins_left, w.bins_requested)),
        ("merged-bin %", |w| w.merged_bin_percent.map_or("–".to_string(), |m| format!("{m:.2}"))),
    ]
}

/// The cells of a window's row: scores, AECE, DECE, Brier, clamp rate,
/// positive rate, merged-bin % (the period and class tables share them).
fn summary_cells(w: &WindowSummary) -> String {
    format!(
        r#"<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{:.5}</td><td class="num">{}</td><td class="num">{}</td>"#,
        w.scores,
        num(w.aece),
        num(w.dece),
        num(w.brier),
        w.clamp_rate,
        num(w.positive_rate),
        w.merged_bin_percent.map_or("–".to_string(), |m| format!("{m:.2}"))
    )
}

fn trends(s: &mut String, what: &str, periods: &[Period]) {
    let labels: Vec<String> = periods.iter().map(|p| p.label.clone()).collect();
    let col =
        |f: fn(&WindowSummary) -> Option<f64>| -> Vec<Option<f64>> { periods.iter().map(|p| f(&p.summary)).collect() };
    let (aece, dece, brier, clamp) =
        (col(|w| w.aece), col(|w| w.dece), col(|w| w.brier), col(|w| (w.scores > 0).then_some(w.clamp_rate)));
    let (pos, mean) = (col(|w| w.positive_rate), col(|w| w.mean_probability));
    let errors = [
        TrendSeries { label: "AECE", color: CURRENT, values: &aece },
        TrendSeries { label: "DECE", color: "#7b3294", values: &dece },
        TrendSeries { label: "Brier", color: "#4d9221", values: &brier },
        TrendSeries { label: "clamp rate", color: BASELINE, values: &clamp },
    ];
    let rates = [
        TrendSeries { label: "observed positive rate", color: BASELINE, values: &pos },
        TrendSeries { label: "mean calibrated probability", color: CURRENT, values: &mean },
    ];
    let _ = write!(s, r#"<h3>Per {what}</h3><div class="charts" data-granularity="{what}">"#);
    s.push_str(&svg::trend_svg(&format!("Calibration error per {what}"), &labels, &errors, "error / rate"));
    s.push_str(&svg::trend_svg(&format!("Predicted and observed per {what}"), &labels, &rates, "rate"));
    s.push_str("</div>");
    let _ = write!(
        s,
        r#"<table class="periods" data-granularity="{what}"><tr><th>{what}</th><th>scores</th><th>AECE</th><th>DECE</th><th>Brier</th><th>clamp rate</th><th>positive rate</th><th>merged-bin %</th><th>alerts firing</th></tr>"#
    );
    for p in periods {
        let w = &p.summary;
        let firing: Vec<String> = p
            .alerts
            .iter()
            .filter(|a| a.firing())
            .map(|a| format!("{} ({})", a.rule.name(), a.severity.map_or("-", |s| s.name())))
            .collect();
        let class = if p.alerts.iter().any(|a| a.firing() && a.severity.is_some_and(|s| s.name() == "fail")) {
            "fail"
        } else if firing.is_empty() {
            "ok"
        } else {
            "warn"
        };
        let _ = write!(
            s,
            r#"<tr><td>{}</td>{}<td class="{class}">{}</td></tr>"#,
            esc(&p.label),
            summary_cells(w),
            if firing.is_empty() { "none".to_string() } else { esc(&firing.join(", ")) }
        );
    }
    s.push_str("</table>");
}

/// Renders the page. `json` is the drift pack's JSON (`--json`'s output).
pub fn render(r: &ReportJson<'_>, json: &str) -> String {
    let p = r.pack;
    let mut s = String::with_capacity(64 * 1024);
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(s, "<title>calib report: {}</title><style>{STYLE}</style></head><body>", esc(&r.input));
    let _ = write!(
        s,
        r#"<h1>Calibration report</h1><p class="meta">input <code>{}</code> ({} rows){}<br>model sha256 <code>{}</code><br>calib {} · K = {} equal-mass bins · histogram of {} bins</p>"#,
        esc(&r.input),
        p.rows,
        r.baseline_input.as_ref().map_or(String::new(), |b| format!(" · baseline <code>{}</code>", esc(b))),
        esc(&r.model_sha256),
        env!("CARGO_PKG_VERSION"),
        p.config.bins,
        p.config.histogram_bins
    );

    s.push_str(r#"<section id="alerts"><h2>Alerts</h2>"#);
    alerts_table(&mut s, &p.alerts);
    s.push_str(
        r#"<p class="note">aece_drift: |AECE − baseline AECE| &gt; limit (fail); clamp_rate: clamp rate &gt; limit (fail); merged_bins: merged-bin % &gt; 5 (warn) or &gt; 20 (fail). A rule without enough samples says “no data”, never “ok”.</p></section>"#,
    );

    s.push_str(r#"<section id="metrics"><h2>Metrics</h2><table class="metrics"><tr><th>metric</th><th>input</th>"#);
    if p.baseline.is_some() {
        s.push_str("<th>baseline</th>");
    }
    s.push_str("</tr>");
    for (name, f) in metrics_rows() {
        let _ = write!(s, r#"<tr><td>{name}</td><td class="num">{}</td>"#, esc(&f(&p.window)));
        if let Some(b) = &p.baseline {
            let _ = write!(s, r#"<td class="num">{}</td>"#, esc(&f(b)));
        }
        s.push_str("</tr>");
    }
    s.push_str("</table></section>");

    s.push_str(r#"<section id="reliability"><h2>Reliability</h2>"#);
    // Input and baseline side by side, each with its own whiskers.
    let mut panels = vec![Panel {
        title: format!("input, {} equal-width bins", p.config.bins),
        series: vec![Series { label: "input", color: CURRENT, bins: &p.reliability }],
    }];
    if let Some(b) = &p.baseline_reliability {
        panels.push(Panel {
            title: format!("baseline, {} equal-width bins", p.config.bins),
            series: vec![Series { label: "baseline", color: BASELINE, bins: b }],
        });
    }
    s.push_str(&svg::reliability_svg("Reliability of the calibrated probabilities", &panels));
    s.push_str("</section>");

    s.push_str(r#"<section id="histogram"><h2>Calibrated probabilities</h2>"#);
    let mut hs = vec![HistSeries { label: "input", color: CURRENT, counts: &p.histogram.counts }];
    if let Some(b) = &p.baseline_histogram {
        hs.push(HistSeries { label: "baseline", color: BASELINE, counts: &b.counts });
    }
    s.push_str(&svg::histogram_svg("Histogram of calibrated probabilities", &p.histogram.edges, &hs));
    s.push_str("</section>");

    s.push_str(r#"<section id="trends"><h2>Trends (weekly drift pack)</h2>"#);
    if p.daily.is_empty() {
        s.push_str(r#"<p class="note">The input has no <code>timestamp</code> column: no trends.</p>"#);
    } else {
        s.push_str(r#"<p class="note">UTC days and ISO weeks (Monday to Sunday); each period's drift rule is judged against the baseline.</p>"#);
        trends(&mut s, "day", &p.daily);
        trends(&mut s, "week", &p.weekly);
    }
    s.push_str("</section>");

    if !p.classes.is_empty() {
        s.push_str(r#"<section id="classes"><h2>Classes</h2><table class="classes"><tr><th>class</th><th>scores</th><th>AECE</th><th>DECE</th><th>Brier</th><th>clamp rate</th><th>positive rate</th><th>merged-bin %</th></tr>"#);
        for (name, w) in &p.classes {
            let _ = write!(s, "<tr><td>{}</td>{}</tr>", esc(name), summary_cells(w));
        }
        s.push_str("</table></section>");
    }

    s.push_str(r#"<section id="manifest"><h2>Manifest</h2>"#);
    match &r.manifest {
        None => s.push_str(r#"<p class="note">No manifest given.</p>"#),
        Some(summary) => {
            let m = &summary.standing;
            s.push_str(r#"<p class="warn">Not verified: this summary only reads the manifest. Run <code>calib verify</code> before trusting it.</p><table class="manifest">"#);
            let yes = |b: bool| if b { "yes" } else { "NO" };
            let rows: Vec<(&str, String)> = vec![
                ("file", summary.path.clone()),
                ("digest", m.digest.to_hex()),
                ("version", m.version.to_string()),
                ("created", m.created.clone()),
                ("expires", format!("{}{}", m.expires, if m.expired { " (expired)" } else { "" })),
                ("core fingerprint", format!("{} (this core: {})", m.core_fingerprint.to_hex(), yes(m.core_matches))),
                (
                    "model subject",
                    format!("{} (this model: {})", m.model_subject.as_deref().unwrap_or("-"), yes(m.model_matches)),
                ),
                ("parent", m.parent.map_or_else(|| "(none)".into(), |d| d.to_hex())),
                ("signers (key ids)", m.keyids.join(", ")),
                ("gate report", m.gate_verdict.map_or("(none)", |v| v.name()).to_string()),
                ("ĉ (holdout)", num(m.c_hat)),
                ("τ (holdout)", num(m.tau)),
            ];
            for (k, v) in rows {
                let _ = write!(s, "<tr><th>{}</th><td><code>{}</code></td></tr>", esc(k), esc(&v));
            }
            s.push_str("</table>");
        }
    }
    s.push_str("</section>");

    // The pack's JSON, inert: `<` escaped so no `</script>` can end it early.
    let _ = write!(s, r#"<script type="application/json" id="drift-pack">{}</script>"#, json.replace('<', "\\u003c"));
    s.push_str("</body></html>\n");
    s
}
