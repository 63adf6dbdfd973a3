//! 案件类别 — versioned 部件/事件 code tables, each row carrying its 立案条件, 结案条件 and 处置时限.
//!
//! Tables are data, not code: the bundled files under `data/categories/` are only the starting
//! point, an admin may load edited or local tables, and several standards stay active side by
//! side while a town migrates (GB/T 30428.2-2013 → GB/T 47678.5-2026). A case stores nothing
//! but the category code, so codes must be unique across every active table.
//!
//! Code schemes:
//! - GB/T 30428.2-2013 (and its CJ/T 214-2007 lineage): `BJ-` + 4 digits for 部件, `SJ-` + 4
//!   digits for 事件 (2 大类 + 2 小类), e.g. `BJ-0101` 上水井盖, `SJ-0102` 暴露垃圾. The
//!   standard numbers 部件 and 事件 from `0101` each, so the prefix keeps them apart.
//! - GB/T 47678.5-2026: the standard's own 5 digits (2 大类 + 3 小类), e.g. `06010` 暴露垃圾.
//! - Any other scheme (a town's own table): 1–32 characters of ASCII letters, digits, `-`, `_`, `.`.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::limit::TimeLimit;

/// 部件 (a thing with an identity that is broken) or 事件 (something that happened).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryKind {
    /// 部件
    Component,
    /// 事件
    Event,
}

impl CategoryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Component => "component",
            Self::Event => "event",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Component => "部件",
            Self::Event => "事件",
        }
    }
}

/// How fast a category must be answered; urgent kinds are usually counted in natural hours.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// 一般
    #[default]
    Normal,
    /// 紧急
    Urgent,
    /// 特急 — danger to life or property, dispatched at once.
    Emergency,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Urgent => "urgent",
            Self::Emergency => "emergency",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Normal => "一般",
            Self::Urgent => "紧急",
            Self::Emergency => "特急",
        }
    }
}

/// Whether a table lists its standard in full or only the rows that could be confirmed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableStatus {
    #[default]
    Complete,
    Partial,
}

/// One 小类 with its 立案/结案 rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Unique across all active tables; the only thing a case stores.
    pub code: String,
    pub kind: CategoryKind,
    /// 大类 code as in the standard, e.g. `01`.
    pub major_code: String,
    /// 大类 name, e.g. 公用设施.
    pub major_name: String,
    /// 小类 code as in the standard, e.g. `01` (30428.2) or `010` (47678.5).
    pub minor_code: String,
    /// 小类 name, e.g. 上水井盖.
    pub name: String,
    /// 立案条件
    pub filing_condition: String,
    /// 结案条件
    pub closing_condition: String,
    /// 处置时限
    pub limit: TimeLimit,
    #[serde(default)]
    pub urgency: Urgency,
    /// Retired categories stay in the table so old cases keep their meaning.
    #[serde(default = "default_true")]
    pub active: bool,
    /// A local extension (地方扩展), not a code of the standard.
    #[serde(default, skip_serializing_if = "is_false")]
    pub local: bool,
}

fn default_true() -> bool {
    true
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One version of one code table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryTable {
    /// The standard, e.g. `GB/T 30428.2-2013`; selects the code format.
    pub scheme: String,
    /// Version of this data (not of the standard); bump it on every edit.
    pub version: String,
    pub title: String,
    #[serde(default)]
    pub status: TableStatus,
    /// Provenance: what is sourced, what is typical.
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub sources: Vec<String>,
    pub categories: Vec<Category>,
}

/// Why a table or catalog was refused. Messages name the offending field path.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CategoryError {
    #[error("JSON 格式错误（第{line}行第{column}列）：{message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Field { path: String, message: String },
    #[error("代码“{code}”同时定义于“{first}”和“{second}”，案件只记代码，无法区分")]
    CodeInTwoTables {
        code: String,
        first: String,
        second: String,
    },
    #[error("类别表“{scheme} {version}”重复加载")]
    DuplicateTable { scheme: String, version: String },
}

