//! The 大屏: figures against the database, charts as SVG, refusals, and live updates (SSE)
//! across two instances.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Row;

use crate::helpers::{demo_history, TestApp};
use crate::on_both;
use chengyun_storage::{AuditActor, Backend};

on_both!(the_dashboard_matches_the_database, dashboard_charts_and_refusals, changes_reach_open_pages_through_any_instance);

/// A year of demo history ending now, imported.
async fn history(app: &TestApp, count: usize) {
    let histories = demo_history(app, count, chengyun_http::now_ms()).await;
    app.store.import_histories(histories, &AuditActor::system()).await.unwrap();
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let pool = app.raw().await;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&pool).await.unwrap().try_get::<i64, _>(0).unwrap()
}

/// Shanghai midnight of a `yyyy-mm-dd` date, in epoch ms.
fn midnight(date: &str) -> i64 {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    chengyun_domain::time::from_local(d.and_hms_opt(0, 0, 0).unwrap())
}

async fn the_dashboard_matches_the_database(b: Backend) {
    let app = TestApp::spawn(b).await;
    history(&app, 3000).await;
    let leader = app.login("leader").await;
    let (status, d) = app.get("/api/v1/dashboard", &leader).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["region"]["code"], "310115137", "the leader's own town by default");

    let trend = d["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 30);
    let first = midnight(trend[0]["date"].as_str().unwrap());
    let town = "town_code = '310115137'";
    let reported_30 = count(&app, &format!("SELECT COUNT(*) FROM cases WHERE {town} AND created_at >= {first}")).await;
    assert!(reported_30 > 20, "history fills the month: {reported_30}");
    assert_eq!(trend.iter().map(|t| t["reported"].as_i64().unwrap()).sum::<i64>(), reported_30);
    let closed_30 = count(&app, &format!("SELECT COUNT(*) FROM cases WHERE {town} AND closed_at >= {first}")).await;
    assert_eq!(trend.iter().map(|t| t["closed"].as_i64().unwrap()).sum::<i64>(), closed_30);
    let today = midnight(trend[29]["date"].as_str().unwrap());
    let today_reported = count(&app, &format!("SELECT COUNT(*) FROM cases WHERE {town} AND created_at >= {today}")).await;
    assert_eq!(d["today"]["reported"], today_reported);
    let filed_today = count(
        &app,
        &format!("SELECT COUNT(*) FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.{town} AND e.action = 'file' AND e.at >= {today}"),
    )
    .await;
    assert_eq!(d["today"]["filed"], filed_today);
    let month_first = format!("{}-01", &trend[29]["date"].as_str().unwrap()[..7]);
    let month = midnight(&month_first);
    let month_reported = count(&app, &format!("SELECT COUNT(*) FROM cases WHERE {town} AND created_at >= {month}")).await;
    assert_eq!(d["month"]["reported"], month_reported);
    let open = count(&app, &format!("SELECT COUNT(*) FROM cases WHERE {town} AND status NOT IN ('closed', 'voided', 'merged')")).await;
    assert_eq!(d["open"], open);
    assert!(d["overdue_open"].as_i64().unwrap() <= open);

    let cats = d["categories"].as_array().unwrap();
    assert!(!cats.is_empty() && cats.len() <= 10);
    assert!(cats.windows(2).all(|w| w[0]["count"].as_i64() >= w[1]["count"].as_i64()), "most first");
    assert!(cats.iter().all(|c| c["name"].as_str().unwrap().chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch))));
    assert!(cats.iter().map(|c| c["count"].as_i64().unwrap()).sum::<i64>() <= reported_30);

    let units = d["units"].as_array().unwrap();
    assert!(!units.is_empty(), "{d}");
    for u in units {
        assert!(u["on_time"].as_u64() <= u["due"].as_u64() && u["due"].as_u64().unwrap() > 0, "{u}");
        assert!(!u["name"].as_str().unwrap().is_empty());
    }
    let rates: Vec<f64> = units.iter().map(|u| u["rate"].as_f64().unwrap()).collect();
    assert!(rates.windows(2).all(|w| w[0] >= w[1]), "{rates:?}");

    let overdue = d["overdue"].as_array().unwrap();
    assert!(overdue.len() <= 20 && overdue.len() as i64 <= d["overdue_open"].as_i64().unwrap());
    assert!(overdue.iter().all(|c| c["overdue_minutes"].as_i64().unwrap() >= 0 && c["number"].is_string()));

    // a new report counts at once
    let inspector = app.login("inspector").await;
    app.report(&inspector, "patrol").await;
    let (_, after) = app.get("/api/v1/dashboard?region=310115137", &leader).await;
    assert_eq!(after["today"]["reported"].as_i64().unwrap(), today_reported + 1);
    assert_eq!(after["open"].as_i64().unwrap(), open + 1);
    assert_eq!(after["trend"][29]["reported"].as_i64().unwrap(), trend[29]["reported"].as_i64().unwrap() + 1);

    // a village's figures are part of the town's
    let (status, v) = app.get("/api/v1/dashboard?region=310115137001", &leader).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v["open"].as_i64().unwrap() >= 1 && v["open"].as_i64() <= after["open"].as_i64());
}

