//! 责任清单 and 智能派遣: the proposal for a case, automatic dispatch at 立案, and the admin's
//! rules (JSON and an Excel-friendly CSV).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use chengyun_domain::case::{Case, CaseStatus, Command, Context};
use chengyun_domain::org::{Actor, Role, Scope};
use chengyun_domain::routing::{check_rule, Proposal, RoutingRule, ANY_CATEGORY};
use chengyun_storage::AuditActor;

use crate::access::require_role;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::json::JsonBody;
use crate::places::{param, Params};
use crate::routing_csv;
use crate::state::{now_ms, AppState, Reference};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases/{id}/routing", get(case_routing))
        .route("/api/v1/admin/routing-rules", get(list_rules).put(put_rule).delete(delete_rule))
        .route("/api/v1/admin/routing-rules.csv", get(export_csv).post(import_csv))
}

/// The rule the 责任清单 gives for a case now.
pub fn proposal<'r>(case: &Case, reference: &'r Reference) -> Option<Proposal<'r>> {
    let category = reference.catalog.get(&case.facts.category)?;
    reference.routing.propose(category, &case.facts.region_code, &reference.regions)
}

fn unit_brief(reference: &Reference, code: &str) -> Value {
    json!({"code": code, "name": reference.unit_name(code)})
}

/// What a rule's category key names: the category, a 大类 or every category.
pub fn category_key_name(reference: &Reference, key: &str) -> Option<String> {
    if key == ANY_CATEGORY {
        return Some("全部类别".into());
    }
    reference.catalog.get(key).map(|c| c.name.clone()).or_else(|| {
        reference.catalog.iter().find(|c| chengyun_domain::routing::major_key(c) == key).map(|c| format!("{}（大类）", c.major_name))
    })
}

/// What the dispatcher sees: the proposed units and the rule that produced them, or why there
/// is none.
pub fn proposal_view(case: &Case, reference: &Reference) -> Value {
    match proposal(case, reference) {
        Some(p) => {
            let rule = p.rule;
            let category_label = match category_key_name(reference, &rule.category) {
                Some(name) => format!("{} {name}", rule.category),
                None => rule.category.clone(),
            };
            let region_name = reference.region_name(&rule.region).unwrap_or(&rule.region);
            json!({
                "lead": unit_brief(reference, &rule.lead),
                "assists": rule.assists.iter().map(|u| unit_brief(reference, u)).collect::<Vec<_>>(),
                "auto_dispatch": rule.auto_dispatch,
                "rule": {"category": rule.category, "region": rule.region, "region_name": region_name,
                         "matched": p.matched, "matched_label": p.matched.label(), "note": rule.note},
                "explanation": format!("责任清单：{region_name}（{}）的“{category_label}”规则（{}）", rule.region, p.matched.label()),
            })
        }
        None => json!({
            "lead": Value::Null,
            "assists": [],
            "auto_dispatch": false,
            "rule": Value::Null,
            "reason": "no_rule",
            "explanation": "责任清单未覆盖该类别与区划，请派遣员人工选择处置单位",
        }),
    }
}

async fn case_routing(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let reference = state.reference().await?;
    let case = crate::cases::visible_case(&state, &actor, &reference, crate::cases::parse_id(&id)?).await?;
    let mut view = proposal_view(&case, &reference);
    view["case_id"] = json!(case.id);
    view["region_code"] = json!(case.facts.region_code);
    view["category"] = json!(case.facts.category);
    Ok(Json(view))
}

/// `dispatch` without units takes the proposal: the dispatcher's one-click confirmation.
pub fn fill_proposed_units(command: &mut Command, case: &Case, reference: &Reference) -> ApiResult<()> {
    if let Command::Dispatch { units, .. } = command
        && units.is_empty()
    {
        let p = proposal(case, reference).ok_or_else(|| {
            ApiError::invalid("no_routing_rule", "units", "责任清单未覆盖该案件（类别×区划），请选择处置单位（units）")
        })?;
        *units = p.rule.units();
    }
    Ok(())
}

