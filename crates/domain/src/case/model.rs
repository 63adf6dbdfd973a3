//! The state of a case (案卷) and its tasks, as folded from its events.

use serde::{Deserialize, Serialize};

use crate::deadline::Clock;
use crate::time::Millis;

/// 信息来源 — the channel a report came in by. Identifiers are fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 网格巡查 — an inspector's own report.
    Patrol,
    /// 12345 市民热线工单
    Hotline,
    /// 物联感知 — a sensor alarm.
    Iot,
    /// 视频智能发现 — a camera AI alarm.
    Video,
    /// 市民上报
    Public,
    /// 领导交办
    Leader,
    /// 督查/检查
    Inspection,
}

impl Source {
    pub const ALL: [Source; 7] = [
        Source::Patrol,
        Source::Hotline,
        Source::Iot,
        Source::Video,
        Source::Public,
        Source::Leader,
        Source::Inspection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Patrol => "patrol",
            Source::Hotline => "hotline",
            Source::Iot => "iot",
            Source::Video => "video",
            Source::Public => "public",
            Source::Leader => "leader",
            Source::Inspection => "inspection",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::Patrol => "网格巡查",
            Source::Hotline => "12345热线",
            Source::Iot => "物联感知",
            Source::Video => "视频智能发现",
            Source::Public => "市民上报",
            Source::Leader => "领导交办",
            Source::Inspection => "督查检查",
        }
    }

    /// Reports from unconfirmed channels must be verified (核实) on site before 立案;
    /// an inspector's, a leader's or an inspection's report is first-hand already.
    pub fn needs_verification(self) -> bool {
        matches!(self, Source::Public | Source::Iot | Source::Video)
    }

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Where a case stands in the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// 待受理 — reported, not yet registered.
    Reported,
    /// 待立案 — registered (案卷建立), waiting for 立案 or 作废.
    Registered,
    /// 核实中
    Verifying,
    /// 待派遣 — filed (立案).
    Filed,
    /// 处置中 — dispatched, tasks open.
    Dispatched,
    /// 退单待派 — a unit returned its task; the dispatcher must re-dispatch.
    Returned,
    /// 待核查 — every task fed back.
    Processed,
    /// 核查中
    Checking,
    /// 待结案 — check passed.
    Checked,
    /// 挂账 — parked with approval; clocks stopped.
    OnHold,
    /// 已结案
    Closed,
    /// 已作废
    Voided,
    /// 已合并 — a duplicate merged into another case.
    Merged,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 13] = [
        CaseStatus::Reported,
        CaseStatus::Registered,
        CaseStatus::Verifying,
        CaseStatus::Filed,
        CaseStatus::Dispatched,
        CaseStatus::Returned,
        CaseStatus::Processed,
        CaseStatus::Checking,
        CaseStatus::Checked,
        CaseStatus::OnHold,
        CaseStatus::Closed,
        CaseStatus::Voided,
        CaseStatus::Merged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Reported => "reported",
            CaseStatus::Registered => "registered",
            CaseStatus::Verifying => "verifying",
            CaseStatus::Filed => "filed",
            CaseStatus::Dispatched => "dispatched",
            CaseStatus::Returned => "returned",
            CaseStatus::Processed => "processed",
            CaseStatus::Checking => "checking",
            CaseStatus::Checked => "checked",
            CaseStatus::OnHold => "on_hold",
            CaseStatus::Closed => "closed",
            CaseStatus::Voided => "voided",
            CaseStatus::Merged => "merged",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseStatus::Reported => "待受理",
            CaseStatus::Registered => "待立案",
            CaseStatus::Verifying => "核实中",
            CaseStatus::Filed => "待派遣",
            CaseStatus::Dispatched => "处置中",
            CaseStatus::Returned => "退单待派",
            CaseStatus::Processed => "待核查",
            CaseStatus::Checking => "核查中",
            CaseStatus::Checked => "待结案",
            CaseStatus::OnHold => "挂账",
            CaseStatus::Closed => "已结案",
            CaseStatus::Voided => "已作废",
            CaseStatus::Merged => "已合并",
        }
    }

    pub fn parse(s: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// No action but 回访/重办 (on closed cases) can follow.
    pub fn is_final(self) -> bool {
        matches!(self, CaseStatus::Closed | CaseStatus::Voided | CaseStatus::Merged)
    }
}

