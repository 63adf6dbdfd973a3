//! The audit log: verification of the chain and reading it. 管理员 only.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use chengyun_domain::org::Role;

use crate::access::require_role;
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::views::time;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/audit/verify", get(verify)).route("/api/v1/audit", get(list))
}

async fn verify(State(state): State<AppState>, CurrentUser(actor): CurrentUser) -> ApiResult<Json<Value>> {
    require_role(&actor, &[Role::Admin], "校验审计日志")?;
    Ok(Json(json!(state.store.verify_audit().await?)))
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    100
}

async fn list(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Query(page): Query<Page>) -> ApiResult<Json<Value>> {
    require_role(&actor, &[Role::Admin], "查看审计日志")?;
    let records = state.store.list_audit(page.after, page.limit).await?;
    let items: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({"seq": r.seq, "at": time(r.entry.at), "actor_id": r.entry.actor_id, "actor_name": r.entry.actor_name,
                   "action": r.entry.action, "object_type": r.entry.object_type, "object_id": r.entry.object_id,
                   "detail": r.entry.detail, "hash": r.hash, "prev_hash": r.prev_hash})
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}