async fn svg_doc(app: &TestApp, path: &str, token: &str) -> (StatusCode, String) {
    let resp = app.client.get(format!("{}{path}", app.base)).bearer_auth(token).send().await.unwrap();
    let status = resp.status();
    if status == StatusCode::OK {
        assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("image/svg+xml"));
    }
    (status, resp.text().await.unwrap())
}

fn with_class<'a, 'i>(doc: &'a roxmltree::Document<'i>, class: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    doc.descendants().filter(|n| n.attribute("class").is_some_and(|c| c.split(' ').any(|x| x == class))).collect()
}

async fn dashboard_charts_and_refusals(b: Backend) {
    let app = TestApp::spawn(b).await;
    history(&app, 1500).await;
    let leader = app.login("leader").await;
    let (_, d) = app.get("/api/v1/dashboard?region=310115137", &leader).await;

    let (status, text) = svg_doc(&app, "/api/v1/dashboard/trend.svg?region=310115137", &leader).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let doc = roxmltree::Document::parse(&text).expect("well-formed");
    let series = with_class(&doc, "series");
    assert_eq!(series.len(), 2);
    let reported: Vec<i64> = series[0]
        .descendants()
        .filter_map(|n| n.attribute("data-value"))
        .map(|v| v.parse::<f64>().unwrap() as i64)
        .collect();
    let expected: Vec<i64> = d["trend"].as_array().unwrap().iter().map(|t| t["reported"].as_i64().unwrap()).collect();
    assert_eq!(reported, expected);

    let (status, text) = svg_doc(&app, "/api/v1/dashboard/categories.svg?region=310115137&width=500", &leader).await;
    assert_eq!(status, StatusCode::OK);
    let doc = roxmltree::Document::parse(&text).unwrap();
    let rows = with_class(&doc, "bar-row");
    assert_eq!(rows.len(), d["categories"].as_array().unwrap().len());
    // Two national tables share some names (暴露垃圾): such bars carry their code as well.
    let first = &d["categories"][0];
    let (name, code) = (first["name"].as_str().unwrap(), first["code"].as_str().unwrap());
    let label = rows[0].attribute("data-label").unwrap();
    assert!(label == name || label == format!("{name} {code}"), "{label}");
    assert_eq!(doc.root_element().attribute("width"), Some("500"));

    let (status, text) = svg_doc(&app, "/api/v1/dashboard/units.svg?region=310115137", &leader).await;
    assert_eq!(status, StatusCode::OK);
    let doc = roxmltree::Document::parse(&text).unwrap();
    let rows = with_class(&doc, "bar-row");
    assert!(!rows.is_empty());
    assert_eq!(rows[0].attribute("data-label"), d["units"][0]["name"].as_str());
    let rate = d["units"][0]["rate"].as_f64().unwrap();
    assert_eq!(with_class(&doc, "bar-value")[0].text(), Some(format!("{:.1}%", rate * 100.0).as_str()));

    let (status, _) = svg_doc(&app, "/api/v1/dashboard/pie.svg?region=310115137", &leader).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // roles and scope
    for user in ["operator", "handler", "inspector", "village"] {
        let token = app.login(user).await;
        let (status, body) = app.get("/api/v1/dashboard?region=310115137", &token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}: {body}");
        let (status, _) = svg_doc(&app, "/api/v1/dashboard/trend.svg?region=310115137", &token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
    }
    let dispatcher = app.login("dispatcher").await;
    let (status, body) = app.get("/api/v1/dashboard?region=310112107", &dispatcher).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "out_of_scope");
    let admin = app.login("admin").await;
    let (status, body) = app.get("/api/v1/dashboard?region=310112107", &admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["region"]["name"], "虹桥镇");
    let (status, _) = app.get("/api/v1/dashboard?region=310115999", &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Reads the event stream until `event: NAME` arrives (or the deadline passes).
async fn wait_for(resp: &mut reqwest::Response, buffer: &mut String, name: &str, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(at) = buffer.find(&format!("event: {name}\n")) {
            buffer.drain(..at + name.len() + 8);
            return true;
        }
        match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Ok(Ok(Some(bytes))) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
            _ => return false,
        }
    }
}

async fn changes_reach_open_pages_through_any_instance(b: Backend) {
    let app = TestApp::spawn(b).await;
    let other = app.another_instance().await;
    let leader = app.login("leader").await;
    let inspector = app.login("inspector").await;

    let mut resp = other.client.get(format!("{}/api/v1/events", other.base)).bearer_auth(&leader).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut buffer = String::new();
    assert!(wait_for(&mut resp, &mut buffer, "ready", Duration::from_secs(5)).await, "{buffer}");
    // nothing changes: no event
    assert!(!wait_for(&mut resp, &mut buffer, "changed", Duration::from_millis(2500)).await, "{buffer}");
    // a report through the first instance reaches a page on the second
    let case: Value = app.report(&inspector, "patrol").await;
    assert!(wait_for(&mut resp, &mut buffer, "changed", Duration::from_secs(6)).await, "{buffer}");
    // and an action on it too
    let operator = app.login("operator").await;
    app.act(&operator, &case, serde_json::json!({"action": "register"})).await;
    assert!(wait_for(&mut resp, &mut buffer, "changed", Duration::from_secs(6)).await, "{buffer}");

    let (status, _) = app.get("/api/v1/events", "bogus").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
