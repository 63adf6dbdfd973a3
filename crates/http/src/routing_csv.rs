//! The 责任清单 as a CSV a town office edits in Excel: Chinese headers, UTF-8 with a BOM on export
//! (so Excel shows the Chinese), UTF-8 or GB18030 (Excel's "CSV (逗号分隔)" on Chinese Windows)
//! on import. Name columns are for people and ignored on import.

use chengyun_domain::routing::RoutingRule;

use crate::state::Reference;

pub const HEADERS: [&str; 10] =
    ["类别代码", "类别名称", "区划代码", "区划名称", "主办单位代码", "主办单位名称", "协办单位代码", "协办单位名称", "自动派遣", "备注"];
const REQUIRED: [&str; 3] = ["类别代码", "区划代码", "主办单位代码"];
/// Separators people type between several 协办 codes in one cell.
const LIST_SEPARATORS: [char; 5] = [';', '；', '、', '，', ','];
const UTF8_BOM: &str = "\u{feff}";

/// A problem with one line of the file (line 1 is the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "第{}行“{}”：{}", self.line, self.field, self.message)
        }
    }
}

fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.strip_prefix(UTF8_BOM).unwrap_or(text).to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

fn yes_no(raw: &str) -> Option<bool> {
    match raw.trim() {
        "" | "否" | "N" | "n" | "no" | "false" | "0" => Some(false),
        "是" | "Y" | "y" | "yes" | "true" | "1" => Some(true),
        _ => None,
    }
}

/// Reads rules with their line numbers, or every problem found.
pub fn read(bytes: &[u8]) -> Result<Vec<(usize, RoutingRule)>, Vec<RowError>> {
    let text = decode(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| vec![RowError { line: 1, field: "表头", message: format!("无法读取表头：{e}") }])?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let missing: Vec<RowError> = REQUIRED
        .iter()
        .filter(|h| column(h).is_none())
        .map(|h| RowError { line: 1, field: "表头", message: format!("缺少列“{h}”（表头应为：{}）", HEADERS.join(",")) })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let at = |record: &csv::StringRecord, name: &str| column(name).and_then(|i| record.get(i)).unwrap_or("").trim().to_string();
    let (mut rules, mut errors) = (Vec::new(), Vec::new());
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError { line, field: "格式", message: format!("无法解析：{e}") });
                continue;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        for name in REQUIRED {
            if at(&record, name).is_empty() {
                errors.push(RowError { line, field: name_static(name), message: "不能为空".into() });
            }
        }
        let auto_raw = at(&record, "自动派遣");
        let auto_dispatch = yes_no(&auto_raw).unwrap_or_else(|| {
            errors.push(RowError { line, field: "自动派遣", message: format!("应填“是”或“否”，实为“{auto_raw}”") });
            false
        });
        let assists = at(&record, "协办单位代码")
            .split(|c: char| LIST_SEPARATORS.contains(&c) || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let note = Some(at(&record, "备注")).filter(|n| !n.is_empty());
        rules.push((
            line,
            RoutingRule {
                category: at(&record, "类别代码"),
                region: at(&record, "区划代码"),
                lead: at(&record, "主办单位代码"),
                assists,
                auto_dispatch,
                note,
            },
        ));
    }
    if errors.is_empty() { Ok(rules) } else { Err(errors) }
}

/// The CSV column of a rule's field, for messages.
pub fn column_of(field: Option<&str>) -> &'static str {
    match field {
        Some("category") => "类别代码",
        Some("region") => "区划代码",
        Some("lead") => "主办单位代码",
        Some("assists") => "协办单位代码",
        _ => "规则",
    }
}

fn name_static(name: &str) -> &'static str {
    REQUIRED.into_iter().find(|h| *h == name).unwrap_or("")
}

/// Writes rules with names beside codes, UTF-8 with a BOM.
pub fn write(rules: &[&RoutingRule], reference: &Reference) -> String {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = writer.write_record(HEADERS);
    for r in rules {
        let category_name = crate::routing::category_key_name(reference, &r.category).unwrap_or_default();
        let names = |codes: &[String]| codes.iter().map(|u| reference.unit_name(u).unwrap_or("")).collect::<Vec<_>>().join("；");
        let _ = writer.write_record([
            r.category.as_str(),
            &category_name,
            &r.region,
            reference.region_name(&r.region).unwrap_or(""),
            &r.lead,
            reference.unit_name(&r.lead).unwrap_or(""),
            &r.assists.join("；"),
            &names(&r.assists),
            if r.auto_dispatch { "是" } else { "否" },
            r.note.as_deref().unwrap_or(""),
        ]);
    }
    let body = writer.into_inner().unwrap_or_default();
    format!("{UTF8_BOM}{}", String::from_utf8_lossy(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_excel_writes_in_either_encoding() {
        let text = "类别代码,类别名称,区划代码,区划名称,主办单位代码,主办单位名称,协办单位代码,协办单位名称,自动派遣,备注\n\
                    SJ-0102,暴露垃圾,310115137,航头镇,310115137-hws,航头镇环卫所,310115137-cgzd；310115137001-jwh,,是,\n\
                    ,,,,,,,,,\n\
                    *,全部类别,310115137001,航头居民区,310115137001-jwh,,,,否,兜底\n";
        for bytes in [format!("{UTF8_BOM}{text}").into_bytes(), encoding_rs::GB18030.encode(text).0.into_owned()] {
            let rules = read(&bytes).unwrap();
            assert_eq!(rules.len(), 2, "blank lines are skipped");
            let (line, first) = &rules[0];
            assert_eq!(*line, 2);
            assert_eq!(first.assists, ["310115137-cgzd", "310115137001-jwh"]);
            assert!(first.auto_dispatch);
            assert_eq!(rules[1].1.note.as_deref(), Some("兜底"));
        }
    }

    #[test]
    fn names_the_line_and_column_at_fault() {
        let text = "类别代码,区划代码,主办单位代码,自动派遣\nSJ-0102,,310115137-hws,也许\n";
        let errors = read(text.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!((errors[0].line, errors[0].field), (2, "区划代码"));
        assert!(errors[1].to_string().contains("第2行“自动派遣”"), "{}", errors[1]);
        let errors = read("类别,区划\n".as_bytes()).unwrap_err();
        assert!(errors.iter().all(|e| e.line == 1), "a wrong header is reported on line 1");
    }
}
