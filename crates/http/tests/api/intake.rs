//! Intake: idempotent reports, group commit, and suspected duplicates (疑似重复件).

use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;

use chengyun_storage::{Backend, IdempotencyKey, NewCaseRequest};

use crate::helpers::{new_case, walk, TestApp};
use crate::on_both;

on_both!(
    a_repeated_key_returns_the_first_case,
    concurrent_submissions_with_one_key_make_one_case,
    one_bad_request_fails_alone_in_a_batch,
    duplicates_are_linked_by_place_time_category_and_state,
    reports_committed_together_find_each_other,
    tallies_hold_after_group_commits,
);

async fn post_keyed(app: &TestApp, token: &str, key: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = app.client.post(format!("{}/api/v1/cases", app.base)).bearer_auth(token).json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A report at a point (WGS-84) of a category.
fn report_at(category: &str, lon: f64, lat: f64) -> Value {
    let mut body = new_case("patrol");
    body["category"] = json!(category);
    body["location"] = json!({"lon": lon, "lat": lat, "coord_sys": "wgs84"});
    body
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let pool = app.raw().await;
    let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&pool).await.unwrap().try_get(0).unwrap();
    pool.close().await;
    n
}

async fn a_repeated_key_returns_the_first_case(b: Backend) {
    let app = TestApp::spawn(b).await;
    let inspector = app.login("inspector").await;
    let (first, created) = post_keyed(&app, &inspector, Some("phone-7f3a-0001"), new_case("patrol")).await;
    assert_eq!(first, StatusCode::CREATED, "{created}");
    assert_eq!(created["replayed"], false);
    let (again, replayed) = post_keyed(&app, &inspector, Some("phone-7f3a-0001"), new_case("patrol")).await;
    assert_eq!(again, StatusCode::OK, "a replay is 200, not 201: {replayed}");
    assert_eq!(replayed["replayed"], true);
    assert_eq!(replayed["id"], created["id"]);
    assert_eq!(replayed["number"], created["number"]);

    // Another key, no key, or the same key from another user: new cases.
    assert_eq!(post_keyed(&app, &inspector, Some("phone-7f3a-0002"), new_case("patrol")).await.0, StatusCode::CREATED);
    assert_eq!(post_keyed(&app, &inspector, None, new_case("patrol")).await.0, StatusCode::CREATED);
    let operator = app.login("operator").await;
    let (other, theirs) = post_keyed(&app, &operator, Some("phone-7f3a-0001"), new_case("hotline")).await;
    assert_eq!(other, StatusCode::CREATED);
    assert_ne!(theirs["id"], created["id"], "keys belong to their user");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cases").await, 4);

    let long = "k".repeat(201);
    let (bad, body) = post_keyed(&app, &inspector, Some(&long), new_case("patrol")).await;
    assert_eq!(bad, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "invalid_idempotency_key");
    assert_eq!(body["error"]["field"], "Idempotency-Key");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cases").await, 4, "nothing stored for bad input");

    // An expired key counts no more: age it past the 24 h lifetime.
    let pool = app.raw().await;
    sqlx::query("UPDATE intake_keys SET created_at = created_at - 86400001 WHERE idem_key = 'phone-7f3a-0002'").execute(&pool).await.unwrap();
    pool.close().await;
    assert_eq!(post_keyed(&app, &inspector, Some("phone-7f3a-0002"), new_case("patrol")).await.0, StatusCode::CREATED);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM intake_keys WHERE idem_key = 'phone-7f3a-0002'").await, 1);
    let admin = app.login("admin").await;
    assert_eq!(app.get("/api/v1/audit/verify", &admin).await.1["ok"], true);
}

