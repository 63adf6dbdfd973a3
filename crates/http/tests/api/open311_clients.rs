//! Real Open311 clients from PyPI — civicbot and georeport — against the live server on
//! loopback, driven by `tests/clients/open311_clients.py`.
//!
//! Needs a Python with both: `CHENGYUN_TEST_PYTHON=/path/to/python` (scripts/test.sh makes
//! `target/test-venv` with them and sets it). Without it the test fails; it never skips.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both;
use chengyun_storage::Backend;

on_both!(civicbot_and_georeport_work_against_the_endpoint);

async fn civicbot_and_georeport_work_against_the_endpoint(b: Backend) {
    let python = std::env::var_os("CHENGYUN_TEST_PYTHON").unwrap_or_else(|| {
        panic!(
            "CHENGYUN_TEST_PYTHON is not set: this test runs the PyPI clients civicbot and georeport. Run \
             `bash scripts/test.sh` (it creates target/test-venv with them), or set CHENGYUN_TEST_PYTHON to a \
             Python where `pip install civicbot georeport` is done."
        )
    });
    let app = TestApp::spawn(b).await;
    let admin = app.login("admin").await;
    let (status, key) = app.post("/api/v1/admin/apikeys", &admin, json!({"name": "civicbot", "jurisdictions": ["310115137"]})).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{key}");
    let (_, town) = app.get("/api/v1/regions/310115137?out_coord_sys=wgs84", &admin).await;
    let centre = &town["boundary"]["centroid"];
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/open311_clients.py");
    let base = app.base.clone();
    let (lat, long) = (centre["lat"].to_string(), centre["lon"].to_string());
    let key = key["key"].as_str().unwrap().to_string();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .env("CHENGYUN_BASE", base)
            .env("CHENGYUN_KEY", key)
            .env("CHENGYUN_JURISDICTION", "310115137")
            .env("CHENGYUN_LAT", lat)
            .env("CHENGYUN_LONG", long)
            .output()
            .expect("run python")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the clients failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let seen: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));

    let number = seen["civicbot_created"]["service_request_id"].as_str().expect("civicbot got a request id").to_string();
    assert!(number.starts_with("310115137-"), "{seen}");
    assert!(seen["civicbot_created"]["service_notice"].as_str().unwrap().contains(&number));
    let services = seen["civicbot_services"].as_array().unwrap();
    assert!(services.len() >= 12 && services.contains(&json!("SJ-0102")), "{seen}");
    assert_eq!(seen["civicbot_attributes"], json!(["AMOUNT", "KIND"]));
    assert!(seen["civicbot_list"].as_array().unwrap().contains(&json!(number)));
    assert_eq!(seen["civicbot_get"]["service_request_id"], number.as_str());
    assert_eq!(seen["civicbot_get"]["status"], "open");
    assert_eq!(seen["civicbot_token"][0]["service_request_id"], number.as_str());
    for fmt in ["json", "xml"] {
        assert_eq!(&seen[format!("georeport_{fmt}_services")], &seen["civicbot_services"], "{fmt}");
        assert_eq!(seen[format!("georeport_{fmt}_attributes")], json!(["AMOUNT", "KIND"]), "{fmt}");
        assert_eq!(seen[format!("georeport_{fmt}_requests")], json!([number]), "{fmt}");
        let one = &seen[format!("georeport_{fmt}_request")];
        assert_eq!((one["service_request_id"].as_str(), one["status"].as_str(), one["service_name"].as_str()), (Some(number.as_str()), Some("open"), Some("暴露垃圾")), "{fmt}");
        assert!(one["requested_datetime"].as_str().unwrap().ends_with("+08:00"));
    }

    // The case is really there, with the attributes the client chose, in the client's name.
    let operator = app.login("operator").await;
    let (_, list) = app.get("/api/v1/cases?status=reported", &operator).await;
    let id = list["items"].as_array().unwrap().iter().find(|c| c["number"] == number.as_str()).expect("in the desk queue")["id"].clone();
    let (_, case) = app.get(&format!("/api/v1/cases/{id}"), &operator).await;
    assert!(case["description"].as_str().unwrap().contains("垃圾量：大量（一车以上）；垃圾种类：生活垃圾、建筑垃圾"), "{case}");
    assert!(case.to_string().contains("接入渠道：civicbot"));
}