/// Coordinate reference system of a reported point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoordSys {
    /// GPS.
    Wgs84,
    /// 国家2000 — official maps (天地图); within centimetres of WGS-84.
    Cgcs2000,
    /// 火星坐标 — 高德, Tencent, WeChat.
    Gcj02,
    /// Baidu.
    Bd09,
}

/// A reported point, as it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lon: f64,
    pub lat: f64,
    pub coord_sys: CoordSys,
}

impl Location {
    /// Roughly mainland China and its waters; anything else is a swapped or bogus coordinate.
    pub fn is_plausible(&self) -> bool {
        (73.0..=136.0).contains(&self.lon) && (3.0..=54.0).contains(&self.lat)
    }
}

/// 定位 — where a reported point fell among the imported boundaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    /// The point in WGS-84, whatever system it was reported in.
    pub lon: f64,
    pub lat: f64,
    /// The deepest region whose boundary contains the point: a 单元网格 where grids exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub outcome: PlaceOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceOutcome {
    /// In a 单元网格.
    Grid,
    /// Inside a 村/居 or 街镇 boundary but in no grid.
    Region,
    /// Outside every boundary.
    Outside,
}

impl Placement {
    /// Flag shown to the operator when the point is in no grid: the case is kept, its place
    /// must be checked by a person.
    pub fn flag(&self) -> Option<&'static str> {
        (self.outcome != PlaceOutcome::Grid).then_some(PLACE_FLAG_OUTSIDE_GRID)
    }
}

/// The one place flag: the reported point lies in no 单元网格.
pub const PLACE_FLAG_OUTSIDE_GRID: &str = "outside_grid";

/// 反映人 — whoever reported the problem (a caller, a resident). Personal data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Wants to be called back (需回复).
    #[serde(default)]
    pub wants_reply: bool,
}

impl Reporter {
    /// The same reporter with name and phone masked (张** / 138****5678).
    pub fn masked(&self) -> Reporter {
        Reporter {
            name: self.name.as_deref().map(mask_name),
            phone: self.phone.as_deref().map(mask_phone),
            wants_reply: self.wants_reply,
        }
    }
}

/// Keeps the first character of a name.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Keeps the first three and last four digits of a phone number, masks the rest.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let keep_head = if chars.len() >= 11 { 3 } else { 0 };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep_head || i >= chars.len() - 4 { *c } else { '*' })
        .collect()
}

/// 主办 or 协办 in a joint dispatch (联勤联动).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskRole {
    /// 主办
    Lead,
    /// 协办
    Assist,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// 待接单
    Pending,
    /// 处置中
    Accepted,
    /// 已反馈
    Done,
    /// 已退单
    Returned,
    /// 已撤销 — dropped by a re-dispatch.
    Cancelled,
    /// 已释放 — a 协办 task let off by the 主办 unit or the dispatcher.
    Released,
}

impl TaskStatus {
    /// Still owed work by its unit.
    pub fn is_open(self) -> bool {
        matches!(self, TaskStatus::Pending | TaskStatus::Accepted)
    }

    /// Counts toward the case being fully handled.
    pub fn is_active(self) -> bool {
        matches!(self, TaskStatus::Pending | TaskStatus::Accepted | TaskStatus::Done)
    }
}

/// 处置反馈 — what a unit reports it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub text: String,
    #[serde(default)]
    pub photos: Vec<String>,
    pub at: Millis,
    pub by: String,
}

/// A pending 延期 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    pub extra: crate::TimeLimit,
    pub reason: String,
    pub at: Millis,
    pub by: String,
}

/// One unit's share of a case, with its own clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// 1-based, unique within the case.
    pub id: u32,
    pub unit: String,
    pub role: TaskRole,
    pub status: TaskStatus,
    pub clock: Clock,
    pub dispatched_at: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Feedback>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_request: Option<ExtensionRequest>,
    #[serde(default)]
    pub extensions: u32,
    #[serde(default)]
    pub reworks: u32,
    /// The 重办 round the task belongs to (0 before any reopen).
    #[serde(default)]
    pub round: u32,
}

/// 核实 result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub confirmed: bool,
    pub at: Millis,
    pub by: String,
}

/// A pending 挂账 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldRequest {
    pub reason: String,
    pub at: Millis,
    pub by: String,
}

