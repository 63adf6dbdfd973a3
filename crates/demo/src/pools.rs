//! Category pools: which 案件类别 a report is about, precomputed once from the catalog so that
//! drawing a category is a binary search, and the unit kind that usually handles it (责任清单).

use chengyun_domain::TimeLimit;
use chengyun_domain::case::Source;
use chengyun_domain::category::{Category, CategoryCatalog, CategoryKind};
use rand::RngExt;
use rand::rngs::StdRng;

use crate::mix::{SOURCE_TARGET, Weighted};

/// The classes the mix is stated in: the 事件 大类 of a typical town plus all 部件 together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// 市容环境 (事件)
    Environment,
    /// 街面秩序
    StreetOrder,
    /// 宣传广告
    Advertising,
    /// 施工管理
    Construction,
    /// 突发事件
    Emergency,
    /// 部件, every 大类
    Component,
    /// 地方扩展事件 (独居老人用水异常, 烟感报警 …) and other 事件 classes
    Other,
}

impl Group {
    pub const ALL: [Group; 7] = [
        Group::Environment,
        Group::StreetOrder,
        Group::Advertising,
        Group::Construction,
        Group::Emergency,
        Group::Component,
        Group::Other,
    ];

    #[cfg(test)]
    pub fn label(self) -> &'static str {
        match self {
            Group::Environment => "市容环境",
            Group::StreetOrder => "街面秩序",
            Group::Advertising => "宣传广告",
            Group::Construction => "施工管理",
            Group::Emergency => "突发事件",
            Group::Component => "部件",
            Group::Other => "其他",
        }
    }

    /// The class of a catalog row, by kind and 大类 name (GB/T 47678.5 names end in 类).
    pub fn of(c: &Category) -> Group {
        if c.kind == CategoryKind::Component {
            return Group::Component;
        }
        match c.major_name.trim_end_matches('类') {
            "市容环境" => Group::Environment,
            "街面秩序" => Group::StreetOrder,
            "宣传广告" => Group::Advertising,
            "施工管理" => Group::Construction,
            "突发事件" => Group::Emergency,
            _ => Group::Other,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Target class mix of all cases (a typical town: 市容环境 ≈ 65 %, 街面秩序 ≈ 24 %).
const GROUP_TARGET: [(Group, f64); 7] = [
    (Group::Environment, 0.650),
    (Group::StreetOrder, 0.240),
    (Group::Advertising, 0.025),
    (Group::Construction, 0.025),
    (Group::Emergency, 0.020),
    (Group::Component, 0.030),
    (Group::Other, 0.010),
];

/// Kind of unit that usually leads a category (主办).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// 环卫所
    Sanitation,
    /// 城管中队
    CityManagement,
    /// 市场监管所
    Market,
    /// 水务站
    Water,
    /// 房办
    Housing,
    /// 派出所
    Police,
    /// 应急/安监
    Emergency,
    /// 养护单位
    Maintenance,
    /// 物业
    Property,
    /// the 村委/居委 of the place
    Committee,
}

impl Route {
    /// Unit code suffix of a town department (`<town>-<suffix>`); committees and 物业 are per place.
    pub fn suffix(self) -> Option<&'static str> {
        Some(match self {
            Route::Sanitation => "hws",
            Route::CityManagement => "cgzd",
            Route::Market => "scjg",
            Route::Water => "swz",
            Route::Housing => "fb",
            Route::Police => "pcs",
            Route::Emergency => "yj",
            Route::Maintenance => "yh",
            Route::Property | Route::Committee => return None,
        })
    }

    /// Who usually assists (协办) when this kind of unit leads a 联勤联动.
    pub fn helpers(self) -> &'static [Route] {
        match self {
            Route::Sanitation => &[Route::CityManagement, Route::Committee],
            Route::CityManagement => &[Route::Market, Route::Police, Route::Committee],
            Route::Market => &[Route::CityManagement, Route::Police],
            Route::Water => &[Route::Maintenance, Route::Sanitation],
            Route::Housing => &[Route::CityManagement, Route::Committee],
            Route::Police => &[Route::CityManagement, Route::Emergency],
            Route::Emergency => &[Route::Police, Route::Water, Route::Housing],
            Route::Maintenance => &[Route::Water, Route::CityManagement],
            Route::Property => &[Route::Committee, Route::CityManagement],
            Route::Committee => &[Route::CityManagement, Route::Sanitation],
        }
    }
}

/// Code table a category belongs to: the long-standing one or its 2026 successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// GB/T 30428.2-2013 (`SJ-0102`) or a town's own codes
    Old,
    /// GB/T 47678.5-2026 (`06010`)
    New,
}

