//! Cases: report, list, read with timeline, and every action of the loop.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use chengyun_domain::case::{self, Case, CaseStatus, Command, Context, Location, MergeTarget, Reporter, Source};
use chengyun_domain::deadline::Lamp;
use chengyun_domain::org::Actor;
use chengyun_domain::time::parse_instant;
use chengyun_storage::{CaseQuery, CaseSort};

use crate::access::{can_see, may_search_reporter, region_in_scope, scope_filter};
use crate::intake::{self, Submission};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::json::{from_value, JsonBody};
use crate::state::{now_ms, AppState, Reference};
use crate::views::{case_view, summary_view};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases", post(create).get(list))
        .route("/api/v1/cases/{id}", get(read))
        .route("/api/v1/cases/{id}/actions", post(act))
}

/// `POST /cases` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateCase {
    category: String,
    description: String,
    source: Source,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default)]
    address: Option<String>,
    /// 村/居 or 单元网格 code; defaults to the reporter's own area.
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    reporter: Reporter,
    #[serde(default)]
    photos: Vec<String>,
}

async fn create(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    headers: axum::http::HeaderMap,
    JsonBody(body): JsonBody<CreateCase>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let submission = Submission {
        category: body.category,
        description: body.description,
        source: body.source,
        location: body.location,
        address: body.address,
        region: body.region,
        reporter: body.reporter,
        photos: body.photos,
        idempotency_key: intake::idempotency_key(&headers)?,
    };
    let intake = intake::submit(&state, &actor, submission).await?;
    let reference = state.reference().await?;
    let status = if intake.replayed { StatusCode::OK } else { StatusCode::CREATED };
    let mut view = case_view(&intake.case, None, &actor, &reference, now_ms());
    view["replayed"] = json!(intake.replayed);
    view["suspected_duplicates"] = intake
        .suspected_duplicates
        .iter()
        .map(|d| suspect_view(d.case_id, &d.number, d.status, d.distance_m, d.age_ms, true))
        .collect();
    Ok((status, Json(view)))
}

/// A 疑似重复件 link as the 受理员 sees it: the other case, how far and how much apart in time.
fn suspect_view(id: i64, number: &str, status: CaseStatus, distance_m: f64, age_ms: i64, earlier: bool) -> Value {
    let minutes = age_ms / 60_000;
    json!({
        "id": id,
        "number": number,
        "status": status,
        "status_label": status.label(),
        "relation": if earlier { "earlier" } else { "later" },
        "distance_m": (distance_m * 10.0).round() / 10.0,
        "age_ms": age_ms,
        "age_label": format!("{}{}小时{}分", if earlier { "早" } else { "晚" }, minutes / 60, minutes % 60),
    })
}

/// Roles that work the 受理 queue see a case's suspected duplicates.
fn sees_suspects(actor: &Actor) -> bool {
    actor.has_any(&[chengyun_domain::org::Role::Operator, chengyun_domain::org::Role::ShiftLead])
}

/// The case's 疑似重复件 links (both directions) to cases the asker may see.
async fn suspects_view(state: &AppState, actor: &Actor, reference: &Reference, case_id: i64) -> ApiResult<Value> {
    let mut out = Vec::new();
    for link in state.store.suspected_duplicates(case_id).await? {
        if let Some(other) = state.store.get_case(link.case_id).await?.filter(|c| can_see(actor, c, &reference.regions)) {
            out.push(suspect_view(other.id, &other.facts.number, other.status, link.distance_m, link.age_ms, link.earlier));
        }
    }
    Ok(Value::Array(out))
}

/// Loads a case the actor may see; anything else is 404, so existence never leaks.
pub(crate) async fn visible_case(state: &AppState, actor: &Actor, reference: &Reference, id: i64) -> ApiResult<Case> {
    state
        .store
        .get_case(id)
        .await?
        .filter(|c| can_see(actor, c, &reference.regions))
        .ok_or_else(|| ApiError::not_found("案件"))
}

pub(crate) fn parse_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| ApiError::not_found("案件"))
}