async fn concurrent_submissions_with_one_key_make_one_case(b: Backend) {
    let app = TestApp::spawn(b).await;
    // Two instances on PostgreSQL race through separate pools, as in a multi-instance deployment.
    let other = app.another_instance().await;
    let inspector = app.login("inspector").await;
    let attempts = (0..24).map(|i| {
        let target = if b == Backend::Postgres && i % 2 == 1 { &other } else { &app };
        post_keyed(target, &inspector, Some("flood-key"), new_case("patrol"))
    });
    let results = futures::future::join_all(attempts).await;
    let created = results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    let replayed = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!((created, replayed), (1, 23), "{:?}", results.iter().map(|r| r.0).collect::<Vec<_>>());
    let ids: std::collections::BTreeSet<String> = results.iter().map(|(_, body)| body["id"].to_string()).collect();
    assert_eq!(ids.len(), 1, "every answer names the same case: {ids:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cases").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM intake_keys").await, 1);
}

/// One request that cannot be stored fails alone; the rest of its batch is committed.
async fn one_bad_request_fails_alone_in_a_batch(b: Backend) {
    let app = TestApp::spawn(b).await;
    let filed = walk(&app, "register").await;
    let events = app.store.case_events(filed["id"].as_i64().unwrap()).await.unwrap();
    let (report, register) = (events[0].event.clone(), events[1].event.clone());
    let request = |prefix: &str, event: &chengyun_domain::case::Event, key: Option<&str>| NewCaseRequest {
        number_prefix: prefix.to_string(),
        event: event.clone(),
        idempotency: key.map(|k| IdempotencyKey { actor_id: 42, key: k.to_string(), live_after: 0 }),
        duplicates: None,
    };
    // A case already holds the number the counter would give the `BAD` request next, so its
    // insert breaks a unique constraint in the database.
    let day = filed["number"].as_str().unwrap().split('-').nth(1).unwrap().to_string();
    let pool = app.raw().await;
    sqlx::query(
        "INSERT INTO cases (number, status, version, category, source, region_code, description, created_at, updated_at, overall_due_at) \
         VALUES ($1, 'reported', 1, 'SJ-0102', 'patrol', '310115137001', 'x', 0, 0, 0)",
    )
    .bind(format!("BAD-{day}-0001"))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let cases_before = count(&app, "SELECT COUNT(*) FROM cases").await;
    let results = app
        .store
        .create_cases(vec![
            request("310115137", &report, Some("a")),
            request("310115137", &register, Some("b")),
            request("BAD", &report, Some("c")),
            request("310115137", &report, Some("d")),
            request("310115137", &report, Some("a")),
        ])
        .await
        .unwrap();
    assert_eq!(results.len(), 5);
    assert!(results[0].as_ref().is_ok_and(|c| !c.replayed));
    assert!(results[1].is_err(), "a non-report event makes no case");
    assert!(results[2].is_err(), "the database refused this one");
    assert!(results[3].as_ref().is_ok_and(|c| !c.replayed));
    let (first, last) = (results[0].as_ref().unwrap(), results[4].as_ref().unwrap());
    assert!(last.replayed && last.case.id == first.case.id, "the same key in one batch is one case");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cases").await, cases_before + 2);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM intake_keys").await, 2);
    let stored = app.store.get_case(first.case.id).await.unwrap().unwrap();
    assert_eq!(stored, first.case);
    assert!(app.store.verify_audit().await.unwrap().ok);
}

