//! `services` and `services/{code}`: a town's public services; and the admin API that chooses
//! them (`/api/v1/admin/open311/services`).

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};

use chengyun_domain::open311::Service;
use chengyun_domain::org::Role;
use chengyun_domain::region::RegionLevel;
use chengyun_storage::AuditActor;

use super::params::{jurisdiction, read};
use super::{answer, split, Answer, Fail, Format, OrFail};
use crate::access::require_role;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::json::JsonBody;
use crate::state::{now_ms, AppState, Reference};

pub fn service_json(s: &Service) -> Value {
    json!({
        "service_code": s.code,
        "service_name": s.name,
        "description": s.description,
        "metadata": s.has_metadata(),
        "type": "realtime",
        "keywords": s.keywords.join(","),
        "group": s.group,
    })
}

fn definition_json(s: &Service) -> Value {
    let attributes: Vec<Value> = s
        .ordered_attributes()
        .into_iter()
        .map(|a| {
            let mut v = json!({
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype.as_str(),
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
            });
            if !a.values.is_empty() {
                v["values"] = json!(a.values.iter().map(|x| json!({"key": x.key, "name": x.name})).collect::<Vec<_>>());
            }
            v
        })
        .collect();
    json!({"service_code": s.code, "attributes": attributes})
}

pub async fn list(state: &AppState, format: Format, request: Request) -> Answer {
    let params = read(request, format, 0).await?;
    let reference = state.reference().await.or_fail(format)?;
    let town = jurisdiction(&params, state, &reference, format)?;
    let services = town_services(state, &town).await.or_fail(format)?;
    Ok(answer(format, StatusCode::OK, "services", Value::Array(services.iter().map(service_json).collect())))
}

pub async fn definition(State(state): State<AppState>, Path(file): Path<String>, request: Request) -> Response {
    async fn run(state: &AppState, file: &str, request: Request) -> Answer {
        let (code, format) = split(file)?;
        let params = read(request, format, 0).await?;
        let reference = state.reference().await.or_fail(format)?;
        let town = jurisdiction(&params, state, &reference, format)?;
        let service = find(state, &town, code, format).await?.ok_or_else(|| Fail::not_found(format, &format!("服务“{code}”")))?;
        Ok(answer(format, StatusCode::OK, "service_definition", definition_json(&service)))
    }
    run(&state, &file, request).await.unwrap_or_else(IntoResponse::into_response)
}

/// One service of a town.
pub async fn find(state: &AppState, town: &str, code: &str, format: Format) -> Result<Option<Service>, Fail> {
    Ok(town_services(state, town).await.or_fail(format)?.iter().find(|s| s.code == code).cloned())
}

/// A town's public services, as read at most `Config::reference_ttl` ago.
pub async fn town_services(state: &AppState, town: &str) -> ApiResult<Arc<Vec<Service>>> {
    let store = state.store.clone();
    state.open311_services.get_or_compute(town, 0, now_ms(), || async move { store.list_open311_services(town).await.map_err(ApiError::from) }).await
}

/// The name residents see for a category: the town's service name, else the category's own.
pub fn service_name(services: &[Service], reference: &Reference, category: &str) -> String {
    services
        .iter()
        .find(|s| s.code == category)
        .map(|s| s.name.clone())
        .or_else(|| reference.catalog.get(category).map(|c| c.name.clone()))
        .unwrap_or_else(|| category.to_string())
}

// ---- admin ----------------------------------------------------------------------------------

pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/open311/services", get(admin_list))
        .route("/api/v1/admin/open311/services/{town}/{code}", put(admin_put).delete(admin_delete))
}

#[derive(Deserialize)]
struct TownQuery {
    jurisdiction: Option<String>,
}

fn check_town(reference: &Reference, town: &str, field: &str) -> ApiResult<()> {
    match reference.regions.get(town) {
        Some(r) if r.level == RegionLevel::Town => Ok(()),
        _ => Err(ApiError::invalid("unknown_jurisdiction", field, format!("“{town}”不是已登记的街镇区划代码"))),
    }
}

async fn admin_list(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Query(q): Query<TownQuery>) -> ApiResult<Json<Value>> {
    require_role(&actor, &[Role::Admin], "管理 Open311 服务")?;
    let town = q.jurisdiction.filter(|t| !t.trim().is_empty()).ok_or_else(|| ApiError::invalid("field_required", "jurisdiction", "请指明街镇（jurisdiction）"))?;
    check_town(&*state.reference().await?, &town, "jurisdiction")?;
    Ok(Json(json!({ "items": state.store.list_open311_services(&town).await? })))
}

async fn admin_put(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path((town, code)): Path<(String, String)>,
    JsonBody(service): JsonBody<Service>,
) -> ApiResult<Json<Value>> {
    require_role(&actor, &[Role::Admin], "管理 Open311 服务")?;
    let reference = state.reference().await?;
    check_town(&reference, &town, "town")?;
    if service.code != code {
        return Err(ApiError::invalid("code_mismatch", "code", "请求体中的服务编码（code）须与路径一致"));
    }
    service.validate().map_err(|p| ApiError::invalid(p.code, &p.field, p.message))?;
    if !reference.catalog.get(&service.code).is_some_and(|c| c.active) {
        return Err(ApiError::invalid("unknown_category", "code", format!("服务编码须为启用中的案件类别编码，“{}”不是", service.code)));
    }
    state.store.put_open311_service(&town, &service, &AuditActor::from(&actor)).await?;
    state.open311_services.clear();
    Ok(Json(json!(service)))
}

async fn admin_delete(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Path((town, code)): Path<(String, String)>) -> ApiResult<StatusCode> {
    require_role(&actor, &[Role::Admin], "管理 Open311 服务")?;
    if state.store.delete_open311_service(&town, &code, &AuditActor::from(&actor)).await? {
        state.open311_services.clear();
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("服务"))
    }
}
