//! Places over HTTP: locating points in every coordinate system, reports landing in their grid,
//! boundary imports (the real Shanghai files and broken ones), the 责任清单 and 联勤联动.

use std::collections::HashMap;
use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{new_case, walk, TestApp};
use crate::on_both;
use chengyun_storage::Backend;

on_both!(
    points_locate_to_the_same_grid_in_every_coordinate_system,
    reports_land_in_their_grid_or_are_flagged,
    real_boundaries_import_and_broken_files_change_nothing,
    the_routing_proposal_dispatches_in_one_action,
    automatic_dispatch_and_uncovered_cases,
    routing_rules_round_trip_through_csv,
    joint_handling_release_and_task_privacy,
    every_broken_fixture_is_refused_with_its_error,
);

/// `../shared/data` (open data kept beside the project); `scripts/test.sh` sets the variable.
fn shared_data(relative: &str) -> Vec<u8> {
    let root = std::env::var("CHENGYUN_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = root.join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} — set CHENGYUN_SHARED_DATA to the shared data folder", path.display()))
}

/// A point inside a demo grid of 航头居民区, in `coord_sys`, and the grid's code.
async fn grid_point(app: &TestApp, token: &str, coord_sys: &str) -> (String, Value) {
    let (status, village) = app.get("/api/v1/regions/310115137001", token).await;
    assert_eq!(status, StatusCode::OK, "{village}");
    let grid = village["children"].as_array().unwrap().iter().find(|c| c["level"] == "grid").expect("demo grids")["code"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, region) = app.get(&format!("/api/v1/regions/{grid}?out_coord_sys={coord_sys}"), token).await;
    assert_eq!(region["boundary"]["approximate"], true, "demo outlines are marked approximate");
    (grid, region["boundary"]["centroid"].clone())
}

async fn points_locate_to_the_same_grid_in_every_coordinate_system(b: Backend) {
    let app = TestApp::spawn(b).await;
    let token = app.login("operator").await;
    for sys in ["wgs84", "cgcs2000", "gcj02", "bd09"] {
        let (grid, p) = grid_point(&app, &token, sys).await;
        let (status, body) = app.get(&format!("/api/v1/locate?lon={}&lat={}&coord_sys={sys}", p["lon"], p["lat"]), &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["region"]["code"], grid.as_str(), "{sys}: {body}");
        assert_eq!(body["outcome"], "grid");
        let chain: Vec<&str> = body["chain"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
        assert_eq!(chain, ["310000", "310115", "310115137", "310115137P01", "310115137001", grid.as_str()]);
    }
    // Far from every boundary: answered, and flagged.
    let (_, body) = app.get("/api/v1/locate?lon=116.397&lat=39.909&coord_sys=wgs84", &token).await;
    assert_eq!((body["outcome"].as_str(), body["flag"].as_str()), (Some("outside"), Some("outside_grid")));
    for (query, field) in [
        ("lon=121.6&lat=31.0", "coord_sys"),
        ("lon=121.6&lat=31.0&coord_sys=mars", "coord_sys"),
        ("lon=31.0&lat=121.6&coord_sys=wgs84", "lon"),
        ("lon=abc&lat=31.0&coord_sys=wgs84", "lon"),
    ] {
        let (status, body) = app.get(&format!("/api/v1/locate?{query}"), &token).await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{query}: {body}");
    }
    let (status, _) = app.request(Method::GET, "/api/v1/locate?lon=121.6&lat=31.0&coord_sys=wgs84", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn reports_land_in_their_grid_or_are_flagged(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (inspector, operator) = (app.login("inspector").await, app.login("operator").await);
    let (grid, p) = grid_point(&app, &inspector, "gcj02").await;
    let mut body = new_case("patrol");
    body.as_object_mut().unwrap().remove("region");
    body["location"] = json!({"lon": p["lon"], "lat": p["lat"], "coord_sys": "gcj02"});
    let (status, case) = app.post("/api/v1/cases", &inspector, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["region_code"], grid.as_str(), "the case is in the grid its point fell in");
    assert_eq!(case["placement"]["outcome"], "grid");
    assert_eq!(case["location"]["coord_sys"], "gcj02", "the point is kept as reported");
    let wgs = &case["placement"]["point"];
    assert!((wgs["lon"].as_f64().unwrap() - p["lon"].as_f64().unwrap()).abs() > 0.003, "stored WGS-84 differs from GCJ-02 by ~500 m");
    let (_, back) = app.get(&format!("/api/v1/cases/{}?out_coord_sys=gcj02", case["id"]), &operator).await;
    assert!((back["placement"]["point"]["lon"].as_f64().unwrap() - p["lon"].as_f64().unwrap()).abs() < 1e-7, "answers in any system");

    // A point outside every boundary is kept and flagged for the operator.
    body["location"] = json!({"lon": 121.70, "lat": 30.80, "coord_sys": "wgs84"});
    body["region"] = json!("310115137001");
    let (status, stray) = app.post("/api/v1/cases", &operator, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{stray}");
    assert_eq!((stray["place_flag"].as_str(), stray["region_code"].as_str()), (Some("outside_grid"), Some("310115137001")));
    let (_, list) = app.get("/api/v1/cases?place_flag=outside_grid", &operator).await;
    let ids: Vec<&Value> = list["items"].as_array().unwrap().iter().map(|c| &c["id"]).collect();
    assert_eq!(ids, [&stray["id"]]);
    assert_eq!(list["items"][0]["place_flag"], "outside_grid");
    let (status, err) = app.get("/api/v1/cases?place_flag=maybe", &operator).await;
    assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("place_flag")));

    // A point in another town is outside the inspector's scope, whatever region the body names.
    let (_, hongqiao) = app.get("/api/v1/regions/310112107?out_coord_sys=wgs84", &inspector).await;
    let c = &hongqiao["boundary"]["centroid"];
    body["location"] = json!({"lon": c["lon"], "lat": c["lat"], "coord_sys": "wgs84"});
    let (status, err) = app.post("/api/v1/cases", &inspector, body).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("location_out_of_scope")), "{err}");
}