async fn duplicates_are_linked_by_place_time_category_and_state(b: Backend) {
    let app = TestApp::spawn(b).await;
    let inspector = app.login("inspector").await;
    let operator = app.login("operator").await;
    let (lon, lat) = (121.5850, 31.0330);
    let (_, open) = app.post("/api/v1/cases", &inspector, report_at("SJ-0102", lon, lat)).await;
    // 20 m east: a suspected duplicate of the open case.
    let east_20m = lon + 20.0 / (111_195.0 * lat.to_radians().cos());
    let (status, near) = app.post("/api/v1/cases", &inspector, report_at("SJ-0102", east_20m, lat)).await;
    assert_eq!(status, StatusCode::CREATED, "{near}");
    let suspected = near["suspected_duplicates"].as_array().unwrap();
    assert_eq!(suspected.len(), 1, "{near}");
    assert_eq!(suspected[0]["id"], open["id"]);
    assert_eq!(suspected[0]["status"], "reported");
    let d = suspected[0]["distance_m"].as_f64().unwrap();
    assert!((d - 20.0).abs() < 0.5, "{d}");

    // The 受理员 sees the link from both cases, with distance and age; an inspector does not.
    let (_, detail) = app.get(&format!("/api/v1/cases/{}", near["id"]), &operator).await;
    let links = detail["suspected_duplicates"].as_array().unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!((links[0]["id"].clone(), links[0]["relation"].clone()), (open["id"].clone(), json!("earlier")));
    assert!(links[0]["age_ms"].as_i64().unwrap() >= 0);
    let (_, earlier) = app.get(&format!("/api/v1/cases/{}", open["id"]), &operator).await;
    assert_eq!(earlier["suspected_duplicates"][0]["id"], near["id"]);
    assert_eq!(earlier["suspected_duplicates"][0]["relation"], "later");
    let (_, seen_by_inspector) = app.get(&format!("/api/v1/cases/{}", near["id"]), &inspector).await;
    assert!(seen_by_inspector.get("suspected_duplicates").is_none());

    // 80 m away, or another category: not suspected. Nearest first when several are.
    let north_80m = lat + 80.0 / 111_195.0;
    let (_, far) = app.post("/api/v1/cases", &inspector, report_at("SJ-0102", lon, north_80m)).await;
    assert_eq!(far["suspected_duplicates"], json!([]));
    let (_, other_kind) = app.post("/api/v1/cases", &inspector, report_at("SJ-0103", lon, lat)).await;
    assert_eq!(other_kind["suspected_duplicates"], json!([]));
    let (_, third) = app.post("/api/v1/cases", &inspector, report_at("SJ-0102", lon, lat)).await;
    let ids: Vec<Value> = third["suspected_duplicates"].as_array().unwrap().iter().map(|s| s["id"].clone()).collect();
    assert_eq!(ids, [open["id"].clone(), near["id"].clone()], "nearest first");

    // Older than the 72 h window: not suspected.
    let (old_lon, old_lat) = (121.5990, 31.0250);
    let (_, old) = app.post("/api/v1/cases", &inspector, report_at("SJ-0102", old_lon, old_lat)).await;
    let pool = app.raw().await;
    sqlx::query("UPDATE cases SET created_at = created_at - 259200001 WHERE id = $1").bind(old["id"].as_i64().unwrap()).execute(&pool).await.unwrap();
    pool.close().await;
    let (_, after_old) = app.post("/api/v1/cases", &inspector, report_at("SJ-0102", old_lon, old_lat)).await;
    assert_eq!(after_old["suspected_duplicates"], json!([]));

    // A closed case is not repeated by a new report at its place.
    let closed = walk(&app, "close").await;
    assert_eq!(closed["status"], "closed");
    let at = &closed["placement"]["point"];
    assert_eq!(at["coord_sys"], "wgs84");
    let (_, after_closed) = app
        .post("/api/v1/cases", &inspector, report_at("SJ-0102", at["lon"].as_f64().unwrap(), at["lat"].as_f64().unwrap()))
        .await;
    let linked: Vec<Value> = after_closed["suspected_duplicates"].as_array().unwrap().iter().map(|s| s["id"].clone()).collect();
    assert!(!linked.contains(&closed["id"]), "{linked:?}");

    // 2 m apart across a row of the index (31.045°, a multiple of 0.001°), either way round.
    let (_, south) = app.post("/api/v1/cases", &inspector, report_at("SJ-0102", lon, 31.04499)).await;
    let (_, north) = app.post("/api/v1/cases", &inspector, report_at("SJ-0102", lon, 31.04501)).await;
    assert_eq!(north["suspected_duplicates"][0]["id"], south["id"], "{north}");
    let (_, south_again) = app.post("/api/v1/cases", &inspector, report_at("SJ-0102", lon, 31.044995)).await;
    let ids: Vec<Value> = south_again["suspected_duplicates"].as_array().unwrap().iter().map(|s| s["id"].clone()).collect();
    assert_eq!(ids, [south["id"].clone(), north["id"].clone()], "{south_again}");
}

