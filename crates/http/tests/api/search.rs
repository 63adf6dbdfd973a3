//! Full-text search (`q=`) and similar cases: jieba-aware AND matching combined with every list
//! filter and the data scope, the index following each change, and the same ordered results on
//! SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{json, Value};

use chengyun_storage::{AuditActor, Backend};

use crate::helpers::{demo_history, new_case, walk, TestApp};
use crate::on_both;

on_both!(words_inside_long_words_are_found_and_terms_are_anded, search_stays_in_scope, the_index_follows_notes_and_feedback, similar_cases_score_text_place_and_time, lists_sort_by_urgency_newest_or_oldest);

/// The total and the ids of one page of a list as `token`, in order.
async fn page(app: &TestApp, token: &str, query: &str) -> (i64, Vec<i64>) {
    let url = format!("/api/v1/cases?page_size=200&{query}");
    let (status, body) = app.get(&url, token).await;
    assert_eq!(status, StatusCode::OK, "{url}: {body}");
    (body["total"].as_i64().unwrap(), body["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect())
}

/// Ids of a search as `token`, in order (all on one page).
async fn ids(app: &TestApp, token: &str, query: &str) -> Vec<i64> {
    let (total, ids) = page(app, token, query).await;
    assert_eq!(total, ids.len() as i64, "{query}: total agrees with the items");
    ids
}

fn q(words: &str) -> String {
    format!("q={}", urlencode(words))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

async fn report(app: &TestApp, token: &str, description: &str, region: &str) -> Value {
    let mut body = new_case("hotline");
    body["description"] = json!(description);
    body["region"] = json!(region);
    body.as_object_mut().unwrap().remove("location");
    let (status, case) = app.post("/api/v1/cases", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case
}

async fn words_inside_long_words_are_found_and_terms_are_anded(b: Backend) {
    let app = TestApp::spawn(b).await;
    let operator = app.login("operator").await;
    let rubbish = report(&app, &operator, "小区门口垃圾堆放三天没人清理，臭得不行", "310115137001").await;
    let cover = report(&app, &operator, "沪南公路人行道井盖松动，存在安全隐患", "310115137001").await;
    let (rubbish_id, cover_id) = (rubbish["id"].as_i64().unwrap(), cover["id"].as_i64().unwrap());
    assert_eq!(ids(&app, &operator, &q("垃圾")).await, vec![rubbish_id], "垃圾 finds 垃圾堆放");
    assert_eq!(ids(&app, &operator, &q("垃圾堆放")).await, vec![rubbish_id]);
    assert_eq!(ids(&app, &operator, &q("清理 垃圾")).await, vec![rubbish_id], "both words, any order");
    assert_eq!(ids(&app, &operator, &q("垃圾 井盖")).await, Vec::<i64>::new(), "terms are ANDed");
    assert_eq!(ids(&app, &operator, &q("航头路沪南公路路口")).await, vec![cover_id, rubbish_id], "the address is searched, newest first");
    // With the other filters.
    assert_eq!(ids(&app, &operator, &format!("{}&status=reported", q("井盖"))).await, vec![cover_id]);
    assert_eq!(ids(&app, &operator, &format!("{}&status=closed", q("井盖"))).await, Vec::<i64>::new());
    assert_eq!(ids(&app, &operator, &format!("{}&category=SJ-0102", q("垃圾"))).await, vec![rubbish_id]);
    assert_eq!(ids(&app, &operator, &format!("{}&category=SJ-0101", q("垃圾"))).await, Vec::<i64>::new());
    assert_eq!(ids(&app, &operator, &format!("{}&region=310115137002", q("垃圾"))).await, Vec::<i64>::new());
    let (_, page) = app.get(&format!("/api/v1/cases?page_size=1&page=2&{}", q("航头路")), &operator).await;
    assert_eq!((page["total"].as_i64(), page["items"][0]["id"].as_i64()), (Some(2), Some(rubbish_id)), "paging");
    // Bad queries name the parameter.
    for bad in ["，。！", &"垃".repeat(101), "一 二 三 四 五 六 七 八 九"] {
        let (status, body) = app.get(&format!("/api/v1/cases?{}", q(bad)), &operator).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!((body["error"]["code"].as_str(), body["error"]["field"].as_str()), (Some("invalid_parameter"), Some("q")));
    }
}

async fn search_stays_in_scope(b: Backend) {
    let app = TestApp::spawn(b).await;
    let operator = app.login("operator").await;
    let mine = walk(&app, "dispatch").await; // 310115137001, dispatched to 310115137-cgzd
    let next_door = report(&app, &operator, "航头路暴露垃圾，影响市容", "310115137002").await;
    let mine_id = mine["id"].as_i64().unwrap();
    assert_eq!(ids(&app, &operator, &q("垃圾")).await, vec![next_door["id"].as_i64().unwrap(), mine_id], "the town sees both");
    let village = app.login("village").await;
    assert_eq!(ids(&app, &village, &q("垃圾")).await, vec![mine_id], "a village never sees its neighbour's match");
    let handler = app.login("handler").await;
    assert_eq!(ids(&app, &handler, &q("垃圾")).await, vec![mine_id], "a unit sees what was dispatched to it");
    for outsider in ["handler2", "hq-operator", "hq-handler"] {
        let token = app.login(outsider).await;
        assert_eq!(ids(&app, &token, &q("垃圾")).await, Vec::<i64>::new(), "{outsider}");
    }
}

async fn the_index_follows_notes_and_feedback(b: Backend) {
    let app = TestApp::spawn(b).await;
    let case = walk(&app, "accept_task").await;
    let operator = app.login("operator").await;
    let id = case["id"].as_i64().unwrap();
    assert!(ids(&app, &operator, &q("清运")).await.is_empty());
    assert!(ids(&app, &operator, &q("办结")).await.is_empty());
    let leader = app.login("leader").await;
    let case = app.act(&leader, &case, json!({"action": "urge", "note": "请今日办结"})).await;
    assert_eq!(ids(&app, &operator, &q("办结")).await, vec![id], "a note is searchable at once");
    let handler = app.login("handler").await;
    app.act(&handler, &case, json!({"action": "feedback", "text": "已清运完毕，现场恢复整洁"})).await;
    assert_eq!(ids(&app, &operator, &q("清运 整洁")).await, vec![id], "feedback too");
    assert_eq!(ids(&app, &operator, &q("办结 清运")).await, vec![id], "earlier texts are kept");
}

async fn similar_cases_score_text_place_and_time(b: Backend) {
    let app = TestApp::spawn(b).await;
    let operator = app.login("operator").await;
    let first = app.report(&operator, "hotline").await;
    let mut again = new_case("public");
    again["description"] = json!("航头路沪南公路路口东北角垃圾暴露，两立方左右");
    let (_, again) = app.post("/api/v1/cases", &operator, again).await;
    let mut other_text = new_case("public");
    other_text["description"] = json!("绿化带内有人焚烧树叶");
    let (_, other_text) = app.post("/api/v1/cases", &operator, other_text).await;
    let mut far = new_case("public");
    far["location"] = json!({"lon": 121.62, "lat": 31.05, "coord_sys": "gcj02"});
    let (status, far) = app.post("/api/v1/cases", &operator, far).await;
    assert_eq!(status, StatusCode::CREATED, "{far}");

    let path = format!("/api/v1/cases/{}/similar", first["id"]);
    let (status, body) = app.get(&path, &operator).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    let found: Vec<&Value> = items.iter().map(|i| &i["id"]).collect();
    assert_eq!(found, vec![&again["id"]], "alike text nearby; not other words, not far away: {body}");
    let s = &items[0]["similarity"];
    assert!(s["text"].as_f64().unwrap() > 0.3 && s["place"].as_f64().unwrap() > 0.9 && s["time"].as_f64().unwrap() > 0.9, "{s}");
    assert!(s["score"].as_f64().unwrap() >= body["params"]["threshold"].as_f64().unwrap());
    assert!(other_text["id"] != again["id"]);

    // Only the desk sees suggestions, and only within scope.
    let handler = app.login("handler").await;
    assert_eq!(app.get(&path, &handler).await.0, StatusCode::FORBIDDEN);
    let hq_operator = app.login("hq-operator").await;
    assert_eq!(app.get(&path, &hq_operator).await.0, StatusCode::NOT_FOUND);

    // The admin sets the threshold; bad settings name their field.
    let admin = app.login("admin").await;
    let (status, body) = app.request(reqwest::Method::PUT, "/api/v1/admin/similar-cases", Some(&admin), Some(json!({"threshold": 0.99}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.get(&path, &operator).await.1["items"], json!([]), "nothing scores 0.99");
    let (status, body) = app.request(reqwest::Method::PUT, "/api/v1/admin/similar-cases", Some(&admin), Some(json!({"radius_m": -5}))).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("radius_m")));
    assert_eq!(app.request(reqwest::Method::PUT, "/api/v1/admin/similar-cases", Some(&operator), Some(json!({}))).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/admin/similar-cases", &admin).await.1["threshold"], 0.99);
}

/// The same generated history in both databases gives the same ordered ids for every query,
/// as every user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_list_the_same_cases_in_the_same_order() {
    let lite = TestApp::spawn(Backend::Sqlite).await;
    let pg = TestApp::spawn(Backend::Postgres).await;
    let histories = demo_history(&lite, 1500, 1_795_000_000_000).await;
    for app in [&lite, &pg] {
        app.store.import_histories(histories.clone(), &AuditActor::system()).await.unwrap();
    }
    let queries = ["垃圾", "垃圾 清理", "市容 保洁", "井盖", "暴露垃圾 影响市容", "占道 通行", "整改", "已清理", "维修 配件"];
    let mut compared = 0;
    for user in ["admin", "operator", "village", "handler"] {
        let (t1, t2) = (lite.login(user).await, pg.login(user).await);
        for words in queries {
            for extra in ["", "&page=2", "&status=closed", "&source=hotline", "&category=SJ-0102", "&region=310115137001"] {
                let query = format!("{}{extra}", q(words));
                let (a, b) = (page(&lite, &t1, &query).await, page(&pg, &t2, &query).await);
                assert_eq!(a, b, "{user} {words} {extra}");
                // A date filter the index cannot answer alone sends the search through the list
                // query: the same cases, in the same order; its exact total is the index's up to
                // the index's cap (200 hits).
                let through_rows = format!("{query}&created_from=2000-01-01");
                let capped = |(total, ids): (i64, Vec<i64>)| (total.min(200), ids);
                assert_eq!(capped(page(&lite, &t1, &through_rows).await), a, "{user} {words} {extra} (sqlite, row filter)");
                assert_eq!(capped(page(&pg, &t2, &through_rows).await), a, "{user} {words} {extra} (postgres, row filter)");
                compared += a.1.len();
            }
        }
    }
    assert!(compared > 1000, "the queries match enough cases to compare ({compared})");
}

/// `sort=urgency` puts the soonest-due running cases first and untimed ones last; `oldest` and
/// `newest` order by report time; with `q=` the chosen order holds too.
async fn lists_sort_by_urgency_newest_or_oldest(b: Backend) {
    let app = TestApp::spawn(b).await;
    let operator = app.login("operator").await;
    let first = report(&app, &operator, "健身苑器材损坏需要修理", "310115137001").await;
    let closed = walk(&app, "close").await;
    let last = report(&app, &operator, "健身苑路灯损坏不亮", "310115137001").await;
    let [first, closed, last] = [&first, &closed, &last].map(|c| c["id"].as_i64().unwrap());
    assert_eq!(ids(&app, &operator, "").await, vec![last, closed, first], "default: newest first");
    assert_eq!(ids(&app, &operator, "sort=newest").await, vec![last, closed, first]);
    assert_eq!(ids(&app, &operator, "sort=oldest").await, vec![first, closed, last]);
    // Both open cases run a 受理 clock; the earlier report is due no later, the closed case has none.
    let (_, body) = app.get("/api/v1/cases?sort=urgency", &operator).await;
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![first, last, closed], "{body}");
    assert!(items[0]["due_at"].as_str().unwrap() <= items[1]["due_at"].as_str().unwrap());
    assert!(items[2]["due_at"].is_null(), "the untimed case is last");
    // Paging keeps the order; a search keeps the chosen order instead of newest-entered.
    let (_, second) = app.get("/api/v1/cases?sort=urgency&page_size=1&page=2", &operator).await;
    assert_eq!(second["items"][0]["id"].as_i64(), Some(last));
    assert_eq!(ids(&app, &operator, &format!("{}&sort=urgency", q("健身苑 损坏"))).await, vec![first, last]);
    assert_eq!(ids(&app, &operator, &format!("{}&sort=oldest", q("健身苑 损坏"))).await, vec![first, last]);
    assert_eq!(ids(&app, &operator, &q("健身苑 损坏")).await, vec![last, first]);
    let (status, body) = app.get("/api/v1/cases?sort=random", &operator).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!((body["error"]["code"].as_str(), body["error"]["field"].as_str()), (Some("invalid_parameter"), Some("sort")));
}