/// The OSM towns carry no code: join their names with the 2023 街镇 codes.
fn osm_towns_with_codes() -> Value {
    let mut towns: Value = serde_json::from_slice(&shared_data("geo/shanghai_osm_towns_wgs84.geojson")).unwrap();
    let streets = String::from_utf8(shared_data("divisions/shanghai_streets_2023.csv")).unwrap();
    let codes: HashMap<&str, &str> = streets
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((*f.get(1)?, *f.first()?))
        })
        .collect();
    for f in towns["features"].as_array_mut().unwrap() {
        let name = f["properties"]["name"].as_str().unwrap().replace("古美路街道", "古美街道");
        f["properties"]["code"] = json!(codes.get(name.as_str()).unwrap_or_else(|| panic!("no code for {name}")));
    }
    towns
}

async fn import(app: &TestApp, token: &str, query: &str, body: Value) -> (StatusCode, Value) {
    app.request(Method::POST, &format!("/api/v1/admin/regions/import?{query}"), Some(token), Some(body)).await
}

async fn real_boundaries_import_and_broken_files_change_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.login("admin").await;
    let districts: Value = serde_json::from_slice(&shared_data("geo/shanghai_districts_tianditu_cgcs2000.geojson")).unwrap();
    let (status, _) = import(&app, &app.login("dispatcher").await, "level=district&code_property=adcode&name_property=name", districts.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the admin imports boundaries");

    let (status, body) = import(&app, &admin, "level=district&code_property=adcode&name_property=name&crs=cgcs2000", districts).await;
    assert_eq!((status, body["imported"].as_u64()), (StatusCode::OK, Some(16)), "{body}");
    let (status, body) = import(&app, &admin, "level=town&code_property=code&name_property=name", osm_towns_with_codes()).await;
    assert_eq!((status, body["imported"].as_u64()), (StatusCode::OK, Some(9)), "{body}");

    // The new boundaries answer at once: a point in 大宁路街道 (OSM, WGS-84).
    let operator = app.login("operator").await;
    let (_, daning) = app.get("/api/v1/regions/310106019", &operator).await;
    assert_eq!(daning["boundary"]["approximate"], false);
    let c = &daning["boundary"]["centroid"];
    let (_, located) = app.get(&format!("/api/v1/locate?lon={}&lat={}&coord_sys=wgs84", c["lon"], c["lat"]), &operator).await;
    assert_eq!(located["region"]["code"], "310106019", "{located}");
    // …and on another instance of the same database, once it reloads its reference data.
    let (_, map) = app.get("/api/v1/regions/310000/geojson?simplify=50&out_coord_sys=gcj02", &operator).await;
    assert_eq!(map["features"].as_array().unwrap().len(), 16, "the city's children are its districts");
    assert_eq!(map["coord_sys"], "gcj02");

    let before = app.store.region_geometries(chengyun_storage::GeometryScope::All).await.unwrap().len();
    let audit_before = app.store.list_audit(0, 100_000).await.unwrap().len();
    let bad_grids = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "310106019001001", "name": "好网格"},
         "geometry": {"type": "Polygon", "coordinates": [[[121.45, 31.28], [121.451, 31.28], [121.451, 31.281], [121.45, 31.281], [121.45, 31.28]]]}},
        {"type": "Feature", "properties": {"code": "310115137001901", "name": "未闭合"},
         "geometry": {"type": "Polygon", "coordinates": [[[121.59, 31.03], [121.591, 31.03], [121.591, 31.031], [121.59, 31.031]]]}},
        {"type": "Feature", "properties": {"code": "310115137001902", "name": "经纬度颠倒"},
         "geometry": {"type": "Polygon", "coordinates": [[[31.03, 121.59], [31.03, 121.591], [31.031, 121.591], [31.03, 121.59]]]}},
    ]});
    let (status, err) = import(&app, &admin, "level=grid&code_property=code&name_property=name", bad_grids).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_geojson")), "{err}");
    let details = err["error"]["details"].as_array().unwrap();
    let by_feature: Vec<(u64, &str)> = details.iter().map(|d| (d["feature"].as_u64().unwrap(), d["code"].as_str().unwrap())).collect();
    assert!(by_feature.contains(&(0, "unknown_parent")), "{by_feature:?}");
    assert!(by_feature.contains(&(1, "ring_not_closed")), "{by_feature:?}");
    assert!(by_feature.contains(&(2, "swapped_coordinates")), "{by_feature:?}");
    assert!(details.iter().all(|d| d["message"].as_str().unwrap().contains(&format!("features[{}]", d["feature"]))), "{details:?}");
    let after = app.store.region_geometries(chengyun_storage::GeometryScope::All).await.unwrap().len();
    assert_eq!(after, before, "nothing of a refused file is stored");
    assert_eq!(app.store.list_audit(0, 100_000).await.unwrap().len(), audit_before, "and nothing is audited as done");

    let (status, err) = app.request(Method::POST, "/api/v1/admin/regions/import?level=grid&code_property=code&name_property=name", Some(&admin), Some(json!("{"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (status, err) = import(&app, &admin, "level=planet&code_property=code&name_property=name", json!({})).await;
    assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("level")));
}

