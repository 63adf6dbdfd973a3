//! The loop and its side flows, by the right roles.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{demo_history, new_case, walk, TestApp};
use crate::on_both;
use chengyun_storage::Backend;

on_both!(the_canonical_loop_closes, public_reports_are_verified_first, joint_dispatch_return_and_redispatch,
         extension_hold_urge_and_rework, merge_revisit_and_reopen, list_filters_and_paging, imported_history_totals_agree);

fn actions(case: &Value) -> Vec<String> {
    case["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect()
}

async fn the_canonical_loop_closes(b: Backend) {
    let app = TestApp::spawn(b).await;
    let case = walk(&app, "close").await;
    assert_eq!(case["status"], "closed");
    assert_eq!(case["version"], 9);
    assert!(case["number"].as_str().unwrap().starts_with("310115137-"), "{}", case["number"]);
    let admin = app.login("admin").await;
    let (status, full) = app.get(&format!("/api/v1/cases/{}", case["id"]), &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        actions(&full),
        ["report", "register", "file", "dispatch", "accept_task", "feedback", "request_check", "check", "close"]
    );
    assert_eq!(full["tasks"][0]["unit"], "310115137-cgzd");
    assert_eq!(full["tasks"][0]["status"], "done");
    assert_eq!(full["tasks"][0]["clock"]["lamp"], "green");
    assert!(full["overall"]["due_at"].as_str().unwrap().ends_with("+08:00"), "times are shown in Shanghai time");
    assert_eq!(full["lamp"], Value::Null, "a closed case has no running clock");
    assert_eq!(full["reporter"]["phone"], "138****5678", "the admin does not need the caller's number");
}

async fn public_reports_are_verified_first(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (operator, shift_lead, inspector) = (app.login("operator").await, app.login("shiftlead").await, app.login("inspector").await);
    let case = app.report(&operator, "public").await;
    assert_eq!(case["reporter"]["phone"], "13812345678", "the operator sees the caller's number");
    let case = app.act(&operator, &case, json!({"action": "register"})).await;
    let (status, code, _) = app.refuse(&shift_lead, &case, json!({"action": "file"})).await;
    assert_eq!((status, code.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "verification_required"));
    let case = app.act(&operator, &case, json!({"action": "request_verification"})).await;
    assert_eq!(case["status"], "verifying");
    let case = app.act(&inspector, &case, json!({"action": "verify", "confirmed": true, "note": "现场属实"})).await;
    let case = app.act(&shift_lead, &case, json!({"action": "file"})).await;
    assert_eq!(case["status"], "filed");
}

async fn joint_dispatch_return_and_redispatch(b: Backend) {
    let app = TestApp::spawn(b).await;
    let case = walk(&app, "file").await;
    let (dispatcher, handler, handler2) = (app.login("dispatcher").await, app.login("handler").await, app.login("handler2").await);
    let case = app.act(&dispatcher, &case, json!({"action": "dispatch", "units": ["310115137-cgzd", "310115137-hws"]})).await;
    assert_eq!(case["tasks"].as_array().unwrap().len(), 2);
    assert_eq!((case["tasks"][0]["role"].as_str(), case["tasks"][1]["role"].as_str()), (Some("lead"), Some("assist")));
    let case = app.act(&handler2, &case, json!({"action": "return_task", "reason": "属地不符"})).await;
    assert_eq!(case["status"], "returned");
    let (_, code, field) = app.refuse(&dispatcher, &case, json!({"action": "dispatch", "units": ["nope-unit"]})).await;
    assert_eq!((code.as_str(), field), ("unknown_unit", json!("units[0]")));
    let case = app.act(&dispatcher, &case, json!({"action": "dispatch", "units": ["310115137-cgzd", "310115137-scjg"]})).await;
    assert_eq!(case["status"], "dispatched");
    let case = app.act(&handler, &case, json!({"action": "accept_task"})).await;
    let case = app.act(&handler, &case, json!({"action": "feedback", "text": "主办已处置"})).await;
    assert_eq!(case["status"], "dispatched", "the new assisting unit has not answered");
    let units = |c: &Value| c["tasks"].as_array().unwrap().iter().map(|t| t["unit"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(units(&case), ["310115137-cgzd"], "a unit sees its own task only");
    let (_, centre) = app.get(&format!("/api/v1/cases/{}", case["id"]), &dispatcher).await;
    assert_eq!(units(&centre), ["310115137-cgzd", "310115137-hws", "310115137-scjg"]);
}

async fn extension_hold_urge_and_rework(b: Backend) {
    let app = TestApp::spawn(b).await;
    let case = walk(&app, "accept_task").await;
    let (dispatcher, handler, leader) = (app.login("dispatcher").await, app.login("handler").await, app.login("leader").await);
    let due_before = case["tasks"][0]["clock"]["due_at"].clone();
    let case = app.act(&handler, &case, json!({"action": "request_extension", "extra": "1工作日", "reason": "需协调清运车辆"})).await;
    let case = app.act(&dispatcher, &case, json!({"action": "approve_extension", "approved": true})).await;
    assert_ne!(case["tasks"][0]["clock"]["due_at"], due_before, "the deadline moved");
    assert_eq!(case["tasks"][0]["extensions"], 1);
    let case = app.act(&leader, &case, json!({"action": "urge", "note": "请今日办结"})).await;
    assert_eq!(case["counts"]["urges"], 1);
    let case = app.act(&handler, &case, json!({"action": "request_hold", "reason": "需纳入专项整治"})).await;
    let case = app.act(&dispatcher, &case, json!({"action": "approve_hold", "approved": true})).await;
    assert_eq!(case["status"], "on_hold");
    assert_eq!(case["tasks"][0]["clock"]["paused"], true);
    let case = app.act(&dispatcher, &case, json!({"action": "resume"})).await;
    assert_eq!(case["status"], "dispatched");
    let case = app.act(&handler, &case, json!({"action": "feedback", "text": "已处置"})).await;
    let (operator, inspector) = (app.login("operator").await, app.login("inspector").await);
    let case = app.act(&operator, &case, json!({"action": "request_check"})).await;
    let case = app.act(&inspector, &case, json!({"action": "check", "passed": false, "note": "仍有残留"})).await;
    assert_eq!((case["status"].as_str(), case["counts"]["reworks"].as_i64()), (Some("dispatched"), Some(1)));
    assert_eq!(case["tasks"][0]["status"], "accepted", "返工 reopens the task");
}

async fn merge_revisit_and_reopen(b: Backend) {
    let app = TestApp::spawn(b).await;
    let closed = walk(&app, "close").await;
    let (operator, shift_lead, dispatcher) = (app.login("operator").await, app.login("shiftlead").await, app.login("dispatcher").await);
    let case = app.act(&operator, &closed, json!({"action": "revisit", "satisfaction": "dissatisfied", "note": "垃圾又堆起来了"})).await;
    assert_eq!(case["revisits"][0]["satisfaction"], "dissatisfied");
    let case = app.act(&shift_lead, &case, json!({"action": "reopen", "reason": "回访不满意，重办"})).await;
    assert_eq!(case["status"], "filed");
    let reopened = app.act(&dispatcher, &case, json!({"action": "dispatch", "units": ["310115137-cgzd"]})).await;
    assert_eq!(reopened["tasks"].as_array().unwrap().len(), 2);
    let dup = app.report(&operator, "hotline").await;
    let (_, code, field) = app.refuse(&operator, &dup, json!({"action": "merge", "into": 999999})).await;
    assert_eq!((code.as_str(), field), ("merge_target_not_found", json!("into")));
    let merged = app.act(&operator, &dup, json!({"action": "merge", "into": closed["id"]})).await;
    assert_eq!((merged["status"].as_str(), &merged["merged_into"]), (Some("merged"), &closed["id"]));
    let (_, main) = app.get(&format!("/api/v1/cases/{}", closed["id"]), &operator).await;
    assert_eq!(main["duplicates"][0]["id"], dup["id"], "the main case lists its 相似案件");
    let (_, list) = app.get(&format!("/api/v1/cases?merged_into={}", closed["id"]), &operator).await;
    assert_eq!(list["total"], 1);
}

async fn list_filters_and_paging(b: Backend) {
    let app = TestApp::spawn(b).await;
    let operator = app.login("operator").await;
    walk(&app, "dispatch").await;
    for _ in 0..4 {
        app.report(&operator, "hotline").await;
    }
    let mut other = new_case("public");
    other["reporter"] = json!({"name": "王五", "phone": "13900000000"});
    app.post("/api/v1/cases", &operator, other).await;
    let list = |q: &'static str| {
        let app = &app;
        let operator = operator.clone();
        async move {
            let (status, body) = app.get(&format!("/api/v1/cases?{q}"), &operator).await;
            assert_eq!(status, StatusCode::OK, "{q}: {body}");
            body
        }
    };
    assert_eq!(list("").await["total"], 6);
    assert_eq!(list("source=hotline").await["total"], 4);
    assert_eq!(list("status=dispatched").await["total"], 1);
    assert_eq!(list("status=reported,dispatched").await["total"], 6);
    assert_eq!(list("unit=310115137-cgzd").await["total"], 1);
    assert_eq!(list("reporter=13900000000").await["total"], 1);
    assert_eq!(list("lamp=green").await["total"], 6, "everything was just reported");
    assert_eq!(list("overdue=true").await["total"], 0);
    assert_eq!(list("region=310115137").await["total"], 6);
    assert_eq!(list("region=310112107").await["total"], 0);
    assert_eq!(list("created_from=2000-01-01&created_to=2001-01-01").await["total"], 0);
    let page = list("page=2&page_size=4").await;
    assert_eq!((page["total"].as_i64(), page["items"].as_array().unwrap().len()), (Some(6), 2));
    let first = list("page_size=1").await;
    assert_eq!(first["items"][0]["source"], "public", "newest first");
    let (status, body) = app.get("/api/v1/cases?lamp=blue", &operator).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("lamp")));
    let dispatcher = app.login("dispatcher").await;
    let (status, _) = app.get("/api/v1/cases?reporter=13900000000", &dispatcher).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the desk may search callers");
    // 我的上报: the operator reported five, the inspector the one walked to dispatch.
    assert_eq!(list("reported_by=me").await["total"], 5);
    assert_eq!(list("reported_by=me&q=垃圾").await["total"], 5, "with full-text search too");
    assert_eq!(list("reported_by=me&source=patrol").await["total"], 0);
    let inspector = app.login("inspector").await;
    let (_, mine) = app.get("/api/v1/cases?reported_by=me", &inspector).await;
    assert_eq!((mine["total"].as_i64(), mine["items"][0]["status"].as_str()), (Some(1), Some("dispatched")));
    let (_, mine) = app.get("/api/v1/cases?reported_by=me&status=reported", &inspector).await;
    assert_eq!(mine["total"], 0);
    let (status, body) = app.get("/api/v1/cases?reported_by=1", &inspector).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reported_by")));
}



