//! Optimistic concurrency: of two people acting on the same version, exactly one wins.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{walk, TestApp};
use crate::on_both;
use chengyun_storage::Backend;

on_both!(two_closes_one_wins, two_dispatches_one_wins);

async fn race(app: &TestApp, token: &str, case: &serde_json::Value, action: serde_json::Value) -> Vec<StatusCode> {
    let url = format!("/api/v1/cases/{}/actions", case["id"]);
    let mut body = action;
    body["expected_version"] = case["version"].clone();
    let attempts = (0..2).map(|_| app.post(&url, token, body.clone()));
    let mut codes: Vec<StatusCode> = futures::future::join_all(attempts).await.into_iter().map(|(s, _)| s).collect();
    codes.sort();
    codes
}

async fn two_closes_one_wins(b: Backend) {
    let app = TestApp::spawn(b).await;
    let case = walk(&app, "check").await;
    let (lead_a, lead_b) = (app.login("shiftlead").await, app.login("shiftlead").await);
    let url = format!("/api/v1/cases/{}/actions", case["id"]);
    let body = json!({"action": "close", "expected_version": case["version"]});
    let (a, b2) = tokio::join!(app.post(&url, &lead_a, body.clone()), app.post(&url, &lead_b, body.clone()));
    let mut codes = [a.0, b2.0];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT], "exactly one close wins");
    let (_, after) = app.get(&format!("/api/v1/cases/{}", case["id"]), &lead_a).await;
    assert_eq!(after["version"].as_i64(), Some(case["version"].as_i64().unwrap() + 1));
    let closes = after["timeline"].as_array().unwrap().iter().filter(|e| e["action"] == "close").count();
    assert_eq!(closes, 1);
}

async fn two_dispatches_one_wins(b: Backend) {
    let app = TestApp::spawn(b).await;
    let case = walk(&app, "file").await;
    let dispatcher = app.login("dispatcher").await;
    let codes = race(&app, &dispatcher, &case, json!({"action": "dispatch", "units": ["310115137-cgzd"]})).await;
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT]);
    let (_, after) = app.get(&format!("/api/v1/cases/{}", case["id"]), &dispatcher).await;
    assert_eq!(after["tasks"].as_array().unwrap().len(), 1, "one dispatch, one task");
    let admin = app.login("admin").await;
    assert_eq!(app.get("/api/v1/audit/verify", &admin).await.1["ok"], true);
}
