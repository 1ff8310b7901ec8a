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

fn esc(s: &str) -> String {
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
