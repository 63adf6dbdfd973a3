//! The bundled demo data (`data/demo/towns.json`): the seed towns 航头镇, 虹桥镇 and 新海镇 with their
//! real 村/居 codes, illustrative 片区, typical 处置单位 and one demo user per role. Their 单元网格
//! are not listed here: `chengyun_places::demo_geo` generates them with approximate geometry.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::org::{Role, Unit, valid_unit_code};
use crate::region::{Region, RegionTree};

const BUNDLED: &str = include_str!("../../../data/demo/towns.json");

/// A demo account. All demo users share [`DemoTowns::demo_password`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoUser {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// Code of the unit the user handles tasks for (处置人员).
    #[serde(default)]
    pub unit: Option<String>,
    /// Code of the region subtree the user is limited to; none with no unit = the whole instance.
    #[serde(default)]
    pub region: Option<String>,
}

/// The demo instance: regions, units and users, checked for consistency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoTowns {
    pub notes: String,
    /// The one password of every demo user (local demos only).
    pub demo_password: String,
    pub regions: Vec<Region>,
    pub units: Vec<Unit>,
    pub users: Vec<DemoUser>,
}

impl DemoTowns {
    /// The data bundled with the binary.
    pub fn bundled() -> Self {
        Self::from_json(BUNDLED).expect("bundled data/demo/towns.json is valid")
    }

    /// Parses and checks demo data: a valid region tree, unique valid unit codes attached to
    /// existing regions, unique usernames whose unit and region exist.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let d: DemoTowns =
            serde_json::from_str(json).map_err(|e| format!("演示数据解析失败：{e}"))?;
        if d.demo_password.is_empty() {
            return Err("演示数据缺少演示密码（demo_password）".into());
        }
        let tree = RegionTree::from_regions(d.regions.clone())
            .map_err(|e| format!("演示数据区划（regions）有误：{e}"))?;

        let mut unit_codes = BTreeSet::new();
        for u in &d.units {
            if !valid_unit_code(&u.code) {
                return Err(format!("单位代码（code）“{}”格式不合法", u.code));
            }
            if !unit_codes.insert(u.code.as_str()) {
                return Err(format!("单位代码（code）“{}”重复", u.code));
            }
            if u.name.trim().is_empty() {
                return Err(format!("单位“{}”的名称（name）为空", u.code));
            }
            if tree.get(&u.region_code).is_none() {
                return Err(format!(
                    "单位“{}”的所属区划（region_code）“{}”不存在",
                    u.code, u.region_code
                ));
            }
        }