async fn read(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let out = crate::places::out_coord_sys(&params)?;
    let reference = state.reference().await?;
    let case = visible_case(&state, &actor, &reference, parse_id(&id)?).await?;
    let events = state.store.case_events(case.id).await?;
    // 相似案件: the duplicates merged into this one that the asker may see.
    let mut duplicates = Vec::new();
    for dup_id in state.store.duplicates_of(case.id).await? {
        if let Some(dup) = state.store.get_case(dup_id).await?.filter(|d| can_see(&actor, d, &reference.regions)) {
            duplicates.push(json!({"id": dup.id, "number": dup.facts.number, "source": dup.facts.source,
                                   "created_at": crate::views::time(dup.created_at)}));
        }
    }
    let mut view = case_view(&case, Some(&events), &actor, &reference, now_ms());
    view["duplicates"] = Value::Array(duplicates);
    if sees_suspects(&actor) {
        view["suspected_duplicates"] = suspects_view(&state, &actor, &reference, case.id).await?;
    }
    if let Some(p) = &case.facts.placement {
        view["placement"] = crate::places::placement_view(p, &reference, out);
    }
    if let Some(c) = crate::classifier::case_classification(&state, &actor, &case, &reference).await? {
        view["classification"] = c;
    }
    Ok(Json(view))
}

async fn act(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    JsonBody(mut body): JsonBody<Value>,
) -> ApiResult<Json<Value>> {
    let reference = state.reference().await?;
    let case = visible_case(&state, &actor, &reference, parse_id(&id)?).await?;
    let object = body.as_object_mut().ok_or_else(|| ApiError::invalid("invalid_field", "", "请求体须为 JSON 对象"))?;
    let action_name = object.get("action").and_then(Value::as_str).unwrap_or_default().to_string();
    let kind = case::ActionKind::parse(&action_name)
        .filter(|k| *k != case::ActionKind::Report)
        .ok_or_else(|| ApiError::invalid("unknown_action", "action", format!("未知操作“{action_name}”")))?;
    if kind.acting_role(&actor.roles).is_none() {
        return Err(case::Refusal::role(kind).into());
    }
    let expected = object
        .remove("expected_version")
        .ok_or_else(|| ApiError::invalid("field_required", "expected_version", "缺少必填字段 expected_version（案件版本号）"))?
        .as_i64()
        .ok_or_else(|| ApiError::invalid("invalid_field", "expected_version", "expected_version 须为整数"))?;
    if expected != case.version {
        return Err(chengyun_storage::StoreError::Conflict.into());
    }
    let mut command: Command = from_value(body)?;
    crate::routing::fill_proposed_units(&mut command, &case, &reference)?;
    for (i, unit) in command.unit_codes().iter().enumerate() {
        if !reference.units.get(unit).is_some_and(|u| u.active) {
            return Err(ApiError::invalid("unknown_unit", &format!("units[{i}]"), format!("处置单位“{unit}”不存在或已停用")));
        }
    }
    if let Command::Verify { photos, .. } | Command::Feedback { photos, .. } | Command::Check { photos, .. } = &command {
        intake::check_photos(&state, &actor, photos, "photos").await?;
    }
    let merge_target = match &command {
        Command::Merge { into, .. } => state
            .store
            .get_case(*into)
            .await?
            .filter(|t| can_see(&actor, t, &reference.regions))
            .map(|t| MergeTarget { id: t.id, number: t.facts.number, status: t.status }),
        _ => None,
    };
    let new_category_limit = match &command {
        Command::Recategorise { category, .. } => reference.catalog.get(category.trim()).filter(|c| c.active).map(|c| c.limit),
        _ => None,
    };
    let now = now_ms();
    let ctx = Context { now, calendar: &reference.calendar, steps: &reference.steps, merge_target, new_category_limit };
    let mut next = take_action(&state, &case, &actor, &command, &ctx).await?;
    if kind == case::ActionKind::File {
        next = crate::routing::auto_dispatch(&state, next, &reference).await;
    }
    Ok(Json(case_view(&next, None, &actor, &reference, now)))
}

/// Decides an action, folds its event and stores both (one transaction, version-guarded).
pub async fn take_action(state: &AppState, case: &Case, actor: &Actor, command: &Command, ctx: &Context<'_>) -> ApiResult<Case> {
    let event = case::decide(case, actor, command, ctx)?;
    let mut next = case.clone();
    next.apply(&event).map_err(|e| {
        tracing::error!(case = case.id, error = %e, "decided event does not apply");
        ApiError::internal()
    })?;
    state.store.append_event(case, &next, &event).await?;
    Ok(next)
}

