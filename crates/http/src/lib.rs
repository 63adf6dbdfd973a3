//! chengyun's HTTP API under `/api/v1`, organised by area: accounts, cases, attachments,
//! places (locate, boundaries), routing (责任清单), administration, audit, and meta (health,
//! categories, OpenAPI); and the residents' channel, Open311 GeoReport v2 under `/open311/v2`.

mod access;
mod admin;
mod attachments;
mod audit;
mod auth;
mod cases;
mod classifier;
mod dashboard;
mod shared_cache;
pub mod console;
mod intake;
mod error;
mod json;
mod live;
mod maps;
mod meta;
pub mod open311;
mod places;
mod routing;
mod routing_csv;
mod search;
pub mod openapi;
pub mod seed;
mod state;
mod views;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use auth::hash_password;
pub use error::ApiError;
pub use places::{import_boundaries, import_spec};
pub use routing::{export_rules, import_rules};
pub use state::{now_ms, AppState, Config, Reference, HOLIDAYS_KEY, SCHEDULE_KEY, STEP_LIMITS_KEY};

/// JSON bodies are small; photos go through `/attachments` with their own limit.
const MAX_JSON_BYTES: usize = 1024 * 1024;

/// The whole application.
pub fn router(state: AppState) -> Router {
    let max_upload = state.config.max_upload_bytes;
    Router::new()
        .merge(console::routes())
        .merge(auth::routes())
        .merge(cases::routes())
        .merge(classifier::routes())
        .merge(admin::routes())
        .merge(audit::routes())
        .merge(meta::routes())
        .merge(places::routes())
        .merge(maps::routes())
        .merge(dashboard::routes())
        .merge(routing::routes())
        .merge(open311::admin_routes())
        .merge(search::routes())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_JSON_BYTES))
        .merge(attachments::routes(max_upload))
        .layer(RequestBodyLimitLayer::new(max_upload.max(MAX_JSON_BYTES)))
        .merge(places::import_routes(state.config.max_import_bytes))
        .merge(open311::routes(max_upload))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(60)))
        // Server-sent events stay open: outside the request timeout.
        .merge(live::routes())
        .layer(axum::middleware::from_fn(console::security_headers))
        // Pages, scripts, SVG and JSON shrink 3–5× for clients that ask (never SSE or photos).
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .fallback(|| async { ApiError::not_found("接口") })
        .with_state(state)
}

/// Serves until the listener fails or `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Some(every) = state.config.classifier_retrain_every {
        classifier::spawn_scheduled_retrain(state.clone(), every);
    }
    axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
