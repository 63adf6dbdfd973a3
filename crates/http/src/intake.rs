//! 信息收集 → 案卷建立: the one path by which a report from any channel (the REST API, Open311,
//! later sensors and the 12345 feed) becomes a case — validate, locate, route to its town,
//! store with its first event and audit record.
//!
//! - Idempotency: a key (`Idempotency-Key`, or a channel's own client token) from the same user
//!   makes one case; it is stored in the case's own transaction, so a retry after a crash finds
//!   it, and counts for `Config::idempotency_ttl_ms` (24 h by default).
//! - 疑似重复件: open cases of the same category near the placed point and recent enough
//!   (`Config::duplicates`) are linked to the new case and returned nearest first.
//! - Writing: [`writer::IntakeWriter`] (group commit on SQLite, the pool on PostgreSQL).

mod writer;

use axum::http::HeaderMap;

use chengyun_domain::case::{self, Case, Context, Location, NewReport, Reporter, Source};
use chengyun_domain::org::Actor;
use chengyun_domain::region::RegionLevel;
use chengyun_places::coord::{self, LonLat};
use chengyun_storage::{IdempotencyKey, NewCaseRequest};
pub use chengyun_storage::SuspectedDuplicate;

use crate::access::region_in_scope;
use crate::error::{ApiError, ApiResult};
use crate::state::{now_ms, AppState, Reference};

pub use writer::IntakeWriter;

/// Longest idempotency key a client may send.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// One report as it arrives, before anything is checked.
#[derive(Debug, Clone)]
pub struct Submission {
    pub category: String,
    pub description: String,
    pub source: Source,
    pub location: Option<Location>,
    pub address: Option<String>,
    /// 村/居 or 单元网格 code; defaults to the reporter's own area.
    pub region: Option<String>,
    pub reporter: Reporter,
    /// Attachment ids uploaded by the same actor.
    pub photos: Vec<String>,
    /// The client's key for this report: the same key from the same actor yields the same case.
    pub idempotency_key: Option<String>,
}

/// What became of a submission.
#[derive(Debug, Clone)]
pub struct Intake {
    pub case: Case,
    /// True when an earlier submission with the same idempotency key made this case.
    pub replayed: bool,
    /// 疑似重复件: open cases of the same kind near in place and time, nearest first.
    pub suspected_duplicates: Vec<SuspectedDuplicate>,
}

/// The `Idempotency-Key` header, if the client sent one.
pub fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY)
        .ok_or_else(|| ApiError::invalid("invalid_idempotency_key", "Idempotency-Key", "请求头 Idempotency-Key 须为 1–200 个可见字符"))?;
    Ok(Some(key.to_string()))
}

/// Registers a report as a new case (上报), or returns the case an earlier submission with the
/// same idempotency key made.
pub async fn submit(state: &AppState, actor: &Actor, submission: Submission) -> ApiResult<Intake> {
    let reference = state.reference().await?;
    let category = reference
        .catalog
        .get(submission.category.trim())
        .filter(|c| c.active)
        .ok_or_else(|| ApiError::invalid("unknown_category", "category", format!("案件类别编码“{}”不存在或已停用", submission.category)))?;
    let places = state.places().await?;
    let placement = submission
        .location
        .filter(|l| l.lon.is_finite() && l.lat.is_finite() && l.is_plausible())
        .and_then(|l| crate::places::place(&places, coord::to_wgs84(LonLat::new(l.lon, l.lat), l.coord_sys)));
    let located = placement.as_ref().and_then(|p| p.region.clone());
    let region_code = resolve_region(located, submission.region, actor, &reference, state.config.default_region.as_deref())?;
    check_photos(state, actor, &submission.photos, "photos").await?;
    if let Some(phone) = &submission.reporter.phone
        && !phone.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' ')
    {
        return Err(ApiError::invalid("invalid_phone", "reporter.phone", "联系电话（reporter.phone）格式不正确"));
    }
    let now = now_ms();
    let report = NewReport {
        category: category.code.clone(),
        description: submission.description,
        source: submission.source,
        region_code: region_code.clone(),
        address: submission.address,
        location: submission.location,
        placement,
        reporter: submission.reporter,
        photos: submission.photos,
    };
    let ctx = Context { now, calendar: &reference.calendar, steps: &reference.steps, merge_target: None, new_category_limit: None };
    let event = case::report(actor, report, String::new(), category.limit, &ctx)?;
    let prefix = reference.regions.town_of(&region_code).map_or_else(|| region_code.clone(), |t| t.code.clone());
    let request = NewCaseRequest {
        number_prefix: prefix,
        event,
        idempotency: submission
            .idempotency_key
            .map(|key| IdempotencyKey { actor_id: actor.user_id, key, live_after: now - state.config.idempotency_ttl_ms }),
        duplicates: Some(state.config.duplicates),
    };
    let created = state.intake.create(request).await?;
    if created.replayed {
        return replay(state, created.case).await;
    }
    Ok(Intake { case: created.case, replayed: false, suspected_duplicates: created.suspected })
}

