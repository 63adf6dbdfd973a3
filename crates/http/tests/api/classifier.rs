//! 智能分拨: suggestions on a case, the 受理员's accept/correct, retraining from the town's own
//! cases, versions and rollback, and who may do what.

use reqwest::StatusCode;
use serde_json::{json, Value};

use chengyun_storage::Backend;

use crate::helpers::{new_case, TestApp};
use crate::on_both;

/// Reports `text` as category `category` (an inspector on patrol).
async fn report(app: &TestApp, token: &str, category: &str, text: &str) -> Value {
    let mut body = new_case("patrol");
    body["category"] = json!(category);
    body["description"] = json!(text);
    let (status, case) = app.post("/api/v1/cases", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case
}

async fn suggestions_corrections_retrain_and_rollback(b: Backend) {
    let app = TestApp::spawn(b).await;
    let inspector = app.login("inspector").await;
    let operator = app.login("operator").await;
    let admin = app.login("admin").await;
    let handler = app.login("handler").await;

    // A fresh town starts from version 1, trained on the demo texts of its categories.
    let case = report(&app, &inspector, "SJ-0102", "航头路与沪南公路路口东北角暴露垃圾，约两立方，影响市容").await;
    let id = case["id"].as_i64().unwrap();
    let (status, detail) = app.get(&format!("/api/v1/cases/{id}"), &operator).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let c = &detail["classification"];
    assert_eq!(c["model_version"], 1, "{c}");
    assert!(c["confident"].is_boolean(), "{c}");
    let suggestions = c["suggestions"].as_array().unwrap();
    if c["confident"] == true {
        assert!(!suggestions.is_empty() && suggestions.len() <= 3, "{c}");
        // Both bundled code tables have a 暴露垃圾 (SJ-0102 and 06010).
        assert_eq!(suggestions[0]["name"], "暴露垃圾", "the demo model knows 暴露垃圾: {c}");
        let p: Vec<f64> = suggestions.iter().map(|s| s["probability"].as_f64().unwrap()).collect();
        assert!(p.windows(2).all(|w| w[0] >= w[1]) && p[0] >= c["threshold"].as_f64().unwrap(), "{c}");
    } else {
        assert!(suggestions.is_empty(), "no suggestion below the threshold: {c}");
    }
    // Roles outside the 受理 step see no classification.
    let (_, seen_by_inspector) = app.get(&format!("/api/v1/cases/{id}"), &inspector).await;
    assert!(seen_by_inspector.get("classification").is_none(), "{seen_by_inspector}");

    // The report form asks for suggestions; the same model answers.
    let (status, s) = app.post("/api/v1/classify", &operator, json!({"text": "小区门口暴露垃圾堆了三天没人清理"})).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["model_version"], 1);
    let (status, e) = app.post("/api/v1/classify", &operator, json!({"text": "  "})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("text")), "{e}");
    let (status, _) = app.post("/api/v1/classify", &handler, json!({"text": "垃圾"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The 受理员 corrects the category: recorded, audited, shown with the case.
    let path = format!("/api/v1/cases/{id}/classification");
    let (status, e) = app.post(&path, &operator, json!({"category": "NO-SUCH", "accepted": false})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("category")), "{e}");
    let (status, e) = app.post(&path, &operator, json!({"category": "SJ-0301", "accepted": true})).await;
    assert_eq!((status, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("accepted")), "accepting what was not suggested: {e}");
    let (status, _) = app.post(&path, &inspector, json!({"category": "SJ-0101", "accepted": false})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, d) = app.post(&path, &operator, json!({"category": "SJ-0101", "accepted": false})).await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!((d["category"].as_str(), d["accepted"].as_bool(), d["case_category_changed"].as_bool()), (Some("SJ-0101"), Some(false), Some(true)));
    let (_, detail) = app.get(&format!("/api/v1/cases/{id}"), &operator).await;
    assert_eq!(detail["classification"]["decision"]["category"], "SJ-0101", "{detail}");
    assert_eq!(detail["category"], "SJ-0101", "the correction is applied to the case (改类)");
    let events = detail["timeline"].as_array().expect("timeline");
    assert!(events.iter().any(|e| e["action"] == "recategorise"), "改类 is its own event: {detail}");
    // The same correction again changes nothing more.
    let (status, d) = app.post(&path, &operator, json!({"category": "SJ-0101", "accepted": false})).await;
    assert_eq!((status, d["case_category_changed"].as_bool()), (StatusCode::CREATED, Some(false)), "{d}");
    let audit = app.store.list_audit(0, 10_000).await.unwrap();
    assert!(audit.iter().any(|r| r.entry.action == "classification.correct" && r.entry.object_id == id.to_string()));

    // Too little history to retrain yet.
    let retrain = "/api/v1/admin/classifier/retrain";
    let (status, e) = app.post(retrain, &admin, json!({})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_enough_history")), "{e}");

    // The town's own history: three kinds of report, eight each.
    for i in 0..8 {
        report(&app, &inspector, "SJ-0102", &format!("{i}号楼下暴露垃圾无人清理，气味难闻")).await;
        report(&app, &inspector, "SJ-0201", &format!("{i}号路灯杆上贴满非法小广告")).await;
        report(&app, &inspector, "SJ-0301", &format!("{i}号工地夜间施工扰民，噪声很大")).await;
    }
    let (status, _) = app.post(retrain, &operator, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, v2) = app.post(retrain, &admin, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{v2}");
    assert_eq!((v2["version"].as_i64(), v2["active"].as_bool(), v2["source"].as_str()), (Some(2), Some(true), Some("history")));
    let m = &v2["metrics"];
    assert_eq!((m["held_back"].as_i64(), m["trained_on"].as_i64()), (Some(3), Some(22)), "10 % of 25 cases held back: {m}");
    assert!(m["accuracy"].as_f64().is_some() && m["macro_f1"].as_f64().is_some(), "{m}");

    let (_, detail) = app.get(&format!("/api/v1/cases/{id}"), &operator).await;
    assert_eq!(detail["classification"]["model_version"], 2);
    let (_, s) = app.post("/api/v1/classify", &operator, json!({"text": "7号工地夜间施工扰民"})).await;
    assert_eq!(s["model_version"], 2);

    let versions = "/api/v1/admin/classifier/versions";
    let (status, _) = app.get(versions, &operator).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, list) = app.get(versions, &admin).await;
    assert_eq!(status, StatusCode::OK);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.iter().map(|v| (v["version"].as_i64().unwrap(), v["active"].as_bool().unwrap())).collect::<Vec<_>>(), [(1, false), (2, true)]);
    assert!(items[0]["metrics"]["macro_f1"].is_number(), "version 1 has its own figures: {}", items[0]);

    // Roll back in one action.
    let (status, _) = app.post(&format!("{versions}/1/activate"), &operator, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post(&format!("{versions}/99/activate"), &admin, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, a) = app.post(&format!("{versions}/1/activate"), &admin, json!({})).await;
    assert_eq!((status, a["active_version"].as_i64()), (StatusCode::OK, Some(1)), "{a}");
    let (_, detail) = app.get(&format!("/api/v1/cases/{id}"), &operator).await;
    assert_eq!(detail["classification"]["model_version"], 1);
    let audit = app.store.list_audit(0, 100_000).await.unwrap();
    for action in ["classifier.train", "classifier.activate"] {
        assert!(audit.iter().any(|r| r.entry.action == action), "{action} audited");
    }
    assert!(app.store.verify_audit().await.unwrap().ok, "the audit chain holds");
}

on_both!(suggestions_corrections_retrain_and_rollback);
