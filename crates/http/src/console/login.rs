//! `/login` and `/logout`: a plain HTML form (works without scripts), protected against login
//! CSRF by a random token kept in a short-lived cookie and echoed in the form.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::assets;
use super::pages::escape;
use crate::auth::{authenticate, cookie, csrf_token, end_session, same_secret, SESSION_COOKIE};
use crate::state::AppState;

const LOGIN_CSRF_COOKIE: &str = "cy_login";

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// Only a path on this server, never `//host` or a full URL: no open redirect.
fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.starts_with("/login");
    if ok { next } else { "/" }
}

fn random_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    hex::encode(bytes)
}

fn cookie_header(state: &AppState, name: &str, value: &str, max_age_s: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"))
        .expect("cookie values are plain ASCII")
}

fn page(state: &AppState, status: StatusCode, username: &str, next: &str, error: Option<&str>) -> Response {
    let token = random_token();
    let error = error.map_or(String::new(), |e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)));
    let html = format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>登录 — 城运中心</title>\
{links}</head><body data-page=\"login\" data-layout=\"login\">\
<main class=\"login\"><h1>城运中心</h1><p class=\"sub\">城市运行“一网统管”平台</p>{error}\
<form method=\"post\" action=\"/login\">\
<label>用户名<input name=\"username\" autocomplete=\"username\" required autofocus value=\"{username}\"></label>\
<label>密码<input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\
<input type=\"hidden\" name=\"csrf\" value=\"{token}\"><input type=\"hidden\" name=\"next\" value=\"{next}\">\
<button type=\"submit\">登录</button></form></main></body></html>\n",
        links = assets::head_links(),
        username = escape(username),
        next = escape(next),
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::SET_COOKIE, cookie_header(state, LOGIN_CSRF_COOKIE, &token, 3600));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn form(State(state): State<AppState>, Query(query): Query<NextQuery>) -> Response {
    page(&state, StatusCode::OK, "", safe_next(query.next.as_deref().unwrap_or("/")), None)
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(&form.next);
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_secret(&form.csrf, expected) {
        return page(&state, StatusCode::FORBIDDEN, &form.username, next, Some("登录表单已过期，请重新输入后登录"));
    }
    match authenticate(&state, &form.username, form.password, &peer.ip().to_string()).await {
        Ok(login) => {
            let max_age = (state.config.session_ttl_ms / 1000).max(1);
            let mut response = Redirect::to(next).into_response();
            let h = response.headers_mut();
            h.append(header::SET_COOKIE, cookie_header(&state, SESSION_COOKIE, &login.token, max_age));
            h.append(header::SET_COOKIE, cookie_header(&state, LOGIN_CSRF_COOKIE, "", 0));
            response
        }
        Err(e) => page(&state, e.status, &form.username, next, Some(&e.message)),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<LogoutForm>) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if !same_secret(&form.csrf, &csrf_token(token)) {
            return (StatusCode::FORBIDDEN, Html("<p>退出请求缺少有效的防伪令牌，请返回后重试。</p>")).into_response();
        }
        if let Err(e) = end_session(&state, token).await {
            return e.into_response();
        }
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie_header(&state, SESSION_COOKIE, "", 0));
    response
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_server() {
        assert_eq!(safe_next("/cases/12?tab=x"), "/cases/12?tab=x");
        for bad in ["//evil.example/", "https://evil.example/", "/\\evil", "", "javascript:alert(1)", "/login?next=/"] {
            assert_eq!(safe_next(bad), "/", "{bad}");
        }
    }
}
