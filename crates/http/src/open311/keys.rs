//! API keys of client systems (接入渠道): issued by the admin (API or CLI) and shown once, stored
//! as SHA-256 hashes, scoped to towns, rate-limited per key, revocable. Each key reports as its
//! own system user (role `channel`), so the timeline and the audit log name the client.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use chengyun_domain::org::{Actor, Role};
use chengyun_domain::region::RegionLevel;
use chengyun_storage::{ApiKeyRecord, AuditActor, NewApiKey, Store};

use super::params::Params;
use super::{Fail, Format, OrFail};
use crate::access::require_role;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::json::JsonBody;
use crate::state::{now_ms, AppState};

pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/apikeys", get(list).post(create))
        .route("/api/v1/admin/apikeys/{id}", delete(revoke))
}

fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// What the admin asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    pub name: String,
    /// Town codes (街镇, 9 digits).
    pub jurisdictions: Vec<String>,
    #[serde(default)]
    pub rate_per_minute: Option<i64>,
}

/// Checks the request, makes a new random key and stores its hash with a new system user.
/// Returns the key — the only time it exists outside the client — and its record.
pub async fn issue_key(store: &dyn Store, request: KeyRequest, by: &AuditActor) -> ApiResult<(String, ApiKeyRecord)> {
    let name = request.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(ApiError::invalid("invalid_name", "name", "密钥名称（name）须为1至60个字符"));
    }
    if request.jurisdictions.is_empty() {
        return Err(ApiError::invalid("field_required", "jurisdictions", "请至少指定一个辖区（jurisdictions，街镇区划代码）"));
    }
    let regions = store.list_regions().await?;
    let mut towns: Vec<String> = Vec::new();
    for (i, code) in request.jurisdictions.iter().enumerate() {
        let code = code.trim();
        if !regions.iter().any(|r| r.code == code && r.level == RegionLevel::Town) {
            return Err(ApiError::invalid("unknown_jurisdiction", &format!("jurisdictions[{i}]"), format!("“{code}”不是已登记的街镇区划代码")));
        }
        if !towns.iter().any(|t| t == code) {
            towns.push(code.to_string());
        }
    }
    if let Some(rate) = request.rate_per_minute
        && !(1..=100_000).contains(&rate)
    {
        return Err(ApiError::invalid("invalid_rate", "rate_per_minute", "每分钟请求上限（rate_per_minute）须为 1 至 100000"));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| ApiError::internal())?;
    let key = format!("cy_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    let record = store
        .create_api_key(&NewApiKey { name, key_hash: key_hash(&key), jurisdictions: towns, rate_per_minute: request.rate_per_minute }, by)
        .await?;
    Ok((key, record))
}

fn admin(actor: &Actor) -> ApiResult<()> {
    require_role(actor, &[Role::Admin], "管理 API 密钥")
}

async fn list(State(state): State<AppState>, CurrentUser(actor): CurrentUser) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    Ok(Json(json!({ "items": state.store.list_api_keys().await? })))
}

async fn create(State(state): State<AppState>, CurrentUser(actor): CurrentUser, JsonBody(request): JsonBody<KeyRequest>) -> ApiResult<(StatusCode, Json<Value>)> {
    admin(&actor)?;
    let (key, record) = issue_key(&*state.store, request, &AuditActor::from(&actor)).await?;
    state.api_keys.clear();
    let mut body = json!(record);
    body["key"] = json!(key);
    Ok((StatusCode::CREATED, Json(body)))
}

async fn revoke(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    admin(&actor)?;
    if state.store.revoke_api_key(id, &AuditActor::from(&actor)).await? {
        state.api_keys.clear();
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("API 密钥"))
    }
}

/// The client behind a request's `api_key` (query string or form body), allowed to act in
/// `town` and within its rate. 403 for a missing, unknown, revoked or out-of-scope key.
pub async fn client(state: &AppState, params: &Params, town: &str, format: Format) -> Result<(ApiKeyRecord, Actor), Fail> {
    let key = params.get("api_key").ok_or_else(|| Fail::forbidden(format, "api_key_required", "须提供有效的 API 密钥（api_key）"))?;
    let hash = key_hash(key);
    let store = state.store.clone();
    let found = state
        .api_keys
        .get_or_compute(&hash, 0, now_ms(), || async { store.api_key_by_hash(&hash).await.map_err(ApiError::from) })
        .await
        .or_fail(format)?;
    let (record, user) = found
        .as_ref()
        .clone()
        .ok_or_else(|| Fail::forbidden(format, "invalid_api_key", "API 密钥（api_key）无效或已吊销"))?;
    if !record.jurisdictions.iter().any(|t| t == town) {
        return Err(Fail::forbidden(format, "jurisdiction_not_allowed", format!("该 API 密钥无权向辖区“{town}”（jurisdiction_id）提交")));
    }
    let limit = record.rate_per_minute.unwrap_or(state.config.open311_rate_per_minute);
    if let Err(wait) = take(&record, limit, now_ms()) {
        let mut e = Fail::new(format, StatusCode::TOO_MANY_REQUESTS, "rate_limited", "api_key", format!("请求过于频繁：该 API 密钥每分钟最多 {limit} 次，请 {wait} 秒后再试"));
        e.retry_after = Some(wait);
        return Err(e);
    }
    Ok((record, user.actor()))
}

/// Per key: the current minute and the requests counted in it. Kept per instance (several
/// instances each allow the rate).
type Windows = Mutex<HashMap<(i64, i64), (i64, i64)>>;

fn windows() -> &'static Windows {
    static WINDOWS: OnceLock<Windows> = OnceLock::new();
    WINDOWS.get_or_init(Default::default)
}

/// Counts one request against the key's fixed one-minute window; `Err(seconds to wait)` when full.
fn take(record: &ApiKeyRecord, limit: i64, now: i64) -> Result<(), u64> {
    let minute = now / 60_000;
    // Keyed by id and creation time: ids repeat across databases (tests), the pair does not.
    let mut map = windows().lock().unwrap_or_else(|p| p.into_inner());
    map.retain(|_, (m, _)| *m >= minute - 1);
    let slot = map.entry((record.id, record.created_at)).or_insert((minute, 0));
    if slot.0 != minute {
        *slot = (minute, 0);
    }
    if slot.1 >= limit {
        return Err((60 - (now % 60_000) / 1000).max(1) as u64);
    }
    slot.1 += 1;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_rate_per_minute() {
        let key = ApiKeyRecord { id: 9, name: "t".into(), jurisdictions: vec![], user_id: 1, rate_per_minute: Some(2), created_at: 123_456, revoked_at: None };
        let t = 1_000 * 60_000 + 5_000;
        assert!(take(&key, 2, t).is_ok());
        assert!(take(&key, 2, t + 1).is_ok());
        assert_eq!(take(&key, 2, t + 2), Err(55));
        assert!(take(&key, 2, t + 60_000).is_ok(), "a new minute starts afresh");
    }
}
