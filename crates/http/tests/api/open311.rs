//! The residents' channel: Open311 GeoReport v2 in JSON and XML, API keys, rate limits, scope,
//! and every kind of bad input answered with a GeoReport error and nothing stored.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{TestApp, MAX_UPLOAD};
use crate::on_both;
use crate::open311_schema::assert_valid;
use chengyun_storage::Backend;

on_both!(reads_in_json_and_xml, posts_and_follows_a_request, refuses_bad_input_storing_nothing, keys_are_scoped_revocable_and_rate_limited, admins_choose_the_services);

const HANGTOU: &str = "310115137";
const HONGQIAO: &str = "310112107";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// An answer: status, content type, body text and (for JSON) the parsed body.
struct Reply {
    status: StatusCode,
    content_type: String,
    text: String,
    json: Value,
}

async fn call(app: &TestApp, method: Method, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Reply {
    let mut req = app.client.request(method, format!("{}{path}", app.base));
    if let Some(ct) = content_type {
        req = req.header("content-type", ct).body(body);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let content_type = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let text = resp.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, content_type, text, json }
}

async fn get(app: &TestApp, path: &str) -> Reply {
    call(app, Method::GET, path, None, vec![]).await
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

/// POST `requests.json` as a form (urlencoded, without a charset, as many clients send it).
async fn post(app: &TestApp, pairs: &[(&str, &str)]) -> Reply {
    call(app, Method::POST, "/open311/v2/requests.json", Some("application/x-www-form-urlencoded"), form(pairs)).await
}

/// A multipart body with text fields and files `(field, filename, bytes)`.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----chengyun-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").into_bytes());
    }
    for (k, name, bytes) in files {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: image/jpeg\r\n\r\n").into_bytes());
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Issues a key through the admin API; returns (key, id).
async fn issue(app: &TestApp, admin: &str, name: &str, towns: &[&str], rate: Option<i64>) -> (String, i64) {
    let (status, body) = app.post("/api/v1/admin/apikeys", admin, json!({"name": name, "jurisdictions": towns, "rate_per_minute": rate})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (body["key"].as_str().unwrap().to_string(), body["id"].as_i64().unwrap())
}

/// A WGS-84 point inside a town's (demo) boundary.
async fn point_in(app: &TestApp, token: &str, town: &str) -> (String, String) {
    let (_, region) = app.get(&format!("/api/v1/regions/{town}?out_coord_sys=wgs84"), token).await;
    let c = &region["boundary"]["centroid"];
    (c["lat"].as_f64().unwrap().to_string(), c["lon"].as_f64().unwrap().to_string())
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let pool = app.raw().await;
    let n: i64 = sqlx::Row::get(&sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(&pool).await.unwrap(), 0);
    pool.close().await;
    n
}

fn assert_error(r: &Reply, status: StatusCode, field: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.content_type, "application/json; charset=utf-8");
    assert_valid("errors", &r.json);
    assert_eq!(r.json[0]["code"], status.as_u16(), "{}", r.text);
    assert_eq!(r.json[0]["field"].as_str().unwrap_or(""), field, "{}", r.text);
    let description = r.json[0]["description"].as_str().unwrap();
    assert!(description.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "a Chinese message: {description}");
}

async fn reads_in_json_and_xml(b: Backend) {
    let app = TestApp::spawn(b).await;
    let r = get(&app, "/open311/v2/discovery.json").await;
    assert_eq!((r.status, r.content_type.as_str()), (StatusCode::OK, "application/json; charset=utf-8"));
    assert_eq!(r.json["endpoints"][0]["specification"], "http://wiki.open311.org/GeoReport_v2");
    let r = get(&app, "/open311/v2/discovery.xml").await;
    assert_eq!(r.content_type, "text/xml; charset=utf-8");
    assert!(r.text.contains("<discovery>") && r.text.contains("<formats><format>application/json</format>"), "{}", r.text);

    let r = get(&app, &format!("/open311/v2/services.json?jurisdiction_id={HANGTOU}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_valid("services", &r.json);
    let services = r.json.as_array().unwrap();
    assert!(services.len() >= 12, "the demo's public services");
    let garbage = services.iter().find(|s| s["service_code"] == "SJ-0102").unwrap();
    assert_eq!((garbage["service_name"].as_str(), garbage["metadata"].as_bool(), garbage["group"].as_str()), (Some("暴露垃圾"), Some(true), Some("市容环境")));
    let r = get(&app, &format!("/open311/v2/services.xml?jurisdiction_id={HANGTOU}")).await;
    assert_eq!((r.status, r.content_type.as_str()), (StatusCode::OK, "text/xml; charset=utf-8"));
    assert!(r.text.contains("<services><service>") && r.text.contains("<service_name>暴露垃圾</service_name>"), "{}", r.text);

    let r = get(&app, &format!("/open311/v2/services/SJ-0102.json?jurisdiction_id={HANGTOU}")).await;
    assert_valid("service_definition", &r.json);
    let attrs = r.json["attributes"].as_array().unwrap();
    assert_eq!(attrs[0]["code"], "AMOUNT");
    assert_eq!((attrs[0]["datatype"].as_str(), attrs[0]["required"].as_bool(), attrs[0]["order"].as_i64()), (Some("singlevaluelist"), Some(true), Some(1)));
    assert_eq!(attrs[0]["values"][0], json!({"key": "small", "name": "少量（一袋以内）"}));
    let r = get(&app, &format!("/open311/v2/services/SJ-0102.xml?jurisdiction_id={HANGTOU}")).await;
    assert!(r.text.contains("<service_definition>") && r.text.contains("<values><value><key>small</key>"), "{}", r.text);
    // Every datatype is served.
    let mut kinds = std::collections::BTreeSet::new();
    for s in services {
        let r = get(&app, &format!("/open311/v2/services/{}.json?jurisdiction_id={HANGTOU}", s["service_code"].as_str().unwrap())).await;
        assert_valid("service_definition", &r.json);
        kinds.extend(r.json["attributes"].as_array().unwrap().iter().map(|a| a["datatype"].as_str().unwrap().to_string()));
    }
    assert_eq!(kinds.len(), 6, "{kinds:?}");

    let r = get(&app, &format!("/open311/v2/services/XX-9999.json?jurisdiction_id={HANGTOU}")).await;
    assert_error(&r, StatusCode::NOT_FOUND, "");
    let r = get(&app, &format!("/open311/v2/services/XX-9999.xml?jurisdiction_id={HANGTOU}")).await;
    assert_eq!((r.status, r.content_type.as_str()), (StatusCode::NOT_FOUND, "text/xml; charset=utf-8"));
    assert!(r.text.contains("<errors><error>") && r.text.contains("<code>404</code><description>"), "{}", r.text);
    let r = get(&app, "/open311/v2/services.json?jurisdiction_id=999999999").await;
    assert_error(&r, StatusCode::BAD_REQUEST, "jurisdiction_id");
    let r = get(&app, "/open311/v2/services.json?jurisdiction_id=310115137001").await;
    assert_error(&r, StatusCode::BAD_REQUEST, "jurisdiction_id");
    let r = get(&app, "/open311/v2/services.json?jurisdiction_id=").await;
    assert_eq!(r.status, StatusCode::OK, "an empty parameter is absent: the default town");
    let r = get(&app, &format!("/open311/v2/requests/310115137-20000101-0001.json?jurisdiction_id={HANGTOU}")).await;
    assert_error(&r, StatusCode::NOT_FOUND, "");
    assert_eq!(get(&app, "/open311/v2/services.html").await.status, StatusCode::NOT_FOUND);
}

async fn posts_and_follows_a_request(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.login("admin").await;
    let (key, _) = issue(&app, &admin, "航头随手拍", &[HANGTOU], None).await;
    let (lat, long) = point_in(&app, &admin, HANGTOU).await;
    let before = count(&app, "cases").await;
    let r = post(
        &app,
        &[
            ("api_key", &key),
            ("jurisdiction_id", HANGTOU),
            ("service_code", "SJ-0102"),
            ("lat", &lat),
            ("long", &long),
            ("address_string", "航头路沪南公路口"),
            ("description", "路口堆了很多垃圾"),
            ("attribute[AMOUNT]", "medium"),
            ("attribute[KIND][]", "household"),
            ("attribute[KIND][]", "bulky"),
            ("media_url", "https://img.example.cn/a.jpg"),
            ("first_name", "三"),
            ("last_name", "张"),
            ("phone", "13812345678"),
            ("email", "zs@example.cn"),
            ("account_id", "u-42"),
            ("device_id", ""),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_valid("created", &r.json);
    assert_eq!(count(&app, "cases").await, before + 1);
    let number = r.json[0]["service_request_id"].as_str().unwrap().to_string();
    let token = r.json[0]["token"].as_str().unwrap().to_string();
    assert!(number.starts_with("310115137-"));
    assert!(r.json[0]["service_notice"].as_str().unwrap().contains(&number));
    assert_eq!(r.json[0]["account_id"], "u-42");

    // The staff see a 市民上报 case in 航头镇's desk queue, reported in the client's name.
    let operator = app.login("operator").await;
    let (_, list) = app.get("/api/v1/cases?status=reported", &operator).await;
    let staff_case = list["items"].as_array().unwrap().iter().find(|c| c["number"] == number.as_str()).expect("in the queue").clone();
    let (_, case) = app.get(&format!("/api/v1/cases/{}", staff_case["id"]), &operator).await;
    assert_eq!((case["source"].as_str(), case["status"].as_str()), (Some("public"), Some("reported")), "{case}");
    assert!(case["description"].as_str().unwrap().contains("垃圾量：较多（约一车）；垃圾种类：生活垃圾、大件垃圾"), "{case}");
    assert_eq!(case["reporter"]["phone"], "13812345678", "the desk sees the caller");
    assert!(case.to_string().contains("接入渠道：航头随手拍"), "the timeline names the client: {case}");

    // Public reads: one request, always an array, in JSON and XML; never the reporter.
    let path = format!("/open311/v2/requests/{number}.json?jurisdiction_id={HANGTOU}");
    let r = get(&app, &path).await;
    assert_valid("requests", &r.json);
    let one = &r.json[0];
    assert_eq!((one["status"].as_str(), one["service_code"].as_str(), one["service_name"].as_str()), (Some("open"), Some("SJ-0102"), Some("暴露垃圾")));
    assert_eq!(one["status_notes"], "已收到，等待受理");
    assert_eq!(one["media_url"], "https://img.example.cn/a.jpg");
    assert!(one["requested_datetime"].as_str().unwrap().ends_with("+08:00"));
    assert!((one["lat"].as_f64().unwrap() - lat.parse::<f64>().unwrap()).abs() < 1e-9);
    assert!(!r.text.contains("13812345678") && !r.text.contains("张三") && !r.text.contains("zs@"), "{}", r.text);
    let r = get(&app, &path.replace(".json", ".xml")).await;
    assert!(r.text.contains("<service_requests><request>") && r.text.contains(&format!("<service_request_id>{number}</service_request_id>")), "{}", r.text);
    assert_eq!(get(&app, &format!("/open311/v2/requests/{number}.json?jurisdiction_id={HONGQIAO}")).await.status, StatusCode::NOT_FOUND, "only its own town");

    let r = get(&app, &format!("/open311/v2/tokens/{token}.json?jurisdiction_id={HANGTOU}")).await;
    assert_valid("tokens", &r.json);
    assert_eq!(r.json[0]["service_request_id"], number.as_str());
    let r = get(&app, &format!("/open311/v2/tokens/{token}.xml?jurisdiction_id={HANGTOU}")).await;
    assert!(r.text.contains(&format!("<token>{token}</token>")), "{}", r.text);

    // The list and its filters.
    let list = |query: String| {
        let app = &app;
        async move {
            let r = get(app, &format!("/open311/v2/requests.json?jurisdiction_id={HANGTOU}&{query}")).await;
            assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
            assert_valid("requests", &r.json);
            r.json.as_array().unwrap().iter().map(|x| x["service_request_id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        }
    };
    assert!(list(String::new()).await.contains(&number));
    assert!(list("status=open".into()).await.contains(&number));
    assert!(!list("status=closed".into()).await.contains(&number));
    assert_eq!(list("service_code=SJ-0102".into()).await, std::slice::from_ref(&number));
    assert_eq!(list("service_code=SJ-0110,SJ-0102".into()).await, std::slice::from_ref(&number));
    assert!(list("service_code=SJ-0110".into()).await.is_empty());
    assert_eq!(list(format!("service_request_id={number},310115137-20000101-0009")).await, std::slice::from_ref(&number));
    assert!(list("start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00Z".into()).await.is_empty());
    assert!(list("updated_after=2000-01-01T00:00:00%2B08:00".into()).await.contains(&number));
    assert!(list("updated_before=2000-01-01T00:00:00%2B08:00".into()).await.is_empty());
    assert_eq!(list(format!("lat={lat}&long={long}&radius=50")).await, std::slice::from_ref(&number));
    let far_lat = lat.parse::<f64>().unwrap() + 0.01; // ~1.1 km north
    assert!(list(format!("lat={far_lat}&long={long}&radius=500")).await.is_empty());
    assert_eq!(list(format!("lat={far_lat}&long={long}&radius=1500")).await, std::slice::from_ref(&number));
    assert_eq!(list("page=1&page_size=1".into()).await.len(), 1);
    assert!(list("page=2&page_size=1".into()).await.is_empty());
    let r = get(&app, &format!("/open311/v2/requests.xml?jurisdiction_id={HANGTOU}&status=open")).await;
    assert!(r.text.contains(&number) && r.content_type == "text/xml; charset=utf-8");
    let r = get(&app, &format!("/open311/v2/requests.json?jurisdiction_id={HANGTOU}&page_size=0")).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "page_size");
    let r = get(&app, &format!("/open311/v2/requests.json?jurisdiction_id={HANGTOU}&status=pending")).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "status");
    let r = get(&app, &format!("/open311/v2/requests.json?jurisdiction_id={HANGTOU}&lat=31&long=121.5&radius=-1")).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "radius");
    let r = get(&app, &format!("/open311/v2/requests.json?jurisdiction_id={HONGQIAO}")).await;
    assert!(!r.text.contains(&number), "another town's list does not show it");

    // A comment through servicerequestupdates, then the case moves on; the feed and the
    // extensions show both.
    let r = call(
        &app,
        Method::POST,
        "/open311/v2/servicerequestupdates.json",
        Some("application/x-www-form-urlencoded; charset=utf-8"),
        form(&[("api_key", &key), ("jurisdiction_id", HANGTOU), ("service_request_id", &number), ("description", "垃圾越堆越多了"), ("status", "OPEN")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.json[0]["update_id"].as_str().is_some_and(|id| !id.is_empty()));
    let (_, case) = app.get(&format!("/api/v1/cases/{}", staff_case["id"]), &operator).await;
    app.act(&operator, &case, json!({"action": "register"})).await;
    let r = get(&app, &format!("/open311/v2/servicerequestupdates.json?jurisdiction_id={HANGTOU}")).await;
    assert_valid("updates", &r.json);
    let updates = r.json.as_array().unwrap();
    assert!(updates.iter().any(|u| u["service_request_id"] == number.as_str() && u["description"] == "垃圾越堆越多了"), "{}", r.text);
    assert!(updates.iter().any(|u| u["extended_attributes"]["action"] == "register" && u["status"] == "open"), "{}", r.text);
    let r = get(&app, &format!("/open311/v2/servicerequestupdates.xml?jurisdiction_id={HANGTOU}")).await;
    assert!(r.text.contains("<service_request_updates><request_update>"), "{}", r.text);
    let r = get(&app, &format!("/open311/v2/servicerequestupdates.json?jurisdiction_id={HANGTOU}&start_date=2000-01-01T00:00:00Z")).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "start_date");

    let r = get(&app, &format!("/open311/v2/requests/{number}.json?jurisdiction_id={HANGTOU}&extensions=true")).await;
    assert_valid("requests", &r.json);
    let ext = &r.json[0]["extended_attributes"];
    assert_eq!((ext["channel"].as_str(), ext["case_status"].as_str()), (Some("市民上报"), Some("registered")), "{ext}");
    let steps: Vec<&str> = ext["timeline"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect();
    assert_eq!(steps, ["report", "comment", "register"]);
    assert_eq!(ext["timeline"][1]["note"], "垃圾越堆越多了");
    assert_eq!(r.json[0]["status_notes"], "已受理，等待立案");
    assert!(!r.text.contains("李秀英"), "no staff names in public: {}", r.text);

    // The same report again from the same device is one case; with a new Idempotency-Key… (the
    // store of keys is intake's: here only that the answer has the same shape).
    let again = [("api_key", key.as_str()), ("jurisdiction_id", HANGTOU), ("service_code", "SJ-0406"), ("address_id", "A-1001"), ("description", "积水")];
    let r = post(&app, &again).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_valid("created", &r.json);
    let r = get(&app, &format!("/open311/v2/requests/{}.json?jurisdiction_id={HANGTOU}", r.json[0]["service_request_id"].as_str().unwrap())).await;
    assert_eq!((r.json[0]["address"].as_str(), r.json[0]["lat"].clone()), (Some("地址编号：A-1001"), Value::Null));

    // A photo by multipart: stored (checked by its bytes) and on the case.
    let (ct, body) = multipart(
        &[("api_key", &key), ("jurisdiction_id", HANGTOU), ("service_code", "BJ-0103"), ("lat", &lat), ("long", &long)],
        &[("media", "photo.png", PNG)],
    );
    let r = call(&app, Method::POST, "/open311/v2/requests.xml", Some(&ct), body).await;
    assert_eq!((r.status, r.content_type.as_str()), (StatusCode::CREATED, "text/xml; charset=utf-8"), "{}", r.text);
    assert!(r.text.contains("<service_requests><request><account_id/>") || r.text.contains("<service_notice>"), "{}", r.text);
    let photo_case = r.text.split("<service_request_id>").nth(1).unwrap().split('<').next().unwrap().to_string();
    let (_, list) = app.get("/api/v1/cases?status=reported", &operator).await;
    let id = list["items"].as_array().unwrap().iter().find(|c| c["number"] == photo_case.as_str()).unwrap()["id"].clone();
    let (_, case) = app.get(&format!("/api/v1/cases/{id}"), &operator).await;
    let photo = case["photos"][0].as_str().expect("the photo is on the case").to_string();
    let resp = app.client.get(format!("{}/api/v1/attachments/{photo}", app.base)).bearer_auth(&operator).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "image/png", "typed by its content, not its name");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), PNG);
}

async fn refuses_bad_input_storing_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.login("admin").await;
    let (key, _) = issue(&app, &admin, "测试客户端", &[HANGTOU], Some(1000)).await;
    let (lat, long) = point_in(&app, &admin, HANGTOU).await;
    let good: Vec<(&str, String)> = vec![
        ("api_key", key.clone()),
        ("jurisdiction_id", HANGTOU.into()),
        ("service_code", "SJ-0110".into()),
        ("lat", lat.clone()),
        ("long", long.clone()),
        ("description", "路面塌陷".into()),
        ("attribute[DANGER]", "yes".into()),
    ];
    let with = |changes: &[(&'static str, &str)]| {
        let mut pairs: Vec<(&str, String)> = good.iter().filter(|(k, _)| !changes.iter().any(|(c, _)| c == k)).cloned().collect();
        pairs.extend(changes.iter().filter(|(_, v)| *v != "<absent>").map(|(k, v)| (*k, v.to_string())));
        pairs
    };
    let (cases, attachments) = (count(&app, "cases").await, count(&app, "attachments").await);
    let long_text = "坑".repeat(4001);
    let (hq_lat, hq_long) = point_in(&app, &admin, HONGQIAO).await;
    type Check<'a> = (Vec<(&'a str, String)>, StatusCode, &'a str);
    let checks: Vec<Check> = vec![
        (with(&[("api_key", "<absent>")]), StatusCode::FORBIDDEN, "api_key"),
        (with(&[("api_key", "cy_not-a-key")]), StatusCode::FORBIDDEN, "api_key"),
        (with(&[("service_code", "<absent>")]), StatusCode::BAD_REQUEST, "service_code"),
        (with(&[("service_code", "XX-0000")]), StatusCode::BAD_REQUEST, "service_code"),
        (with(&[("jurisdiction_id", "999999999")]), StatusCode::BAD_REQUEST, "jurisdiction_id"),
        (with(&[("lat", "<absent>"), ("long", "<absent>")]), StatusCode::BAD_REQUEST, "lat"),
        (with(&[("long", "<absent>")]), StatusCode::BAD_REQUEST, "long"),
        (with(&[("lat", "<absent>")]), StatusCode::BAD_REQUEST, "lat"),
        (with(&[("lat", "abc")]), StatusCode::BAD_REQUEST, "lat"),
        (with(&[("lat", "48.85"), ("long", "2.35")]), StatusCode::BAD_REQUEST, "long"),
        (with(&[("lat", "121.5"), ("long", "31.0")]), StatusCode::BAD_REQUEST, "lat"),
        (with(&[("lat", &hq_lat), ("long", &hq_long)]), StatusCode::BAD_REQUEST, "lat"),
        (with(&[("attribute[DANGER]", "<absent>")]), StatusCode::BAD_REQUEST, "attribute[DANGER]"),
        (with(&[("attribute[DANGER]", "maybe")]), StatusCode::BAD_REQUEST, "attribute[DANGER]"),
        (with(&[("attribute[SIZE]", "很大")]), StatusCode::BAD_REQUEST, "attribute[SIZE]"),
        (with(&[("attribute[COLOUR]", "red")]), StatusCode::BAD_REQUEST, "attribute[COLOUR]"),
        (with(&[("description", &long_text)]), StatusCode::BAD_REQUEST, "description"),
        (with(&[("media_url", "javascript:alert(1)")]), StatusCode::BAD_REQUEST, "media_url"),
        (with(&[("phone", "call me")]), StatusCode::BAD_REQUEST, "phone"),
    ];
    for (pairs, status, field) in &checks {
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = post(&app, &refs).await;
        assert_error(&r, *status, field);
    }
    // The same in XML: GeoReport's error document.
    let r = call(&app, Method::POST, "/open311/v2/requests.xml", Some("application/x-www-form-urlencoded"), form(&[("api_key", &key), ("jurisdiction_id", HANGTOU)])).await;
    assert_eq!((r.status, r.content_type.as_str()), (StatusCode::BAD_REQUEST, "text/xml; charset=utf-8"));
    assert!(r.text.contains("<errors><error><code>400</code><description>") && r.text.contains("<field>service_code</field>"), "{}", r.text);
    // Photos: text named .jpg, too large, broken multipart, wrong body type.
    let fields: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (ct, body) = multipart(&fields, &[("media", "photo.jpg", b"this is not an image at all")]);
    assert_error(&call(&app, Method::POST, "/open311/v2/requests.json", Some(&ct), body).await, StatusCode::BAD_REQUEST, "media");
    let mut huge = PNG.to_vec();
    huge.resize(MAX_UPLOAD + 1, 0);
    let (ct, body) = multipart(&fields, &[("media", "big.png", &huge)]);
    assert_error(&call(&app, Method::POST, "/open311/v2/requests.json", Some(&ct), body).await, StatusCode::PAYLOAD_TOO_LARGE, "media");
    let (ct, mut body) = multipart(&fields, &[("media", "photo.png", PNG)]);
    body.truncate(body.len() - 30);
    assert_error(&call(&app, Method::POST, "/open311/v2/requests.json", Some(&ct), body).await, StatusCode::BAD_REQUEST, "body");
    assert_error(&call(&app, Method::POST, "/open311/v2/requests.json", Some("multipart/form-data"), b"x".to_vec()).await, StatusCode::BAD_REQUEST, "body");
    let r = call(&app, Method::POST, "/open311/v2/requests.json", Some("application/json"), b"{}".to_vec()).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "Content-Type");
    assert_eq!((count(&app, "cases").await, count(&app, "attachments").await), (cases, attachments), "nothing stored");
    // Comments through servicerequestupdates: each required field missing in turn, an unknown id.
    let events = count(&app, "case_events").await;
    let update = |pairs: Vec<(&'static str, &'static str)>| {
        let app = &app;
        let key = key.clone();
        async move {
            let mut all: Vec<(&str, &str)> = vec![("api_key", key.as_str()), ("jurisdiction_id", HANGTOU)];
            all.extend(pairs);
            call(app, Method::POST, "/open311/v2/servicerequestupdates.json", Some("application/x-www-form-urlencoded"), form(&all)).await
        }
    };
    assert_error(&update(vec![("description", "还没修")]).await, StatusCode::BAD_REQUEST, "service_request_id");
    assert_error(&update(vec![("service_request_id", "310115137-20000101-0001")]).await, StatusCode::BAD_REQUEST, "description");
    assert_error(&update(vec![("service_request_id", "310115137-20000101-0001"), ("description", "还没修")]).await, StatusCode::NOT_FOUND, "");
    let r = call(&app, Method::POST, "/open311/v2/servicerequestupdates.json", Some("application/x-www-form-urlencoded"), form(&[("service_request_id", "x"), ("description", "y")])).await;
    assert_error(&r, StatusCode::FORBIDDEN, "api_key");
    assert_eq!(count(&app, "case_events").await, events, "no event stored");
    // And the good one passes, with an empty parameter treated as absent.
    let mut fine: Vec<(&str, &str)> = fields.clone();
    fine.push(("address_string", ""));
    let r = post(&app, &fine).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(count(&app, "cases").await, cases + 1);
}

async fn keys_are_scoped_revocable_and_rate_limited(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.login("admin").await;
    let (hq_key, hq_id) = issue(&app, &admin, "虹桥镇小程序", &[HONGQIAO], Some(2)).await;
    let (_, list) = app.get("/api/v1/admin/apikeys", &admin).await;
    let listed = list["items"].as_array().unwrap().iter().find(|k| k["id"] == hq_id).unwrap().clone();
    assert_eq!((listed["name"].as_str(), listed["jurisdictions"].clone()), (Some("虹桥镇小程序"), json!([HONGQIAO])));
    assert!(!list.to_string().contains(&hq_key) && listed.get("key").is_none(), "the key is shown only once");
    let operator = app.login("operator").await;
    assert_eq!(app.get("/api/v1/admin/apikeys", &operator).await.0, StatusCode::FORBIDDEN);
    let (status, err) = app.post("/api/v1/admin/apikeys", &admin, json!({"name": "x", "jurisdictions": ["310115137001"]})).await;
    assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("jurisdictions[0]")));
    let (status, err) = app.post("/api/v1/admin/users", &admin, json!({"username": "bot", "display_name": "bot", "password": "long-enough", "roles": ["channel"]})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("channel_role")));

    let before = count(&app, "cases").await;
    let report = |key: String, town: &'static str| {
        let app = &app;
        async move { post(app, &[("api_key", &key), ("jurisdiction_id", town), ("service_code", "SJ-0505"), ("address_string", "虹桥路1号")]).await }
    };
    let r = report(hq_key.clone(), HANGTOU).await;
    assert_error(&r, StatusCode::FORBIDDEN, "api_key");
    assert_eq!(r.json[0]["error_code"], "jurisdiction_not_allowed");
    assert_eq!(report(hq_key.clone(), HONGQIAO).await.status, StatusCode::CREATED);
    assert_eq!(report(hq_key.clone(), HONGQIAO).await.status, StatusCode::CREATED);
    let r = report(hq_key.clone(), HONGQIAO).await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "api_key");
    assert_eq!(count(&app, "cases").await, before + 2, "the scope refusal and the limited request stored nothing");

    let resp = app.client.delete(format!("{}/api/v1/admin/apikeys/{hq_id}", app.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let r = report(hq_key.clone(), HONGQIAO).await;
    assert_error(&r, StatusCode::FORBIDDEN, "api_key");
    assert_eq!(r.json[0]["error_code"], "invalid_api_key");
    let resp = app.client.delete(format!("{}/api/v1/admin/apikeys/{hq_id}", app.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    let (_, audit) = app.get("/api/v1/audit?limit=100000", &admin).await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"apikey.create") && actions.contains(&"apikey.revoke"), "{actions:?}");
    assert!(!audit.to_string().contains(&hq_key), "never the key in the audit log");
}

async fn admins_choose_the_services(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.login("admin").await;
    let (_, list) = app.get(&format!("/api/v1/admin/open311/services?jurisdiction={HONGQIAO}"), &admin).await;
    assert!(list["items"].as_array().unwrap().len() >= 12);
    let service = json!({
        "code": "SJ-0503", "name": "占道废品收购", "description": "废品收购点占用道路", "group": "街面秩序", "keywords": ["废品"],
        "attributes": [{"code": "WHEN", "datatype": "datetime", "required": false, "order": 1, "description": "发现时间"}]
    });
    let put = |body: Value, path: String| {
        let app = &app;
        let admin = admin.clone();
        async move { app.request(Method::PUT, &path, Some(&admin), Some(body)).await }
    };
    let (status, body) = put(service.clone(), format!("/api/v1/admin/open311/services/{HONGQIAO}/SJ-0503")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let r = get(&app, &format!("/open311/v2/services/SJ-0503.json?jurisdiction_id={HONGQIAO}")).await;
    assert_valid("service_definition", &r.json);
    assert_eq!(r.json["attributes"][0]["datatype"], "datetime");
    assert_eq!(get(&app, &format!("/open311/v2/services/SJ-0503.json?jurisdiction_id={HANGTOU}")).await.status, StatusCode::NOT_FOUND, "per town");
    let mut bad = service.clone();
    bad["attributes"][0]["datatype"] = json!("singlevaluelist");
    let (status, err) = put(bad, format!("/api/v1/admin/open311/services/{HONGQIAO}/SJ-0503")).await;
    assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("attributes[0].values")));
    let mut unknown = service.clone();
    unknown["code"] = json!("ZZ-0001");
    let (status, err) = put(unknown, format!("/api/v1/admin/open311/services/{HONGQIAO}/ZZ-0001")).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_category")));
    let operator = app.login("operator").await;
    assert_eq!(app.request(Method::PUT, &format!("/api/v1/admin/open311/services/{HONGQIAO}/SJ-0503"), Some(&operator), Some(service)).await.0, StatusCode::FORBIDDEN);
    let resp = app.client.delete(format!("{}/api/v1/admin/open311/services/{HONGQIAO}/SJ-0503", app.base)).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(get(&app, &format!("/open311/v2/services/SJ-0503.json?jurisdiction_id={HONGQIAO}")).await.status, StatusCode::NOT_FOUND);
    let (_, audit) = app.get("/api/v1/audit?limit=100000", &admin).await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"open311_service.put") && actions.contains(&"open311_service.delete"));
}