impl CategoryError {
    fn field(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Field {
            path: path.into(),
            message: message.into(),
        }
    }
}

const BUNDLED: [(&str, &str); 2] = [
    (
        "gbt30428.2-2013.json",
        include_str!("../../../data/categories/gbt30428.2-2013.json"),
    ),
    (
        "gbt47678.5-2026.json",
        include_str!("../../../data/categories/gbt47678.5-2026.json"),
    ),
];

const TABLE_KEYS: &[&str] = &[
    "scheme",
    "version",
    "title",
    "status",
    "notes",
    "sources",
    "categories",
];

const CATEGORY_KEYS: &[&str] = &[
    "code",
    "kind",
    "major_code",
    "major_name",
    "minor_code",
    "name",
    "filing_condition",
    "closing_condition",
    "limit",
    "urgency",
    "active",
    "local",
];

impl CategoryTable {
    /// Parses and validates a table; the error names the entry and field, e.g.
    /// `categories[3].limit: 无法识别的时限…`.
    pub fn from_json(text: &str) -> Result<Self, CategoryError> {
        let value: Value = serde_json::from_str(text).map_err(|e| CategoryError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let table = read_table(&value)?;
        table.validate()?;
        Ok(table)
    }

    /// Pretty JSON in the same layout as the bundled files, for export and admin editing.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a category table always serializes")
    }

    /// The tables shipped with chengyun (GB/T 30428.2-2013 and GB/T 47678.5-2026).
    ///
    /// # Panics
    /// If a bundled file is invalid — a build defect that the module tests catch.
    pub fn bundled() -> Vec<CategoryTable> {
        BUNDLED
            .iter()
            .map(|(file, text)| {
                Self::from_json(text)
                    .unwrap_or_else(|e| panic!("bundled category table {file} is invalid: {e}"))
            })
            .collect()
    }

