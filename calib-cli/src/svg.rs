//! A reliability diagram as a self-contained SVG (no scripts, no external
//! assets): one panel per series group, the diagonal of perfect calibration,
//! and each bin's observed rate with its Wilson 95 % interval.

use calib_core::metrics::ReliabilityBin;
use std::fmt::Write;

/// One line of points on a panel.
pub struct Series<'a> {
    pub label: &'a str,
    pub color: &'a str,
    pub bins: &'a [ReliabilityBin],
}

/// One panel: a title and its series.
pub struct Panel<'a> {
    pub title: String,
    pub series: Vec<Series<'a>>,
}

/// Escapes text for XML and HTML (content and double-quoted attributes).
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Renders panels side by side.
pub fn reliability_svg(title: &str, panels: &[Panel<'_>]) -> String {
    let (pw, ph, pad) = (300.0, 300.0, 50.0);
    let width = pad + panels.len() as f64 * (pw + pad);
    let height = ph + 2.2 * pad + 30.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(s, r#"<title>{}</title><rect width="100%" height="100%" fill="white"/>"#, esc(title));
    let _ = write!(s, r#"<text x="{pad}" y="22" font-size="15" font-weight="bold">{}</text>"#, esc(title));
    for (i, panel) in panels.iter().enumerate() {
        let x0 = pad + i as f64 * (pw + pad);
        let y0 = pad + 10.0;
        let px = |p: f64| x0 + p * pw;
        let py = |p: f64| y0 + (1.0 - p) * ph;
        let _ = write!(s, r#"<g class="panel" data-title="{}">"#, esc(&panel.title));
        let _ = write!(s, r##"<rect x="{x0}" y="{y0}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#999"/>"##);
        for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let _ = write!(
                s,
                r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#e4e4e4"/>"##,
                px(t),
                py(0.0),
                px(t),
                py(1.0)
            );
            let _ = write!(
                s,
                r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#e4e4e4"/>"##,
                px(0.0),
                py(t),
                px(1.0),
                py(t)
            );
            let _ = write!(s, r#"<text x="{}" y="{}" text-anchor="middle">{t}</text>"#, px(t), py(0.0) + 15.0);
            let _ = write!(s, r#"<text x="{}" y="{}" text-anchor="end">{t}</text>"#, px(0.0) - 4.0, py(t) + 4.0);
        }
        let _ = write!(
            s,
            r##"<line class="diagonal" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#777" stroke-dasharray="4 3"/>"##,
            px(0.0),
            py(0.0),
            px(1.0),
            py(1.0)
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" font-weight="bold">{}</text>"#,
            x0 + pw / 2.0,
            y0 - 8.0,
            esc(&panel.title)
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">mean predicted probability</text>"#,
            x0 + pw / 2.0,
            py(0.0) + 32.0
        );
        let (lx, ly) = (x0 - 34.0, y0 + ph / 2.0);
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ly}" text-anchor="middle" transform="rotate(-90 {lx} {ly})">observed rate</text>"#
        );
        for (k, ser) in panel.series.iter().enumerate() {
            let _ = write!(s, r#"<g class="series" data-label="{}" data-bins="{}">"#, esc(ser.label), ser.bins.len());
            let pts: Vec<String> =
                ser.bins.iter().map(|b| format!("{:.2},{:.2}", px(b.mean_p), py(b.observed))).collect();
            let _ = write!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5"/>"#,
                pts.join(" "),
                ser.color
            );
            for b in ser.bins {
                let _ = write!(
                    s,
                    r#"<line class="ci" x1="{x}" y1="{lo}" x2="{x}" y2="{hi}" stroke="{c}"/><circle class="bin" cx="{x}" cy="{y}" r="3" fill="{c}"><title>{label}: bin ({l:.3}, {u:.3}], n={n}, mean p={p:.4}, observed={o:.4}, 95% CI [{cl:.4}, {ch:.4}]</title></circle>"#,
                    x = px(b.mean_p),
                    y = py(b.observed),
                    lo = py(b.ci_low),
                    hi = py(b.ci_high),
                    c = ser.color,
                    label = esc(ser.label),
                    l = b.lower,
                    u = b.upper,
                    n = b.count,
                    p = b.mean_p,
                    o = b.observed,
                    cl = b.ci_low,
                    ch = b.ci_high
                );
            }
            let ly = y0 + 14.0 + 16.0 * k as f64;
            let _ = write!(
                s,
                r#"<circle cx="{}" cy="{}" r="4" fill="{}"/><text x="{}" y="{}">{}</text>"#,
                x0 + 12.0,
                ly - 4.0,
                ser.color,
                x0 + 20.0,
                ly,
                esc(ser.label)
            );
            s.push_str("</g>");
        }
        s.push_str("</g>");
    }
    let _ = write!(
        s,
        r##"<text x="{pad}" y="{}" fill="#555">observed positive rate (y) against mean predicted probability (x) per bin; whiskers: Wilson 95 % intervals</text>"##,
        height - 8.0
    );
    s.push_str("</svg>\n");
    s
}

/// One series of a histogram: its counts per bin.
pub struct HistSeries<'a> {
    pub label: &'a str,
    pub color: &'a str,
    pub counts: &'a [u64],
}

/// Frame of a chart: width, height, plot area, title, and y range.
struct Frame {
    x0: f64,
    y0: f64,
    w: f64,
    h: f64,
    y_max: f64,
}

impl Frame {
    fn px(&self, t: f64) -> f64 {
        self.x0 + t * self.w
    }
    fn py(&self, v: f64) -> f64 {
        self.y0 + (1.0 - v / self.y_max) * self.h
    }
}

/// Opens a chart's `<svg>`: background, title, y grid with labels.
fn open_chart(s: &mut String, class: &str, title: &str, f: &Frame, width: f64, height: f64, y_label: &str) {
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="{class}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(s, r#"<title>{}</title><rect width="100%" height="100%" fill="white"/>"#, esc(title));
    let _ = write!(s, r#"<text x="{}" y="22" font-size="15" font-weight="bold">{}</text>"#, f.x0, esc(title));
    let _ = write!(
        s,
        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#999"/>"##,
        f.x0, f.y0, f.w, f.h
    );
    for i in 0..=4 {
        let v = f.y_max * i as f64 / 4.0;
        let y = f.py(v);
        let _ = write!(s, r##"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#e4e4e4"/>"##, f.x0, f.x0 + f.w);
        let _ = write!(s, r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#, f.x0 - 4.0, y + 4.0, tick(v));
    }
    let (lx, ly) = (f.x0 - 46.0, f.y0 + f.h / 2.0);
    let _ = write!(
        s,
        r#"<text x="{lx}" y="{ly}" text-anchor="middle" transform="rotate(-90 {lx} {ly})">{}</text>"#,
        esc(y_label)
    );
}

/// A tick label with as few digits as it needs.
fn tick(v: f64) -> String {
    let t = format!("{v:.4}");
    let t = t.trim_end_matches('0').trim_end_matches('.');
    if t.is_empty() { "0".to_string() } else { t.to_string() }
}

/// A round upper bound for a y axis (1, 2 or 5 × a power of ten).
fn nice_max(v: f64) -> f64 {
    if v.is_nan() || v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|&m| m >= v).unwrap_or(10.0 * p)
}

fn legend(s: &mut String, f: &Frame, k: usize, label: &str, color: &str) {
    // Beside the plot, so it never hides a bar or a point.
    let ly = f.y0 + 10.0 + 16.0 * k as f64;
    let _ = write!(
        s,
        r#"<rect x="{}" y="{}" width="10" height="10" fill="{color}"/><text x="{}" y="{ly}">{}</text>"#,
        f.x0 + f.w + 12.0,
        ly - 9.0,
        f.x0 + f.w + 27.0,
        esc(label)
    );
}

/// A histogram over [0, 1] (`edges`), each series as the share of its rows
/// per bin, side by side within a bin. Every bar is a `rect.bar` with
/// `data-series`, `data-bin` and `data-count`.
pub fn histogram_svg(title: &str, edges: &[f64], series: &[HistSeries<'_>]) -> String {
    let (width, height) = (820.0, 320.0);
    let shares: Vec<Vec<f64>> = series
        .iter()
        .map(|se| {
            let total: u64 = se.counts.iter().sum();
            se.counts.iter().map(|&c| if total == 0 { 0.0 } else { c as f64 / total as f64 }).collect()
        })
        .collect();
    let top = shares.iter().flatten().fold(0.0f64, |a, &b| a.max(b));
    let f = Frame { x0: 60.0, y0: 40.0, w: 560.0, h: 220.0, y_max: nice_max(top) };
    let mut s = String::new();
    open_chart(&mut s, "chart histogram", title, &f, width, height, "share of rows");
    let lo = edges.first().copied().unwrap_or(0.0);
    let span = edges.last().copied().unwrap_or(1.0) - lo;
    let x = |e: f64| f.px(if span > 0.0 { (e - lo) / span } else { 0.0 });
    let n = series.len().max(1) as f64;
    for (k, (se, sh)) in series.iter().zip(&shares).enumerate() {
        let _ = write!(s, r#"<g class="series" data-label="{}" data-bins="{}">"#, esc(se.label), se.counts.len());
        for (b, (&c, &v)) in se.counts.iter().zip(sh).enumerate() {
            let (l, r) = (x(edges[b]), x(edges[b + 1]));
            let bw = (r - l - 2.0).max(0.5) / n;
            let bx = l + 1.0 + bw * k as f64;
            let _ = write!(
                s,
                r#"<rect class="bar" data-series="{lab}" data-bin="{b}" data-count="{c}" x="{bx:.2}" y="{y:.2}" width="{bw:.2}" height="{h:.2}" fill="{col}"><title>{lab}: ({el:.3}, {er:.3}], {c} rows ({pct:.2} %)</title></rect>"#,
                lab = esc(se.label),
                y = f.py(v),
                h = f.py(0.0) - f.py(v),
                col = se.color,
                el = edges[b],
                er = edges[b + 1],
                pct = 100.0 * v
            );
        }
        s.push_str("</g>");
        legend(&mut s, &f, k, se.label, se.color);
    }
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(s, r#"<text x="{}" y="{}" text-anchor="middle">{t}</text>"#, x(lo + t * span), f.py(0.0) + 15.0);
    }
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">calibrated probability</text>"#,
        f.x0 + f.w / 2.0,
        f.py(0.0) + 32.0
    );
    s.push_str("</svg>\n");
    s
}

/// One line of a trend chart: a value (or a gap) per period.
pub struct TrendSeries<'a> {
    pub label: &'a str,
    pub color: &'a str,
    pub values: &'a [Option<f64>],
}

/// Metric trends over periods (days or weeks), evenly spaced. Each measured
/// value is a `circle.point` with `data-series`, `data-period` and
/// `data-value`; a period without a value leaves a gap in its line.
pub fn trend_svg(title: &str, periods: &[String], series: &[TrendSeries<'_>], y_label: &str) -> String {
    let (width, height) = (820.0, 320.0);
    let top = series.iter().flat_map(|se| se.values.iter().flatten()).fold(0.0f64, |a, &b| a.max(b));
    let f = Frame { x0: 60.0, y0: 40.0, w: 560.0, h: 220.0, y_max: nice_max(top) };
    let mut s = String::new();
    open_chart(&mut s, "chart trend", title, &f, width, height, y_label);
    let n = periods.len();
    let x = |i: usize| f.px(if n <= 1 { 0.5 } else { 0.03 + 0.94 * i as f64 / (n - 1) as f64 });
    // As many period labels as fit side by side (about 7 px a character).
    let longest = periods.iter().map(|p| p.chars().count()).max().unwrap_or(1) as f64;
    let fit = ((f.w / (longest * 7.0 + 16.0)).floor() as usize).max(1);
    let every = n.div_ceil(fit).max(1);
    for (i, p) in periods.iter().enumerate() {
        if i % every == 0 {
            let _ =
                write!(s, r#"<text x="{:.2}" y="{}" text-anchor="middle">{}</text>"#, x(i), f.py(0.0) + 15.0, esc(p));
        }
    }
    for (k, se) in series.iter().enumerate() {
        let _ = write!(s, r#"<g class="series" data-label="{}">"#, esc(se.label));
        // One polyline per run of consecutive values.
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, s: &mut String| {
            if run.len() > 1 {
                let _ = write!(
                    s,
                    r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5"/>"#,
                    run.join(" "),
                    se.color
                );
            }
            run.clear();
        };
        for (i, v) in se.values.iter().enumerate() {
            match v {
                Some(v) => run.push(format!("{:.2},{:.2}", x(i), f.py(*v))),
                None => flush(&mut run, &mut s),
            }
        }
        flush(&mut run, &mut s);
        for (i, v) in se.values.iter().enumerate() {
            if let Some(v) = v {
                let _ = write!(
                    s,
                    r#"<circle class="point" data-series="{lab}" data-period="{per}" data-value="{v}" cx="{cx:.2}" cy="{cy:.2}" r="3" fill="{col}"><title>{lab} {per}: {v:.5}</title></circle>"#,
                    lab = esc(se.label),
                    per = esc(&periods[i]),
                    cx = x(i),
                    cy = f.py(*v),
                    col = se.color
                );
            }
        }
        s.push_str("</g>");
        legend(&mut s, &f, k, se.label, se.color);
    }
    s.push_str("</svg>\n");
    s
}
