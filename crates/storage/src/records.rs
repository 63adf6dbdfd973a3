//! Records the store reads and writes besides the domain's own types.

use serde::{Deserialize, Serialize};

use chengyun_domain::case::{ActionKind, Case, CaseStatus, Source};
use chengyun_domain::deadline::Lamp;
use chengyun_domain::org::{Actor, Role, Scope};
use chengyun_domain::Millis;
pub use chengyun_places::nearby::DuplicateRule;

/// Who made a change, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditActor {
    pub id: i64,
    pub name: String,
}

impl AuditActor {
    /// Changes made from the command line on the server itself.
    pub fn system() -> Self {
        Self { id: 0, name: "system".into() }
    }
}

impl From<&Actor> for AuditActor {
    fn from(a: &Actor) -> Self {
        Self { id: a.user_id, name: a.username.clone() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub unit: Option<String>,
    pub region: Option<String>,
    pub active: bool,
    pub created_at: Millis,
}

impl UserRecord {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            roles: self.roles.clone(),
            scope: Scope { region: self.region.clone(), unit: self.unit.clone() },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub unit: Option<String>,
    pub region: Option<String>,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub password_hash: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub unit: Option<Option<String>>,
    pub region: Option<Option<String>>,
    pub active: Option<bool>,
}

/// An event as stored, with its row id.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: i64,
    pub case_id: i64,
    pub event: chengyun_domain::case::Event,
}

/// Filters and paging of the case list. Scope restrictions are filters like any other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseQuery {
    pub statuses: Vec<CaseStatus>,
    pub category: Option<String>,
    /// Any of these categories (with `category`, both must hold).
    pub categories: Vec<String>,
    /// Region subtree, as code prefixes (see `RegionTree::scope_prefixes`).
    pub region_prefixes: Vec<String>,
    /// Cases a unit has (or had) a task on.
    pub unit: Option<String>,
    pub source: Option<Source>,
    pub lamp: Option<Lamp>,
    /// Reference time for `lamp`.
    pub now: Millis,
    pub created_from: Option<Millis>,
    pub created_to: Option<Millis>,
    /// Reporter phone or name, exact.
    pub reporter: Option<String>,
    /// Cases reported (上报) by this user (id): an inspector's own reports.
    pub reported_by: Option<i64>,
    /// Duplicates merged (合并) into this case.
    pub merged_into: Option<i64>,
    /// Cases with this place flag (`outside_grid`).
    pub place_flag: Option<String>,
    /// Last changed at or after / before.
    pub updated_from: Option<Millis>,
    pub updated_to: Option<Millis>,
    /// Cases whose reported point (WGS-84) lies within a circle.
    pub near: Option<Near>,
    /// Full-text search (全文检索): cases whose texts hold every one of these terms
    /// (`chengyun_text::search::query_terms`).
    pub search_terms: Vec<String>,
    /// Counting a search's hits stops here (`None`: `sql::search::SEARCH_TOTAL_CAP`).
    pub search_total_cap: Option<i64>,
    /// The data scope of the asker: visible = in these regions OR involving this unit.
    pub scope: Option<ScopeFilter>,
    pub sort: CaseSort,
    pub page: i64,
    pub page_size: i64,
}

/// The order of a case list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaseSort {
    /// Newest entered first (a search: newest entered first by id).
    #[default]
    Newest,
    /// Oldest entered first.
    Oldest,
    /// Most urgent first (按紧急程度): the soonest due of the running clocks (the one the lamp
    /// follows), cases with no running clock last.
    Urgency,
}

impl CaseSort {
    pub fn parse(s: &str) -> Option<CaseSort> {
        match s {
            "newest" => Some(CaseSort::Newest),
            "oldest" => Some(CaseSort::Oldest),
            "urgency" => Some(CaseSort::Urgency),
            _ => None,
        }
    }
}

/// A circle on the ground: centre in WGS-84 and radius in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub lon: f64,
    pub lat: f64,
    pub radius_m: f64,
}

// Radii and coordinates are finite (checked where they are parsed), so equality is total.
impl Eq for Near {}

/// A user's data scope as a filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeFilter {
    pub region_prefixes: Vec<String>,
    pub unit: Option<String>,
}

/// One row of the case list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    pub id: i64,
    pub number: String,
    pub status: CaseStatus,
    pub version: i64,
    pub category: String,
    pub source: Source,
    pub region_code: String,
    pub lead_unit: Option<String>,
    pub description: String,
    pub address: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub closed_at: Option<Millis>,
    /// When the case's earliest running clock turns yellow / red (none when nothing runs).
    pub yellow_at: Option<Millis>,
    pub due_at: Option<Millis>,
    pub overall_due_at: Millis,
    /// `outside_grid` when the reported point lies in no 单元网格.
    pub place_flag: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasePage {
    pub items: Vec<CaseSummary>,
    /// Matching cases; for a search the index answers, at most its cap (then `total_exact` is false).
    pub total: i64,
    pub total_exact: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub id: String,
    pub content_type: String,
    pub data: Vec<u8>,
    pub sha256: String,
    pub uploaded_by: i64,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentMeta {
    pub id: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: i64,
    pub created_at: Millis,
}

/// The audit action of a case event.
pub fn event_audit_action(action: ActionKind) -> String {
    format!("case.{}", action.as_str())
}

/// A region's boundary as stored: a GeoJSON geometry in WGS-84.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionGeometry {
    pub region: chengyun_domain::region::Region,
    pub geometry: String,
    /// Generated or otherwise not an official outline (示意).
    pub approximate: bool,
}

