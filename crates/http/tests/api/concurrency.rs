//! Optimistic concurrency: of two people acting on the same version, exactly one wins.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{walk, TestApp};
use crate::on_both;
use chengyun_storage::Backend;

on_both!(two_closes_one_wins, two_dispatches_one_wins, two_instances_share_one_database);

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

/// Two server instances on one database: a session from one works on the other, they race
/// fairly, and the audit chain stays one chain.
async fn two_instances_share_one_database(b: Backend) {
    let a = TestApp::spawn(b).await;
    let b2 = a.another_instance().await;
    let case = walk(&a, "check").await;
    let lead = a.login("shiftlead").await;
    assert_eq!(b2.get(&format!("/api/v1/cases/{}", case["id"]), &lead).await.0, StatusCode::OK, "sessions live in the database");
    let url = format!("/api/v1/cases/{}/actions", case["id"]);
    let body = json!({"action": "close", "expected_version": case["version"]});
    let (x, y) = tokio::join!(a.post(&url, &lead, body.clone()), b2.post(&url, &lead, body.clone()));
    let mut codes = [x.0, y.0];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT]);
    let operators = futures::future::join_all((0..6).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b2 };
        async move {
            let token = app.login("operator").await;
            app.report(&token, "hotline").await["number"].as_str().unwrap().to_string()
        }
    }))
    .await;
    let mut numbers = operators.clone();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 6, "case numbers stay unique across instances: {operators:?}");
    let report = a.store.verify_audit().await.unwrap();
    assert!(report.ok, "{report:?}");
}
