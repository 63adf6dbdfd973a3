//! Where cases happen and who handles them there: towns, their 村/居 and grids, points,
//! addresses, the units of each town with a handler actor each, and the people who call in.
//!
//! Grids and points come from the approximate demo geometry of [`chengyun_places::demo_geo`]:
//! every located case lies inside a real 单元网格 of its 村/居.

use std::collections::HashMap;

use chengyun_domain::case::{CoordSys, Location, Source};
use chengyun_domain::demo::DemoTowns;
use chengyun_domain::org::{Actor, Role, Scope, UnitKind};
use chengyun_domain::region::RegionLevel;
use chengyun_places::coord::{LonLat, from_wgs84};
use chengyun_places::demo_geo::demo_shapes;
use geo::{BoundingRect, Contains, InteriorPoint, MultiPolygon, Point, Rect};
use rand::RngExt;
use rand::rngs::StdRng;

use crate::mix::Weighted;
use crate::pools::{Cat, Route};

/// A unit cases can be dispatched to, with the actor that works its tasks.
pub struct UnitRef {
    pub code: String,
    pub name: String,
    /// `user_id` 0, username = unit code, display name `<unit name>处置人员`, role 处置人员,
    /// scoped to the unit: the generated history does not depend on real handler accounts.
    pub handler: Actor,
}

pub struct Village {
    pub code: String,
    /// A 村 (rural) rather than a 居民区.
    pub rural: bool,
    /// The 小区 or 村 name used in addresses.
    pub estate: String,
    pub grids: Vec<Grid>,
    pub committee: Option<usize>,
    pub property: Option<usize>,
}

/// A generated 单元网格 and what drawing a point in it needs.
pub struct Grid {
    pub code: String,
    /// WGS-84 bounding box.
    bounds: Rect<f64>,
    /// The outline, unless it is just the bounding box (most grids are one lattice cell).
    shape: Option<MultiPolygon<f64>>,
}

impl Grid {
    fn new(code: String, shape: MultiPolygon<f64>) -> Option<Self> {
        let bounds = shape.bounding_rect()?;
        let is_box = matches!(shape.0.as_slice(), [p] if p.interiors().is_empty() && p.exterior().0.len() == 5);
        let shape = (!is_box).then_some(shape);
        Some(Grid {
            code,
            bounds,
            shape,
        })
    }

    /// A uniformly random WGS-84 point inside the grid, at least [`EDGE_MARGIN_DEG`] from its
    /// outline, so that rounding and coordinate round trips keep it in the grid.
    pub fn random_point(&self, rng: &mut StdRng) -> LonLat {
        const TRIES: usize = 32;
        let m = EDGE_MARGIN_DEG;
        let (min, w, h) = (self.bounds.min(), self.bounds.width(), self.bounds.height());
        for _ in 0..TRIES {
            let lon = min.x + m + rng.random::<f64>() * (w - 2.0 * m);
            let lat = min.y + m + rng.random::<f64>() * (h - 2.0 * m);
            let Some(shape) = &self.shape else {
                return LonLat::new(lon, lat);
            };
            // Grids are unions of lattice cells far larger than the margin: if the corners of the
            // margin box are inside, the whole box is.
            if [(-m, -m), (m, -m), (m, m), (-m, m)]
                .iter()
                .all(|(dx, dy)| shape.contains(&Point::new(lon + dx, lat + dy)))
            {
                return LonLat::new(lon, lat);
            }
        }
        // Thin, ragged grids only: settle for a point known to be inside.
        let p = self
            .shape
            .as_ref()
            .and_then(|s| s.interior_point())
            .expect("a grid has an area");
        LonLat::new(p.x(), p.y())
    }

    /// Whether the grid covers the WGS-84 point `p` (its outline included).
    #[cfg(test)]
    fn covers(&self, p: LonLat) -> bool {
        use geo::Intersects;
        let point = Point::new(p.lon, p.lat);
        match &self.shape {
            Some(shape) => shape.intersects(&point),
            None => self.bounds.intersects(&point),
        }
    }
}

/// ≈ 1 m: more than the 0.1 m of rounding to 6 decimals and the millimetres of a GCJ-02 round trip.
const EDGE_MARGIN_DEG: f64 = 1e-5;

pub struct Town {
    pub name: String,
    roads: &'static [&'static str],
    pub villages: Vec<Village>,
    /// Town departments by [`Route::suffix`].
    departments: Vec<(&'static str, usize)>,
    /// Any unit of the town, for a department the town lacks.
    fallback: usize,
}

