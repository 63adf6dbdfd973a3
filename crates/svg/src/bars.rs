//! Horizontal bar charts: a category breakdown, a unit ranking with percentages.

use crate::text::{escape, truncate, width};
use crate::{empty_note, num, open_svg};

#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Written after the bar, e.g. "128" or "87.5%".
    pub text: String,
    /// Tooltip; defaults to "label text".
    pub title: Option<String>,
    /// A code the console can act on (`data-code`).
    pub code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BarChart {
    pub title: String,
    pub bars: Vec<Bar>,
    /// The value of a full-length bar (1.0 for rates); default the largest value.
    pub max: Option<f64>,
    pub width: f64,
    /// Height of one bar; rows are 1.6 times that.
    pub bar_height: f64,
    /// Bar colour.
    pub colour: String,
}

impl Default for BarChart {
    fn default() -> Self {
        BarChart { title: String::new(), bars: vec![], max: None, width: 600.0, bar_height: 18.0, colour: "#3b8eea".into() }
    }
}

pub fn render(chart: &BarChart) -> String {
    let w = chart.width.max(200.0);
    let bh = chart.bar_height.clamp(8.0, 60.0);
    let row = bh * 1.6;
    let font = (bh * 0.8).clamp(11.0, 28.0);
    let pad = 6.0;
    let h = if chart.bars.is_empty() { 120.0 } else { row * chart.bars.len() as f64 + 2.0 * pad };
    let mut out = String::with_capacity(4 * 1024);
    open_svg(&mut out, "chart bar-chart", w, h, &chart.title, "");
    if chart.bars.is_empty() {
        empty_note(&mut out, w, h, "暂无数据");
        out.push_str("</svg>");
        return out;
    }
    let label_w = chart.bars.iter().map(|b| width(&b.label, font)).fold(0.0, f64::max).min(w * 0.4) + 8.0;
    let value_w = chart.bars.iter().map(|b| width(&b.text, font)).fold(0.0, f64::max) + 10.0;
    let bar_x = label_w + 4.0;
    let bar_room = (w - bar_x - value_w - 4.0).max(20.0);
    let max = chart.max.unwrap_or_else(|| chart.bars.iter().map(|b| b.value).fold(0.0, f64::max));
    let max = if max > 0.0 && max.is_finite() { max } else { 1.0 };
    out.push_str(&format!(r#"<g class="bars" font-size="{}" fill="currentColor">"#, num(font)));
    for (i, b) in chart.bars.iter().enumerate() {
        let y = pad + row * i as f64;
        let mid = y + row / 2.0;
        let value = if b.value.is_finite() { b.value.max(0.0) } else { 0.0 };
        let len = (value / max).min(1.0) * bar_room;
        let title = b.title.clone().unwrap_or_else(|| format!("{} {}", b.label, b.text));
        let code = b.code.as_ref().map(|c| format!(r#" data-code="{}""#, escape(c))).unwrap_or_default();
        out.push_str(&format!(
            r#"<g class="bar-row" data-label="{label}" data-value="{value}"{code}><title>{title}</title><text class="bar-label" x="{lx}" y="{mid}" text-anchor="end" dominant-baseline="middle">{shown}</text><rect class="bar-track" x="{bx}" y="{by}" width="{room}" height="{bh}" rx="3" fill="currentColor" fill-opacity="0.08"/><rect class="bar" x="{bx}" y="{by}" width="{len}" height="{bh}" rx="3" fill="{colour}"/><text class="bar-value" x="{vx}" y="{mid}" dominant-baseline="middle" font-weight="700">{text}</text></g>"#,
            label = escape(&b.label),
            title = escape(&title),
            lx = num(label_w),
            mid = num(mid),
            shown = escape(&truncate(&b.label, label_w - 8.0, font)),
            bx = num(bar_x),
            by = num(mid - bh / 2.0),
            room = num(bar_room),
            bh = num(bh),
            len = num(len),
            colour = escape(&chart.colour),
            vx = num(bar_x + len + 6.0),
            text = escape(&b.text),
        ));
    }
    out.push_str("</g></svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{by_class, parse};

    fn bar(label: &str, value: f64, text: &str) -> Bar {
        Bar { label: label.into(), value, text: text.into(), title: None, code: None }
    }

    #[test]
    fn bars_are_proportional_and_labelled() {
        let chart = BarChart {
            title: "各单位按期处置率".into(),
            bars: vec![bar("城管中队", 0.9, "90.0%"), bar("环卫所", 0.45, "45.0%"), bar("村委", 0.0, "0.0%")],
            max: Some(1.0),
            ..BarChart::default()
        };
        let text = render(&chart);
        let doc = parse(&text);
        let bars = by_class(&doc, "bar");
        let widths: Vec<f64> = bars.iter().map(|b| b.attribute("width").unwrap().parse().unwrap()).collect();
        assert!((widths[0] / widths[1] - 2.0).abs() < 0.01, "{widths:?}");
        assert_eq!(widths[2], 0.0);
        let rows = by_class(&doc, "bar-row");
        assert_eq!(rows[0].attribute("data-label"), Some("城管中队"));
        assert_eq!(by_class(&doc, "bar-value")[1].text(), Some("45.0%"));
    }

    #[test]
    fn long_labels_are_cut_and_hostile_ones_escaped() {
        let long = "上海市浦东新区航头镇城市运行综合管理中心第一分中心";
        let chart = BarChart { bars: vec![bar(long, 3.0, "3"), bar("<x>&", 1.0, "1")], width: 400.0, ..BarChart::default() };
        let text = render(&chart);
        let doc = parse(&text);
        let shown = by_class(&doc, "bar-label")[0].text().unwrap().to_string();
        assert!(shown.ends_with('…') && shown.chars().count() < long.chars().count(), "{shown}");
        assert_eq!(by_class(&doc, "bar-row")[0].attribute("data-label"), Some(long));
        assert_eq!(by_class(&doc, "bar-row")[1].attribute("data-label"), Some("<x>&"));
    }

    #[test]
    fn empty_chart() {
        let text = render(&BarChart::default());
        let doc = parse(&text);
        assert_eq!(by_class(&doc, "empty").len(), 1);
        assert_eq!(by_class(&doc, "bar").len(), 0);
    }
}
