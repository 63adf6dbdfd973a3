//! Text in SVG: XML escaping and width estimates for Chinese and Latin text.
//!
//! The server cannot measure glyphs, so widths are estimated: CJK characters and full-width
//! forms are about 1 em wide, ASCII about 0.55 em. Layout leaves room from these estimates
//! and truncates with '…' when a label would not fit.

/// Escapes text for XML content or a double- or single-quoted attribute. Characters XML 1.0
/// cannot carry at all (control characters, U+FFFE/U+FFFF) become a space, so a hostile name
/// cannot make the document unparseable.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Estimated advance of one character, in em.
pub fn char_em(c: char) -> f64 {
    let u = c as u32;
    if c.is_ascii() {
        return if c == ' ' { 0.3 } else if c.is_ascii_uppercase() || c == 'm' || c == 'w' || c == '%' { 0.65 } else { 0.55 };
    }
    let wide = matches!(u,
        0x1100..=0x115F          // Hangul Jamo
        | 0x2026                 // …
        | 0x2E80..=0x303E        // CJK radicals, punctuation
        | 0x3041..=0x33FF        // kana, CJK symbols
        | 0x3400..=0x4DBF        // CJK extension A
        | 0x4E00..=0x9FFF        // CJK unified ideographs
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3        // Hangul syllables
        | 0xF900..=0xFAFF        // CJK compatibility ideographs
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60        // full-width forms
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1FAFF      // emoji
        | 0x20000..=0x3FFFD);    // CJK extensions B…
    if wide { 1.0 } else { 0.6 }
}

/// Estimated width of `s` at `font_size` (user units).
pub fn width(s: &str, font_size: f64) -> f64 {
    s.chars().map(char_em).sum::<f64>() * font_size
}

/// `s` cut so that its estimated width at `font_size` fits `max_width`, ending in '…' when cut.
/// Empty when not even the first character and the ellipsis fit.
pub fn truncate(s: &str, max_width: f64, font_size: f64) -> String {
    if width(s, font_size) <= max_width {
        return s.to_string();
    }
    let budget = max_width - char_em('…') * font_size;
    let mut used = 0.0;
    let mut out = String::new();
    for c in s.chars() {
        let w = char_em(c) * font_size;
        if used + w > budget {
            break;
        }
        used += w;
        out.push(c);
    }
    if out.is_empty() {
        return String::new();
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(escape("航头\u{0}镇\u{1b}\u{FFFF}"), "航头 镇  ");
        assert_eq!(escape("第一村"), "第一村");
    }

    #[test]
    fn chinese_is_wider_than_latin() {
        assert_eq!(width("航头镇", 10.0), 30.0);
        assert!((width("abc", 10.0) - 16.5).abs() < 1e-9);
        assert!(width("航头镇", 10.0) > width("abc", 10.0));
        assert_eq!(width("", 10.0), 0.0);
    }

    #[test]
    fn truncation_fits_and_marks_the_cut() {
        let s = "航头镇鹤东村第三网格";
        assert_eq!(truncate(s, 1000.0, 10.0), s);
        let t = truncate(s, 50.0, 10.0);
        assert!(t.ends_with('…'), "{t}");
        assert!(width(&t, 10.0) <= 50.0, "{t}");
        assert_eq!(t, "航头镇鹤…");
        assert_eq!(truncate(s, 15.0, 10.0), "");
        assert_eq!(truncate("", 0.0, 10.0), "");
    }
}