/// The actor automatic dispatch acts as.
fn auto_dispatcher() -> Actor {
    Actor {
        user_id: 0,
        username: "system".into(),
        display_name: "系统（自动派遣）".into(),
        roles: vec![Role::Dispatcher],
        scope: Scope { region: None, unit: None },
    }
}

/// After 立案: dispatch at once when the town's rule for the case says so. A failure leaves the
/// case filed for a dispatcher (it is logged, never lost).
pub async fn auto_dispatch(state: &AppState, case: Case, reference: &Reference) -> Case {
    if case.status != CaseStatus::Filed {
        return case;
    }
    let Some(p) = proposal(&case, reference).filter(|p| p.rule.auto_dispatch) else {
        return case;
    };
    let units = p.rule.units();
    if units.iter().any(|u| !reference.units.get(u).is_some_and(|u| u.active)) {
        tracing::warn!(case = case.id, "auto dispatch skipped: a unit of the rule is inactive");
        return case;
    }
    let command = Command::Dispatch { units, note: Some("按责任清单自动派遣".into()) };
    let ctx = Context { now: now_ms(), calendar: &reference.calendar, steps: &reference.steps, merge_target: None, new_category_limit: None };
    match crate::cases::take_action(state, &case, &auto_dispatcher(), &command, &ctx).await {
        Ok(next) => next,
        Err(e) => {
            tracing::warn!(case = case.id, code = e.code, "auto dispatch not done; the case waits for a dispatcher");
            case
        }
    }
}

// ---- admin: the rules ------------------------------------------------------------------------

/// Reading the list is for the admin and the dispatchers who rely on it; changing it is the admin's.
fn may_read_rules(actor: &Actor) -> ApiResult<()> {
    require_role(actor, &[Role::Admin, Role::Dispatcher, Role::ShiftLead], "查看责任清单")
}

fn may_edit_rules(actor: &Actor) -> ApiResult<()> {
    require_role(actor, &[Role::Admin], "修改责任清单")
}

/// Code prefixes of a region subtree (every code when no region is given).
fn subtree_prefixes(reference: &Reference, region: Option<&str>) -> ApiResult<Vec<String>> {
    match region {
        Some(code) => {
            reference.regions.get(code).ok_or_else(|| ApiError::invalid("unknown_region", "region", format!("区划代码“{code}”不存在")))?;
            Ok(reference.regions.scope_prefixes(code))
        }
        None => Ok(vec![String::new()]),
    }
}

/// Rules set within a region subtree (all when no region is given).
fn rules_within<'r>(reference: &'r Reference, region: Option<&str>) -> ApiResult<Vec<&'r RoutingRule>> {
    let prefixes = subtree_prefixes(reference, region)?;
    Ok(reference.routing.rules().iter().filter(|r| prefixes.iter().any(|p| r.region.starts_with(p.as_str()))).collect())
}

fn rule_view(rule: &RoutingRule, reference: &Reference) -> Value {
    json!({
        "category": rule.category,
        "category_name": reference.catalog.get(&rule.category).map(|c| c.name.as_str()),
        "region": rule.region,
        "region_name": reference.region_name(&rule.region),
        "lead": rule.lead,
        "lead_name": reference.unit_name(&rule.lead),
        "assists": rule.assists,
        "assist_names": rule.assists.iter().map(|u| reference.unit_name(u)).collect::<Vec<_>>(),
        "auto_dispatch": rule.auto_dispatch,
        "note": rule.note,
    })
}

async fn list_rules(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Query(params): Query<Params>) -> ApiResult<Json<Value>> {
    may_read_rules(&actor)?;
    let reference = state.reference().await?;
    let category = param(&params, "category");
    let items: Vec<Value> = rules_within(&reference, param(&params, "region"))?
        .into_iter()
        .filter(|r| category.is_none_or(|c| r.category == c))
        .map(|r| rule_view(r, &reference))
        .collect();
    Ok(Json(json!({"items": items, "total": items.len()})))
}