async fn the_routing_proposal_dispatches_in_one_action(b: Backend) {
    let app = TestApp::spawn(b).await;
    let case = walk(&app, "file").await;
    let dispatcher = app.login("dispatcher").await;
    let (status, routing) = app.get(&format!("/api/v1/cases/{}/routing", case["id"]), &dispatcher).await;
    assert_eq!(status, StatusCode::OK, "{routing}");
    assert_eq!(routing["lead"]["code"], "310115137-hws", "暴露垃圾 is the 环卫所's: {routing}");
    assert_eq!(routing["rule"]["category"], "SJ-0102");
    assert_eq!(routing["rule"]["region"], "310115137");
    assert!(routing["explanation"].as_str().unwrap().contains("航头镇"), "{routing}");
    assert_eq!(case["routing"]["lead"]["code"], "310115137-hws", "the case page shows the proposal while it waits for dispatch");

    let dispatched = app.act(&dispatcher, &case, json!({"action": "dispatch"})).await;
    let units: Vec<&str> = dispatched["tasks"].as_array().unwrap().iter().map(|t| t["unit"].as_str().unwrap()).collect();
    let mut expected = vec![routing["lead"]["code"].as_str().unwrap()];
    expected.extend(routing["assists"].as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap()));
    assert_eq!(units, expected, "an empty dispatch takes the proposal");
    assert_eq!(dispatched["tasks"][0]["role"], "lead");

    // A 村/居 rule overrides the town's for its own area.
    let admin = app.login("admin").await;
    let rule = json!({"category": "SJ-0102", "region": "310115137001", "lead": "310115137001-jwh", "assists": ["310115137-hws"]});
    let (status, body) = app.request(Method::PUT, "/api/v1/admin/routing-rules", Some(&admin), Some(rule.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let other = walk(&app, "file").await;
    let (_, routing) = app.get(&format!("/api/v1/cases/{}/routing", other["id"]), &dispatcher).await;
    assert_eq!((routing["lead"]["code"].as_str(), routing["rule"]["region"].as_str()), (Some("310115137001-jwh"), Some("310115137001")), "{routing}");
    let (status, _) = app.request(Method::PUT, "/api/v1/admin/routing-rules", Some(&dispatcher), Some(rule)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the admin edits the 责任清单");
    let bad = json!({"category": "SJ-0102", "region": "310115137001", "lead": "310115137-hws", "assists": ["310115137-hws"]});
    let (status, err) = app.request(Method::PUT, "/api/v1/admin/routing-rules", Some(&admin), Some(bad)).await;
    assert_eq!((status, err["error"]["code"].as_str(), err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("lead_among_assists"), Some("assists")));
}

async fn automatic_dispatch_and_uncovered_cases(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (inspector, operator, shift_lead, dispatcher, admin) = (
        app.login("inspector").await,
        app.login("operator").await,
        app.login("shiftlead").await,
        app.login("dispatcher").await,
        app.login("admin").await,
    );
    // 道路不洁 is dispatched automatically in the demo town.
    let mut body = new_case("patrol");
    body["category"] = json!("SJ-0104");
    let (_, case) = app.post("/api/v1/cases", &inspector, body.clone()).await;
    let case = app.act(&operator, &case, json!({"action": "register"})).await;
    let case = app.act(&shift_lead, &case, json!({"action": "file"})).await;
    assert_eq!(case["status"], "dispatched", "{case}");
    let (_, full) = app.get(&format!("/api/v1/cases/{}", case["id"]), &admin).await;
    let last = full["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["actor"]["role"].as_str()), (Some("dispatch"), Some("dispatcher")));
    assert_eq!(last["actor"]["id"], 0, "dispatched by the system, on record");

    // Without a rule the case waits for a person, who is told why.
    let (status, _) = app
        .request(Method::DELETE, "/api/v1/admin/routing-rules?category=SJ-0102&region=310115137", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let case = walk(&app, "file").await;
    let (_, routing) = app.get(&format!("/api/v1/cases/{}/routing", case["id"]), &dispatcher).await;
    assert_eq!((routing["reason"].as_str(), &routing["lead"]), (Some("no_rule"), &Value::Null), "{routing}");
    let (status, code, field) = app.refuse(&dispatcher, &case, json!({"action": "dispatch"})).await;
    assert_eq!((status, code.as_str(), field.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "no_routing_rule", Some("units")));
    let (status, _) = app
        .request(Method::DELETE, "/api/v1/admin/routing-rules?category=SJ-0102&region=310115137", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn routing_rules_round_trip_through_csv(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.login("admin").await;
    let get_csv = |token: String| {
        let (client, url) = (app.client.clone(), format!("{}/api/v1/admin/routing-rules.csv?region=310112107", app.base));
        async move { client.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let resp = get_csv(admin.clone()).await;
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let exported = resp.text().await.unwrap();
    assert!(exported.starts_with('\u{feff}'), "a BOM, so Excel shows the Chinese");
    let lines: Vec<&str> = exported.lines().collect();
    assert!(lines[0].contains("类别代码") && lines[0].contains("主办单位代码"));
    assert!(lines.len() > 100 && lines[1..].iter().all(|l| l.contains(",310112107")), "only the town's rules");
    let (_, before) = app.get("/api/v1/admin/routing-rules?region=310112107", &admin).await;

    let post_csv = |token: String, body: Vec<u8>| {
        let (client, url) = (app.client.clone(), format!("{}/api/v1/admin/routing-rules.csv?region=310112107", app.base));
        async move {
            let resp = client.post(url).bearer_auth(token).header("content-type", "text/csv").body(body).send().await.unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        }
    };
    // Opened and saved by Excel on Chinese Windows: GB18030, no BOM.
    let (gbk, _, _) = encoding_rs::GB18030.encode(exported.trim_start_matches('\u{feff}'));
    let (status, body) = post_csv(admin.clone(), gbk.into_owned()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["imported"], before["total"], "{body}");
    let (_, after) = app.get("/api/v1/admin/routing-rules?region=310112107", &admin).await;
    assert_eq!(after["items"], before["items"], "export → import changes nothing");

    let broken = format!("{}\nSJ-0102,,310112107,,nobody-x,,,,是,\nXX-1,,310112107,,310112107-cgzd,,,,否,\n", lines[0]);
    let (status, err) = post_csv(admin.clone(), broken.into_bytes()).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_csv")), "{err}");
    let lines_at_fault: Vec<u64> = err["error"]["details"].as_array().unwrap().iter().map(|d| d["line"].as_u64().unwrap()).collect();
    assert_eq!(lines_at_fault, [2, 3]);
    let (_, unchanged) = app.get("/api/v1/admin/routing-rules?region=310112107", &admin).await;
    assert_eq!(unchanged["items"], before["items"], "a refused file changes nothing");
    let (status, _) = post_csv(app.login("dispatcher").await, exported.into_bytes()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get("/api/v1/admin/routing-rules", &app.login("handler").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn joint_handling_release_and_task_privacy(b: Backend) {
    let app = TestApp::spawn(b).await;
    let case = walk(&app, "file").await;
    let (dispatcher, handler, handler2) = (app.login("dispatcher").await, app.login("handler").await, app.login("handler2").await);
    let case = app.act(&dispatcher, &case, json!({"action": "dispatch", "units": ["310115137-cgzd", "310115137-hws"]})).await;
    let case = app.act(&handler2, &case, json!({"action": "accept_task"})).await;
    let case = app.act(&handler2, &case, json!({"action": "feedback", "text": "协办：已清扫周边"})).await;
    // The lead unit sees its own task only, and not the other unit's answer.
    let (_, seen) = app.get(&format!("/api/v1/cases/{}", case["id"]), &handler).await;
    let units: Vec<&str> = seen["tasks"].as_array().unwrap().iter().map(|t| t["unit"].as_str().unwrap()).collect();
    assert_eq!(units, ["310115137-cgzd"]);
    assert!(!seen.to_string().contains("协办：已清扫周边"), "another unit's feedback is not shown");
    assert!(!seen["allowed_actions"].as_array().unwrap().contains(&json!("release_task")), "nothing open to release");
    let (_, centre) = app.get(&format!("/api/v1/cases/{}", case["id"]), &dispatcher).await;
    assert_eq!(centre["tasks"].as_array().unwrap().len(), 2, "the centre sees every task");

    // Another joint case: the lead finishes and lets the assisting unit off.
    let case = walk(&app, "file").await;
    let case = app.act(&dispatcher, &case, json!({"action": "dispatch", "units": ["310115137-cgzd", "310115137-hws"]})).await;
    let assist = case["tasks"][1]["id"].clone();
    let (status, code, _) = app.refuse(&handler2, &case, json!({"action": "release_task", "task": assist, "reason": "自行释放"})).await;
    assert_eq!((status, code.as_str()), (StatusCode::FORBIDDEN, "not_lead_unit"));
    let case = app.act(&handler, &case, json!({"action": "accept_task"})).await;
    let case = app.act(&handler, &case, json!({"action": "feedback", "text": "主办：已清运"})).await;
    assert_eq!(case["status"], "dispatched", "the assisting unit has not answered");
    assert!(case["allowed_actions"].as_array().unwrap().contains(&json!("release_task")));
    let case = app.act(&handler, &case, json!({"action": "release_task", "task": assist, "reason": "主办已处置完毕"})).await;
    assert_eq!(case["status"], "processed");
    let (_, full) = app.get(&format!("/api/v1/cases/{}", case["id"]), &dispatcher).await;
    assert_eq!(full["tasks"][1]["status"], "released");
}

/// The broken boundary files of `crates/places/tests/fixtures/broken`, each through the API: the
/// expected error at the expected feature, and nothing stored.
async fn every_broken_fixture_is_refused_with_its_error(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.login("admin").await;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../places/tests/fixtures/broken");
    let expected: Value = serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    // The villages the fixtures are drawn against replace the demo outlines of those two.
    let villages: Vec<Value> = expected["villages"].as_object().unwrap().iter().map(|(code, b)| {
        let [x0, y0, x1, y1] = [0, 1, 2, 3].map(|i| b[i].as_f64().unwrap());
        json!({"type": "Feature", "properties": {"code": code, "name": format!("测试村居{code}")},
               "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}})
    }).collect();
    let (status, body) = import(&app, &admin, "level=village&code_property=code&name_property=name", json!({"type": "FeatureCollection", "features": villages})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = app.store.region_geometries(chengyun_storage::GeometryScope::All).await.unwrap();
    for case in expected["files"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let resp = app
            .client
            .post(format!("{}/api/v1/admin/regions/import?level=grid&code_property=code&name_property=name", app.base))
            .bearer_auth(&admin)
            .header("content-type", "application/geo+json")
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{file}");
        let err: Value = resp.json().await.unwrap();
        let first = &err["error"]["details"][0];
        assert_eq!((&first["feature"], &first["code"]), (&case["feature"], &case["code"]), "{file}: {err}");
    }
    let after = app.store.region_geometries(chengyun_storage::GeometryScope::All).await.unwrap();
    assert_eq!(after, stored, "no broken file stored anything");
}
