//! Data scope: units see only what was dispatched to them, villages and towns only their area;
//! outside the scope a case does not exist (404), and the list never shows it.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{walk, TestApp};
use crate::on_both;
use chengyun_storage::Backend;

on_both!(foreign_units_get_404, areas_see_their_own, callers_are_masked_for_who_does_not_need_them);

async fn foreign_units_get_404(b: Backend) {
    let app = TestApp::spawn(b).await;
    let case = walk(&app, "dispatch").await;
    let path = format!("/api/v1/cases/{}", case["id"]);
    for foreign in ["handler2", "hq-handler"] {
        let token = app.login(foreign).await;
        let (status, body) = app.get(&path, &token).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{foreign}");
        let (status, _) = app.post(&format!("{path}/actions"), &token, json!({"action": "accept_task", "expected_version": case["version"]})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{foreign} cannot act either");
        let (_, list) = app.get("/api/v1/cases", &token).await;
        assert_eq!(list["total"], 0, "{foreign} lists nothing");
    }
    let handler = app.login("handler").await;
    let (status, _) = app.get(&path, &handler).await;
    assert_eq!(status, StatusCode::OK, "the unit it was dispatched to sees it");
    assert_eq!(app.get("/api/v1/cases", &handler).await.1["total"], 1);
}

async fn areas_see_their_own(b: Backend) {
    let app = TestApp::spawn(b).await;
    let case = walk(&app, "register").await; // in 航头镇 village 310115137001
    let path = format!("/api/v1/cases/{}", case["id"]);
    let village = app.login("village").await; // 居委 of 310115137001
    assert_eq!(app.get(&path, &village).await.0, StatusCode::OK);
    let hq_operator = app.login("hq-operator").await; // 虹桥镇
    assert_eq!(app.get(&path, &hq_operator).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/cases", &hq_operator).await.1["total"], 0);
    let mut elsewhere = crate::helpers::new_case("hotline");
    elsewhere["region"] = json!("310115137002");
    elsewhere.as_object_mut().unwrap().remove("location"); // an address only: the named region holds
    let operator = app.login("operator").await;
    let (status, other) = app.post("/api/v1/cases", &operator, elsewhere).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(app.get(&format!("/api/v1/cases/{}", other["id"]), &village).await.0, StatusCode::NOT_FOUND, "a neighbouring village's case");
    assert_eq!(app.get("/api/v1/cases", &village).await.1["total"], 1);
    let mut outside = crate::helpers::new_case("hotline");
    outside["region"] = json!("310112107001");
    outside.as_object_mut().unwrap().remove("location");
    let (status, body) = app.post("/api/v1/cases", &operator, outside).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("region_out_of_scope")));
}

async fn callers_are_masked_for_who_does_not_need_them(b: Backend) {
    let app = TestApp::spawn(b).await;
    let case = walk(&app, "dispatch").await;
    let path = format!("/api/v1/cases/{}", case["id"]);
    for (who, phone) in [("operator", "13812345678"), ("handler", "13812345678"), ("dispatcher", "138****5678"), ("leader", "138****5678")] {
        let token = app.login(who).await;
        let (_, body) = app.get(&path, &token).await;
        assert_eq!(body["reporter"]["phone"], phone, "{who}");
    }
}
