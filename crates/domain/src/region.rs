//! Places: 市 → 区 → 街镇 → 社区/片区 → 村/居 → 单元网格, their codes and the validated hierarchy.
//!
//! Official codes (统计用区划代码 and the grid standard):
//! - 市 `310000` — 6 digits ending `0000`
//! - 区 `310115` — 6 digits
//! - 街镇 `310115137` — 9 digits
//! - 村/居 `310115137001` — 12 digits
//! - 单元网格 `310115137001001` — 15 digits (6 区县 + 3 街镇 + 3 村居 + 3 sequence)
//!
//! 社区/片区 has no official code; the platform uses `<town 9 digits>P<2 digits>`, e.g. `310115137P01`.
//! A village's parent is its town or a 片区 of its town.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Level of a region. The snake_case identifiers are stored and exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 市
    City,
    /// 区
    District,
    /// 街镇
    Town,
    /// 社区/片区 — an optional grouping of villages inside a town.
    Area,
    /// 村/居
    Village,
    /// 单元网格
    Grid,
}

impl RegionLevel {
    /// All levels, top down.
    pub const ALL: [RegionLevel; 6] = [
        RegionLevel::City,
        RegionLevel::District,
        RegionLevel::Town,
        RegionLevel::Area,
        RegionLevel::Village,
        RegionLevel::Grid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::City => "city",
            RegionLevel::District => "district",
            RegionLevel::Town => "town",
            RegionLevel::Area => "area",
            RegionLevel::Village => "village",
            RegionLevel::Grid => "grid",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RegionLevel::City => "市",
            RegionLevel::District => "区",
            RegionLevel::Town => "街镇",
            RegionLevel::Area => "社区/片区",
            RegionLevel::Village => "村/居",
            RegionLevel::Grid => "单元网格",
        }
    }

    /// Levels a region of this level may hang under (a village under its town or a 片区).
    pub fn parent_levels(self) -> &'static [RegionLevel] {
        match self {
            RegionLevel::City => &[],
            RegionLevel::District => &[RegionLevel::City],
            RegionLevel::Town => &[RegionLevel::District],
            RegionLevel::Area => &[RegionLevel::Town],
            RegionLevel::Village => &[RegionLevel::Town, RegionLevel::Area],
            RegionLevel::Grid => &[RegionLevel::Village],
        }
    }
}

impl fmt::Display for RegionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RegionLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        RegionLevel::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| format!("未知区划层级“{s}”"))
    }
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// The level a code denotes by its format, or `None` if it is no region code.
pub fn level_of_code(code: &str) -> Option<RegionLevel> {
    let b = code.as_bytes();
    match b.len() {
        6 if all_digits(code) => Some(if code.ends_with("0000") {
            RegionLevel::City
        } else {
            RegionLevel::District
        }),
        9 if all_digits(code) => Some(RegionLevel::Town),
        12 if all_digits(code) => Some(RegionLevel::Village),
        12 if b[9] == b'P' && all_digits(&code[..9]) && all_digits(&code[10..]) => {
            Some(RegionLevel::Area)
        }
        15 if all_digits(code) => Some(RegionLevel::Grid),
        _ => None,
    }
}

/// One region: a node of the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
    /// Code of the parent region; `None` only for a 市.
    #[serde(default)]
    pub parent: Option<String>,
}

/// Why a region was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegionError {
    #[error("区划“{code}”的名称（name）为空")]
    EmptyName { code: String },
    #[error("区划代码（code）“{code}”不符合{}的代码格式", .level.label())]
    BadCode { code: String, level: RegionLevel },
    #[error("区划代码（code）“{code}”重复")]
    Duplicate { code: String },
    #[error("区划“{code}”缺少上级（parent）")]
    MissingParent { code: String },
    #[error("市级区划“{code}”不应有上级（parent），却给了“{parent}”")]
    UnexpectedParent { code: String, parent: String },
    #[error("区划“{code}”的上级（parent）“{parent}”不存在")]
    ParentNotFound { code: String, parent: String },
    #[error(
        "{}“{code}”不能隶属于{}“{parent}”",
        .level.label(),
        .parent_level.label()
    )]
    ParentLevel {
        code: String,
        level: RegionLevel,
        parent: String,
        parent_level: RegionLevel,
    },
    #[error("区划代码（code）“{code}”与上级（parent）“{parent}”的代码不一致")]
    CodeMismatch { code: String, parent: String },
}

