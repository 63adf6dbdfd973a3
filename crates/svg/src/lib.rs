//! SVG pictures drawn by the server for the console: region maps ([`map`]), trend lines
//! ([`line`]) and horizontal bar charts ([`bars`]).
//!
//! Pure: data in, a `String` of SVG out. The pictures carry no `<style>` and no `style`
//! attributes (the console's CSP forbids inline styles): colours are presentation attributes
//! and every part has a class, so the console's stylesheet can restyle them (dark 大屏) when
//! the SVG is inserted into a page, while an `<img src>` still shows the defaults. Text uses
//! `currentColor` where it should follow the page.

pub mod bars;
pub mod line;
pub mod map;
pub mod scale;
pub mod text;

/// The console's font stack (console.css `--font`), so server text matches the page's.
pub const FONT_FAMILY: &str =
    "'Microsoft YaHei', 'PingFang SC', 'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', system-ui, sans-serif";

/// The SVG namespace every root element declares.
pub const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// A coordinate in SVG user units, short and without "-0".
pub(crate) fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        return "0".into();
    }
    if r.fract() == 0.0 { format!("{}", r as i64) } else { format!("{r:.1}") }
}

/// The message drawn in place of a chart when there is nothing to show.
pub(crate) fn empty_note(out: &mut String, width: f64, height: f64, message: &str) {
    out.push_str(&format!(
        r#"<text class="empty" x="{}" y="{}" text-anchor="middle" dominant-baseline="middle" font-size="16" fill="currentColor" opacity="0.7">{}</text>"#,
        num(width / 2.0),
        num(height / 2.0),
        text::escape(message)
    ));
}

/// Opening tag of a picture: namespace, size, class, accessible name and font.
pub(crate) fn open_svg(out: &mut String, class: &str, width: f64, height: f64, title: &str, extra_attrs: &str) {
    out.push_str(&format!(
        r#"<svg xmlns="{SVG_NS}" class="{class}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}" font-family="{f}"{extra_attrs}><title>{t}</title>"#,
        w = num(width),
        h = num(height),
        t = text::escape(title),
        f = text::escape(FONT_FAMILY),
    ));
}

#[cfg(test)]
pub(crate) mod testing {
    /// Parses the picture as XML (panics with the text if it is not well-formed) and checks
    /// the root is an SVG element in the SVG namespace.
    pub fn parse(svg: &str) -> roxmltree::Document<'_> {
        let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{svg}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.tag_name().namespace(), Some(super::SVG_NS));
        doc
    }

    pub fn by_class<'a, 'i>(doc: &'a roxmltree::Document<'i>, class: &str) -> Vec<roxmltree::Node<'a, 'i>> {
        doc.descendants()
            .filter(|n| n.attribute("class").is_some_and(|c| c.split_whitespace().any(|x| x == class)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(0.04), "0");
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(-3.24), "-3.2");
    }
}
