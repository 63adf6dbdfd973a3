//! Labelled texts from CSV bytes (UTF-8, a leading BOM tolerated). Parsing only: the caller reads
//! the file.

use super::ClassifyError;

/// Texts and labels read from one CSV, with what was skipped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabelledTexts {
    pub texts: Vec<String>,
    /// Empty when the CSV has no label column and none was asked for.
    pub labels: Vec<String>,
    /// Data rows read, kept or not.
    pub rows: usize,
    pub skipped_no_label: usize,
    pub skipped_no_text: usize,
    /// Text columns this file lacks (treated as empty).
    pub missing_columns: Vec<String>,
}

/// Reads `text_columns` (joined by a line break) and `label_column` (None: no labels, for
/// prediction) from CSV bytes. Rows with an empty label or empty text are skipped and counted.
/// A file with none of the text columns, or without the label column, is refused by name.
pub fn read_csv(bytes: &[u8], text_columns: &[&str], label_column: Option<&str>) -> Result<LabelledTexts, ClassifyError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ClassifyError::Input(format!("无法读取 CSV 表头：{}", csv_reason(&e))))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let find = |name: &str| headers.iter().position(|h| h == name);
    let label_at = match label_column {
        Some(name) => Some(find(name).ok_or_else(|| {
            ClassifyError::Input(format!("CSV 中没有标签列“{name}”（现有列：{}）", headers.join("、")))
        })?),
        None => None,
    };
    let mut text_at = Vec::new();
    let mut out = LabelledTexts::default();
    for &name in text_columns {
        match find(name) {
            Some(i) => text_at.push(i),
            None => out.missing_columns.push(name.to_owned()),
        }
    }
    if text_at.is_empty() {
        return Err(ClassifyError::Input(format!(
            "CSV 中没有任何文本列“{}”（现有列：{}）",
            text_columns.join("、"),
            headers.join("、")
        )));
    }
    for record in reader.records() {
        let record = record.map_err(|e| ClassifyError::Input(format!("CSV 格式错误：{}", csv_reason(&e))))?;
        out.rows += 1;
        let label = label_at.map(|i| record.get(i).unwrap_or("").trim().to_owned());
        if label.as_deref() == Some("") {
            out.skipped_no_label += 1;
            continue;
        }
        let parts: Vec<&str> = text_at.iter().filter_map(|&i| record.get(i)).map(str::trim).filter(|t| !t.is_empty()).collect();
        if parts.is_empty() {
            out.skipped_no_text += 1;
            continue;
        }
        out.texts.push(parts.join("\n"));
        if let Some(label) = label {
            out.labels.push(label);
        }
    }
    Ok(out)
}

fn csv_reason(e: &csv::Error) -> String {
    let line = e.position().map(|p| format!("第 {} 行：", p.line())).unwrap_or_default();
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => format!("{line}不是 UTF-8 编码（请另存为 UTF-8 CSV）"),
        _ => format!("{line}{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_skips_empties_and_tolerates_a_bom() {
        let csv = "\u{FEFF}编号,主题,详情,标签\n1,垃圾没人清理,三天了,环卫\n2,,路灯坏了,设施\n3,无标签,,\n4,,,环卫\n";
        let got = read_csv(csv.as_bytes(), &["主题", "详情"], Some("标签")).unwrap();
        assert_eq!(got.texts, ["垃圾没人清理\n三天了", "路灯坏了"]);
        assert_eq!(got.labels, ["环卫", "设施"]);
        assert_eq!((got.rows, got.skipped_no_label, got.skipped_no_text), (4, 1, 1));
    }

    #[test]
    fn a_missing_text_column_is_empty_but_a_missing_label_column_is_refused() {
        let csv = "主题,标签\n垃圾,环卫\n";
        let got = read_csv(csv.as_bytes(), &["主题", "详情"], Some("标签")).unwrap();
        assert_eq!(got.missing_columns, ["详情"]);
        assert_eq!(got.texts, ["垃圾"]);
        let err = read_csv(csv.as_bytes(), &["主题"], Some("类别")).unwrap_err().to_string();
        assert!(err.contains("类别"), "{err}");
        let err = read_csv(csv.as_bytes(), &["内容"], Some("标签")).unwrap_err().to_string();
        assert!(err.contains("内容"), "{err}");
    }

    #[test]
    fn non_utf8_is_refused_with_the_line() {
        let mut bytes = "主题,标签\n".as_bytes().to_vec();
        bytes.extend_from_slice(&[0xC0, 0xAF, b',', b'x', b'\n']);
        let err = read_csv(&bytes, &["主题"], Some("标签")).unwrap_err().to_string();
        assert!(err.contains("UTF-8"), "{err}");
    }
}