/// Reads a list query, naming the parameter at fault.
fn list_query(params: &HashMap<String, String>, actor: &Actor, reference: &Reference) -> ApiResult<CaseQuery> {
    let get = |k: &str| params.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let int = |k: &str, default: i64, max: i64| -> ApiResult<i64> {
        match get(k) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| ApiError::invalid("invalid_parameter", k, format!("参数 {k} 须为 1 至 {max} 的整数"))),
        }
    };
    let instant = |k: &str| -> ApiResult<Option<i64>> {
        get(k)
            .map(|v| parse_instant(v).ok_or_else(|| ApiError::invalid("invalid_parameter", k, format!("参数 {k} 须为日期或时间，如 2026-11-22 或 2026-11-22T08:00:00+08:00"))))
            .transpose()
    };
    let mut q = CaseQuery { now: now_ms(), page: int("page", 1, 1_000_000)?, page_size: int("page_size", 20, 200)?, ..Default::default() };
    if let Some(v) = get("status") {
        for s in v.split(',') {
            q.statuses.push(CaseStatus::parse(s.trim()).ok_or_else(|| ApiError::invalid("invalid_parameter", "status", format!("未知状态“{s}”")))?);
        }
    }
    if let Some(v) = get("category") {
        q.category = Some(v.to_string());
    }
    if let Some(v) = get("q") {
        q.search_terms = chengyun_text::search::query_terms(v).map_err(|e| ApiError::invalid("invalid_parameter", "q", format!("参数 q：{e}")))?;
    }
    if let Some(v) = get("region") {
        if reference.regions.get(v).is_none() {
            return Err(ApiError::invalid("unknown_region", "region", format!("区划代码“{v}”不存在")));
        }
        q.region_prefixes = reference.regions.scope_prefixes(v);
    }
    if let Some(v) = get("unit") {
        q.unit = Some(v.to_string());
    }
    if let Some(v) = get("source") {
        q.source = Some(Source::parse(v).ok_or_else(|| ApiError::invalid("invalid_parameter", "source", format!("未知来源“{v}”")))?);
    }
    if let Some(v) = get("lamp") {
        q.lamp = Some(match v {
            "green" => Lamp::Green,
            "yellow" => Lamp::Yellow,
            "red" => Lamp::Red,
            _ => return Err(ApiError::invalid("invalid_parameter", "lamp", "参数 lamp 须为 green、yellow 或 red")),
        });
    }
    match get("overdue") {
        Some("true") | Some("1") => q.lamp = Some(Lamp::Red),
        Some("false") | Some("0") | None => {}
        Some(_) => return Err(ApiError::invalid("invalid_parameter", "overdue", "参数 overdue 须为 true 或 false")),
    }
    q.created_from = instant("created_from")?;
    q.created_to = instant("created_to")?;
    match get("place_flag") {
        None => {}
        Some(case::PLACE_FLAG_OUTSIDE_GRID) => q.place_flag = Some(case::PLACE_FLAG_OUTSIDE_GRID.into()),
        Some(other) => return Err(ApiError::invalid("invalid_parameter", "place_flag", format!("参数 place_flag 只能为 outside_grid，收到“{other}”"))),
    }
    if let Some(v) = get("merged_into") {
        q.merged_into = Some(v.parse().map_err(|_| ApiError::invalid("invalid_parameter", "merged_into", "参数 merged_into 须为案件 id"))?);
    }
    if let Some(v) = get("reporter") {
        if !may_search_reporter(actor) {
            return Err(ApiError::forbidden("当前角色无权按反映人查询"));
        }
        q.reporter = Some(v.to_string());
    }
    if let Some(v) = get("sort") {
        q.sort = CaseSort::parse(v).ok_or_else(|| ApiError::invalid("invalid_parameter", "sort", "参数 sort 须为 urgency、newest 或 oldest"))?;
    }
    match get("reported_by") {
        None => {}
        Some("me") => q.reported_by = Some(actor.user_id),
        Some(other) => return Err(ApiError::invalid("invalid_parameter", "reported_by", format!("参数 reported_by 只能为 me（本人上报的案件），收到“{other}”"))),
    }
    q.scope = scope_filter(actor, &reference.regions);
    // A region inside the asker's own region already keeps the list within their scope; one
    // condition instead of two lets the database use one index.
    if let Some(region) = get("region")
        && actor.scope.region.is_some()
        && region_in_scope(actor, &reference.regions, region)
    {
        q.scope = None;
    }
    Ok(q)
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let reference = state.reference().await?;
    let q = list_query(&params, &actor, &reference)?;
    let page = state.store.list_cases(&q).await?;
    Ok(Json(json!({
        "items": page.items.iter().map(|s| summary_view(s, &reference, q.now)).collect::<Vec<_>>(),
        "total": page.total,
        "total_exact": page.total_exact,
        "page": q.page,
        "page_size": q.page_size,
    })))
}
