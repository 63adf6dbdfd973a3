//! mySociety's `servicerequestupdates`: GET lists what happened to a town's requests in a time
//! window (so a FixMyStreet-style front end can sync); POST records a client's comment on a
//! request as a 留言 event. Clients cannot change a case's state: `status` is not acted on.

use std::collections::HashMap;

use axum::extract::Request;
use axum::http::StatusCode;
use serde_json::{json, Value};

use chengyun_domain::case::{decide, ActionKind, Case, CaseStatus, Command, Context};
use chengyun_domain::open311::public_status;
use chengyun_domain::time::{format_local, DAY_MS};

use super::params::{jurisdiction, read};
use super::requests::public_text;
use super::{answer, keys, Answer, Fail, Format, OrFail};
use crate::state::{now_ms, AppState};

/// Most updates in one answer.
const MAX_UPDATES: i64 = 1000;
/// Widest window one GET may ask for.
const MAX_WINDOW_DAYS: i64 = 90;

pub async fn list(state: &AppState, format: Format, request: Request) -> Answer {
    let params = read(request, format, 0).await?;
    let reference = state.reference().await.or_fail(format)?;
    let town = jurisdiction(&params, state, &reference, format)?;
    let now = now_ms();
    let to = params.instant(format, "end_date")?.unwrap_or(now + 1);
    let from = params.instant(format, "start_date")?.unwrap_or(to - DAY_MS);
    if from > to || to - from > MAX_WINDOW_DAYS * DAY_MS {
        return Err(Fail::bad(format, "invalid_parameter", "start_date", format!("时间窗口（start_date 至 end_date）须在 {MAX_WINDOW_DAYS} 天以内且开始不晚于结束")));
    }
    let events = state.store.town_events(&town, from, to, MAX_UPDATES).await.or_fail(format)?;
    // The status after each event: replay each touched case's history.
    let mut after: HashMap<(i64, i64), (CaseStatus, String)> = HashMap::new();
    let mut seen: Vec<i64> = Vec::new();
    for e in &events {
        if seen.contains(&e.case_id) {
            continue;
        }
        seen.push(e.case_id);
        let history = state.store.case_events(e.case_id).await.or_fail(format)?;
        let mut case: Option<Case> = None;
        for h in &history {
            match case.as_mut() {
                None => case = Case::reported(e.case_id, &h.event).ok(),
                Some(c) => {
                    if c.apply(&h.event).is_err() {
                        break;
                    }
                }
            }
            if let Some(c) = &case {
                after.insert((e.case_id, h.event.seq), (c.status, c.facts.number.clone()));
            }
        }
    }
    let updates: Vec<Value> = events
        .iter()
        .filter(|e| e.event.action != ActionKind::Report)
        .filter_map(|e| {
            let (status, number) = after.get(&(e.case_id, e.event.seq))?;
            let (open_closed, notes) = public_status(*status);
            let text = public_text(&e.event.change, e.event.reason.as_deref());
            Some(json!({
                "update_id": e.id.to_string(),
                "service_request_id": number,
                "status": open_closed,
                "updated_datetime": format_local(e.event.at),
                "description": text.unwrap_or_else(|| format!("{}：{}", e.event.action.label(), notes)),
                "media_url": Value::Null,
                "extended_attributes": {"action": e.event.action.as_str(), "case_status": status.as_str()},
            }))
        })
        .collect();
    Ok(answer(format, StatusCode::OK, "service_request_updates", Value::Array(updates)))
}

pub async fn create(state: &AppState, format: Format, request: Request) -> Answer {
    let params = read(request, format, 0).await?;
    let reference = state.reference().await.or_fail(format)?;
    let town = jurisdiction(&params, state, &reference, format)?;
    let (_key, actor) = keys::client(state, &params, &town, format).await?;
    let number = params.get("service_request_id").ok_or_else(|| Fail::bad(format, "field_required", "service_request_id", "请指明服务请求编号（service_request_id）"))?;
    let text = params.get("description").ok_or_else(|| Fail::bad(format, "field_required", "description", "留言内容（description）不能为空"))?;
    let mut text = text.to_string();
    if let Some(url) = params.get("media_url") {
        text.push_str(&format!("\n【图片链接】{url}"));
    }
    let id = state.store.case_id_by_number(number).await.or_fail(format)?;
    let before = match id {
        Some(id) => state.store.get_case(id).await.or_fail(format)?,
        None => None,
    };
    let before = before
        .filter(|c| c.facts.region_code.starts_with(&town))
        .ok_or_else(|| Fail::not_found(format, &format!("服务请求“{number}”")))?;
    let ctx = Context { now: now_ms(), calendar: &reference.calendar, steps: &reference.steps, merge_target: None, new_category_limit: None };
    let event = decide(&before, &actor, &Command::Comment { text }, &ctx).map_err(|r| {
        let field = if r.field.as_deref() == Some("text") { "description".to_string() } else { r.field.clone().unwrap_or_default() };
        Fail::bad(format, r.code, &field, r.message.replace("（text）", "（description）"))
    })?;
    let mut after = before.clone();
    after.apply(&event).map_err(|_| Fail::from_api(format, crate::ApiError::internal()))?;
    state.store.append_event(&before, &after, &event).await.or_fail(format)?;
    let stored = state.store.case_events(after.id).await.or_fail(format)?;
    let update_id = stored.iter().find(|e| e.event.seq == event.seq).map(|e| e.id.to_string()).unwrap_or_default();
    Ok(answer(format, StatusCode::CREATED, "service_request_updates", json!([{"update_id": update_id}])))
}