/// What the generator needs of a category, computed once.
#[derive(Debug, Clone)]
pub struct Cat {
    pub code: String,
    pub name: String,
    pub group: Group,
    pub limit: TimeLimit,
    /// The limit's length, of working time when `working`.
    pub limit_ms: i64,
    pub working: bool,
    pub route: Route,
    /// Small things a 物业 or a 居/村委 may be asked to settle in its own estate.
    pub local: bool,
}

/// Category draws for every channel, per code table.
pub struct Pools {
    pub cats: Vec<Cat>,
    /// Per [`Group`], per [`Scheme`].
    general: Vec<[Weighted<usize>; 2]>,
    /// Class weights for channels without a pool of their own, so that the whole mix hits
    /// [`GROUP_TARGET`] despite the camera and sensor pools' own leanings.
    general_groups: Weighted<Group>,
    video: [Weighted<usize>; 2],
    iot: Weighted<usize>,
}

impl Pools {
    /// # Panics
    /// If the catalog has no active category at all.
    pub fn new(catalog: &CategoryCatalog, working_day_ms: i64) -> Self {
        let cats: Vec<Cat> = catalog
            .iter_active()
            .map(|c| Cat {
                code: c.code.clone(),
                name: c.name.clone(),
                group: Group::of(c),
                limit: c.limit,
                limit_ms: c.limit.duration_ms(working_day_ms),
                working: c.limit.is_working_time(),
                route: route_of(c),
                local: local_of(c),
            })
            .collect();
        assert!(!cats.is_empty(), "演示数据生成需要至少一个启用的案件类别");
        let schemes: Vec<Scheme> = catalog.iter_active().map(|c| scheme_of(&c.code)).collect();
        let pool = |scheme: Scheme, weight: &dyn Fn(&Cat) -> f64| {
            Weighted::new(
                cats.iter()
                    .enumerate()
                    .filter(|(i, _)| schemes[*i] == scheme)
                    .map(|(i, c)| (i, weight(c))),
            )
        };
        let general: Vec<[Weighted<usize>; 2]> = Group::ALL
            .iter()
            .map(|g| {
                let w = |c: &Cat| if c.group == *g { popularity(c) } else { 0.0 };
                [pool(Scheme::Old, &w), pool(Scheme::New, &w)]
            })
            .collect();
        let video = [
            pool(Scheme::Old, &video_weight),
            pool(Scheme::New, &video_weight),
        ];
        let iot = Weighted::new(cats.iter().enumerate().map(|(i, c)| (i, iot_weight(c))));
        let share = |s: Source| {
            SOURCE_TARGET
                .iter()
                .find(|(x, _)| *x == s)
                .map_or(0.0, |(_, w)| *w)
        };
        let (video_share, iot_share) = (share(Source::Video), share(Source::Iot));
        let lean = |w: &Weighted<usize>, g: Group| {
            if w.is_empty() {
                0.0
            } else {
                w.iter()
                    .filter(|(i, _)| cats[**i].group == g)
                    .map(|(_, x)| x)
                    .sum::<f64>()
                    / w.total()
            }
        };
        let general_groups = Weighted::new(
            GROUP_TARGET
                .iter()
                .filter(|(g, _)| has_any(&general[g.index()]))
                .map(|&(g, target)| {
                    let special = video_share * lean(&video[0], g) + iot_share * lean(&iot, g);
                    (
                        g,
                        ((target - special) / (1.0 - video_share - iot_share)).max(0.0),
                    )
                }),
        );
        let general_groups = if general_groups.is_empty() {
            Weighted::new(
                Group::ALL
                    .iter()
                    .filter(|g| has_any(&general[g.index()]))
                    .map(|g| (*g, 1.0)),
            )
        } else {
            general_groups
        };
        Self {
            cats,
            general,
            general_groups,
            video,
            iot,
        }
    }

    /// A category for a report from `source`. `new_share` is how far the town has moved to the
    /// GB/T 47678.5 codes at the time of the report.
    pub fn pick(&self, rng: &mut StdRng, source: Source, new_share: f64) -> &Cat {
        let scheme = if rng.random_bool(new_share.clamp(0.0, 1.0)) {
            1
        } else {
            0
        };
        fn from(pools: &[Weighted<usize>; 2], scheme: usize) -> &Weighted<usize> {
            if pools[scheme].is_empty() {
                &pools[1 - scheme]
            } else {
                &pools[scheme]
            }
        }
        let chosen = match source {
            Source::Iot if !self.iot.is_empty() => &self.iot,
            Source::Video if has_any(&self.video) => from(&self.video, scheme),
            _ => from(&self.general[self.general_groups.pick(rng).index()], scheme),
        };
        &self.cats[*chosen.pick(rng)]
    }
}

