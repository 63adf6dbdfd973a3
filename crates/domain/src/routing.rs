//! 责任清单 — the town's responsibility matrix: which unit leads (主办) and which assist (协办) for a
//! kind of problem at a place.
//!
//! A rule names a category key and a region. The key is a category code (`SJ-0102`, `06010`), a
//! 大类 key (`SJ-01`, `06`) or `*` for every category. A rule set on a region holds for every place
//! below it unless a rule set further down overrides it.
//!
//! Which rule wins: the most specific **category** first (code, then 大类, then `*`) — the kind of
//! problem decides the line department — and, for that key, the rule set **deepest** in the case's
//! region chain (网格 before 村/居 before 街镇). So a 村/居 may take over 暴露垃圾 from the town's
//! 环卫所, while a village catch-all `*` never overrides the town's rule for a named category.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::category::{Category, CategoryCatalog};
use crate::org::Unit;
use crate::region::RegionTree;

/// Matches every category.
pub const ANY_CATEGORY: &str = "*";
/// At most this many 协办 units per rule (the same cap a dispatch has, minus the lead).
pub const MAX_ASSISTS: usize = crate::case::MAX_UNITS - 1;

/// One line of the 责任清单.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingRule {
    /// Category code, 大类 key or `*`.
    pub category: String,
    /// The region the rule is set at; it holds for the whole subtree.
    pub region: String,
    /// 主办 unit code.
    pub lead: String,
    /// 协办 unit codes.
    #[serde(default)]
    pub assists: Vec<String>,
    /// 自动派遣 — dispatch at 立案 without a 派遣员's click.
    #[serde(default)]
    pub auto_dispatch: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl RoutingRule {
    /// The units a dispatch by this rule names: the lead first, then the assists.
    pub fn units(&self) -> Vec<String> {
        std::iter::once(self.lead.clone()).chain(self.assists.iter().cloned()).collect()
    }
}

/// How specific a rule's category key is, for the explanation shown to the dispatcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryMatch {
    /// 按小类
    Category,
    /// 按大类
    Major,
    /// 全部类别
    Any,
}

impl CategoryMatch {
    pub fn label(self) -> &'static str {
        match self {
            CategoryMatch::Category => "按类别",
            CategoryMatch::Major => "按大类",
            CategoryMatch::Any => "全部类别",
        }
    }
}

/// The 大类 key of a category: `SJ-01` for `SJ-0102`, `06` for `06010`.
pub fn major_key(category: &Category) -> String {
    match category.code.split_once('-') {
        Some((prefix, _)) => format!("{prefix}-{}", category.major_code),
        None => category.major_code.clone(),
    }
}

/// Why a rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleError {
    #[error("类别（category）“{0}”既不是类别代码，也不是大类代码或 *")]
    UnknownCategory(String),
    #[error("区划（region）“{0}”不存在")]
    UnknownRegion(String),
    #[error("{}（{}）：单位“{}”不存在或已停用", unit_label(.field), .field, .code)]
    UnknownUnit { field: &'static str, code: String },
    #[error("协办单位（assists）不能包含主办单位“{0}”")]
    LeadAmongAssists(String),
    #[error("协办单位（assists）“{0}”重复")]
    DuplicateAssist(String),
    #[error("协办单位（assists）最多{MAX_ASSISTS}个")]
    TooManyAssists,
    #[error("类别“{category}”在区划“{region}”的责任规则重复")]
    Duplicate { category: String, region: String },
}

impl RuleError {
    /// Stable error code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::UnknownCategory(_) => "unknown_category",
            RuleError::UnknownRegion(_) => "unknown_region",
            RuleError::UnknownUnit { .. } => "unknown_unit",
            RuleError::LeadAmongAssists(_) => "lead_among_assists",
            RuleError::DuplicateAssist(_) => "duplicate_unit",
            RuleError::TooManyAssists => "too_many_units",
            RuleError::Duplicate { .. } => "duplicate_rule",
        }
    }

    /// The field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            RuleError::UnknownCategory(_) | RuleError::Duplicate { .. } => "category",
            RuleError::UnknownRegion(_) => "region",
            RuleError::UnknownUnit { field, .. } => field,
            RuleError::LeadAmongAssists(_) | RuleError::DuplicateAssist(_) | RuleError::TooManyAssists => "assists",
        }
    }
}

