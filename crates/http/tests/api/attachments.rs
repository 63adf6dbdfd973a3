//! Photos: checked by content, attached to reports, visible only with their case.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{new_case, TestApp};
use crate::on_both;
use chengyun_storage::Backend;

on_both!(photos_go_with_their_case);

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn upload(app: &TestApp, token: &str, content_type: &str, bytes: Vec<u8>) -> (StatusCode, serde_json::Value) {
    let resp = app
        .client
        .post(format!("{}/api/v1/attachments", app.base))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or_default())
}

async fn photos_go_with_their_case(b: Backend) {
    let app = TestApp::spawn(b).await;
    let inspector = app.login("inspector").await;
    let (status, body) = upload(&app, &inspector, "image/jpeg", PNG.to_vec()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("content_type_mismatch")));
    let (status, _) = upload(&app, &inspector, "text/html", b"<script>".to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut big = PNG.to_vec();
    big.resize(crate::helpers::MAX_UPLOAD + 36 * 1024, 0);
    let (status, body) = upload(&app, &inspector, "image/png", big).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")));
    let (status, photo) = upload(&app, &inspector, "image/png", PNG.to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{photo}");
    let id = photo["id"].as_str().unwrap().to_string();

    let operator = app.login("operator").await;
    let mut stolen = new_case("hotline");
    stolen["photos"] = json!([id]);
    let (status, body) = app.post("/api/v1/cases", &operator, stolen).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("photos[0]")), "only one's own uploads");

    let mut report = new_case("patrol");
    report["photos"] = json!([id]);
    let (status, case) = app.post("/api/v1/cases", &inspector, report).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["photos"], json!([id]));

    let get = |token: String| {
        let app = &app;
        let id = id.clone();
        async move { app.client.get(format!("{}/api/v1/attachments/{id}", app.base)).bearer_auth(token).send().await.unwrap() }
    };
    let resp = get(operator.clone()).await;
    assert_eq!(resp.status(), StatusCode::OK, "the case's staff see its photo");
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(get(app.login("hq-operator").await).await.status(), StatusCode::NOT_FOUND, "another town does not");
    assert_eq!(get(app.login("handler").await).await.status(), StatusCode::NOT_FOUND, "nor a unit not dispatched");
}