    pub fn get(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// `scheme version`, e.g. `GB/T 30428.2-2013 2026.1`.
    pub fn label(&self) -> String {
        format!("{} {}", self.scheme, self.version)
    }

    /// Checks everything `from_json` checks; use it after editing a table in memory.
    pub fn validate(&self) -> Result<(), CategoryError> {
        for (path, value) in [
            ("scheme", &self.scheme),
            ("version", &self.version),
            ("title", &self.title),
        ] {
            if value.trim().is_empty() {
                return Err(CategoryError::field(path, "不能为空"));
            }
        }
        if self.categories.is_empty() {
            return Err(CategoryError::field("categories", "至少需要一个类别"));
        }
        let rule = CodeRule::for_scheme(&self.scheme);
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut majors: HashMap<(CategoryKind, &str), (usize, &str)> = HashMap::new();
        for (i, c) in self.categories.iter().enumerate() {
            let at = |field: &str| format!("categories[{i}].{field}");
            for (field, value) in [
                ("code", &c.code),
                ("major_code", &c.major_code),
                ("major_name", &c.major_name),
                ("minor_code", &c.minor_code),
                ("name", &c.name),
                ("filing_condition", &c.filing_condition),
                ("closing_condition", &c.closing_condition),
            ] {
                if value.trim().is_empty() {
                    return Err(CategoryError::field(at(field), "不能为空"));
                }
            }
            rule.check(c)
                .map_err(|(field, message)| CategoryError::field(at(field), message))?;
            if let Some(first) = seen.insert(c.code.as_str(), i) {
                return Err(CategoryError::field(
                    at("code"),
                    format!("代码“{}”与 categories[{first}] 重复", c.code),
                ));
            }
            match majors.get(&(c.kind, c.major_code.as_str())) {
                Some(&(first, name)) if name != c.major_name => {
                    return Err(CategoryError::field(
                        at("major_name"),
                        format!(
                            "{}大类 {} 在 categories[{first}] 中名为“{name}”，同一大类名称应一致",
                            c.kind.label(),
                            c.major_code
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    majors.insert((c.kind, c.major_code.as_str()), (i, c.major_name.as_str()));
                }
            }
        }
        Ok(())
    }
}

/// The code format a scheme imposes, chosen from the scheme's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeRule {
    /// `BJ-0101` / `SJ-0101`: prefix by kind, then 2-digit 大类 and 2-digit 小类.
    Gbt30428,
    /// `06010`: 2-digit 大类 and 3-digit 小类.
    Gbt47678,
    /// A town's own scheme: any short token.
    Free,
}

impl CodeRule {
    fn for_scheme(scheme: &str) -> Self {
        let s = scheme.trim();
        if s.starts_with("GB/T 30428.2") {
            Self::Gbt30428
        } else if s.starts_with("GB/T 47678.5") {
            Self::Gbt47678
        } else {
            Self::Free
        }
    }

    /// Returns the offending field and a message.
    fn check(self, c: &Category) -> Result<(), (&'static str, String)> {
        let code = c.code.as_str();
        match self {
            Self::Gbt30428 => {
                digits("major_code", &c.major_code, 2)?;
                digits("minor_code", &c.minor_code, 2)?;
                let prefix = match c.kind {
                    CategoryKind::Component => "BJ-",
                    CategoryKind::Event => "SJ-",
                };
                let expected = format!("{prefix}{}{}", c.major_code, c.minor_code);
                if code != expected {
                    return Err((
                        "code",
                        format!(
                            "GB/T 30428.2 代码应为“{expected}”（{}用 {prefix} 加大类、小类代码），实为“{code}”",
                            c.kind.label()
                        ),
                    ));
                }
            }
            Self::Gbt47678 => {
                digits("major_code", &c.major_code, 2)?;
                digits("minor_code", &c.minor_code, 3)?;
                let expected = format!("{}{}", c.major_code, c.minor_code);
                if code != expected {
                    return Err((
                        "code",
                        format!(
                            "GB/T 47678.5 代码应为5位“{expected}”（大类2位+小类3位），实为“{code}”"
                        ),
                    ));
                }
            }
            Self::Free => {
                let ok = (1..=32).contains(&code.len())
                    && code
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
                if !ok {
                    return Err((
                        "code",
                        format!("代码“{code}”应为1–32位英文字母、数字或 - _ ."),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn digits(field: &'static str, value: &str, len: usize) -> Result<(), (&'static str, String)> {
    if value.len() == len && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err((field, format!("应为{len}位数字，实为“{value}”")))
    }
}

// Reading goes through `serde_json::Value` so that every error can name its exact field path,
// which serde's derived errors (line and column only) cannot.

fn read_table(value: &Value) -> Result<CategoryTable, CategoryError> {
    let obj = as_object(value, "（根）")?;
    reject_unknown(obj, TABLE_KEYS, "")?;
    let status = match opt_str(obj, "status", "status")? {
        None => TableStatus::default(),
        Some("complete") => TableStatus::Complete,
        Some("partial") => TableStatus::Partial,
        Some(other) => {
            return Err(CategoryError::field(
                "status",
                format!("应为 complete 或 partial，实为“{other}”"),
            ));
        }
    };
    let sources = match obj.get("sources") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| CategoryError::field(format!("sources[{i}]"), "应为字符串"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(CategoryError::field("sources", "应为字符串数组")),
    };
    let categories = match obj.get("categories") {
        None => return Err(CategoryError::field("categories", "缺少字段")),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| read_category(v, &format!("categories[{i}]")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(CategoryError::field("categories", "应为数组")),
    };
    Ok(CategoryTable {
        scheme: req_str(obj, "scheme", "scheme")?,
        version: req_str(obj, "version", "version")?,
        title: req_str(obj, "title", "title")?,
        status,
        notes: opt_str(obj, "notes", "notes")?
            .unwrap_or_default()
            .to_owned(),
        sources,
        categories,
    })
}

fn read_category(value: &Value, path: &str) -> Result<Category, CategoryError> {
    let obj = as_object(value, path)?;
    reject_unknown(obj, CATEGORY_KEYS, path)?;
    let at = |field: &str| format!("{path}.{field}");
    let kind = match req_str(obj, "kind", &at("kind"))?.as_str() {
        "component" => CategoryKind::Component,
        "event" => CategoryKind::Event,
        other => {
            return Err(CategoryError::field(
                at("kind"),
                format!("应为 component（部件）或 event（事件），实为“{other}”"),
            ));
        }
    };
    let limit = req_str(obj, "limit", &at("limit"))?
        .parse::<TimeLimit>()
        .map_err(|e| CategoryError::field(at("limit"), e.to_string()))?;
    let urgency = match opt_str(obj, "urgency", &at("urgency"))? {
        None => Urgency::default(),
        Some("normal") => Urgency::Normal,
        Some("urgent") => Urgency::Urgent,
        Some("emergency") => Urgency::Emergency,
        Some(other) => {
            return Err(CategoryError::field(
                at("urgency"),
                format!("应为 normal、urgent 或 emergency，实为“{other}”"),
            ));
        }
    };
    Ok(Category {
        code: req_str(obj, "code", &at("code"))?,
        kind,
        major_code: req_str(obj, "major_code", &at("major_code"))?,
        major_name: req_str(obj, "major_name", &at("major_name"))?,
        minor_code: req_str(obj, "minor_code", &at("minor_code"))?,
        name: req_str(obj, "name", &at("name"))?,
        filing_condition: req_str(obj, "filing_condition", &at("filing_condition"))?,
        closing_condition: req_str(obj, "closing_condition", &at("closing_condition"))?,
        limit,
        urgency,
        active: opt_bool(obj, "active", &at("active"))?.unwrap_or(true),
        local: opt_bool(obj, "local", &at("local"))?.unwrap_or(false),
    })
}

fn as_object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, CategoryError> {
    value
        .as_object()
        .ok_or_else(|| CategoryError::field(path, "应为 JSON 对象"))
}

/// A misspelt key would otherwise be dropped silently and its field defaulted.
fn reject_unknown(
    obj: &Map<String, Value>,
    known: &[&str],
    path: &str,
) -> Result<(), CategoryError> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(key) => {
            let field = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            Err(CategoryError::field(
                field,
                format!("未知字段，可用字段：{}", known.join("、")),
            ))
        }
        None => Ok(()),
    }
}

fn req_str(obj: &Map<String, Value>, key: &str, path: &str) -> Result<String, CategoryError> {
    match opt_str(obj, key, path)? {
        None => Err(CategoryError::field(path, "缺少字段")),
        Some(s) if s.trim().is_empty() => Err(CategoryError::field(path, "不能为空")),
        Some(s) => Ok(s.to_owned()),
    }
}

fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, CategoryError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(CategoryError::field(path, "应为字符串")),
    }
}

fn opt_bool(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<bool>, CategoryError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(CategoryError::field(path, "应为 true 或 false")),
    }
}

/// All active tables side by side, looked up by code across them.
#[derive(Debug, Clone, Default)]
pub struct CategoryCatalog {
    tables: Vec<CategoryTable>,
    /// code → (table index, category index)
    index: HashMap<String, (usize, usize)>,
}

impl CategoryCatalog {
    /// Validates each table and rejects a code defined in two tables, since a case could not
    /// tell which one it meant.
    pub fn new(tables: Vec<CategoryTable>) -> Result<Self, CategoryError> {
        let mut labels = HashSet::new();
        let mut index: HashMap<String, (usize, usize)> = HashMap::new();
        for (t, table) in tables.iter().enumerate() {
            table.validate()?;
            if !labels.insert((table.scheme.as_str(), table.version.as_str())) {
                return Err(CategoryError::DuplicateTable {
                    scheme: table.scheme.clone(),
                    version: table.version.clone(),
                });
            }
            for (c, category) in table.categories.iter().enumerate() {
                if let Some(&(first, _)) = index.get(&category.code) {
                    return Err(CategoryError::CodeInTwoTables {
                        code: category.code.clone(),
                        first: tables[first].label(),
                        second: table.label(),
                    });
                }
                index.insert(category.code.clone(), (t, c));
            }
        }
        Ok(Self { tables, index })
    }

    /// The bundled tables as one catalog.
    pub fn bundled() -> Result<Self, CategoryError> {
        Self::new(CategoryTable::bundled())
    }

    pub fn get(&self, code: &str) -> Option<&Category> {
        self.index
            .get(code)
            .map(|&(t, c)| &self.tables[t].categories[c])
    }

    /// The table that defines `code`.
    pub fn table_of(&self, code: &str) -> Option<&CategoryTable> {
        self.index.get(code).map(|&(t, _)| &self.tables[t])
    }

    /// Every category of every table, retired ones included, in table order.
    pub fn iter(&self) -> impl Iterator<Item = &Category> {
        self.tables.iter().flat_map(|t| t.categories.iter())
    }

    /// Categories that may be chosen for a new case.
    pub fn iter_active(&self) -> impl Iterator<Item = &Category> {
        self.iter().filter(|c| c.active)
    }

    pub fn tables(&self) -> &[CategoryTable] {
        &self.tables
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limit::LimitUnit;

    fn bundled(scheme: &str) -> CategoryTable {
        CategoryTable::bundled()
            .into_iter()
            .find(|t| t.scheme == scheme)
            .expect("bundled table present")
    }

    /// A minimal valid table with one entry whose fields a test may then break.
    fn one_entry(entry: &str) -> String {
        format!(
            r#"{{"scheme":"GB/T 30428.2-2013","version":"t","title":"测试","categories":[{entry}]}}"#
        )
    }

    const GOOD: &str = r#"{"code":"SJ-0102","kind":"event","major_code":"01","major_name":"市容环境",
        "minor_code":"02","name":"暴露垃圾","filing_condition":"成堆垃圾","closing_condition":"清除",
        "limit":"4工作时","urgency":"normal"}"#;

    fn field_error(text: &str) -> (String, String) {
        match CategoryTable::from_json(text) {
            Err(CategoryError::Field { path, message }) => (path, message),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn both_bundled_tables_parse() {
        let tables = CategoryTable::bundled();
        assert_eq!(tables.len(), 2);
        for t in &tables {
            assert!(
                !t.notes.is_empty() && !t.sources.is_empty(),
                "{} lacks provenance",
                t.scheme
            );
        }
    }

    #[test]
    fn gbt30428_has_substantial_component_and_event_sets() {
        let t = bundled("GB/T 30428.2-2013");
        let standard = |kind| {
            t.categories
                .iter()
                .filter(|c| c.kind == kind && !c.local)
                .count()
        };
        assert!(standard(CategoryKind::Component) >= 40);
        assert!(standard(CategoryKind::Event) >= 40);
        let majors: HashSet<_> = t
            .categories
            .iter()
            .filter(|c| c.kind == CategoryKind::Component)
            .map(|c| (c.major_code.as_str(), c.major_name.as_str()))
            .collect();
        for m in [
            ("01", "公用设施"),
            ("02", "道路交通"),
            ("03", "市容环境"),
            ("04", "园林绿化"),
            ("05", "房屋土地"),
            ("06", "其他设施"),
        ] {
            assert!(majors.contains(&m), "部件大类 {m:?} missing");
        }
        assert_eq!(t.get("BJ-0101").unwrap().name, "上水井盖");
        assert_eq!(t.get("BJ-0102").unwrap().name, "污水井盖");
        assert_eq!(t.get("BJ-0103").unwrap().name, "雨水井盖");
        assert_eq!(t.get("SJ-0102").unwrap().name, "暴露垃圾");
        assert_eq!(t.get("SJ-0103").unwrap().name, "积存垃圾渣土");
        assert_eq!(t.get("SJ-0104").unwrap().name, "道路不洁");
        assert_eq!(t.get("SJ-0501").unwrap().name, "无照经营游商");
        // Local extensions are marked and live outside the standard's 大类.
        let occupy = t.get("SJ-2101").unwrap();
        assert!(occupy.local && occupy.name == "占道经营");
    }

    #[test]
    fn sourced_limits_are_kept() {
        let t = bundled("GB/T 30428.2-2013");
        for (code, limit) in [
            ("SJ-0101", TimeLimit::work_hours(4)),
            ("SJ-0102", TimeLimit::work_hours(4)),
            ("SJ-0103", TimeLimit::work_days(2)),
            ("SJ-0104", TimeLimit::work_hours(2)),
            ("SJ-0406", TimeLimit::work_hours(4)),
            ("BJ-0405", TimeLimit::work_days(5)),
        ] {
            assert_eq!(t.get(code).unwrap().limit, limit, "{code}");
        }
        let cover = t.get("BJ-0101").unwrap();
        assert_eq!(cover.limit.unit, LimitUnit::NaturalHours);
        assert_eq!(cover.urgency, Urgency::Urgent);
    }

    #[test]
    fn known_gbt47678_codes_have_their_names() {
        let t = bundled("GB/T 47678.5-2026");
        for (code, name) in [
            ("06010", "暴露垃圾"),
            ("09005", "店外经营"),
            ("09006", "占道经营"),
            ("07003", "违规户外广告"),
        ] {
            let c = t.get(code).unwrap_or_else(|| panic!("{code} missing"));
            assert_eq!(c.name, name);
            assert_eq!(c.kind, CategoryKind::Event);
        }
        assert_eq!(t.get("01001").unwrap().kind, CategoryKind::Component);
    }

    #[test]
    fn catalog_has_no_duplicate_codes_and_finds_both_schemes() {
        let catalog = CategoryCatalog::bundled().unwrap();
        let total: usize = catalog.tables().iter().map(|t| t.categories.len()).sum();
        assert_eq!(catalog.len(), total);
        assert_eq!(catalog.iter().count(), total);
        assert_eq!(catalog.get("SJ-0102").unwrap().name, "暴露垃圾");
        assert_eq!(catalog.get("06010").unwrap().name, "暴露垃圾");
        assert_eq!(
            catalog.table_of("06010").unwrap().scheme,
            "GB/T 47678.5-2026"
        );
        assert!(catalog.get("0101").is_none());
    }

    #[test]
    fn every_bundled_limit_round_trips_through_text() {
        for t in CategoryTable::bundled() {
            for c in &t.categories {
                assert_eq!(c.limit.to_string().parse::<TimeLimit>().unwrap(), c.limit);
            }
        }
    }

    #[test]
    fn export_reimports_unchanged() {
        for t in CategoryTable::bundled() {
            assert_eq!(CategoryTable::from_json(&t.to_json_pretty()).unwrap(), t);
        }
    }

    #[test]
    fn malformed_json_reports_position() {
        let err = CategoryTable::from_json(r#"{"scheme": "x", "#).unwrap_err();
        assert!(
            matches!(err, CategoryError::Json { line: 1, .. }),
            "{err:?}"
        );
        assert!(err.to_string().starts_with("JSON 格式错误"));
    }

    #[test]
    fn duplicate_code_names_both_entries() {
        let text = one_entry(&format!("{GOOD},{GOOD}"));
        let (path, message) = field_error(&text);
        assert_eq!(path, "categories[1].code");
        assert!(message.contains("categories[0]"), "{message}");
    }

    #[test]
    fn bad_limit_names_the_field() {
        let text = one_entry(&GOOD.replace("4工作时", "四小时"));
        let err = CategoryTable::from_json(&text).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with("categories[0].limit: 无法识别的时限"),
            "{shown}"
        );
    }

    #[test]
    fn empty_name_names_the_field() {
        let text = one_entry(&GOOD.replace(r#""name":"暴露垃圾""#, r#""name":"  ""#));
        assert_eq!(
            field_error(&text),
            ("categories[0].name".into(), "不能为空".into())
        );
    }

    #[test]
    fn other_field_errors() {
        let missing = one_entry(&GOOD.replace(r#""filing_condition":"成堆垃圾","#, ""));
        assert_eq!(field_error(&missing).0, "categories[0].filing_condition");

        let kind = one_entry(&GOOD.replace(r#""kind":"event""#, r#""kind":"incident""#));
        assert_eq!(field_error(&kind).0, "categories[0].kind");

        let urgency = one_entry(&GOOD.replace(r#""urgency":"normal""#, r#""urgency":"high""#));
        assert_eq!(field_error(&urgency).0, "categories[0].urgency");

        let typo = one_entry(&GOOD.replace(r#""urgency""#, r#""urgancy""#));
        assert_eq!(field_error(&typo).0, "categories[0].urgancy");

        let empty = r#"{"scheme":"s","version":"1","title":"t","categories":[]}"#;
        assert_eq!(field_error(empty).0, "categories");
    }

    #[test]
    fn code_format_follows_the_scheme() {
        // An event must carry SJ-, and the digits must be its 大类 + 小类.
        let wrong_prefix = one_entry(&GOOD.replace("SJ-0102", "BJ-0102"));
        let (path, message) = field_error(&wrong_prefix);
        assert_eq!(path, "categories[0].code");
        assert!(message.contains("SJ-0102"), "{message}");

        let gbt47678 = GOOD
            .replace("SJ-0102", "0610")
            .replace(r#""major_code":"01""#, r#""major_code":"06""#)
            .replace(r#""minor_code":"02""#, r#""minor_code":"010""#);
        let text = one_entry(&gbt47678).replace("GB/T 30428.2-2013", "GB/T 47678.5-2026");
        assert_eq!(field_error(&text).0, "categories[0].code");
        let fixed = text.replace(r#""code":"0610""#, r#""code":"06010""#);
        assert!(CategoryTable::from_json(&fixed).is_ok());

        // A town's own scheme accepts any short token.
        let local = one_entry(&GOOD.replace("SJ-0102", "HT-LJ-01"))
            .replace("GB/T 30428.2-2013", "航头镇地方类别");
        let table = CategoryTable::from_json(&local).unwrap();
        assert_eq!(table.categories[0].urgency, Urgency::Normal);
        assert!(table.categories[0].active);
    }

    #[test]
    fn catalog_rejects_a_code_in_two_tables() {
        let a = CategoryTable::from_json(&one_entry(GOOD)).unwrap();
        let mut b = a.clone();
        b.version = "t2".into();
        let err = CategoryCatalog::new(vec![a.clone(), b]).unwrap_err();
        assert!(
            matches!(&err, CategoryError::CodeInTwoTables { code, .. } if code == "SJ-0102"),
            "{err:?}"
        );
        let err = CategoryCatalog::new(vec![a.clone(), a]).unwrap_err();
        assert!(matches!(err, CategoryError::DuplicateTable { .. }));
    }

    #[test]
    fn retired_categories_stay_resolvable() {
        let mut t = CategoryTable::from_json(&one_entry(GOOD)).unwrap();
        t.categories[0].active = false;
        let catalog = CategoryCatalog::new(vec![t]).unwrap();
        assert!(catalog.get("SJ-0102").is_some());
        assert_eq!(catalog.iter_active().count(), 0);
    }
}