fn unit_label(field: &str) -> &'static str {
    if field == "lead" { "主办单位" } else { "协办单位" }
}

/// Checks one rule against the reference data: the key, the region and active units exist.
pub fn check_rule(rule: &RoutingRule, catalog: &CategoryCatalog, tree: &RegionTree, units: &[Unit]) -> Result<(), RuleError> {
    let key_known = rule.category == ANY_CATEGORY
        || catalog.get(&rule.category).is_some()
        || catalog.iter().any(|c| major_key(c) == rule.category);
    if !key_known {
        return Err(RuleError::UnknownCategory(rule.category.clone()));
    }
    if tree.get(&rule.region).is_none() {
        return Err(RuleError::UnknownRegion(rule.region.clone()));
    }
    let active = |code: &str| units.iter().any(|u| u.code == code && u.active);
    if !active(&rule.lead) {
        return Err(RuleError::UnknownUnit { field: "lead", code: rule.lead.clone() });
    }
    if rule.assists.len() > MAX_ASSISTS {
        return Err(RuleError::TooManyAssists);
    }
    let mut seen = BTreeSet::new();
    for a in &rule.assists {
        if *a == rule.lead {
            return Err(RuleError::LeadAmongAssists(a.clone()));
        }
        if !seen.insert(a.as_str()) {
            return Err(RuleError::DuplicateAssist(a.clone()));
        }
        if !active(a) {
            return Err(RuleError::UnknownUnit { field: "assists", code: a.clone() });
        }
    }
    Ok(())
}

/// A rule chosen for a case, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal<'r> {
    pub rule: &'r RoutingRule,
    pub matched: CategoryMatch,
}

/// The town's 责任清单, indexed for lookups.
#[derive(Debug, Clone, Default)]
pub struct ResponsibilityList {
    rules: Vec<RoutingRule>,
    by_key: HashMap<(String, String), usize>,
}

impl ResponsibilityList {
    /// Indexes the rules; two rules for the same category key and region are refused.
    pub fn new(rules: Vec<RoutingRule>) -> Result<Self, RuleError> {
        let mut by_key = HashMap::with_capacity(rules.len());
        for (i, r) in rules.iter().enumerate() {
            if by_key.insert((r.category.clone(), r.region.clone()), i).is_some() {
                return Err(RuleError::Duplicate { category: r.category.clone(), region: r.region.clone() });
            }
        }
        Ok(ResponsibilityList { rules, by_key })
    }