impl Town {
    fn department(&self, suffix: &str) -> Option<usize> {
        self.departments
            .iter()
            .find(|(s, _)| *s == suffix)
            .map(|(_, u)| *u)
    }

    /// The unit of `route` responsible at `village`.
    pub fn unit_for(&self, route: Route, village: &Village) -> usize {
        let found = match route {
            Route::Committee => village.committee,
            Route::Property => village.property,
            other => other.suffix().and_then(|s| self.department(s)),
        };
        found
            .or_else(|| self.department("cgzd"))
            .unwrap_or(self.fallback)
    }
}

pub struct Places {
    pub units: Vec<UnitRef>,
    pub towns: Vec<Town>,
    town_pick: Weighted<usize>,
}

/// The seed towns: share of cases and a few main roads.
const KNOWN: [(&str, f64, &[&str]); 3] = [
    (
        "310115137",
        0.60,
        &[
            "鹤沙路",
            "航头路",
            "沪南公路",
            "航都路",
            "航亭环路",
            "鹤驰路",
            "下沙路",
            "瑞浦路",
            "航鹤路",
            "昱星路",
        ],
    ),
    (
        "310112107",
        0.30,
        &[
            "虹梅路",
            "吴中路",
            "虹井路",
            "红松东路",
            "古北路",
            "宋园路",
            "虹许路",
            "姚虹路",
            "伊犁南路",
            "虹泉路",
        ],
    ),
    (
        "310151114",
        0.10,
        &[
            "北沿公路",
            "新海公路",
            "新跃路",
            "海星路",
            "跃进路",
            "红星路",
        ],
    ),
];
const OTHER_ROADS: &[&str] = &["人民路", "建设路", "中心路", "文化路", "工业路", "新华路"];

