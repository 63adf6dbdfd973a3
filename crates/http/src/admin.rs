//! Administration: regions, units, users, category tables, the working calendar. 管理员 only;
//! every change is audited by the store in the same transaction.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use chengyun_domain::calendar::{HolidayTable, WorkCalendar, WorkSchedule};
use chengyun_domain::category::{CategoryCatalog, CategoryTable};
use chengyun_domain::deadline::StepLimits;
use chengyun_domain::org::{valid_unit_code, Actor, Role, Unit};
use chengyun_domain::region::Region;
use chengyun_storage::{AuditActor, NewUser, UserPatch};

use crate::access::require_role;
use crate::auth::{hash_password, CurrentUser};
use crate::error::{ApiError, ApiResult};
use crate::json::JsonBody;
use crate::state::{AppState, HOLIDAYS_KEY, SCHEDULE_KEY, STEP_LIMITS_KEY};
use crate::views::user_view;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/regions", get(list_regions).post(upsert_region))
        .route("/api/v1/admin/units", get(list_units).post(upsert_unit))
        .route("/api/v1/admin/users", get(list_users).post(create_user))
        .route("/api/v1/admin/users/{id}", patch(update_user))
        .route("/api/v1/admin/categories", get(list_tables).post(put_table))
        .route("/api/v1/admin/calendar", get(get_calendar).put(put_calendar))
        .route("/api/v1/units", get(list_units_for_staff))
}

fn admin(actor: &Actor) -> ApiResult<()> {
    require_role(actor, &[Role::Admin], "进行系统管理")
}

/// Every region, with `has_boundary` so the console can show which still lack an outline.
async fn list_regions(State(state): State<AppState>, CurrentUser(actor): CurrentUser) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    let reference = state.reference().await?;
    let places = state.places().await?;
    let items: Vec<Value> = reference
        .regions
        .iter()
        .map(|r: &Region| json!({"code": r.code, "name": r.name, "level": r.level, "parent": r.parent, "has_boundary": places.index.contains(&r.code)}))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn upsert_region(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    JsonBody(region): JsonBody<Region>,
) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    let reference = state.reference().await?;
    // Check the region fits the hierarchy as it would be after the change.
    let mut regions: Vec<Region> = reference.regions.iter().filter(|r| r.code != region.code).cloned().collect();
    regions.push(region.clone());
    chengyun_domain::region::RegionTree::from_regions(regions)
        .map_err(|e| ApiError::invalid("invalid_region", "code", e.to_string()))?;
    state.store.upsert_region(&region, &AuditActor::from(&actor)).await?;
    state.reload().await?;
    Ok(Json(json!(region)))
}

async fn list_units(State(state): State<AppState>, CurrentUser(actor): CurrentUser) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    let reference = state.reference().await?;
    Ok(Json(json!({ "items": reference.units.values().collect::<Vec<_>>() })))
}

/// Active units with codes, for the centre's staff choosing where to dispatch.
async fn list_units_for_staff(State(state): State<AppState>, CurrentUser(_): CurrentUser) -> ApiResult<Json<Value>> {
    let reference = state.reference().await?;
    let items: Vec<Value> = reference
        .units
        .values()
        .filter(|u| u.active)
        .map(|u| json!({"code": u.code, "name": u.name, "kind": u.kind, "kind_label": u.kind.label(), "region_code": u.region_code}))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn upsert_unit(State(state): State<AppState>, CurrentUser(actor): CurrentUser, JsonBody(unit): JsonBody<Unit>) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    if !valid_unit_code(&unit.code) {
        return Err(ApiError::invalid("invalid_unit_code", "code", "单位编码（code）须为2至40位字母、数字、- 或 _"));
    }
    if unit.name.trim().is_empty() {
        return Err(ApiError::invalid("field_required", "name", "单位名称（name）不能为空"));
    }
    let reference = state.reference().await?;
    if reference.regions.get(&unit.region_code).is_none() {
        return Err(ApiError::invalid("unknown_region", "region_code", format!("区划代码“{}”不存在", unit.region_code)));
    }
    state.store.upsert_unit(&unit, &AuditActor::from(&actor)).await?;
    state.reload().await?;
    Ok(Json(json!(unit)))
}

