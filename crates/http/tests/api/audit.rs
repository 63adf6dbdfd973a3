//! The audit chain: intact after work, broken by any hand edit of an event, and admin changes
//! are recorded.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{walk, TestApp};
use crate::on_both;
use chengyun_storage::Backend;

on_both!(editing_an_event_by_hand_is_detected, deleting_an_event_is_detected, admin_changes_are_audited);

async fn editing_an_event_by_hand_is_detected(b: Backend) {
    let app = TestApp::spawn(b).await;
    walk(&app, "close").await;
    let admin = app.login("admin").await;
    let (status, report) = app.get("/api/v1/audit/verify", &admin).await;
    assert_eq!((status, report["ok"].as_bool()), (StatusCode::OK, Some(true)), "{report}");
    assert_eq!(report["events"], 9);
    let raw = app.raw().await;
    sqlx::query("UPDATE case_events SET actor_name = 'someone else' WHERE seq = 8").execute(&raw).await.unwrap();
    let (_, report) = app.get("/api/v1/audit/verify", &admin).await;
    assert_eq!(report["ok"], false);
    assert!(report["first_broken"]["reason"].as_str().unwrap().contains("已被改动"), "{report}");
    let (status, _) = app.get("/api/v1/audit/verify", &app.login("leader").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn deleting_an_event_is_detected(b: Backend) {
    let app = TestApp::spawn(b).await;
    walk(&app, "file").await;
    let raw = app.raw().await;
    sqlx::query("DELETE FROM case_events WHERE seq = 2").execute(&raw).await.unwrap();
    let report = app.store.verify_audit().await.unwrap();
    assert!(!report.ok);
    assert!(report.first_broken.unwrap().reason.contains("已被删除"));
}

async fn admin_changes_are_audited(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.login("admin").await;
    let body = json!({"username": "newop", "display_name": "新受理员", "password": "s3cure-pass", "roles": ["operator"], "region": "310115137"});
    let (status, user) = app.post("/api/v1/admin/users", &admin, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let (status, again) = app.post("/api/v1/admin/users", &admin, body).await;
    assert_eq!((status, again["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("duplicate")));
    let unit = json!({"code": "310115137-test", "name": "测试单位", "kind": "department", "region_code": "310115137"});
    assert_eq!(app.post("/api/v1/admin/units", &admin, unit).await.0, StatusCode::OK);
    let (status, body) = app.post("/api/v1/admin/units", &admin, json!({"code": "x y", "name": "坏", "kind": "department", "region_code": "310115137"})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")));
    let (status, _) = app.post("/api/v1/admin/units", &app.login("operator").await, json!({})).await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::UNPROCESSABLE_ENTITY);
    let (_, log) = app.get("/api/v1/audit?limit=1000", &admin).await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"user.create") && actions.contains(&"unit.upsert"), "{actions:?}");
    assert!(actions.contains(&"session.login"), "logins are audited: {actions:?}");
    assert!(!log.to_string().contains("argon2"), "password hashes never reach the audit log");
    let (_, units) = app.get("/api/v1/units", &admin).await;
    assert!(units["items"].as_array().unwrap().iter().any(|u| u["code"] == "310115137-test"), "the new unit is dispatchable at once");
}

on_both!(the_admin_tunes_the_clocks);

async fn the_admin_tunes_the_clocks(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.login("admin").await;
    let put = |token: String, body: serde_json::Value| {
        let app = &app;
        async move { app.request(reqwest::Method::PUT, "/api/v1/admin/calendar", Some(&token), Some(body)).await }
    };
    let limits = json!({"register": "10工作分钟", "verify": "30工作分钟", "file": "30工作分钟", "dispatch": "30工作分钟",
                        "request_check": "30工作分钟", "check": "30工作分钟", "close": "1工作时"});
    let (status, body) = put(admin.clone(), json!({"step_limits": limits})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["step_limits"]["register"], "10工作分钟");
    let case = app.report(&app.login("inspector").await, "patrol").await;
    assert_eq!(case["current_step"]["limit"], "10工作分钟", "new clocks use the new limit");
    let mut bad = limits.clone();
    bad["register"] = json!("ten minutes");
    let (status, body) = put(admin.clone(), json!({"step_limits": bad})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("step_limits.register")));
    let (status, body) = put(admin.clone(), json!({"schedule": {"periods": [{"start": "14:00", "end": "12:00"}]}})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_calendar")), "{body}");
    let (status, _) = put(app.login("dispatcher").await, json!({"step_limits": limits})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, log) = app.get("/api/v1/audit?limit=1000", &admin).await;
    assert!(log["items"].as_array().unwrap().iter().any(|r| r["action"] == "setting.put" && r["object_id"] == "step_limits"));
}