/// The outcome of a repeated submission: the stored case and the links stored with it.
async fn replay(state: &AppState, case: Case) -> ApiResult<Intake> {
    let mut suspected_duplicates = Vec::new();
    for link in state.store.suspected_duplicates(case.id).await?.into_iter().filter(|l| l.earlier) {
        if let Some(other) = state.store.get_case(link.case_id).await? {
            suspected_duplicates.push(SuspectedDuplicate {
                case_id: other.id,
                number: other.facts.number,
                status: other.status,
                distance_m: link.distance_m,
                age_ms: link.age_ms,
            });
        }
    }
    Ok(Intake { case, replayed: true, suspected_duplicates })
}

/// The region a new report belongs to: where its point fell (a 单元网格 where grids exist), else
/// the one named, else the reporter's own (if it is a town or narrower), else the instance default.
fn resolve_region(
    located: Option<String>,
    body_region: Option<String>,
    actor: &Actor,
    reference: &Reference,
    default: Option<&str>,
) -> ApiResult<String> {
    let tree = &reference.regions;
    // A named region is checked even when the point decides: bad input is never silently ignored.
    let named = match body_region.map(|r| r.trim().to_string()).filter(|r| !r.is_empty()) {
        Some(code) => {
            let region = tree
                .get(&code)
                .ok_or_else(|| ApiError::invalid("unknown_region", "region", format!("区划代码“{code}”不存在")))?;
            if matches!(region.level, RegionLevel::City | RegionLevel::District) {
                return Err(ApiError::invalid("region_too_coarse", "region", "请指明街镇或更小的区划（region）"));
            }
            Some(code)
        }
        None => None,
    };
    let located = located.filter(|code| tree.get(code).is_some_and(|r| !matches!(r.level, RegionLevel::City | RegionLevel::District)));
    if let Some(code) = located {
        if !region_in_scope(actor, tree, &code) {
            return Err(ApiError::invalid(
                "location_out_of_scope",
                "location",
                format!("坐标位于“{}”，不在您的管辖范围内", reference.region_name(&code).unwrap_or(&code)),
            ));
        }
        return Ok(code);
    }
    let code = match named {
        Some(code) => code,
        None => actor
            .scope
            .region
            .clone()
            .filter(|r| tree.get(r).is_some_and(|r| !matches!(r.level, RegionLevel::City | RegionLevel::District)))
            .or_else(|| default.map(str::to_string))
            .ok_or_else(|| ApiError::invalid("region_required", "region", "请指明案件所在区划（region）"))?,
    };
    if !region_in_scope(actor, tree, &code) {
        return Err(ApiError::invalid("region_out_of_scope", "region", "该区划不在您的管辖范围内"));
    }
    Ok(code)
}

pub(crate) async fn check_photos(state: &AppState, actor: &Actor, photos: &[String], field: &str) -> ApiResult<()> {
    for (i, id) in photos.iter().enumerate() {
        let owned = state.store.attachment_meta(id).await?.is_some_and(|meta| meta.uploaded_by == actor.user_id);
        if !owned {
            return Err(ApiError::invalid("unknown_attachment", &format!("{field}[{i}]"), format!("附件“{id}”不存在或不是您上传的")));
        }
    }
    Ok(())
}