async fn list_users(State(state): State<AppState>, CurrentUser(actor): CurrentUser) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    let users = state.store.list_users().await?;
    Ok(Json(json!({ "items": users.iter().map(user_view).collect::<Vec<_>>() })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    username: String,
    display_name: String,
    password: String,
    roles: Vec<Role>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

/// Minimum password length for accounts made through the API.
const MIN_PASSWORD: usize = 8;

/// Checks a user's roles and scope against the reference data.
async fn check_scope(state: &AppState, roles: &[Role], unit: Option<&str>, region: Option<&str>) -> ApiResult<()> {
    let reference = state.reference().await?;
    if roles.is_empty() {
        return Err(ApiError::invalid("field_required", "roles", "至少指定一个角色（roles）"));
    }
    if roles.iter().any(|r| !r.is_staff()) {
        return Err(ApiError::invalid("channel_role", "roles", "接入渠道（channel）账号随 API 密钥创建，不能手工指定"));
    }
    if let Some(u) = unit
        && !reference.units.contains_key(u)
    {
        return Err(ApiError::invalid("unknown_unit", "unit", format!("单位“{u}”不存在")));
    }
    if let Some(r) = region
        && reference.regions.get(r).is_none()
    {
        return Err(ApiError::invalid("unknown_region", "region", format!("区划代码“{r}”不存在")));
    }
    if roles.contains(&Role::Handler) && unit.is_none() {
        return Err(ApiError::invalid("unit_required", "unit", "处置人员须指定所属单位（unit）"));
    }
    Ok(())
}

/// Longest 姓名 shown in lists and timelines.
const MAX_DISPLAY_NAME: usize = 40;

/// The name people see on cases and in the audit log: required, trimmed, short.
fn checked_display_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid("field_required", "display_name", "姓名（display_name）不能为空"));
    }
    if name.chars().count() > MAX_DISPLAY_NAME {
        return Err(ApiError::invalid("text_too_long", "display_name", format!("姓名（display_name）至多{MAX_DISPLAY_NAME}个字")));
    }
    Ok(name.to_string())
}

