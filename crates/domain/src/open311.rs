//! The residents' channel as Open311 GeoReport v2 sees it: a town's public services (公开服务
//! 类别) with their attribute definitions, checking the attribute values a client sends, and the
//! mapping of case states to GeoReport's `open`/`closed`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::case::CaseStatus;

/// Longest service code: a category code (`SJ-0102`, `06010`).
const MAX_CODE: usize = 40;
/// Most attributes on one service.
pub const MAX_ATTRIBUTES: usize = 30;
/// Longest attribute value a client may send.
pub const MAX_ATTRIBUTE_CHARS: usize = 500;

/// A kind of request a town offers the public; its code is the case category it files as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// `service_code`: the case category code (e.g. `SJ-0102`).
    pub code: String,
    /// The name residents see (e.g. 暴露垃圾).
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `group`, e.g. 市容环境.
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
}

/// GeoReport's attribute datatypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl Datatype {
    pub fn as_str(self) -> &'static str {
        match self {
            Datatype::String => "string",
            Datatype::Number => "number",
            Datatype::Datetime => "datetime",
            Datatype::Text => "text",
            Datatype::Singlevaluelist => "singlevaluelist",
            Datatype::Multivaluelist => "multivaluelist",
        }
    }

    fn is_list(self) -> bool {
        matches!(self, Datatype::Singlevaluelist | Datatype::Multivaluelist)
    }
}

/// One extra form field of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    pub code: String,
    pub datatype: Datatype,
    /// False: shown to the resident as information only, never sent back.
    #[serde(default = "yes")]
    pub variable: bool,
    #[serde(default)]
    pub required: bool,
    /// 1 is shown first.
    pub order: u32,
    /// The question asked.
    pub description: String,
    #[serde(default)]
    pub datatype_description: String,
    /// Choices of a list.
    #[serde(default)]
    pub values: Vec<ListValue>,
}

fn yes() -> bool {
    true
}

/// A choice of a singlevaluelist or multivaluelist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListValue {
    pub key: String,
    pub name: String,
}

/// What is wrong with a service definition or a client's attribute values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Problem {
    /// The field at fault, as the client named it (e.g. `attribute[AMOUNT]`).
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

fn problem(field: &str, code: &'static str, message: impl Into<String>) -> Problem {
    Problem { field: field.to_string(), code, message: message.into() }
}