fn checked(rule: RoutingRule, reference: &Reference) -> ApiResult<RoutingRule> {
    let rule = RoutingRule {
        category: rule.category.trim().to_string(),
        region: rule.region.trim().to_string(),
        lead: rule.lead.trim().to_string(),
        assists: rule.assists.iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect(),
        note: rule.note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
        ..rule
    };
    let units: Vec<_> = reference.units.values().cloned().collect();
    check_rule(&rule, &reference.catalog, &reference.regions, &units).map_err(|e| ApiError::invalid(e.code(), e.field(), e.to_string()))?;
    Ok(rule)
}

async fn put_rule(State(state): State<AppState>, CurrentUser(actor): CurrentUser, JsonBody(rule): JsonBody<RoutingRule>) -> ApiResult<Json<Value>> {
    may_edit_rules(&actor)?;
    let reference = state.reference().await?;
    let rule = checked(rule, &reference)?;
    state.store.put_routing_rule(&rule, &AuditActor::from(&actor)).await?;
    let reference = state.reload().await?;
    Ok(Json(rule_view(&rule, &reference)))
}

async fn delete_rule(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Query(params): Query<Params>) -> ApiResult<StatusCode> {
    may_edit_rules(&actor)?;
    let category = param(&params, "category").ok_or_else(|| ApiError::invalid("field_required", "category", "缺少参数 category"))?;
    let region = param(&params, "region").ok_or_else(|| ApiError::invalid("field_required", "region", "缺少参数 region"))?;
    if !state.store.delete_routing_rule(category, region, &AuditActor::from(&actor)).await? {
        return Err(ApiError::not_found("责任规则"));
    }
    state.reload().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn export_csv(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Query(params): Query<Params>) -> ApiResult<impl IntoResponse> {
    may_read_rules(&actor)?;
    let reference = state.reference().await?;
    let body = export_rules(&reference, param(&params, "region"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"routing-rules.csv\""),
        ],
        body,
    ))
}

/// The rules within a region (all when none) as the CSV people edit.
pub fn export_rules(reference: &Reference, region: Option<&str>) -> ApiResult<String> {
    Ok(routing_csv::write(&rules_within(reference, region)?, reference))
}

/// Replaces the rules within `region` (the whole instance when absent) by the file's, all or
/// nothing.
async fn import_csv(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Query(params): Query<Params>, body: Bytes) -> ApiResult<Json<Value>> {
    may_edit_rules(&actor)?;
    let reference = state.reference().await?;
    let (added, removed) = import_rules(&state, &reference, &body, param(&params, "region"), &AuditActor::from(&actor)).await?;
    Ok(Json(json!({"imported": added, "removed": removed})))
}

/// Shared by the API and the CLI: parse, check every row, replace the subtree's rules.
pub async fn import_rules(state: &AppState, reference: &Reference, bytes: &[u8], region: Option<&str>, by: &AuditActor) -> ApiResult<(usize, u64)> {
    let prefixes = subtree_prefixes(reference, region)?;
    let rows = routing_csv::read(bytes).map_err(|errors| csv_error(&errors))?;
    let mut errors = Vec::new();
    let mut rules = Vec::new();
    for (line, rule) in rows {
        if !prefixes.iter().any(|p| rule.region.starts_with(p.as_str())) {
            errors.push(routing_csv::RowError { line, field: "区划代码", message: format!("区划“{}”不在本次导入范围内", rule.region) });
            continue;
        }
        match checked(rule, reference) {
            Ok(rule) => rules.push(rule),
            Err(e) => errors.push(routing_csv::RowError { line, field: routing_csv::column_of(e.field.as_deref()), message: e.message }),
        }
    }
    if let Err(e) = chengyun_domain::routing::ResponsibilityList::new(rules.clone()) {
        errors.push(routing_csv::RowError { line: 0, field: "类别代码", message: e.to_string() });
    }
    if !errors.is_empty() {
        return Err(csv_error(&errors));
    }
    let removed = state.store.replace_routing_rules(&prefixes, &rules, by).await?;
    state.reload().await?;
    Ok((rules.len(), removed))
}

fn csv_error(errors: &[routing_csv::RowError]) -> ApiError {
    let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
    ApiError::invalid("invalid_csv", "file", format!("责任清单有 {} 处错误，未导入。{first}", errors.len()))
        .details(errors.iter().map(|e| json!({"line": e.line, "field": e.field, "message": e.to_string()})).collect())
}