pub fn valid_username(name: &str) -> bool {
    (2..=40).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

async fn create_user(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    JsonBody(body): JsonBody<CreateUser>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    admin(&actor)?;
    if !valid_username(&body.username) {
        return Err(ApiError::invalid("invalid_username", "username", "用户名（username）须为2至40位字母、数字、- _ ."));
    }
    let display_name = checked_display_name(&body.display_name)?;
    if body.password.chars().count() < MIN_PASSWORD {
        return Err(ApiError::invalid("weak_password", "password", format!("密码（password）至少{MIN_PASSWORD}位")));
    }
    check_scope(&state, &body.roles, body.unit.as_deref(), body.region.as_deref()).await?;
    let password_hash = hash_password(body.password).await.map_err(|_| ApiError::internal())?;
    let user = NewUser {
        username: body.username,
        display_name,
        password_hash,
        roles: body.roles,
        unit: body.unit,
        region: body.region,
    };
    let created = state.store.create_user(&user, &AuditActor::from(&actor)).await?;
    Ok((StatusCode::CREATED, Json(user_view(&created))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateUser {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    roles: Option<Vec<Role>>,
    #[serde(default, with = "double_option")]
    unit: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    region: Option<Option<String>>,
    #[serde(default)]
    active: Option<bool>,
}

/// `null` clears a field, absence leaves it.
mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

async fn update_user(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<UpdateUser>,
) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    let current = state.store.user_by_id(id).await?.ok_or_else(|| ApiError::not_found("用户"))?;
    if current.roles.iter().any(|r| !r.is_staff()) {
        return Err(ApiError::invalid("channel_user", "id", "接入渠道账号由 API 密钥管理（/api/v1/admin/apikeys），不能修改"));
    }
    let display_name = body.display_name.as_deref().map(checked_display_name).transpose()?;
    let roles = body.roles.clone().unwrap_or(current.roles.clone());
    let unit = body.unit.clone().unwrap_or(current.unit.clone());
    let region = body.region.clone().unwrap_or(current.region.clone());
    check_scope(&state, &roles, unit.as_deref(), region.as_deref()).await?;
    if id == actor.user_id && (body.active == Some(false) || !roles.contains(&Role::Admin)) {
        return Err(ApiError::invalid("self_lockout", "roles", "不能停用自己或取消自己的管理员角色"));
    }
    let password_hash = match body.password {
        Some(p) if p.chars().count() < MIN_PASSWORD => {
            return Err(ApiError::invalid("weak_password", "password", format!("密码（password）至少{MIN_PASSWORD}位")));
        }
        Some(p) => Some(hash_password(p).await.map_err(|_| ApiError::internal())?),
        None => None,
    };
    let patch = UserPatch {
        display_name,
        password_hash,
        roles: body.roles,
        unit: body.unit,
        region: body.region,
        active: body.active,
    };
    let updated = state.store.update_user(id, &patch, &AuditActor::from(&actor)).await?;
    Ok(Json(user_view(&updated)))
}

async fn list_tables(State(state): State<AppState>, CurrentUser(actor): CurrentUser) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    let reference = state.reference().await?;
    Ok(Json(json!({ "items": reference.catalog.tables() })))
}

/// Adds or replaces one code table (as a whole), checked against the others for code clashes.
async fn put_table(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    let table = CategoryTable::from_json(&body.to_string()).map_err(|e| ApiError::invalid("invalid_category_table", "categories", e.to_string()))?;
    let reference = state.reference().await?;
    let mut tables: Vec<CategoryTable> = reference.catalog.tables().iter().filter(|t| t.scheme != table.scheme).cloned().collect();
    tables.push(table.clone());
    CategoryCatalog::new(tables).map_err(|e| ApiError::invalid("invalid_category_table", "categories", e.to_string()))?;
    state.store.put_category_table(&table, &AuditActor::from(&actor)).await?;
    state.reload().await?;
    Ok(Json(json!({"scheme": table.scheme, "version": table.version, "categories": table.categories.len()})))
}

async fn get_calendar(State(state): State<AppState>, CurrentUser(actor): CurrentUser) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    let reference = state.reference().await?;
    let holidays: Value = serde_json::from_str(&reference.calendar.holidays().to_json()).map_err(|_| ApiError::internal())?;
    Ok(Json(json!({"schedule": reference.calendar.schedule(), "holidays": holidays, "step_limits": reference.steps})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarBody {
    #[serde(default)]
    schedule: Option<WorkSchedule>,
    #[serde(default)]
    holidays: Option<Value>,
    /// Limits of the centre's own steps (受理, 核实, 立案, 派遣, 派核查, 核查, 结案).
    #[serde(default)]
    step_limits: Option<StepLimits>,
}

async fn put_calendar(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    JsonBody(body): JsonBody<CalendarBody>,
) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    let reference = state.reference().await?;
    let schedule = body.schedule.unwrap_or_else(|| reference.calendar.schedule().clone());
    let holidays = match &body.holidays {
        Some(v) => HolidayTable::from_json(&v.to_string()).map_err(|e| ApiError::invalid("invalid_calendar", "holidays", e.to_string()))?,
        None => reference.calendar.holidays().clone(),
    };
    WorkCalendar::new(schedule.clone(), holidays.clone()).map_err(|e| ApiError::invalid("invalid_calendar", "schedule", e.to_string()))?;
    let by = AuditActor::from(&actor);
    state.store.put_setting(SCHEDULE_KEY, &serde_json::to_string(&schedule).map_err(|_| ApiError::internal())?, &by).await?;
    if body.holidays.is_some() {
        state.store.put_setting(HOLIDAYS_KEY, &holidays.to_json(), &by).await?;
    }
    if let Some(limits) = &body.step_limits {
        state.store.put_setting(STEP_LIMITS_KEY, &serde_json::to_string(limits).map_err(|_| ApiError::internal())?, &by).await?;
    }
    state.reload().await?;
    get_calendar(State(state), CurrentUser(actor)).await
}
