//! 疑似重复案件 with text: open cases of the same category near a case in place and time,
//! scored by text similarity, distance and age (`chengyun_text::similar`), for the 受理员 to
//! merge or not. The limits and weights are an admin setting.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use chengyun_domain::case::{Case, CaseStatus};
use chengyun_domain::org::Role;
use chengyun_places::coord::{distance_m, LonLat};
use chengyun_storage::{AuditActor, CaseQuery};
use chengyun_text::similar::{similar_score, text_similarity, SimilarParams};

use crate::access::{require_role, scope_filter};
use crate::auth::CurrentUser;
use crate::cases::{parse_id, visible_case};
use crate::error::{ApiError, ApiResult};
use crate::json::JsonBody;
use crate::state::{AppState, Reference};
use crate::views::summary_view;

/// Settings key of [`SimilarParams`] (JSON).
pub const SIMILAR_KEY: &str = "cases.similar";
/// Cases of one category near in time are few; more than this many candidates are not read.
const MAX_CANDIDATES: i64 = 200;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases/{id}/similar", get(similar))
        .route("/api/v1/admin/similar-cases", get(get_params).put(put_params))
}

async fn params(state: &AppState) -> ApiResult<SimilarParams> {
    match state.store.get_setting(SIMILAR_KEY).await? {
        Some(raw) => serde_json::from_str(&raw).map_err(|e| {
            tracing::error!(error = %e, "stored similar-case settings do not parse");
            ApiError::internal()
        }),
        None => Ok(SimilarParams::default()),
    }
}

/// The text compared: what was reported. Not the address — the place part measures where, and
/// two reports at one address would otherwise look alike whatever they say.
fn text_of(case: &Case) -> &str {
    &case.facts.description
}

fn point(case: &Case) -> Option<LonLat> {
    case.facts.placement.as_ref().map(|p| LonLat::new(p.lon, p.lat))
}

async fn similar(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    require_role(&actor, &[Role::Operator, Role::ShiftLead, Role::Dispatcher], "查看疑似重复案件")?;
    let limit = match query.get("limit").map(|v| v.trim()) {
        None | Some("") => 10,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=50).contains(n))
            .ok_or_else(|| ApiError::invalid("invalid_parameter", "limit", "参数 limit 须为 1 至 50 的整数"))?,
    };
    let reference = state.reference().await?;
    let case = visible_case(&state, &actor, &reference, parse_id(&id)?).await?;
    let p = params(&state).await?;
    let window_ms = (p.window_hours * 3_600_000.0) as i64;
    // Candidates through the list query, so the asker's scope applies as everywhere else.
    let q = CaseQuery {
        statuses: CaseStatus::ALL.into_iter().filter(|s| !s.is_final()).collect(),
        category: Some(case.facts.category.clone()),
        created_from: Some(case.created_at - window_ms),
        created_to: Some(case.created_at + window_ms + 1),
        scope: scope_filter(&actor, &reference.regions),
        now: crate::state::now_ms(),
        page: 1,
        page_size: MAX_CANDIDATES,
        ..Default::default()
    };
    let page = state.store.list_cases(&q).await?;
    let text = text_of(&case);
    let mut found = Vec::new();
    for summary in page.items.iter().filter(|s| s.id != case.id) {
        let Some(other) = state.store.get_case(summary.id).await? else { continue };
        // With a point, "near" is the radius; without one, the same 村/居 or grid.
        let distance = match (point(&case), point(&other)) {
            (Some(a), Some(b)) => Some(distance_m(a, b)),
            _ => None,
        };
        let near = match distance {
            Some(d) => d <= p.radius_m,
            None => point(&case).is_none() && other.facts.region_code == case.facts.region_code,
        };
        if !near {
            continue;
        }
        let hours = (other.created_at - case.created_at) as f64 / 3_600_000.0;
        let score = similar_score(text_similarity(text, text_of(&other)), distance.unwrap_or(p.radius_m), hours, &p);
        if score.score >= p.threshold {
            found.push((summary, distance, hours, score));
        }
    }
    found.sort_by(|a, b| b.3.score.total_cmp(&a.3.score).then(b.0.id.cmp(&a.0.id)));
    found.truncate(limit);
    Ok(Json(json!({
        "case_id": case.id,
        "params": p,
        "items": found.iter().map(|(s, distance, hours, score)| item(s, *distance, *hours, score, &reference, q.now)).collect::<Vec<_>>(),
    })))
}

fn item(
    s: &chengyun_storage::CaseSummary,
    distance: Option<f64>,
    hours: f64,
    score: &chengyun_text::similar::SimilarScore,
    reference: &Reference,
    now: i64,
) -> Value {
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    let mut view = summary_view(s, reference, now);
    view["similarity"] = json!({
        "score": round(score.score),
        "text": round(score.text),
        "place": round(score.place),
        "time": round(score.time),
        "distance_m": distance.map(|d| d.round()),
        "hours_apart": round(hours),
    });
    view
}

async fn get_params(State(state): State<AppState>, CurrentUser(actor): CurrentUser) -> ApiResult<Json<Value>> {
    require_role(&actor, &[Role::Admin], "查看疑似重复案件设置")?;
    Ok(Json(json!(params(&state).await?)))
}

async fn put_params(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Json<Value>> {
    require_role(&actor, &[Role::Admin], "修改疑似重复案件设置")?;
    let p: SimilarParams = crate::json::from_value(body)?;
    p.validate().map_err(|(field, message)| ApiError::invalid("invalid_field", field, message))?;
    let raw = serde_json::to_string(&p).map_err(|_| ApiError::internal())?;
    state.store.put_setting(SIMILAR_KEY, &raw, &AuditActor::from(&actor)).await?;
    Ok(Json(json!(p)))
}