/// A stable pseudo-random number for a code, so places keep their position for every seed.
fn hash(code: &str) -> u64 {
    code.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Places {
    /// Towns with at least one 村/居 that has a grid and one unit; others cannot host a case.
    ///
    /// # Panics
    /// If no town qualifies.
    pub fn new(demo: &DemoTowns) -> Self {
        let tree = demo.region_tree();
        let mut grids: HashMap<String, Vec<Grid>> = HashMap::new();
        for shape in demo_shapes(demo)
            .into_iter()
            .filter(|s| s.level == RegionLevel::Grid)
        {
            if let (Some(village), Some(grid)) = (shape.parent, Grid::new(shape.code, shape.shape))
            {
                grids.entry(village).or_default().push(grid);
            }
        }
        let mut units = Vec::new();
        let mut unit_index: HashMap<&str, usize> = HashMap::new();
        for u in demo
            .units
            .iter()
            .filter(|u| u.active && u.kind != UnitKind::Centre)
        {
            unit_index.insert(&u.code, units.len());
            units.push(UnitRef {
                code: u.code.clone(),
                name: u.name.clone(),
                handler: Actor {
                    user_id: 0,
                    username: u.code.clone(),
                    display_name: format!("{}处置人员", u.name),
                    roles: vec![Role::Handler],
                    scope: Scope {
                        unit: Some(u.code.clone()),
                        region: None,
                    },
                },
            });
        }
        let mut towns = Vec::new();
        let mut weights = Vec::new();
        for t in tree.iter().filter(|r| r.level == RegionLevel::Town) {
            let known = KNOWN.iter().find(|k| k.0 == t.code);
            let (share, roads) = known.map_or((0.05, OTHER_ROADS), |k| (k.1, k.2));
            let town_units: Vec<usize> = demo
                .units
                .iter()
                .filter(|u| tree.contains(&t.code, &u.region_code))
                .filter_map(|u| unit_index.get(u.code.as_str()).copied())
                .collect();
            let departments: Vec<(&'static str, usize)> =
                ["hws", "cgzd", "scjg", "swz", "fb", "pcs", "yj", "yh"]
                    .into_iter()
                    .filter_map(|s| {
                        unit_index
                            .get(format!("{}-{s}", t.code).as_str())
                            .map(|u| (s, *u))
                    })
                    .collect();
            let properties: Vec<usize> = demo
                .units
                .iter()
                .filter(|u| {
                    u.kind == UnitKind::PropertyManager && tree.contains(&t.code, &u.region_code)
                })
                .filter_map(|u| unit_index.get(u.code.as_str()).copied())
                .collect();
            let villages: Vec<Village> = tree
                .iter()
                .filter(|r| r.level == RegionLevel::Village && tree.contains(&t.code, &r.code))
                .filter_map(|v| Some((v, grids.remove(&v.code)?)))
                .map(|(v, grids)| {
                    let committee = demo
                        .units
                        .iter()
                        .find(|u| {
                            u.region_code == v.code
                                && matches!(
                                    u.kind,
                                    UnitKind::VillageCommittee | UnitKind::ResidentsCommittee
                                )
                        })
                        .and_then(|u| unit_index.get(u.code.as_str()).copied());
                    let property = (!properties.is_empty())
                        .then(|| properties[(hash(&v.code) % properties.len() as u64) as usize]);
                    let rural = v.name.ends_with('村');
                    Village {
                        code: v.code.clone(),
                        rural,
                        estate: estate_name(&v.name, rural),
                        grids,
                        committee,
                        property,
                    }
                })
                .collect();
            let Some(&fallback) = town_units.first() else {
                continue;
            };
            if villages.is_empty() {
                continue;
            }
            weights.push((towns.len(), share));
            towns.push(Town {
                name: t.name.clone(),
                roads,
                villages,
                departments,
                fallback,
            });
        }
        assert!(
            !towns.is_empty(),
            "演示数据中没有可生成案件的街镇（须有村/居和处置单位）"
        );
        Self {
            units,
            towns,
            town_pick: Weighted::new(weights),
        }
    }

    pub fn pick(&self, rng: &mut StdRng) -> (&Town, &Village) {
        let town = &self.towns[*self.town_pick.pick(rng)];
        let village = &town.villages[rng.random_range(0..town.villages.len())];
        (town, village)
    }
}

/// `金沁苑第一居民区` → `金沁苑`, `航头居民区` → `航头小区`, `海桥村` stays.
fn estate_name(name: &str, rural: bool) -> String {
    if rural {
        return name.to_string();
    }
    let base = name
        .trim_end_matches("居民区")
        .trim_end_matches("第一")
        .trim_end_matches("第二")
        .trim_end_matches("第三");
    let base = if base.is_empty() { name } else { base };
    let named = [
        '苑', '园', '城', '里', '寓', '厦', '庭', '邸', '府', '湾', '年', '坊', '墅',
    ];
    if base.ends_with(named) || base.ends_with("新村") {
        base.to_string()
    } else {
        format!("{base}小区")
    }
}

/// Where exactly: the region code, an address, the address without the town and a point.
pub struct Spot {
    pub region_code: String,
    pub address: String,
    /// The address without the town's name, as used inside descriptions.
    pub short: String,
    /// Inside a 小区 or 村 rather than on a public road.
    pub estate: bool,
    pub location: Option<Location>,
}

pub fn spot(rng: &mut StdRng, town: &Town, village: &Village, cat: &Cat, source: Source) -> Spot {
    let grid = &village.grids[rng.random_range(0..village.grids.len())];
    let residential = cat.name.contains("独居老人") || cat.name.contains("烟感");
    let estate = residential || (cat.local && rng.random_bool(0.5)) || rng.random_bool(0.15);
    let short = if estate {
        if village.rural {
            format!(
                "{}{}组{}号附近",
                village.estate,
                rng.random_range(1..=12),
                rng.random_range(1..=120)
            )
        } else {
            let building = rng.random_range(1..=48);
            if residential {
                format!(
                    "{}{}号楼{}室",
                    village.estate,
                    building,
                    rng.random_range(1..=6) * 100 + rng.random_range(1..=4)
                )
            } else {
                format!("{}{}号楼旁", village.estate, building)
            }
        }
    } else {
        let road = town.roads[rng.random_range(0..town.roads.len())];
        if rng.random_bool(0.2) && town.roads.len() > 1 {
            let other = loop {
                let r = town.roads[rng.random_range(0..town.roads.len())];
                if r != road {
                    break r;
                }
            };
            format!("{road}{other}路口")
        } else {
            let n: u32 = if rng.random_bool(0.7) {
                rng.random_range(1..=400)
            } else {
                rng.random_range(400..=2000)
            };
            format!("{road}{n}号附近")
        }
    };
    // Inspectors' devices, sensors and cameras report GPS; residents and 12345 pick on 高德/WeChat
    // maps (GCJ-02).
    let coord_sys = match source {
        Source::Patrol | Source::Iot | Source::Video | Source::Inspection => CoordSys::Wgs84,
        _ => CoordSys::Gcj02,
    };
    // 12345 work orders often carry only the caller's address, placing the case in the 村/居 only.
    let located = source != Source::Hotline || rng.random_bool(0.6);
    let location = located.then(|| {
        let p = from_wgs84(grid.random_point(rng), coord_sys);
        Location {
            lon: round6(p.lon),
            lat: round6(p.lat),
            coord_sys,
        }
    });
    let region_code = if located {
        grid.code.clone()
    } else {
        village.code.clone()
    };
    Spot {
        region_code,
        address: format!("{}{}", town.name, short),
        short,
        estate,
        location,
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "沈", "顾",
    "陆", "钱", "姚", "蒋", "蔡", "潘", "范", "金", "汤", "邵", "俞", "倪", "施", "龚", "瞿", "秦",
    "戴", "严",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀英", "建华", "建国", "玉兰", "桂英", "秀兰", "志强", "海燕", "晓东", "国强", "美华", "文杰",
    "佳怡", "子涵", "浩然", "雪梅", "卫东", "春花", "金龙", "凤英", "立新", "慧", "婷", "欣怡",
    "宇轩", "俊杰", "丽娟", "红梅", "永明", "德华",
];

/// A caller: `王秀英` or, as 12345 agents often record them, `王先生`.
pub fn person(rng: &mut StdRng) -> String {
    let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
    if rng.random_bool(0.25) {
        format!(
            "{surname}{}",
            if rng.random_bool(0.5) {
                "先生"
            } else {
                "女士"
            }
        )
    } else {
        format!("{surname}{}", GIVEN[rng.random_range(0..GIVEN.len())])
    }
}

/// An 11-digit mainland mobile number.
pub fn mobile(rng: &mut StdRng) -> String {
    const SECOND: [char; 5] = ['3', '5', '7', '8', '9'];
    let mut s = String::with_capacity(11);
    s.push('1');
    s.push(SECOND[rng.random_range(0..SECOND.len())]);
    for _ in 0..9 {
        s.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn estates_read_like_places() {
        assert_eq!(estate_name("金沁苑第一居民区", false), "金沁苑");
        assert_eq!(estate_name("航头居民区", false), "航头小区");
        assert_eq!(estate_name("上虹新村居民区", false), "上虹新村");
        assert_eq!(estate_name("海桥村", true), "海桥村");
    }

    #[test]
    fn the_seed_towns_have_their_units() {
        let places = Places::new(&DemoTowns::bundled());
        assert_eq!(places.towns.len(), 3);
        let ht = places.towns.iter().find(|t| t.name == "航头镇").unwrap();
        assert_eq!(ht.villages.len(), 47);
        let v = &ht.villages[0];
        assert_eq!(
            places.units[ht.unit_for(Route::Sanitation, v)].code,
            "310115137-hws"
        );
        assert_eq!(
            places.units[ht.unit_for(Route::Committee, v)].code,
            format!("{}-jwh", v.code)
        );
        assert!(
            places.units[ht.unit_for(Route::Property, v)]
                .code
                .starts_with("310115137-wy")
        );
        let h = &places.units[ht.unit_for(Route::CityManagement, v)].handler;
        assert_eq!(
            (h.username.as_str(), h.display_name.as_str()),
            ("310115137-cgzd", "航头镇城管中队处置人员")
        );
        let mut rng = StdRng::seed_from_u64(3);
        assert!(mobile(&mut rng).len() == 11 && person(&mut rng).chars().count() >= 2);
    }

    #[test]
    fn points_lie_in_their_grid_in_either_system() {
        use chengyun_places::coord::to_wgs84;
        let places = Places::new(&DemoTowns::bundled());
        let mut rng = StdRng::seed_from_u64(5);
        let mut grids = 0;
        for town in &places.towns {
            for village in &town.villages {
                assert!(!village.grids.is_empty());
                assert!(
                    village
                        .grids
                        .iter()
                        .all(|g| g.code.starts_with(&village.code) && g.code.len() == 15)
                );
                for grid in village.grids.iter().step_by(7) {
                    grids += 1;
                    for sys in [CoordSys::Wgs84, CoordSys::Gcj02] {
                        let p = from_wgs84(grid.random_point(&mut rng), sys);
                        let back = to_wgs84(LonLat::new(round6(p.lon), round6(p.lat)), sys);
                        assert!(grid.covers(back), "{} {sys:?} {back:?}", grid.code);
                    }
                }
            }
        }
        assert!(grids > 1000);
    }
}
