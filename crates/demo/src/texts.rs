//! The words of a case: descriptions per channel, feedback per unit kind, the reasons given for
//! 退单, 延期, 挂账, 返工 and the notes of 回访, written the way 城运中心 staff write them.

use chengyun_domain::case::Source;
use rand::RngExt;
use rand::rngs::StdRng;

use crate::places::Spot;
use crate::pools::{Cat, Group, Route};

pub fn one<'t>(rng: &mut StdRng, options: &[&'t str]) -> &'t str {
    options[rng.random_range(0..options.len())]
}

fn tail(rng: &mut StdRng, group: Group) -> &'static str {
    one(
        rng,
        match group {
            Group::Environment => &[
                "影响市容",
                "影响环境卫生",
                "影响市容环境",
                "周边居民反映强烈",
            ],
            Group::StreetOrder => &["影响通行", "影响市容秩序", "占用人行道，影响行人通行"],
            Group::Advertising => &["影响市容", "影响市容市貌"],
            Group::Construction => &["影响周边居民生活", "存在安全隐患"],
            Group::Emergency => &["存在安全隐患，需尽快处置", "影响车辆及行人通行"],
            Group::Component => &["存在安全隐患", "影响正常使用"],
            Group::Other => &["请尽快处置"],
        },
    )
}

/// `鹤沙路188号附近暴露垃圾，影响市容`, framed by the channel it came in by.
pub fn description(rng: &mut StdRng, cat: &Cat, spot: &Spot, source: Source) -> String {
    let (place, name) = (spot.short.as_str(), cat.name.as_str());
    let problem = if cat.group == Group::Component {
        format!(
            "{place}{name}{}",
            one(rng, &["破损", "缺失", "损坏", "松动"])
        )
    } else {
        format!("{place}{name}")
    };
    let tail = tail(rng, cat.group);
    match source {
        Source::Patrol => format!("{problem}，{tail}"),
        Source::Hotline => format!("市民来电反映：{problem}，{tail}，要求尽快处理。"),
        Source::Public => format!("市民通过随申办小程序上报：{problem}，{tail}。"),
        Source::Video => format!(
            "视频智能发现：{problem}（监控点位SP-{:04}）",
            rng.random_range(1..=3000)
        ),
        Source::Iot => {
            let device = format!("IOT{:08}", rng.random_range(0..100_000_000u32));
            let what = if name.contains("独居老人") {
                "独居老人家中智能水表12小时用水量低于0.01立方米".to_string()
            } else if name.contains("烟感") {
                "烟感探测器报警".to_string()
            } else if name.contains("积水") {
                "积水监测点水位超过警戒值".to_string()
            } else if name.contains("井盖") {
                format!("{name}倾斜位移")
            } else if name.contains("满溢") {
                "垃圾箱满溢度超过90%".to_string()
            } else {
                name.to_string()
            };
            format!("物联感知告警：{place}{what}（设备{device}）")
        }
        Source::Leader => format!("领导交办：{problem}，{tail}，请尽快处置并反馈。"),
        Source::Inspection => format!("督查检查发现：{problem}，{tail}，请限期整改。"),
    }
}

pub fn feedback(rng: &mut StdRng, route: Route, cat: &Cat, lead: bool) -> String {
    if !lead {
        return one(
            rng,
            &[
                "协办：已配合主办单位完成处置",
                "协办：已派员到场配合处置，现场已整改",
            ],
        )
        .to_string();
    }
    if cat.name.contains("独居老人") {
        return "已上门探视，老人身体状况良好，系外出探亲未用水".to_string();
    }
    if cat.name.contains("烟感") {
        return "已到场排查，系居民做饭油烟引起，无火情".to_string();
    }
    one(
        rng,
        match route {
            Route::Sanitation => &[
                "已安排保洁人员清理完毕，现场已恢复整洁",
                "已清运完毕并对周边进行保洁",
                "已清理，并加强该点位巡回保洁",
            ],
            Route::CityManagement => &[
                "已责令当事人整改，现场已规范",
                "已进行教育劝离，现场已恢复秩序",
                "已依法查处并督促整改到位",
            ],
            Route::Market => &[
                "已约谈经营者并责令整改，现场已规范",
                "已依法查处，现场已整改",
            ],
            Route::Water => &["已组织人员疏通抢修，现场已恢复正常", "已完成维修，排水通畅"],
            Route::Housing => &["已联系产权单位完成整改", "已督促业主整改到位"],
            Route::Police => &["已出警处置，现场秩序已恢复", "已到场劝离，现场已恢复正常"],
            Route::Emergency => &[
                "已到场排查处置，隐患已消除",
                "已会同相关单位处置完毕，现场安全",
            ],
            Route::Maintenance => &["已安排养护人员维修完毕，设施恢复正常", "已更换修复完毕"],
            Route::Property => &["物业已安排人员整改完毕", "物业已清理并加强小区巡查"],
            Route::Committee => &[
                "居（村）委已上门劝导，现场已整改完毕",
                "已组织志愿者清理，现场已整改",
            ],
        },
    )
    .to_string()
}

pub fn rework_feedback(rng: &mut StdRng) -> String {
    one(
        rng,
        &[
            "已按核查意见再次整改到位",
            "已返工处理完毕，现场已彻底整改",
            "已重新清理并安排专人盯守",
        ],
    )
    .to_string()
}

pub fn extension_reason(rng: &mut StdRng) -> String {
    one(
        rng,
        &[
            "需采购配件，维修周期较长",
            "当事人拒不配合，需联合执法",
            "涉及多个产权单位，需协调处理",
            "连续降雨，无法施工",
            "需等待专业施工队伍进场",
        ],
    )
    .to_string()
}

/// 挂账 reasons fit the problem: illegal structures wait for the year's 拆违 plan, facilities
/// for works, the rest for ownership or relocation to be settled.
pub fn hold_reason(rng: &mut StdRng, cat: &Cat) -> String {
    let n = cat.name.as_str();
    let options: &[&str] = if ["私搭乱建", "违章", "违法", "无证建设", "违建"]
        .iter()
        .any(|w| n.contains(w))
    {
        &[
            "涉及历史遗留违建，需纳入年度拆违计划统一处置",
            "当事人拒不自行拆除，需走强制拆除程序",
        ]
    } else if cat.group == Group::Component
        || ["破损", "堤", "缺损", "标线"].iter().any(|w| n.contains(w))
    {
        &["需纳入年度大修计划统一实施", "需待管线单位施工配合"]
    } else {
        &[
            "权属复杂，需区级部门协调后处置",
            "涉及动迁地块，待动迁后一并处置",
            "当事人长期外出，需待其返回后处置",
        ]
    };
    one(rng, options).to_string()
}

pub fn urge_note(rng: &mut StdRng, overdue: bool) -> String {
    if overdue {
        one(
            rng,
            &[
                "该案已超期，请于今日内处置完毕并反馈",
                "超期未办结，请主要负责人督办落实",
            ],
        )
        .to_string()
    } else {
        one(rng, &["群众反映强烈，请抓紧办理", "请高度重视，按期反馈"]).to_string()
    }
}

pub fn failed_check_note(cat: &Cat) -> String {
    format!("现场复核仍存在{}问题，未整改到位", cat.name)
}
