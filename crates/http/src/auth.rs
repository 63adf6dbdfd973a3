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

/// Cookie holding the console's session token (`HttpOnly`, `SameSite=Strict`).
pub const SESSION_COOKIE: &str = "cy_session";
/// Header the console's scripts send with every unsafe request made with the session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?.trim();
    (!token.is_empty()).then_some(token)
}

/// The value of one cookie of the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Where the session token came from: a bearer header (API clients) or the console's cookie,
/// which browsers attach by themselves and so needs the CSRF check.
pub enum SessionToken<'a> {
    Bearer(&'a str),
    Cookie(&'a str),
}

impl SessionToken<'_> {
    pub fn of(headers: &HeaderMap) -> Option<SessionToken<'_>> {
        bearer(headers).map(SessionToken::Bearer).or_else(|| cookie(headers, SESSION_COOKIE).map(SessionToken::Cookie))
    }

    pub fn token(&self) -> &str {
        match self {
            SessionToken::Bearer(t) | SessionToken::Cookie(t) => t,
        }
    }
}

/// The CSRF token of a console session: derived from the session token, so nothing more is
/// stored, and useless to a page that cannot read the `HttpOnly` cookie.
pub fn csrf_token(session_token: &str) -> String {
    hex::encode(&Sha256::digest(format!("chengyun-csrf|{session_token}").as_bytes())[..16])
}

/// Compares without an early exit, so the time taken says nothing about the expected token.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The user behind a session token, if the session is live.
pub async fn session_actor(state: &AppState, token: &str) -> ApiResult<Option<Actor>> {
    Ok(state.store.session_user(&token_hash(token), now_ms()).await?.map(|u| u.actor()))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = SessionToken::of(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        if let SessionToken::Cookie(token) = &session
            && !parts.method.is_safe()
        {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !same_secret(sent, &csrf_token(token)) {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf_failed", "请求缺少有效的防伪令牌（X-CSRF-Token），请刷新页面后重试"));
            }
        }
        let actor = session_actor(state, session.token()).await?.ok_or_else(ApiError::unauthorized)?;
        Ok(CurrentUser(actor))
    }
}

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

/// A successful login: the new session's token (shown once) and its user.
pub struct Login {
    pub token: String,
    pub expires_at: i64,
    pub user: chengyun_storage::UserRecord,
}

/// Checks a username and password, rate-limited per account and per address, and opens a
/// session. Shared by the API's JSON login and the console's login form.
pub async fn authenticate(state: &AppState, username: &str, password: String, address: &str) -> ApiResult<Login> {
    let username = username.trim().to_string();
    if username.is_empty() {
        return Err(ApiError::invalid("field_required", "username", "用户名（username）不能为空"));
    }
    if password.is_empty() {
        return Err(ApiError::invalid("field_required", "password", "密码（password）不能为空"));
    }
    let now = now_ms();
    let cfg = &state.config;
    let (by_account, by_address) = state.store.login_failures(&username, address, now - cfg.login_window_ms).await?;
    if by_account >= cfg.max_failures_per_account || by_address >= cfg.max_failures_per_address {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", "登录失败次数过多，请15分钟后再试");
        e.retry_after = Some((cfg.login_window_ms / 1000) as u64);
        return Err(e);
    }
    let user = state.store.user_by_username(&username).await?;
    let hash = user.as_ref().map_or(DUMMY_HASH.to_string(), |u| u.password_hash.clone());
    let matches = verify_password(password, hash).await;
    let Some(user) = user.filter(|u| matches && u.active) else {
        state.store.record_login_failure(&username, address, now).await?;
        tracing::info!(%address, "login failed");
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "用户名或密码错误"));
    };
    state.store.clear_login_failures(&username).await?;
    let token = new_token();
    let expires_at = now + cfg.session_ttl_ms;
    state.store.create_session(&token_hash(&token), &AuditActor { id: user.id, name: user.username.clone() }, now, expires_at).await?;
    tracing::info!(user = %user.username, "login");
    Ok(Login { token, expires_at, user })
}

/// Ends the session behind a token (audited). False when it was not live.
pub async fn end_session(state: &AppState, token: &str) -> ApiResult<bool> {
    let hash = token_hash(token);
    let Some(user) = state.store.session_user(&hash, now_ms()).await? else { return Ok(false) };
    state.store.revoke_session(&hash, &AuditActor { id: user.id, name: user.username }, now_ms()).await?;
    Ok(true)
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<LoginRequest>,
) -> ApiResult<Json<Value>> {
    let login = authenticate(&state, &body.username, body.password, &peer.ip().to_string()).await?;
    Ok(Json(json!({
        "token": login.token,
        "expires_at": chengyun_domain::time::format_local(login.expires_at),
        "user": user_view(&login.user),
    })))
}

async fn logout(State(state): State<AppState>, CurrentUser(_): CurrentUser, headers: HeaderMap) -> ApiResult<StatusCode> {
    let session = SessionToken::of(&headers).ok_or_else(ApiError::unauthorized)?;
    if !end_session(&state, session.token()).await? {
        return Err(ApiError::unauthorized());
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(state): State<AppState>, CurrentUser(actor): CurrentUser) -> ApiResult<Json<Value>> {
    let user = state.store.user_by_id(actor.user_id).await?.ok_or_else(ApiError::unauthorized)?;
    Ok(Json(user_view(&user)))
}
