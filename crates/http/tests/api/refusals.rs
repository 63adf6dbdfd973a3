//! Every refusal code, and that a refusal changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{new_case, walk, TestApp};
use crate::on_both;
use chengyun_storage::Backend;

on_both!(action_refusals, bad_reports, refusals_change_nothing);

async fn action_refusals(b: Backend) {
    let app = TestApp::spawn(b).await;
    let case = walk(&app, "register").await;
    let (dispatcher, shift_lead) = (app.login("dispatcher").await, app.login("shiftlead").await);
    let (status, code, _) = app.refuse(&dispatcher, &case, json!({"action": "close"})).await;
    assert_eq!((status, code.as_str()), (StatusCode::FORBIDDEN, "role_not_allowed"));
    let (status, code, _) = app.refuse(&shift_lead, &case, json!({"action": "close"})).await;
    assert_eq!((status, code.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_state"));
    let (status, code, field) = app.refuse(&shift_lead, &case, json!({"action": "file", "expected_version": 1})).await;
    assert_eq!((status, code.as_str(), field), (StatusCode::CONFLICT, "version_conflict", json!("expected_version")));
    let (status, code, field) = app.refuse(&shift_lead, &case, json!({"action": "fly"})).await;
    assert_eq!((status, code.as_str(), field), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_action", json!("action")));
    let (status, body) = app.post(&format!("/api/v1/cases/{}/actions", case["id"]), &shift_lead, json!({"action": "file"})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("expected_version")));
    let (status, code, field) = app.refuse(&shift_lead, &case, json!({"action": "void", "reason": "   "})).await;
    assert_eq!((status, code.as_str(), field), (StatusCode::UNPROCESSABLE_ENTITY, "field_required", json!("reason")));
    let (status, code, field) = app.refuse(&shift_lead, &case, json!({"action": "void"})).await;
    assert_eq!((status, code.as_str(), field), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", json!("reason")));
    let (status, _) = app.post("/api/v1/cases/999999/actions", &shift_lead, json!({"action": "file", "expected_version": 1})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let resp = app
        .client
        .post(format!("{}/api/v1/cases/{}/actions", app.base, case["id"]))
        .bearer_auth(&shift_lead)
        .header("content-type", "application/json")
        .body("{\"action\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_json");
    let (status, _) = app.request(Method::POST, &format!("/api/v1/cases/{}/actions", case["id"]), None, Some(json!({}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn bad_reports(b: Backend) {
    let app = TestApp::spawn(b).await;
    let operator = app.login("operator").await;
    let inspector = app.login("inspector").await;
    let cases = [
        (json!({"category": "XX-9999"}), "category", "unknown_category"),
        (json!({"source": "pigeon"}), "source", "invalid_field"),
        (json!({"location": {"lon": 31.03, "lat": 121.6, "coord_sys": "wgs84"}}), "location", "invalid_location"),
        (json!({"location": {"lon": 121.6, "lat": 31.03, "coord_sys": "mars"}}), "location.coord_sys", "invalid_field"),
        (json!({"region": "310115137999"}), "region", "unknown_region"),
        (json!({"description": ""}), "description", "field_required"),
        (json!({"photos": ["deadbeef"]}), "photos[0]", "unknown_attachment"),
        (json!({"reporter": {"phone": "call me"}}), "reporter.phone", "invalid_phone"),
    ];
    for (patch, field, code) in cases {
        let mut body = new_case("hotline");
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, resp) = app.post("/api/v1/cases", &operator, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {resp}");
        assert_eq!((resp["error"]["code"].as_str(), resp["error"]["field"].as_str()), (Some(code), Some(field)), "{resp}");
        assert!(resp["error"]["message"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "Chinese message");
    }
    let (status, resp) = app.post("/api/v1/cases", &inspector, new_case("hotline")).await;
    assert_eq!((status, resp["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("source_not_allowed")));
    let (status, resp) = app.post("/api/v1/cases", &app.login("assessor").await, new_case("patrol")).await;
    assert_eq!((status, resp["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_not_allowed")));
    let (status, body) = app.get("/api/v1/cases", &operator).await;
    assert_eq!((status, body["total"].as_i64()), (StatusCode::OK, Some(0)), "no refused report was stored");
}

async fn refusals_change_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let case = walk(&app, "dispatch").await;
    let handler2 = app.login("handler2").await;
    let shift_lead = app.login("shiftlead").await;
    let (status, code, _) = app.refuse(&handler2, &case, json!({"action": "accept_task"})).await;
    assert_eq!((status, code.as_str()), (StatusCode::NOT_FOUND, "not_found"), "a unit without a task does not even see the case");
    app.refuse(&shift_lead, &case, json!({"action": "close"})).await;
    app.refuse(&shift_lead, &case, json!({"action": "void", "reason": "x", "expected_version": 1})).await;
    let (_, after) = app.get(&format!("/api/v1/cases/{}", case["id"]), &shift_lead).await;
    assert_eq!(after["version"], case["version"]);
    assert_eq!(after["timeline"].as_array().unwrap().len() as i64, case["version"].as_i64().unwrap());
    let admin = app.login("admin").await;
    let (_, report) = app.get("/api/v1/audit/verify", &admin).await;
    assert_eq!(report["ok"], true, "{report}");
}
