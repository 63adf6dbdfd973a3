//! Line charts: a few series over the same labelled x axis (e.g. 30 days of reported and
//! closed cases).

use crate::scale::ticks;
use crate::text::{escape, width};
use crate::{empty_note, num, open_svg};

/// Line colours; they read on white and on the dark 大屏.
pub const COLOURS: [&str; 4] = ["#3b8eea", "#2fb344", "#f0a400", "#e5484d"];

#[derive(Debug, Clone)]
pub struct Series {
    /// Shown in the legend and tooltips, e.g. "上报".
    pub name: String,
    /// One value per x label.
    pub values: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct LineChart {
    pub title: String,
    /// x labels, e.g. "12-03".
    pub labels: Vec<String>,
    pub series: Vec<Series>,
    pub width: f64,
    pub height: f64,
    /// The y axis' unit, drawn above it (e.g. "件").
    pub unit: String,
}

const FONT: f64 = 13.0;

pub fn render(chart: &LineChart) -> String {
    let (w, h) = (chart.width.max(200.0), chart.height.max(120.0));
    let mut out = String::with_capacity(8 * 1024);
    open_svg(&mut out, "chart line-chart", w, h, &chart.title, "");
    let n = chart.labels.len();
    let max = chart.series.iter().flat_map(|s| s.values.iter().copied()).filter(|v| v.is_finite()).fold(0.0, f64::max);
    if n == 0 || chart.series.is_empty() {
        empty_note(&mut out, w, h, "暂无数据");
        out.push_str("</svg>");
        return out;
    }
    let (step, top) = ticks(max);
    let tick_values: Vec<f64> = (0..=((top / step).round() as usize)).map(|i| i as f64 * step).collect();
    let tick_text = |v: f64| if step.fract() == 0.0 { format!("{}", v as i64) } else { format!("{v:.1}") };
    let left = tick_values.iter().map(|&v| width(&tick_text(v), FONT)).fold(width(&chart.unit, FONT), f64::max) + 14.0;
    let (right, top_m, bottom) = (18.0, 34.0, 30.0);
    let (pw, ph) = (w - left - right, h - top_m - bottom);
    let x_at = |i: usize| if n == 1 { left + pw / 2.0 } else { left + pw * i as f64 / (n - 1) as f64 };
    let y_at = |v: f64| top_m + ph - v / top * ph;

    // axes and grid
    out.push_str(&format!(r#"<g class="axis y-axis" font-size="{}" fill="currentColor" text-anchor="end">"#, num(FONT)));
    for &v in &tick_values {
        let y = y_at(v);
        out.push_str(&format!(
            r#"<line class="grid" x1="{l}" x2="{r}" y1="{y}" y2="{y}" stroke="currentColor" stroke-opacity="0.15"/><text x="{tx}" y="{y}" dominant-baseline="middle">{t}</text>"#,
            l = num(left),
            r = num(w - right),
            y = num(y),
            tx = num(left - 8.0),
            t = tick_text(v)
        ));
    }
    if !chart.unit.is_empty() {
        out.push_str(&format!(r#"<text class="unit" x="{}" y="{}">{}</text>"#, num(left - 8.0), num(top_m - 12.0), escape(&chart.unit)));
    }
    out.push_str("</g>");
    let label_w = chart.labels.iter().map(|l| width(l, FONT)).fold(0.0, f64::max) + 12.0;
    let every = if n <= 1 { 1 } else { ((label_w * n as f64) / pw).ceil().max(1.0) as usize };
    out.push_str(&format!(
        r#"<g class="axis x-axis" font-size="{}" fill="currentColor" text-anchor="middle"><line x1="{l}" x2="{r}" y1="{y}" y2="{y}" stroke="currentColor" stroke-opacity="0.5"/>"#,
        num(FONT),
        l = num(left),
        r = num(w - right),
        y = num(top_m + ph)
    ));
    for (i, l) in chart.labels.iter().enumerate() {
        // the last label always shows (today); skip those that would collide with it
        let show = if i == n - 1 { true } else { i % every == 0 && (n - 1 - i) >= every };
        if show {
            out.push_str(&format!(r#"<text x="{}" y="{}">{}</text>"#, num(x_at(i)), num(top_m + ph + 20.0), escape(l)));
        }
    }
    out.push_str("</g>");

    // series
    for (si, s) in chart.series.iter().enumerate() {
        let colour = COLOURS[si % COLOURS.len()];
        let points: Vec<String> =
            s.values.iter().take(n).enumerate().map(|(i, v)| format!("{},{}", num(x_at(i)), num(y_at(if v.is_finite() { *v } else { 0.0 })))).collect();
        out.push_str(&format!(
            r#"<g class="series series-{si}" data-name="{name}"><polyline fill="none" stroke="{colour}" stroke-width="3" stroke-linejoin="round" stroke-linecap="round" points="{p}"/>"#,
            name = escape(&s.name),
            p = points.join(" ")
        ));
        for (i, v) in s.values.iter().take(n).enumerate() {
            out.push_str(&format!(
                r#"<circle class="point" cx="{x}" cy="{y}" r="3.5" fill="{colour}" data-value="{v}"><title>{l} {name} {v}</title></circle>"#,
                x = num(x_at(i)),
                y = num(y_at(if v.is_finite() { *v } else { 0.0 })),
                l = escape(&chart.labels[i]),
                name = escape(&s.name),
            ));
        }
        out.push_str("</g>");
    }

    // legend, top right
    let mut x = w - right;
    out.push_str(&format!(r#"<g class="legend" font-size="{}" fill="currentColor">"#, num(FONT)));
    for (si, s) in chart.series.iter().enumerate().rev() {
        let tw = width(&s.name, FONT);
        x -= tw;
        out.push_str(&format!(
            r#"<text x="{}" y="14" dominant-baseline="middle">{}</text><rect x="{}" y="11" width="16" height="6" rx="2" fill="{}"/>"#,
            num(x),
            escape(&s.name),
            num(x - 22.0),
            COLOURS[si % COLOURS.len()]
        ));
        x -= 38.0;
    }
    out.push_str("</g></svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{by_class, parse};

    fn chart(days: usize) -> LineChart {
        LineChart {
            title: "近30天趋势".into(),
            labels: (0..days).map(|d| format!("11-{:02}", d + 1)).collect(),
            series: vec![
                Series { name: "上报".into(), values: (0..days).map(|d| (d * 3 % 17) as f64).collect() },
                Series { name: "结案".into(), values: (0..days).map(|d| (d * 2 % 11) as f64).collect() },
            ],
            width: 900.0,
            height: 320.0,
            unit: "件".into(),
        }
    }

    #[test]
    fn thirty_days_two_series() {
        let svg = render(&chart(30));
        let doc = parse(&svg);
        let series = by_class(&doc, "series");
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].attribute("data-name"), Some("上报"));
        let points = by_class(&doc, "point");
        assert_eq!(points.len(), 60);
        assert_eq!(points[29].attribute("data-value"), Some(((29 * 3 % 17) as f64).to_string().as_str()));
        // the highest point is at or below the top of the plot; zero sits on the x axis
        let ys: Vec<f64> = points.iter().map(|p| p.attribute("cy").unwrap().parse().unwrap()).collect();
        assert!(ys.iter().all(|&y| (34.0..=290.0).contains(&y)), "{ys:?}");
        // labels thinned out, but the last day is always there
        let x_labels: Vec<&str> = by_class(&doc, "x-axis")[0].children().filter_map(|c| c.text()).collect();
        assert!(x_labels.len() < 30 && x_labels.len() >= 5, "{x_labels:?}");
        assert_eq!(x_labels.last(), Some(&"11-30"));
        assert!(svg.contains("件"));
    }

    #[test]
    fn empty_and_flat_data() {
        let mut c = chart(0);
        let doc_text = render(&c);
        let doc = parse(&doc_text);
        assert_eq!(by_class(&doc, "empty").len(), 1);
        c = chart(30);
        for s in &mut c.series {
            s.values = vec![0.0; 30];
        }
        let text = render(&c);
        let doc = parse(&text);
        assert_eq!(by_class(&doc, "point").len(), 60);
        assert!(!text.contains("NaN"));
        let one = render(&chart(1));
        parse(&one);
    }

    #[test]
    fn hostile_series_names_are_escaped() {
        let mut c = chart(3);
        c.series[0].name = "<b>&\"".into();
        c.labels[0] = "</text>".into();
        let doc_text = render(&c);
        let doc = parse(&doc_text);
        assert_eq!(by_class(&doc, "series")[0].attribute("data-name"), Some("<b>&\""));
    }
}