fn has_any(pools: &[Weighted<usize>; 2]) -> bool {
    pools.iter().any(|p| !p.is_empty())
}

fn scheme_of(code: &str) -> Scheme {
    if code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()) {
        Scheme::New
    } else {
        Scheme::Old
    }
}

fn has(name: &str, words: &[&str]) -> bool {
    words.iter().any(|w| name.contains(w))
}

/// How often a category comes up relative to its class: garbage and shop-front trading
/// dominate every town's statistics, most rows of the tables are rare.
fn popularity(c: &Cat) -> f64 {
    let n = c.name.as_str();
    let hot: &[(&str, f64)] = match c.group {
        Group::Environment => &[
            ("暴露垃圾", 30.0),
            ("乱堆杂物", 10.0),
            ("道路不洁", 10.0),
            ("积存垃圾渣土", 8.0),
            ("满溢", 6.0),
            ("绿地脏乱", 6.0),
            ("废弃家具", 5.0),
            ("道路遗撒", 4.0),
            ("私搭乱建", 4.0),
            ("沿街晾挂", 4.0),
            ("垃圾未分类", 4.0),
            ("树挂", 3.0),
            ("吊挂", 3.0),
            ("水域不洁", 3.0),
            ("焚烧垃圾", 2.0),
            ("油烟污染", 2.0),
            ("道路破损", 2.0),
            ("噪声扰民", 2.0),
            ("非正规垃圾填埋场", 0.2),
        ],
        Group::StreetOrder => &[
            ("店外经营", 20.0),
            ("乱堆物堆料", 15.0),
            ("机动车乱停放", 15.0),
            ("非机动车乱停放", 12.0),
            ("无照经营游商", 12.0),
            ("占道经营", 12.0),
            ("沿街晾挂", 6.0),
            ("共享单车", 5.0),
            ("废品收购", 3.0),
            ("露天烧烤", 3.0),
            ("商业噪音", 2.0),
        ],
        Group::Advertising => &[
            ("非法小广告", 10.0),
            ("违规户外广告", 3.0),
            ("散发广告", 2.0),
        ],
        Group::Construction => &[
            ("工地扬尘", 4.0),
            ("施工扰民", 4.0),
            ("施工废弃料", 3.0),
            ("施工占道", 3.0),
        ],
        Group::Emergency => &[
            ("道路积水", 6.0),
            ("下水道", 6.0),
            ("自来水管", 3.0),
            ("架空线缆", 2.0),
            ("燃气", 0.3),
            ("群发性", 0.3),
            ("积雪", 0.3),
        ],
        Group::Component => &[
            ("路灯", 6.0),
            ("雨水箅子", 4.0),
            ("井盖", 2.0),
            ("行道树", 4.0),
            ("垃圾", 3.0),
            ("公厕", 2.0),
        ],
        Group::Other => &[("占道经营", 3.0), ("垃圾箱", 3.0), ("渣土", 2.0)],
    };
    hot.iter()
        .find(|(w, _)| n.contains(w))
        .map_or(1.0, |(_, x)| *x)
}

/// Camera AI recognises street-order scenes and heaps of rubbish.
fn video_weight(c: &Cat) -> f64 {
    let hits: &[(&str, f64)] = &[
        ("店外经营", 20.0),
        ("占道经营", 15.0),
        ("机动车乱停放", 15.0),
        ("无照经营游商", 10.0),
        ("乱堆物堆料", 10.0),
        ("乱堆杂物", 10.0),
        ("暴露垃圾", 10.0),
        ("沿街晾挂", 8.0),
        ("非机动车乱停放", 8.0),
        ("满溢", 4.0),
    ];
    if !matches!(c.group, Group::Environment | Group::StreetOrder) {
        return 0.0;
    }
    hits.iter()
        .find(|(w, _)| c.name.contains(w))
        .map_or(0.0, |(_, x)| *x)
}

/// Sensors raise what they measure: water meters of 独居老人, smoke, water levels, 井盖 tilt,
/// bin fill levels.
fn iot_weight(c: &Cat) -> f64 {
    let n = c.name.as_str();
    if n.contains("独居老人") {
        35.0
    } else if n.contains("烟感") {
        10.0
    } else if n.contains("道路积水") {
        25.0
    } else if c.group == Group::Component && n.contains("井盖") && !n.contains("无主") {
        1.5
    } else if n.contains("满溢") {
        5.0
    } else {
        0.0
    }
}

