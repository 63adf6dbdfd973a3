//! Accounts and sessions: login with argon2-hashed passwords, bearer tokens stored only as
//! hashes, logout, expiry, and rate-limited failures per account and per address.

use std::net::SocketAddr;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use chengyun_domain::org::Actor;
use chengyun_storage::AuditActor;

use crate::error::{ApiError, ApiResult};
use crate::json::JsonBody;
use crate::state::{now_ms, AppState};
use crate::views::user_view;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/me", get(me))
}

/// Hashes a password (slow by design: run it off the async threads).
pub async fn hash_password(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash that never matches, verified for unknown usernames so both cases take as long.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$uMLHBkRP0Oq5W0Bt6RprKHYrMkb/qvi7oG0yqgeqoNs";

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The logged-in user making the request.
pub struct CurrentUser(pub Actor);

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?.trim();
    (!token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        let user = state.store.session_user(&token_hash(token), now_ms()).await?.ok_or_else(ApiError::unauthorized)?;
        Ok(CurrentUser(user.actor()))
    }
}

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<LoginRequest>,
) -> ApiResult<Json<Value>> {
    let username = body.username.trim().to_string();
    if username.is_empty() {
        return Err(ApiError::invalid("field_required", "username", "用户名（username）不能为空"));
    }
    if body.password.is_empty() {
        return Err(ApiError::invalid("field_required", "password", "密码（password）不能为空"));
    }
    let address = peer.ip().to_string();
    let now = now_ms();
    let cfg = &state.config;
    let (by_account, by_address) = state.store.login_failures(&username, &address, now - cfg.login_window_ms).await?;
    if by_account >= cfg.max_failures_per_account || by_address >= cfg.max_failures_per_address {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", "登录失败次数过多，请15分钟后再试");
        e.retry_after = Some((cfg.login_window_ms / 1000) as u64);
        return Err(e);
    }
    let user = state.store.user_by_username(&username).await?;
    let hash = user.as_ref().map_or(DUMMY_HASH.to_string(), |u| u.password_hash.clone());
    let matches = verify_password(body.password, hash).await;
    let Some(user) = user.filter(|u| matches && u.active) else {
        state.store.record_login_failure(&username, &address, now).await?;
        tracing::info!(%address, "login failed");
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "用户名或密码错误"));
    };
    state.store.clear_login_failures(&username).await?;
    let token = new_token();
    let expires_at = now + cfg.session_ttl_ms;
    state.store.create_session(&token_hash(&token), &AuditActor { id: user.id, name: user.username.clone() }, now, expires_at).await?;
    tracing::info!(user = %user.username, "login");
    Ok(Json(json!({
        "token": token,
        "expires_at": chengyun_domain::time::format_local(expires_at),
        "user": user_view(&user),
    })))
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<StatusCode> {
    let token = bearer(&headers).ok_or_else(ApiError::unauthorized)?;
    let hash = token_hash(token);
    let user = state.store.session_user(&hash, now_ms()).await?.ok_or_else(ApiError::unauthorized)?;
    state.store.revoke_session(&hash, &AuditActor { id: user.id, name: user.username }, now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(state): State<AppState>, CurrentUser(actor): CurrentUser) -> ApiResult<Json<Value>> {
    let user = state.store.user_by_id(actor.user_id).await?.ok_or_else(ApiError::unauthorized)?;
    Ok(Json(user_view(&user)))
}
