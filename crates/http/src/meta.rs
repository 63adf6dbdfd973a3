//! Health, the category list, the OpenAPI document and the landing page.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/v1/categories", get(categories))
        .route("/api/v1/openapi.json", get(openapi))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready", "database": state.store.backend().name()}))),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable", "database": state.store.backend().name()})))
        }
    }
}

/// Active categories of every code table: public reference data, as in Open311's service list.
async fn categories(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let reference = state.reference().await?;
    let items: Vec<Value> = reference
        .catalog
        .tables()
        .iter()
        .flat_map(|t| t.categories.iter().filter(|c| c.active).map(move |c| (t, c)))
        .map(|(t, c)| {
            json!({
                "code": c.code, "name": c.name, "scheme": t.scheme, "kind": c.kind, "kind_label": c.kind.label(),
                "major_code": c.major_code, "major_name": c.major_name, "minor_code": c.minor_code,
                "filing_condition": c.filing_condition, "closing_condition": c.closing_condition,
                "limit": c.limit, "urgency": c.urgency,
            })
        })
        .collect();
    Ok(Json(json!({ "items": items, "total": items.len() })))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi::document().to_string())
}