/// The 责任清单 in brief: which kind of unit leads a category.
pub(crate) fn route_of(c: &Category) -> Route {
    let n = c.name.as_str();
    let major = c.major_name.as_str();
    if c.kind == CategoryKind::Component {
        return if major.contains("公用设施") {
            if has(
                n,
                &[
                    "上水",
                    "污水",
                    "雨水",
                    "中水",
                    "箅子",
                    "民用水井",
                    "供水",
                    "排水",
                    "消火栓",
                ],
            ) {
                Route::Water
            } else if has(n, &["消防"]) {
                Route::Emergency
            } else if has(n, &["报刊亭", "电话亭", "信息亭", "售货", "自动售货机"])
            {
                Route::CityManagement
            } else {
                Route::Maintenance
            }
        } else if major.contains("市容") {
            Route::Sanitation
        } else if major.contains("房屋") {
            Route::Housing
        } else {
            Route::Maintenance
        };
    }
    match Group::of(c) {
        Group::Environment => {
            if has(n, &["饲养家禽"]) {
                Route::Committee
            } else if has(n, &["水域", "河", "堤", "污水", "废水", "沙（河）滩"]) {
                Route::Water
            } else if has(n, &["焚烧", "占绿毁绿", "伐树"]) {
                Route::CityManagement
            } else if has(
                n,
                &[
                    "垃圾",
                    "不洁",
                    "遗撒",
                    "满溢",
                    "动物尸体",
                    "脏乱",
                    "树挂",
                    "吊挂",
                    "废弃家具",
                    "杂物",
                    "弃料",
                ],
            ) {
                Route::Sanitation
            } else if has(
                n,
                &[
                    "道路破损",
                    "台阶",
                    "路缘石",
                    "盲道",
                    "坡道",
                    "标线",
                    "边坡",
                    "病虫害",
                ],
            ) {
                Route::Maintenance
            } else {
                Route::CityManagement
            }
        }
        Group::StreetOrder => {
            if has(n, &["无证餐饮", "农贸市场", "非法出版物", "早（夜）市"]) {
                Route::Market
            } else if has(n, &["流浪乞讨", "黑车", "履带车", "畜力车", "消防通道"])
            {
                Route::Police
            } else {
                Route::CityManagement
            }
        }
        Group::Emergency => {
            if has(n, &["积水", "下水道", "自来水"]) {
                Route::Water
            } else if has(n, &["群发性"]) {
                Route::Police
            } else if has(n, &["路面塌陷", "架空线缆", "积雪"]) {
                Route::Maintenance
            } else {
                Route::Emergency
            }
        }
        Group::Other => {
            if has(n, &["独居老人"]) {
                Route::Committee
            } else if has(n, &["烟感", "积雪", "线缆"]) {
                Route::Emergency
            } else if has(n, &["垃圾"]) {
                Route::Sanitation
            } else {
                Route::CityManagement
            }
        }
        Group::Advertising | Group::Construction | Group::Component => Route::CityManagement,
    }
}

fn local_of(c: &Category) -> bool {
    c.kind == CategoryKind::Event
        && has(
            &c.name,
            &[
                "暴露垃圾",
                "乱堆",
                "绿地脏乱",
                "垃圾未分类",
                "废弃家具",
                "沿街晾挂",
                "非机动车乱停放",
                "私设地锁",
                "饲养家禽",
                "满溢",
            ],
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_follow_the_responsibility_list() {
        let catalog = CategoryCatalog::bundled().unwrap();
        let route = |code: &str| route_of(catalog.get(code).unwrap());
        assert_eq!(route("SJ-0102"), Route::Sanitation); // 暴露垃圾
        assert_eq!(route("06010"), Route::Sanitation);
        assert_eq!(route("SJ-0115"), Route::CityManagement); // 焚烧垃圾、树叶
        assert_eq!(route("SJ-0106"), Route::Sanitation); // 绿地脏乱
        assert_eq!(route("06021"), Route::Maintenance); // 病虫害
        assert_eq!(route("SJ-0504"), Route::CityManagement); // 店外经营
        assert_eq!(route("BJ-0103"), Route::Water); // 雨水井盖
        assert_eq!(route("SJ-0409"), Route::Police); // 群发性事件
        assert_eq!(route("SJ-2105"), Route::Committee); // 独居老人用水异常
        assert_eq!(route("09015"), Route::Market); // 无证餐饮
    }

    #[test]
    fn every_group_has_categories_in_the_bundled_tables() {
        let catalog = CategoryCatalog::bundled().unwrap();
        let pools = Pools::new(&catalog, 8 * 3_600_000);
        for g in Group::ALL {
            assert!(has_any(&pools.general[g.index()]), "{g:?}");
        }
        assert!(!pools.iot.is_empty() && has_any(&pools.video));
    }
}