/// Reports of one event arriving together are written by one batch: each is linked to the
/// stored case and to the batch's earlier ones, not only to what was committed before.
async fn reports_committed_together_find_each_other(b: Backend) {
    let app = TestApp::spawn(b).await;
    let inspector = app.login("inspector").await;
    let (_, stored) = app.post("/api/v1/cases", &inspector, report_at("SJ-0102", 121.5850, 31.0330)).await;
    let report = app.store.case_events(stored["id"].as_i64().unwrap()).await.unwrap()[0].event.clone();
    let request = |key: &str| NewCaseRequest {
        number_prefix: "310115137".to_string(),
        event: report.clone(),
        idempotency: Some(IdempotencyKey { actor_id: 42, key: key.to_string(), live_after: 0 }),
        duplicates: Some(Default::default()),
    };
    let results = app.store.create_cases(vec![request("x"), request("y"), request("z")]).await.unwrap();
    let created: Vec<_> = results.into_iter().map(|r| r.unwrap()).collect();
    let linked = |n: usize| -> std::collections::BTreeSet<i64> { created[n].suspected.iter().map(|s| s.case_id).collect() };
    let (a, x, y) = (stored["id"].as_i64().unwrap(), created[0].case.id, created[1].case.id);
    assert_eq!(linked(0), [a].into());
    assert_eq!(linked(1), [a, x].into());
    assert_eq!(linked(2), [a, x, y].into());
    let in_batch = created[2].suspected.iter().find(|s| s.case_id == y).unwrap();
    assert_eq!((in_batch.number.as_str(), in_batch.distance_m), (created[1].case.facts.number.as_str(), 0.0));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM suspected_duplicates").await, 6);
    let operator = app.login("operator").await;
    let (_, detail) = app.get(&format!("/api/v1/cases/{x}"), &operator).await;
    let later: Vec<i64> = detail["suspected_duplicates"].as_array().unwrap().iter().filter(|l| l["relation"] == "later").map(|l| l["id"].as_i64().unwrap()).collect();
    assert_eq!(later.len(), 2, "{detail}");
}

/// Many reports at once go through the group commit; counts and the chain stay exact.
async fn tallies_hold_after_group_commits(b: Backend) {
    let app = TestApp::spawn(b).await;
    let inspector = app.login("inspector").await;
    let keys: Vec<String> = (0..60).map(|i| format!("tally-{i}")).collect();
    let posts = keys.iter().map(|k| post_keyed(&app, &inspector, Some(k), new_case("patrol")));
    let results = futures::future::join_all(posts).await;
    let failed: Vec<&(StatusCode, Value)> = results.iter().filter(|(s, _)| *s != StatusCode::CREATED).collect();
    assert!(failed.is_empty(), "{failed:?}");
    let mut numbers: Vec<String> = results.iter().map(|(_, body)| body["number"].as_str().unwrap().to_string()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 60, "numbers are unique");
    let tallied = count(&app, "SELECT CAST(SUM(n) AS BIGINT) FROM case_tallies WHERE town_code = '310115137' AND status = 'reported'").await;
    let rows = count(&app, "SELECT COUNT(*) FROM cases WHERE town_code = '310115137' AND status = 'reported'").await;
    assert_eq!((tallied, rows), (60, 60));
    let operator = app.login("operator").await;
    assert_eq!(app.get("/api/v1/cases?status=reported", &operator).await.1["total"], 60);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM case_events").await, 60);
    let report = app.store.verify_audit().await.unwrap();
    assert!(report.ok && report.events == 60, "{report:?}");
}