    pub fn rules(&self) -> &[RoutingRule] {
        &self.rules
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule for a case of `category` at `region`: see the module doc for the order.
    pub fn propose(&self, category: &Category, region: &str, tree: &RegionTree) -> Option<Proposal<'_>> {
        let chain: Vec<&str> = std::iter::once(region)
            .chain(tree.ancestors(region).into_iter().map(|r| r.code.as_str()))
            .collect();
        let keys = [
            (category.code.clone(), CategoryMatch::Category),
            (major_key(category), CategoryMatch::Major),
            (ANY_CATEGORY.to_string(), CategoryMatch::Any),
        ];
        keys.into_iter().find_map(|(key, matched)| {
            chain.iter().find_map(|r| {
                self.by_key.get(&(key.clone(), (*r).to_string())).map(|&i| Proposal { rule: &self.rules[i], matched })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::DemoTowns;

    fn rule(category: &str, region: &str, lead: &str) -> RoutingRule {
        RoutingRule { category: category.into(), region: region.into(), lead: lead.into(), assists: vec![], auto_dispatch: false, note: None }
    }

    fn fixtures() -> (CategoryCatalog, RegionTree, Vec<Unit>) {
        let demo = DemoTowns::bundled();
        (CategoryCatalog::bundled().unwrap(), demo.region_tree(), demo.units)
    }

    const TOWN: &str = "310115137";
    const VILLAGE: &str = "310115137001";

    #[test]
    fn the_most_specific_category_wins_then_the_deepest_region() {
        let (catalog, tree, _) = fixtures();
        let garbage = catalog.get("SJ-0102").unwrap();
        let list = ResponsibilityList::new(vec![
            rule("*", TOWN, "310115137-cgzd"),
            rule("SJ-01", TOWN, "310115137-hws"),
            rule("*", VILLAGE, "310115137001-jwh"),
        ])
        .unwrap();
        let p = list.propose(garbage, VILLAGE, &tree).unwrap();
        assert_eq!((p.rule.lead.as_str(), p.matched), ("310115137-hws", CategoryMatch::Major), "a village catch-all does not override a named 大类");
        let other = catalog.iter().find(|c| c.code.starts_with("SJ-") && !c.code.starts_with("SJ-01")).unwrap();
        let p = list.propose(other, VILLAGE, &tree).unwrap();
        assert_eq!(p.rule.lead, "310115137001-jwh", "the deeper catch-all beats the town's");
        let p = list.propose(other, "310115137002", &tree).unwrap();
        assert_eq!(p.rule.lead, "310115137-cgzd", "another village inherits the town's rule");

        let list = ResponsibilityList::new(vec![rule("SJ-01", TOWN, "310115137-hws"), rule("SJ-0102", VILLAGE, "310115137001-jwh")]).unwrap();
        assert_eq!(list.propose(garbage, VILLAGE, &tree).unwrap().rule.lead, "310115137001-jwh");
        assert_eq!(list.propose(garbage, TOWN, &tree).unwrap().rule.lead, "310115137-hws", "a village override stays in the village");
    }

    #[test]
    fn nothing_is_proposed_outside_the_rules() {
        let (catalog, tree, _) = fixtures();
        let list = ResponsibilityList::new(vec![rule("SJ-01", TOWN, "310115137-hws")]).unwrap();
        let garbage = catalog.get("SJ-0102").unwrap();
        assert!(list.propose(garbage, "310112107", &tree).is_none(), "another town");
        let component = catalog.iter().find(|c| c.code.starts_with("BJ-")).unwrap();
        assert!(list.propose(component, VILLAGE, &tree).is_none(), "another table kind");
    }

    #[test]
    fn rules_are_checked_against_the_reference_data() {
        let (catalog, tree, units) = fixtures();
        let ok = RoutingRule { assists: vec!["310115137-cgzd".into()], ..rule("SJ-0102", TOWN, "310115137-hws") };
        check_rule(&ok, &catalog, &tree, &units).unwrap();
        for (bad, code) in [
            (rule("SJ-9999", TOWN, "310115137-hws"), "unknown_category"),
            (rule("SJ-0102", "310115999", "310115137-hws"), "unknown_region"),
            (rule("SJ-0102", TOWN, "nobody-x"), "unknown_unit"),
            (RoutingRule { assists: vec!["310115137-hws".into()], ..rule("SJ-0102", TOWN, "310115137-hws") }, "lead_among_assists"),
            (RoutingRule { assists: vec!["310115137-cgzd".into(); 2], ..rule("SJ-0102", TOWN, "310115137-hws") }, "duplicate_unit"),
        ] {
            assert_eq!(check_rule(&bad, &catalog, &tree, &units).unwrap_err().code(), code, "{bad:?}");
        }
        for key in ["*", "SJ-01", "06", "06010"] {
            check_rule(&rule(key, TOWN, "310115137-hws"), &catalog, &tree, &units).unwrap();
        }
        let dup = ResponsibilityList::new(vec![rule("*", TOWN, "310115137-hws"), rule("*", TOWN, "310115137-cgzd")]);
        assert_eq!(dup.unwrap_err().code(), "duplicate_rule");
    }
}