        let mut usernames = BTreeSet::new();
        for u in &d.users {
            if u.username.trim().is_empty() {
                return Err("演示用户的用户名（username）为空".into());
            }
            if !usernames.insert(u.username.as_str()) {
                return Err(format!("演示用户名（username）“{}”重复", u.username));
            }
            if u.roles.is_empty() {
                return Err(format!("演示用户“{}”没有角色（roles）", u.username));
            }
            if let Some(unit) = &u.unit
                && !unit_codes.contains(unit.as_str())
            {
                return Err(format!(
                    "演示用户“{}”的单位（unit）“{unit}”不存在",
                    u.username
                ));
            }
            if let Some(region) = &u.region
                && tree.get(region).is_none()
            {
                return Err(format!(
                    "演示用户“{}”的区划（region）“{region}”不存在",
                    u.username
                ));
            }
        }
        Ok(d)
    }

    /// The validated region hierarchy.
    ///
    /// # Panics
    /// If `regions` was altered after [`DemoTowns::from_json`] into an invalid hierarchy.
    pub fn region_tree(&self) -> RegionTree {
        RegionTree::from_regions(self.regions.clone()).expect("demo regions form a valid tree")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::UnitKind;
    use crate::region::RegionLevel;

    const HANGTOU: &str = "310115137";
    const HONGQIAO: &str = "310112107";
    const XINHAI: &str = "310151114";

    fn villages<'a>(t: &'a RegionTree, town: &'a str) -> Vec<&'a Region> {
        t.iter()
            .filter(|r| r.level == RegionLevel::Village && t.contains(town, &r.code))
            .collect()
    }

    #[test]
    fn bundled_parses_into_a_tree() {
        let d = DemoTowns::bundled();
        assert_eq!(d.demo_password, "chengyun-demo");
        assert!(d.notes.contains("illustrative"));
        let t = d.region_tree();
        assert_eq!(t.len(), d.regions.len());
        assert_eq!(t.get(HANGTOU).unwrap().name, "航头镇");
        assert_eq!(t.get(HONGQIAO).unwrap().name, "虹桥镇");
        assert_eq!(t.get(XINHAI).unwrap().name, "新海镇");
        assert_eq!(t.town_of("310115137201").unwrap().code, HANGTOU);
    }

    #[test]
    fn village_counts() {
        let t = DemoTowns::bundled().region_tree();
        let ht = villages(&t, HANGTOU);
        assert_eq!(ht.len(), 47);
        assert_eq!(ht.iter().filter(|v| v.name.ends_with('村')).count(), 13);
        assert_eq!(villages(&t, HONGQIAO).len(), 39);
        assert_eq!(villages(&t, XINHAI).len(), 5);
        // every 航头镇 village sits in a 片区; grids are generated, not listed
        for v in ht {
            let parent = t.get(v.parent.as_deref().unwrap()).unwrap();
            assert_eq!(parent.level, RegionLevel::Area, "{}", v.code);
        }
        assert!(t.iter().all(|r| r.level != RegionLevel::Grid));
    }

    #[test]
    fn units_are_valid_and_attached() {
        let d = DemoTowns::bundled();
        let t = d.region_tree();
        let mut codes = BTreeSet::new();
        for u in &d.units {
            assert!(valid_unit_code(&u.code), "{}", u.code);
            assert!(codes.insert(u.code.as_str()), "duplicate {}", u.code);
            assert!(t.get(&u.region_code).is_some(), "{}", u.code);
            assert!(u.active);
        }
        // every 村/居 is a unit of its own
        for v in t.iter().filter(|r| r.level == RegionLevel::Village) {
            let u = d.units.iter().find(|u| u.region_code == v.code).unwrap();
            let expected = if v.name.ends_with('村') {
                UnitKind::VillageCommittee
            } else {
                UnitKind::ResidentsCommittee
            };
            assert_eq!(u.kind, expected, "{}", v.code);
        }
        for town in [HANGTOU, HONGQIAO, XINHAI] {
            for abbr in [
                "cgzd", "scjg", "hws", "swz", "fb", "pcs", "yj", "center", "wy1", "wy2", "yh",
            ] {
                let code = format!("{town}-{abbr}");
                let u = d.units.iter().find(|u| u.code == code).unwrap();
                assert_eq!(u.region_code, town);
            }
        }
        let centre = d
            .units
            .iter()
            .find(|u| u.code == "310115137-center")
            .unwrap();
        assert_eq!(centre.kind, UnitKind::Centre);
    }

    #[test]
    fn users_reference_existing_units_and_regions() {
        let d = DemoTowns::bundled();
        let t = d.region_tree();
        for u in &d.users {
            if let Some(unit) = &u.unit {
                assert!(d.units.iter().any(|x| &x.code == unit), "{}", u.username);
            }
            if let Some(region) = &u.region {
                assert!(t.get(region).is_some(), "{}", u.username);
            }
        }
        for role in Role::ALL.into_iter().filter(|r| r.is_staff()) {
            assert!(d.users.iter().any(|u| u.roles.contains(&role)), "{role}");
        }
        let village = d.users.iter().find(|u| u.username == "village").unwrap();
        let unit = d
            .units
            .iter()
            .find(|x| Some(&x.code) == village.unit.as_ref())
            .unwrap();
        assert_eq!(unit.kind, UnitKind::ResidentsCommittee);
        assert_eq!(village.region.as_deref(), Some(unit.region_code.as_str()));
        let hq = d
            .users
            .iter()
            .find(|u| u.username == "hq-operator")
            .unwrap();
        assert_eq!(hq.region.as_deref(), Some(HONGQIAO));
    }

    #[test]
    fn refuses_inconsistent_data() {
        let mut v: serde_json::Value = serde_json::from_str(BUNDLED).unwrap();
        v["users"][0]["unit"] = "nowhere-unit".into();
        let err = DemoTowns::from_json(&v.to_string()).unwrap_err();
        assert!(err.contains("nowhere-unit"), "{err}");

        let mut v: serde_json::Value = serde_json::from_str(BUNDLED).unwrap();
        let first = v["units"][0].clone();
        v["units"].as_array_mut().unwrap().push(first);
        assert!(
            DemoTowns::from_json(&v.to_string())
                .unwrap_err()
                .contains("重复")
        );

        let mut v: serde_json::Value = serde_json::from_str(BUNDLED).unwrap();
        v["units"][0]["region_code"] = "310115999".into();
        assert!(DemoTowns::from_json(&v.to_string()).is_err());

        let mut v: serde_json::Value = serde_json::from_str(BUNDLED).unwrap();
        v["regions"][1]["parent"] = serde_json::Value::Null;
        assert!(
            DemoTowns::from_json(&v.to_string())
                .unwrap_err()
                .contains("parent")
        );

        assert!(DemoTowns::from_json("{").is_err());
    }
}
