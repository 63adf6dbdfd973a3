//! Accounts: login, logout, rate limiting; and the documented API surface.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both;
use chengyun_storage::Backend;

on_both!(login_logout_and_expiry_of_tokens, failed_logins_are_rate_limited, every_documented_operation_exists);

async fn login_logout_and_expiry_of_tokens(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (status, body) = app.request(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "operator", "password": "wrong"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")));
    let (status, _) = app.request(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "nobody", "password": "x"}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "unknown users look the same");
    let token = app.login("operator").await;
    let (status, me) = app.get("/api/v1/auth/me", &token).await;
    assert_eq!((status, me["username"].as_str()), (StatusCode::OK, Some("operator")));
    assert!(me.get("password_hash").is_none());
    assert_eq!(app.request(Method::POST, "/api/v1/auth/logout", Some(&token), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/auth/me", &token).await.0, StatusCode::UNAUTHORIZED, "a revoked token is dead");
    assert_eq!(app.get("/api/v1/cases", "made-up-token").await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = app.request(Method::GET, "/api/v1/cases", None, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
}

async fn failed_logins_are_rate_limited(b: Backend) {
    let app = TestApp::spawn(b).await;
    for _ in 0..5 {
        let (status, _) = app.request(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "leader", "password": "guess"}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let resp = app
        .client
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"username": "leader", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert!(resp.headers().contains_key("retry-after"));
    app.login("operator").await; // other accounts are unaffected
}

async fn every_documented_operation_exists(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (status, doc) = app.request(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let token = app.login("admin").await;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", "1").replace("{code}", "310115137");
        for method in ops.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let resp = app.client.request(method.clone(), format!("{}{concrete}", app.base)).bearer_auth(&token).send().await.unwrap();
            let status = resp.status();
            let body = resp.text().await.unwrap();
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(!(status == StatusCode::NOT_FOUND && body.contains("接口不存在")), "{method} {path} is documented but not routed");
        }
    }
    assert_eq!(app.request(Method::GET, "/healthz", None, None).await.0, StatusCode::OK);
    let (status, ready) = app.request(Method::GET, "/readyz", None, None).await;
    assert_eq!((status, ready["status"].as_str()), (StatusCode::OK, Some("ready")));
    let (_, cats) = app.request(Method::GET, "/api/v1/categories", None, None).await;
    assert!(cats["total"].as_i64().unwrap() > 50, "dozens of real categories");
    assert!(cats["items"].as_array().unwrap().iter().any(|c| c["code"] == "06010" && c["name"] == "暴露垃圾"));
}