/// A year of generated history, imported in bulk: every total the tallies give equals a count
/// of the rows, for the town and for every status.
async fn imported_history_totals_agree(b: Backend) {
    use chengyun_domain::case::CaseStatus;
    let app = TestApp::spawn(b).await;
    let histories = demo_history(&app, 600, chengyun_http::now_ms()).await;
    for chunk in histories.chunks(250) {
        app.store.import_histories(chunk.to_vec(), &chengyun_storage::AuditActor::system()).await.unwrap();
    }
    walk(&app, "dispatch").await;
    let operator = app.login("operator").await;
    let admin = app.login("admin").await;
    let total = |token: String, q: String| {
        let app = &app;
        async move {
            let (status, body) = app.get(&format!("/api/v1/cases?{q}"), &token).await;
            assert_eq!(status, StatusCode::OK, "{q}: {body}");
            body["total"].as_i64().unwrap()
        }
    };
    // created_from forces a row count; without it the tallies answer.
    let all = "created_from=2000-01-01";
    assert_eq!(total(admin.clone(), String::new()).await, 601);
    assert_eq!(total(admin.clone(), all.into()).await, 601);
    let town_tally = total(operator.clone(), String::new()).await;
    assert_eq!(town_tally, total(operator.clone(), all.into()).await);
    assert!(town_tally > 200 && town_tally < 601, "航头镇 has most, not all: {town_tally}");
    for s in CaseStatus::ALL {
        let q = format!("status={}", s.as_str());
        assert_eq!(total(operator.clone(), q.clone()).await, total(operator.clone(), format!("{q}&{all}")).await, "{q}");
    }
    assert!(app.store.verify_audit().await.unwrap().ok, "imported histories are chained like any action");
}