/// Whether `child`'s code is consistent with its parent's (levels already checked).
fn code_under(child: &str, child_level: RegionLevel, parent: &str) -> bool {
    match child_level {
        RegionLevel::City => false,
        // same province: the first two digits
        RegionLevel::District => child[..2] == parent[..2],
        RegionLevel::Town | RegionLevel::Area | RegionLevel::Grid => child.starts_with(parent),
        // under the town itself, or under a 片区 `<town>Pxx` of that town
        RegionLevel::Village => child[..9] == parent[..9],
    }
}

/// The region hierarchy of an instance, validated: every code well-formed and unique,
/// every parent present, of an upper level and with a consistent code.
#[derive(Debug, Clone, Default)]
pub struct RegionTree {
    regions: BTreeMap<String, Region>,
    /// Direct children of each region, by code.
    children: BTreeMap<String, BTreeSet<String>>,
}

impl RegionTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a tree from regions in any order (parents are inserted before their children).
    pub fn from_regions(mut regions: Vec<Region>) -> Result<Self, RegionError> {
        regions.sort_by(|a, b| (a.level, &a.code).cmp(&(b.level, &b.code)));
        let mut tree = Self::new();
        for r in regions {
            tree.insert(r)?;
        }
        Ok(tree)
    }

    /// Adds one region after validating it against the regions already present.
    pub fn insert(&mut self, r: Region) -> Result<(), RegionError> {
        if r.name.trim().is_empty() {
            return Err(RegionError::EmptyName { code: r.code });
        }
        if level_of_code(&r.code) != Some(r.level) {
            return Err(RegionError::BadCode {
                code: r.code,
                level: r.level,
            });
        }
        if self.regions.contains_key(&r.code) {
            return Err(RegionError::Duplicate { code: r.code });
        }
        match (&r.parent, r.level) {
            (Some(parent), RegionLevel::City) => {
                return Err(RegionError::UnexpectedParent {
                    code: r.code.clone(),
                    parent: parent.clone(),
                });
            }
            (None, RegionLevel::City) => {}
            (None, _) => return Err(RegionError::MissingParent { code: r.code }),
            (Some(parent), level) => {
                let Some(p) = self.regions.get(parent) else {
                    return Err(RegionError::ParentNotFound {
                        code: r.code.clone(),
                        parent: parent.clone(),
                    });
                };
                if !level.parent_levels().contains(&p.level) {
                    return Err(RegionError::ParentLevel {
                        code: r.code.clone(),
                        level,
                        parent: parent.clone(),
                        parent_level: p.level,
                    });
                }
                if !code_under(&r.code, level, parent) {
                    return Err(RegionError::CodeMismatch {
                        code: r.code.clone(),
                        parent: parent.clone(),
                    });
                }
                self.children
                    .entry(parent.clone())
                    .or_default()
                    .insert(r.code.clone());
            }
        }
        self.regions.insert(r.code.clone(), r);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.regions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    pub fn get(&self, code: &str) -> Option<&Region> {
        self.regions.get(code)
    }

    /// Direct children, in code order; nothing for an unknown code.
    pub fn children(&self, code: &str) -> impl Iterator<Item = &Region> + '_ {
        self.children
            .get(code)
            .into_iter()
            .flatten()
            .filter_map(|c| self.regions.get(c))
    }

    /// Every region, depth first from the 市, parents before children, siblings in code order.
    pub fn iter(&self) -> impl Iterator<Item = &Region> + '_ {
        let mut out = Vec::with_capacity(self.regions.len());
        let mut stack: Vec<&Region> = self
            .regions
            .values()
            .filter(|r| r.parent.is_none())
            .rev()
            .collect();
        while let Some(r) = stack.pop() {
            out.push(r);
            let kids: Vec<&Region> = self.children(&r.code).collect();
            stack.extend(kids.into_iter().rev());
        }
        out.into_iter()
    }

    /// The regions above `code`, nearest first; empty for a 市 or an unknown code.
    pub fn ancestors(&self, code: &str) -> Vec<&Region> {
        let mut out = Vec::new();
        let mut cur = self.regions.get(code);
        while let Some(parent) = cur.and_then(|r| r.parent.as_deref()) {
            cur = self.regions.get(parent);
            out.extend(cur);
        }
        out
    }

    /// Whether `code` lies in the subtree of `ancestor` (a region contains itself).
    /// False if either is unknown.
    pub fn contains(&self, ancestor: &str, code: &str) -> bool {
        if !self.regions.contains_key(ancestor) {
            return false;
        }
        self.regions.contains_key(code)
            && (ancestor == code || self.ancestors(code).iter().any(|r| r.code == ancestor))
    }

    /// Code prefixes for SQL filtering: a region code lies in the subtree of `code` iff it starts
    /// with one of them. 市 → its 2-digit province prefix (`31`); 区/街镇/村居/网格 → its own code;
    /// 片区 → its own code and the codes of its villages. Empty for an unknown code (matches nothing).
    pub fn scope_prefixes(&self, code: &str) -> Vec<String> {
        let Some(r) = self.regions.get(code) else {
            return Vec::new();
        };
        match r.level {
            RegionLevel::City => vec![code[..2].to_string()],
            RegionLevel::Area => std::iter::once(code.to_string())
                .chain(self.children(code).map(|v| v.code.clone()))
                .collect(),
            _ => vec![code.to_string()],
        }
    }

    /// The 街镇 containing `code` (itself if it is a town); `None` above town level or if unknown.
    pub fn town_of(&self, code: &str) -> Option<&Region> {
        let r = self.regions.get(code)?;
        if r.level == RegionLevel::Town {
            return Some(r);
        }
        self.ancestors(code)
            .into_iter()
            .find(|a| a.level == RegionLevel::Town)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reg(code: &str, name: &str, level: RegionLevel, parent: Option<&str>) -> Region {
        Region {
            code: code.into(),
            name: name.into(),
            level,
            parent: parent.map(Into::into),
        }
    }

    /// 上海 → 浦东 → 航头镇 (片区 P01 with 航头居委 and 海桥村, 下沙居委 directly under the town) → grids,
    /// and 闵行 → 虹桥镇 → 虹桥居委.
    fn sample() -> Vec<Region> {
        use RegionLevel::*;
        vec![
            reg(
                "310115137001001",
                "航头居民区1号网格",
                Grid,
                Some("310115137001"),
            ),
            reg("310115137201", "海桥村", Village, Some("310115137P01")),
            reg("310115137001", "航头居民区", Village, Some("310115137P01")),
            reg("310115137002", "下沙居民区", Village, Some("310115137")),
            reg("310115137P01", "航头片区", Area, Some("310115137")),
            reg("310115137", "航头镇", Town, Some("310115")),
            reg("310115", "浦东新区", District, Some("310000")),
            reg("310000", "上海市", City, None),
            reg("310112", "闵行区", District, Some("310000")),
            reg("310112107", "虹桥镇", Town, Some("310112")),
            reg("310112107001", "虹桥居民区", Village, Some("310112107")),
            reg(
                "310115137002001",
                "下沙居民区1号网格",
                Grid,
                Some("310115137002"),
            ),
        ]
    }

    fn tree() -> RegionTree {
        RegionTree::from_regions(sample()).unwrap()
    }

    fn codes<'a>(rs: impl IntoIterator<Item = &'a Region>) -> Vec<&'a str> {
        rs.into_iter().map(|r| r.code.as_str()).collect()
    }

    #[test]
    fn levels_by_code_format() {
        use RegionLevel::*;
        assert_eq!(level_of_code("310000"), Some(City));
        assert_eq!(level_of_code("310115"), Some(District));
        assert_eq!(level_of_code("310115137"), Some(Town));
        assert_eq!(level_of_code("310115137P01"), Some(Area));
        assert_eq!(level_of_code("310115137001"), Some(Village));
        assert_eq!(level_of_code("310115137001001"), Some(Grid));
        for bad in [
            "",
            "31",
            "3101150",
            "31011513a",
            "310115137P1",
            "310115137Q01",
            "310115137P0x",
            "３１００００",
        ] {
            assert_eq!(level_of_code(bad), None, "{bad}");
        }
        for l in RegionLevel::ALL {
            assert_eq!(l.as_str().parse::<RegionLevel>().unwrap(), l);
            assert_eq!(
                serde_json::to_string(&l).unwrap(),
                format!("\"{}\"", l.as_str())
            );
        }
        assert_eq!(RegionLevel::Area.label(), "社区/片区");
    }

    #[test]
    fn builds_hierarchy_in_any_order() {
        let t = tree();
        assert_eq!(t.len(), sample().len());
        assert_eq!(t.get("310115137").unwrap().name, "航头镇");
        assert_eq!(codes(t.children("310000")), ["310112", "310115"]);
        assert_eq!(
            codes(t.children("310115137")),
            ["310115137002", "310115137P01"]
        );
        assert_eq!(
            codes(t.children("310115137P01")),
            ["310115137001", "310115137201"]
        );
        assert_eq!(t.children("999999").count(), 0);
        // parents before children
        let order = codes(t.iter());
        assert_eq!(order.len(), t.len());
        for r in t.iter() {
            if let Some(p) = &r.parent {
                let pi = order.iter().position(|c| c == p).unwrap();
                let ci = order.iter().position(|c| *c == r.code).unwrap();
                assert!(pi < ci, "{p} before {}", r.code);
            }
        }
        assert_eq!(order[0], "310000");
    }

    #[test]
    fn ancestors_nearest_first() {
        let t = tree();
        assert_eq!(
            codes(t.ancestors("310115137001001")),
            [
                "310115137001",
                "310115137P01",
                "310115137",
                "310115",
                "310000"
            ]
        );
        assert_eq!(
            codes(t.ancestors("310115137002")),
            ["310115137", "310115", "310000"]
        );
        assert!(t.ancestors("310000").is_empty());
        assert!(t.ancestors("nope").is_empty());
    }

    #[test]
    fn contains_subtrees() {
        let t = tree();
        assert!(t.contains("310000", "310115137001001"));
        assert!(t.contains("310115137", "310115137201"));
        assert!(t.contains("310115137P01", "310115137001001"));
        assert!(t.contains("310115137P01", "310115137P01"));
        assert!(!t.contains("310115137P01", "310115137002"));
        assert!(!t.contains("310115137P01", "310115137002001"));
        assert!(!t.contains("310115", "310112107001"));
        assert!(!t.contains("310115137001", "310115137"));
        assert!(!t.contains("310115137", "310115137999"));
        assert!(!t.contains("310115137999", "310115137999"));
    }

    #[test]
    fn scope_prefixes_by_level() {
        let t = tree();
        assert_eq!(t.scope_prefixes("310000"), ["31"]);
        assert_eq!(t.scope_prefixes("310115"), ["310115"]);
        assert_eq!(t.scope_prefixes("310115137"), ["310115137"]);
        assert_eq!(
            t.scope_prefixes("310115137P01"),
            ["310115137P01", "310115137001", "310115137201"]
        );
        assert_eq!(t.scope_prefixes("310115137001001"), ["310115137001001"]);
        assert!(t.scope_prefixes("320000").is_empty());
    }

    #[test]
    fn town_of() {
        let t = tree();
        assert_eq!(t.town_of("310115137001001").unwrap().code, "310115137");
        assert_eq!(t.town_of("310115137P01").unwrap().code, "310115137");
        assert_eq!(t.town_of("310112107").unwrap().code, "310112107");
        assert!(t.town_of("310115").is_none());
        assert!(t.town_of("310000").is_none());
        assert!(t.town_of("x").is_none());
    }

    #[test]
    fn refusals() {
        use RegionLevel::*;
        let t = tree();
        let try_insert = |r: Region| t.clone().insert(r).unwrap_err();

        assert!(matches!(
            try_insert(reg("310115137003", " ", Village, Some("310115137"))),
            RegionError::EmptyName { .. }
        ));
        // format does not match the level
        assert!(matches!(
            try_insert(reg("310115137", "航头镇", Village, Some("310115"))),
            RegionError::BadCode { level: Village, .. }
        ));
        assert!(matches!(
            try_insert(reg("310115", "浦东", City, None)),
            RegionError::BadCode { level: City, .. }
        ));
        assert!(matches!(
            try_insert(reg("3101151370", "x", Town, Some("310115"))),
            RegionError::BadCode { .. }
        ));
        assert_eq!(
            try_insert(reg("310115137001", "重复", Village, Some("310115137"))),
            RegionError::Duplicate {
                code: "310115137001".into()
            }
        );
        assert!(matches!(
            try_insert(reg("310115138", "新场镇", Town, None)),
            RegionError::MissingParent { .. }
        ));
        assert!(matches!(
            try_insert(reg("320000", "江苏省", City, Some("310000"))),
            RegionError::UnexpectedParent { .. }
        ));
        assert!(matches!(
            try_insert(reg("310116101", "x", Town, Some("310116"))),
            RegionError::ParentNotFound { .. }
        ));
        // a village straight under its district, a grid under a town, a town under a town
        assert!(matches!(
            try_insert(reg("310115138001", "x", Village, Some("310115"))),
            RegionError::ParentLevel {
                level: Village,
                parent_level: District,
                ..
            }
        ));
        assert!(matches!(
            try_insert(reg("310115137002002", "x", Grid, Some("310115137"))),
            RegionError::ParentLevel { .. }
        ));
        assert!(matches!(
            try_insert(reg("310115137P02", "x", Area, Some("310115137P01"))),
            RegionError::ParentLevel { .. }
        ));
        // code inconsistent with the parent
        assert!(matches!(
            try_insert(reg("310112107002", "x", Village, Some("310115137"))),
            RegionError::CodeMismatch { .. }
        ));
        assert!(matches!(
            try_insert(reg("310112107002", "x", Village, Some("310115137P01"))),
            RegionError::CodeMismatch { .. }
        ));
        assert!(matches!(
            try_insert(reg("310112101", "x", Town, Some("310115"))),
            RegionError::CodeMismatch { .. }
        ));
        assert!(matches!(
            try_insert(reg("310112107P01", "x", Area, Some("310115137"))),
            RegionError::CodeMismatch { .. }
        ));
        assert!(matches!(
            try_insert(reg("310115137002002", "x", Grid, Some("310115137001"))),
            RegionError::CodeMismatch { .. }
        ));
        assert!(matches!(
            try_insert(reg("320115", "x", District, Some("310000"))),
            RegionError::CodeMismatch { .. }
        ));
        // from_regions reports the first refusal
        let mut rs = sample();
        rs.retain(|r| r.code != "310115137P01");
        assert!(matches!(
            RegionTree::from_regions(rs),
            Err(RegionError::ParentNotFound { .. })
        ));
        // messages name the code and field
        let msg = try_insert(reg("310115138", "新场镇", Town, None)).to_string();
        assert!(msg.contains("310115138") && msg.contains("parent"), "{msg}");
    }

    #[test]
    fn serde_shape() {
        let r = reg(
            "310115137P01",
            "航头片区",
            RegionLevel::Area,
            Some("310115137"),
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["level"], "area");
        let back: Region =
            serde_json::from_str(r#"{"code":"310000","name":"上海市","level":"city"}"#).unwrap();
        assert_eq!(back.parent, None);
    }

    /// A generated hierarchy: cities 31/32, their districts, towns, 片区, villages (under the
    /// town or a 片区) and grids, shuffled.
    fn arb_regions() -> impl Strategy<Value = Vec<Region>> {
        // per village: (number, area selector, grid count)
        let village = (1u16..1000, 0u8..4, 0u8..3);
        let town = (0u8..3, prop::collection::vec(village, 0..6));
        let district = prop::collection::vec(town, 0..4);
        let city = prop::collection::vec(district, 0..3);
        prop::collection::vec(city, 1..3)
            .prop_map(|cities| {
                let mut out = Vec::new();
                for (ci, districts) in cities.into_iter().enumerate() {
                    let city = format!("{}0000", 31 + ci);
                    out.push(reg(&city, "市", RegionLevel::City, None));
                    for (di, towns) in districts.into_iter().enumerate() {
                        let district = format!("{}01{:02}", &city[..2], di + 1);
                        out.push(reg(&district, "区", RegionLevel::District, Some(&city)));
                        for (ti, (areas, villages)) in towns.into_iter().enumerate() {
                            let town = format!("{district}{:03}", 100 + ti);
                            out.push(reg(&town, "镇", RegionLevel::Town, Some(&district)));
                            for a in 1..=areas {
                                let area = format!("{town}P{a:02}");
                                out.push(reg(&area, "片区", RegionLevel::Area, Some(&town)));
                            }
                            let mut seen = BTreeSet::new();
                            for (num, sel, grids) in villages {
                                if !seen.insert(num) {
                                    continue;
                                }
                                let village = format!("{town}{num:03}");
                                let parent = match sel % (areas + 1) {
                                    0 => town.clone(),
                                    a => format!("{town}P{a:02}"),
                                };
                                out.push(reg(&village, "村", RegionLevel::Village, Some(&parent)));
                                for g in 1..=grids {
                                    let grid = format!("{village}{g:03}");
                                    out.push(reg(&grid, "网格", RegionLevel::Grid, Some(&village)));
                                }
                            }
                        }
                    }
                }
                out
            })
            .prop_shuffle()
    }

    proptest! {
        #[test]
        fn contains_agrees_with_scope_prefixes(regions in arb_regions()) {
            let t = RegionTree::from_regions(regions).unwrap();
            let all: Vec<&str> = t.iter().map(|r| r.code.as_str()).collect();
            prop_assert_eq!(all.len(), t.len());
            for a in &all {
                let prefixes = t.scope_prefixes(a);
                for b in &all {
                    let by_prefix = prefixes.iter().any(|p| b.starts_with(p.as_str()));
                    prop_assert_eq!(t.contains(a, b), by_prefix, "a={} b={}", a, b);
                }
            }
        }
    }
}