/// Which stored boundaries to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryScope<'a> {
    /// Every region with a boundary (to build the locate index).
    All,
    /// One region.
    Code(&'a str),
    /// The children of a region (for maps).
    ChildrenOf(&'a str),
}

/// The settings key whose value changes with every boundary import, so that every instance
/// rebuilds its locate index.
pub const GEOMETRY_VERSION_KEY: &str = "places.geometry_version";

/// A new API key of a client system (接入渠道), with its system user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub name: String,
    /// SHA-256 of the key (hex); the key itself is never stored.
    pub key_hash: String,
    /// Town codes the key may report to and read.
    pub jurisdictions: Vec<String>,
    /// Requests per minute; `None` takes the instance default.
    pub rate_per_minute: Option<i64>,
}

/// An API key as listed: never its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub name: String,
    pub jurisdictions: Vec<String>,
    /// The system user that reports in the client's name.
    pub user_id: i64,
    pub rate_per_minute: Option<i64>,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
}

/// A report to store as a new case (信息收集 → 案卷建立), with what intake found out about it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCaseRequest {
    /// Case numbers are `<prefix>-<yyyymmdd>-<seq>` (the 街镇 code).
    pub number_prefix: String,
    /// The `report` event; the store fills in the number.
    pub event: chengyun_domain::case::Event,
    pub idempotency: Option<IdempotencyKey>,
    /// 疑似重复件: when set, open cases of the same category near the case's placed point and
    /// recent enough by this rule — stored ones and the batch's earlier new cases — are linked
    /// to it in the transaction that stores it.
    pub duplicates: Option<DuplicateRule>,
}

/// A client's key for one report: the same key from the same user makes one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub actor_id: i64,
    pub key: String,
    /// Keys stored before this instant have expired and no longer count.
    pub live_after: Millis,
}

/// An open case a new report may repeat (疑似重复件), as shown to the 受理员: how far and how old.
#[derive(Debug, Clone, PartialEq)]
pub struct SuspectedDuplicate {
    pub case_id: i64,
    pub number: String,
    pub status: CaseStatus,
    pub distance_m: f64,
    /// How much earlier the open case was reported.
    pub age_ms: i64,
}

/// What became of one [`NewCaseRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedCase {
    pub case: Case,
    /// An earlier request with the same idempotency key made this case; nothing was written.
    pub replayed: bool,
    /// The suspected duplicates linked now, nearest first (empty for a replay).
    pub suspected: Vec<SuspectedDuplicate>,
}

/// An open case found near a new report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearbyCase {
    pub id: i64,
    pub number: String,
    pub status: CaseStatus,
    pub lon_e7: i64,
    pub lat_e7: i64,
    pub created_at: Millis,
}

/// A stored suspected-duplicate link seen from one of its two cases.
#[derive(Debug, Clone, PartialEq)]
pub struct SuspectRecord {
    /// The other case.
    pub case_id: i64,
    pub distance_m: f64,
    pub age_ms: i64,
    /// True when the other case is the earlier, open one this case may repeat; false when the
    /// other case is a later report that may repeat this one.
    pub earlier: bool,
}

/// What the 大屏 asks for (see `Store::dashboard_figures`).
#[derive(Debug, Clone, Default)]
pub struct DashboardQuery {
    /// Region code prefixes (`RegionTree::scope_prefixes` of the region shown).
    pub regions: Vec<String>,
    /// The asker's scope, when it restricts more than the region does.
    pub scope: Option<ScopeFilter>,
    pub now: Millis,
    /// Start of the earliest day counted (the trend's first day or the month's, whichever is earlier).
    pub since: Millis,
    /// Start of the category breakdown's period.
    pub categories_since: Millis,
    /// End (exclusive) of the days and categories counted; `None`: up to now.
    pub until: Option<Millis>,
    pub top_categories: i64,
    pub overdue_limit: i64,
}

/// Counts of one local (Shanghai) day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCounts {
    /// 上报: cases reported that day.
    pub reported: i64,
    /// 立案
    pub filed: i64,
    /// 结案
    pub closed: i64,
}

/// An open case past its running clock's deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueCase {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub category: String,
    pub region_code: String,
    pub lead_unit: Option<String>,
    pub description: String,
    pub address: Option<String>,
    pub due_at: Millis,
    pub created_at: Millis,
}

/// The 大屏's figures as the database computes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DashboardFigures {
    /// (local day number = (ms + 8 h) / 1 day, counts) for days with anything, oldest first.
    pub days: Vec<(i64, DayCounts)>,
    /// Open cases (not closed, voided or merged) and those of them past due.
    pub open: i64,
    pub overdue: i64,
    /// (category code, cases reported since `categories_since`), most first.
    pub categories: Vec<(String, i64)>,
    /// Most overdue first.
    pub overdue_cases: Vec<OverdueCase>,
}