fn valid_code(code: &str) -> bool {
    (1..=MAX_CODE).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Service {
    /// Checks a definition an admin submits.
    pub fn validate(&self) -> Result<(), Problem> {
        if !valid_code(&self.code) {
            return Err(problem("code", "invalid_service_code", "服务编码（code）须为1至40位字母、数字、- 或 _"));
        }
        if self.name.trim().is_empty() {
            return Err(problem("name", "field_required", "服务名称（name）不能为空"));
        }
        if self.attributes.len() > MAX_ATTRIBUTES {
            return Err(problem("attributes", "too_many_attributes", format!("属性（attributes）不能超过{MAX_ATTRIBUTES}个")));
        }
        let mut seen = Vec::new();
        for (i, a) in self.attributes.iter().enumerate() {
            let field = format!("attributes[{i}]");
            if !valid_code(&a.code) {
                return Err(problem(&format!("{field}.code"), "invalid_attribute_code", "属性编码（code）须为1至40位字母、数字、- 或 _"));
            }
            if seen.contains(&a.code.as_str()) {
                return Err(problem(&format!("{field}.code"), "duplicate_attribute", format!("属性编码“{}”重复", a.code)));
            }
            seen.push(&a.code);
            if a.description.trim().is_empty() {
                return Err(problem(&format!("{field}.description"), "field_required", "属性说明（description）不能为空"));
            }
            if a.datatype.is_list() == a.values.is_empty() {
                return Err(problem(
                    &format!("{field}.values"),
                    "invalid_values",
                    "列表类属性（singlevaluelist/multivaluelist）须列出可选值（values），其他类型不能有可选值",
                ));
            }
            let mut keys: Vec<&str> = a.values.iter().map(|v| v.key.as_str()).collect();
            keys.sort_unstable();
            if keys.windows(2).any(|w| w[0] == w[1]) || a.values.iter().any(|v| v.key.trim().is_empty() || v.name.trim().is_empty()) {
                return Err(problem(&format!("{field}.values"), "invalid_values", "可选值的 key 须唯一且 key、name 均不能为空"));
            }
        }
        Ok(())
    }

    /// Whether a client must ask for the definition (GeoReport's `metadata`).
    pub fn has_metadata(&self) -> bool {
        !self.attributes.is_empty()
    }

    /// Attributes in the order they are shown.
    pub fn ordered_attributes(&self) -> Vec<&Attribute> {
        let mut list: Vec<&Attribute> = self.attributes.iter().collect();
        list.sort_by_key(|a| (a.order, a.code.clone()));
        list
    }

    /// Checks the values a client sent (`attribute[CODE]=v`, `attribute[CODE][]=v1&…`) and
    /// returns them as `(question, answer)` lines in display order, list keys replaced by their
    /// names. Unknown codes, missing required values, wrong types and values outside a list are
    /// refused.
    pub fn check_values(&self, given: &BTreeMap<String, Vec<String>>) -> Result<Vec<(String, String)>, Problem> {
        for code in given.keys() {
            if !self.attributes.iter().any(|a| &a.code == code && a.variable) {
                return Err(problem(&format!("attribute[{code}]"), "unknown_attribute", format!("服务“{}”没有属性“{code}”", self.name)));
            }
        }
        let mut lines = Vec::new();
        for a in self.ordered_attributes().into_iter().filter(|a| a.variable) {
            let field = format!("attribute[{}]", a.code);
            let values: Vec<&str> = given.get(&a.code).map(|v| v.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect()).unwrap_or_default();
            if values.is_empty() {
                if a.required {
                    return Err(problem(&field, "attribute_required", format!("请填写“{}”（{field}）", a.description)));
                }
                continue;
            }
            if a.datatype != Datatype::Multivaluelist && values.len() > 1 {
                return Err(problem(&field, "attribute_single_value", format!("“{}”（{field}）只能有一个值", a.description)));
            }
            if values.iter().any(|v| v.chars().count() > MAX_ATTRIBUTE_CHARS) {
                return Err(problem(&field, "attribute_too_long", format!("“{}”（{field}）不能超过{MAX_ATTRIBUTE_CHARS}字", a.description)));
            }
            let answer = match a.datatype {
                Datatype::String | Datatype::Text => values[0].to_string(),
                Datatype::Number => {
                    let v = values[0];
                    if !v.parse::<f64>().is_ok_and(f64::is_finite) {
                        return Err(problem(&field, "attribute_not_number", format!("“{}”（{field}）须为数字，收到“{v}”", a.description)));
                    }
                    v.to_string()
                }
                Datatype::Datetime => {
                    let v = values[0];
                    if crate::time::parse_instant(v).is_none() {
                        return Err(problem(
                            &field,
                            "attribute_not_datetime",
                            format!("“{}”（{field}）须为 ISO 8601 时间（如 2026-12-03T09:30:00+08:00），收到“{v}”", a.description),
                        ));
                    }
                    v.to_string()
                }
                Datatype::Singlevaluelist | Datatype::Multivaluelist => {
                    let mut names = Vec::new();
                    for v in &values {
                        let choice = a.values.iter().find(|c| c.key == *v).ok_or_else(|| {
                            let keys: Vec<&str> = a.values.iter().map(|c| c.key.as_str()).collect();
                            problem(&field, "attribute_not_allowed", format!("“{}”（{field}）的值“{v}”不在可选值 {} 之内", a.description, keys.join("、")))
                        })?;
                        names.push(choice.name.clone());
                    }
                    names.join("、")
                }
            };
            lines.push((a.description.clone(), answer));
        }
        Ok(lines)
    }
}

/// GeoReport's two states, and the Chinese `status_notes` telling where the case stands.
pub fn public_status(status: CaseStatus) -> (&'static str, &'static str) {
    use CaseStatus::*;
    match status {
        Reported => ("open", "已收到，等待受理"),
        Registered => ("open", "已受理，等待立案"),
        Verifying => ("open", "已派人现场核实"),
        Filed => ("open", "已立案，等待派遣处置单位"),
        Dispatched | Returned => ("open", "已派遣，处置单位正在处理"),
        Processed => ("open", "处置单位已反馈，等待核查"),
        Checking => ("open", "正在现场核查处置结果"),
        Checked => ("open", "核查通过，等待结案"),
        OnHold => ("open", "已挂账，需较长时间解决"),
        Closed => ("closed", "已办结"),
        Voided => ("closed", "经核实不予立案（已作废）"),
        Merged => ("closed", "与其他案件重复，已合并办理"),
    }
}

/// The demo towns' public services: common problems residents report, each filed as a category
/// of the bundled GB/T 30428.2 table.
pub fn default_services() -> Vec<Service> {
    fn list(values: &[(&str, &str)]) -> Vec<ListValue> {
        values.iter().map(|(k, n)| ListValue { key: k.to_string(), name: n.to_string() }).collect()
    }
    fn attr(code: &str, datatype: Datatype, required: bool, order: u32, description: &str, values: &[(&str, &str)]) -> Attribute {
        Attribute {
            code: code.into(),
            datatype,
            variable: true,
            required,
            order,
            description: description.into(),
            datatype_description: match datatype {
                Datatype::Number => "填写数字".into(),
                Datatype::Datetime => "如 2026-12-03T09:30:00+08:00".into(),
                _ => String::new(),
            },
            values: list(values),
        }
    }
    fn service(code: &str, name: &str, group: &str, description: &str, keywords: &[&str], attributes: Vec<Attribute>) -> Service {
        Service {
            code: code.into(),
            name: name.into(),
            description: description.into(),
            group: group.into(),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            attributes,
        }
    }
    use Datatype::{Datetime, Multivaluelist, Number, Singlevaluelist, Text};
    vec![
        service("SJ-0102", "暴露垃圾", "市容环境", "路面、绿地等处暴露的生活垃圾、建筑垃圾", &["垃圾", "脏乱"], vec![
            attr("AMOUNT", Singlevaluelist, true, 1, "垃圾量", &[("small", "少量（一袋以内）"), ("medium", "较多（约一车）"), ("large", "大量（一车以上）")]),
            attr("KIND", Multivaluelist, false, 2, "垃圾种类", &[("household", "生活垃圾"), ("construction", "建筑垃圾"), ("bulky", "大件垃圾")]),
        ]),
        service("SJ-0110", "道路破损", "市容环境", "路面坑洼、塌陷、破损", &["坑", "塌陷", "路面"], vec![
            attr("SIZE", Number, false, 1, "破损面积（平方米）", &[]),
            attr("DANGER", Singlevaluelist, true, 2, "是否影响通行安全", &[("yes", "是"), ("no", "否")]),
        ]),
        service("SJ-2101", "占道经营", "街面秩序", "店外经营、流动摊贩占用道路", &["摊贩", "出店经营"], vec![
            attr("SEEN_AT", Datetime, false, 1, "发现时间", &[]),
        ]),
        service("BJ-0102", "污水井盖", "公用设施", "污水井盖缺失、破损、移位", &["井盖", "窨井"], vec![
            attr("STATE", Singlevaluelist, true, 1, "井盖状况", &[("missing", "缺失"), ("broken", "破损"), ("shifted", "移位")]),
        ]),
        service("BJ-0103", "雨水井盖", "公用设施", "雨水井盖缺失、破损、移位", &["井盖", "雨水口"], vec![]),
        service("BJ-0118", "路灯", "公用设施", "路灯不亮、白天亮灯、灯杆倾斜", &["路灯", "照明"], vec![
            attr("POLE", Datatype::String, false, 1, "灯杆编号（如有）", &[]),
        ]),
        service("SJ-0508", "商业噪音", "街面秩序", "商铺、广场等噪声扰民", &["噪声", "噪音", "扰民"], vec![
            attr("DETAIL", Text, false, 1, "噪声来源与时段", &[]),
        ]),
        service("SJ-0505", "机动车乱停放", "街面秩序", "机动车占用人行道、消防通道", &["停车", "乱停"], vec![]),
        service("SJ-0506", "非机动车乱停放", "街面秩序", "共享单车、电动车乱停放", &["单车", "电动车"], vec![]),
        service("SJ-0201", "非法小广告", "宣传广告", "乱贴乱涂、乱发小广告", &["小广告", "牛皮癣"], vec![]),
        service("SJ-0406", "道路积水", "突发事件", "下雨后道路积水影响通行", &["积水", "内涝"], vec![
            attr("DEPTH", Singlevaluelist, false, 1, "积水深度", &[("ankle", "没过脚踝"), ("knee", "没过膝盖")]),
        ]),
        service("SJ-0116", "油烟污染", "市容环境", "餐饮油烟直排扰民", &["油烟", "餐饮"], vec![]),
        service("SJ-0507", "乱堆物堆料", "街面秩序", "道路、楼道乱堆物品", &["堆物", "杂物"], vec![]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect())).collect()
    }

    #[test]
    fn the_defaults_are_valid_and_distinct() {
        let services = default_services();
        assert!(services.len() >= 12);
        for s in &services {
            s.validate().unwrap_or_else(|p| panic!("{}: {p}", s.code));
        }
        let mut codes: Vec<_> = services.iter().map(|s| &s.code).collect();
        codes.dedup();
        assert_eq!(codes.len(), services.len());
        let kinds: std::collections::BTreeSet<Datatype> = services.iter().flat_map(|s| s.attributes.iter().map(|a| a.datatype)).collect();
        assert_eq!(kinds.len(), 6, "every GeoReport datatype appears in the demo");
    }

    #[test]
    fn values_are_checked_against_the_definition() {
        let garbage = default_services().into_iter().find(|s| s.code == "SJ-0102").unwrap();
        let lines = garbage.check_values(&given(&[("AMOUNT", &["medium"]), ("KIND", &["household", "bulky"])])).unwrap();
        assert_eq!(lines, [("垃圾量".to_string(), "较多（约一车）".to_string()), ("垃圾种类".into(), "生活垃圾、大件垃圾".into())]);
        let err = |g: &[(&str, &[&str])]| garbage.check_values(&given(g)).unwrap_err();
        assert_eq!(err(&[]).code, "attribute_required");
        assert_eq!(err(&[("AMOUNT", &[""])]).field, "attribute[AMOUNT]", "an empty value is absent");
        assert_eq!(err(&[("AMOUNT", &["huge"])]).code, "attribute_not_allowed");
        assert_eq!(err(&[("AMOUNT", &["small", "large"])]).code, "attribute_single_value");
        assert_eq!(err(&[("AMOUNT", &["small"]), ("COLOUR", &["red"])]).code, "unknown_attribute");
        let road = default_services().into_iter().find(|s| s.code == "SJ-0110").unwrap();
        assert_eq!(road.check_values(&given(&[("DANGER", &["yes"]), ("SIZE", &["两平方"])])).unwrap_err().code, "attribute_not_number");
        assert!(road.check_values(&given(&[("DANGER", &["yes"]), ("SIZE", &["2.5"])])).is_ok());
        let stall = default_services().into_iter().find(|s| s.code == "SJ-2101").unwrap();
        assert_eq!(stall.check_values(&given(&[("SEEN_AT", &["昨天"])])).unwrap_err().code, "attribute_not_datetime");
        assert!(stall.check_values(&given(&[("SEEN_AT", &["2026-12-03T09:30:00+08:00"])])).is_ok());
    }

    #[test]
    fn bad_definitions_are_refused() {
        let mut s = default_services().remove(0);
        s.attributes[0].values.clear();
        assert_eq!(s.validate().unwrap_err().field, "attributes[0].values");
        let mut s = default_services().remove(0);
        s.attributes[1].code = s.attributes[0].code.clone();
        assert_eq!(s.validate().unwrap_err().code, "duplicate_attribute");
        let mut s = default_services().remove(0);
        s.code = "暴露".into();
        assert_eq!(s.validate().unwrap_err().field, "code");
    }

    #[test]
    fn every_state_maps_to_open_or_closed() {
        for s in CaseStatus::ALL {
            let (status, notes) = public_status(s);
            assert_eq!(status == "closed", s.is_final(), "{s:?}");
            assert!(!notes.is_empty());
        }
    }
}