/// 回访 satisfaction, the 12345 scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意
    Satisfied,
    /// 基本满意
    BasicallySatisfied,
    /// 不满意
    Dissatisfied,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revisit {
    pub satisfaction: Satisfaction,
    pub at: Millis,
    pub by: String,
}

/// Facts fixed when a case is reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseFacts {
    pub number: String,
    pub category: String,
    pub description: String,
    pub source: Source,
    /// The 村/居 or 单元网格 (or at least the 街镇) the problem is in.
    pub region_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Where `location` fell among the boundaries, when any were imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    #[serde(default)]
    pub reporter: Reporter,
    #[serde(default)]
    pub photos: Vec<String>,
    /// The category's 处置时限 at the time of reporting, e.g. `4工作时`.
    pub disposal_limit: crate::TimeLimit,
}

/// A case: the fold of its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: i64,
    #[serde(flatten)]
    pub facts: CaseFacts,
    pub status: CaseStatus,
    /// Number of events applied; actions carry it as `expected_version`.
    pub version: i64,
    pub created_at: Millis,
    pub created_by: String,
    pub updated_at: Millis,
    /// Case-level step clocks in order; the last one runs unless stopped.
    pub steps: Vec<Clock>,
    /// 总时限 — the bundled deadline.
    pub overall: Clock,
    pub tasks: Vec<Task>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_request: Option<HoldRequest>,
    /// While on hold: the status to return to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_to: Option<CaseStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<i64>,
    #[serde(default)]
    pub revisits: Vec<Revisit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filed_at: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Millis>,
    #[serde(default)]
    pub urges: u32,
    #[serde(default)]
    pub returns: u32,
    #[serde(default)]
    pub reworks: u32,
    #[serde(default)]
    pub reopens: u32,
    #[serde(default)]
    pub holds: u32,
}

impl Case {
    /// The running case-level step clock, if any.
    pub fn current_step(&self) -> Option<&Clock> {
        self.steps.last().filter(|c| c.stopped_at.is_none())
    }

    pub fn task(&self, id: u32) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id == id)
    }

    /// Tasks of the current round (a 重办 starts a new round) still counting: pending, accepted
    /// or done — not returned, cancelled or released.
    pub fn current_tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.iter().filter(move |t| t.round == self.reopens && t.status.is_active())
    }

    /// The unit's open task (there is at most one).
    pub fn open_task_of(&self, unit: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.unit == unit && t.status.is_open())
    }

    /// Whether the unit ever had a task on this case: what a unit's staff may see.
    pub fn involves_unit(&self, unit: &str) -> bool {
        self.tasks.iter().any(|t| t.unit == unit)
    }

    /// The unit currently leading (主办) the case.
    pub fn lead_unit(&self) -> Option<&str> {
        self.tasks
            .iter()
            .rev()
            .find(|t| t.role == TaskRole::Lead && t.status.is_active())
            .map(|t| t.unit.as_str())
    }

    /// Every clock that is running now: step, overall and open tasks.
    pub fn running_clocks(&self) -> impl Iterator<Item = &Clock> {
        self.current_step()
            .into_iter()
            .chain(std::iter::once(&self.overall))
            .chain(self.tasks.iter().filter(|t| t.status.is_open()).map(|t| &t.clock))
            .filter(|c| c.is_running())
    }

    /// When the case's lamp turns yellow and red: the earliest of its running clocks.
    /// `None` when nothing runs (closed, void, merged, on hold).
    pub fn watch(&self) -> Option<(Millis, Millis)> {
        let mut clocks = self.running_clocks().peekable();
        clocks.peek()?;
        let (mut yellow, mut due) = (Millis::MAX, Millis::MAX);
        for c in clocks {
            yellow = yellow.min(c.yellow_at);
            due = due.min(c.due_at);
        }
        Some((yellow, due))
    }

    /// Units that have ever had a task, in order of first dispatch.
    pub fn units(&self) -> Vec<&str> {
        let mut units: Vec<&str> = Vec::new();
        for t in &self.tasks {
            if !units.contains(&t.unit.as_str()) {
                units.push(&t.unit);
            }
        }
        units
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_personal_data() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("021-5812345"), "021****2345");
        assert_eq!(mask_phone("5812345"), "***2345");
        assert_eq!(mask_phone("110"), "***");
    }

    #[test]
    fn source_and_status_identifiers_round_trip() {
        for s in Source::ALL {
            assert_eq!(Source::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
