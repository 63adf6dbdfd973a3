//! The admin API as the console's admin pages use it: users need a name, the region list says
//! which regions have a boundary, and other roles are refused.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both;
use chengyun_storage::Backend;

on_both!(users_need_a_display_name, regions_say_which_have_a_boundary);

async fn users_need_a_display_name(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.login("admin").await;
    let before = app.store.list_users().await.unwrap().len();
    let body = json!({"username": "noname", "display_name": "  ", "password": "long-enough", "roles": ["operator"]});
    let (status, err) = app.post("/api/v1/admin/users", &admin, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!((err["error"]["code"].as_str(), err["error"]["field"].as_str()), (Some("field_required"), Some("display_name")));
    assert!(err["error"]["message"].as_str().unwrap().contains("姓名"), "{err}");
    assert_eq!(app.store.list_users().await.unwrap().len(), before, "nothing stored");

    let body = json!({"username": "named", "display_name": " 钱多多 ", "password": "long-enough", "roles": ["operator"]});
    let (status, user) = app.post("/api/v1/admin/users", &admin, body).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["display_name"], "钱多多", "trimmed");
    let path = format!("/api/v1/admin/users/{}", user["id"]);
    let (status, err) = app.request(Method::PATCH, &path, Some(&admin), Some(json!({"display_name": ""}))).await;
    assert_eq!((status, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("display_name")), "{err}");
    let (status, err) = app.request(Method::PATCH, &path, Some(&admin), Some(json!({"display_name": "长".repeat(41)}))).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("text_too_long")), "{err}");
    let stored = app.store.user_by_username("named").await.unwrap().unwrap();
    assert_eq!(stored.display_name, "钱多多", "a refused change changes nothing");
    let (status, changed) = app.request(Method::PATCH, &path, Some(&admin), Some(json!({"display_name": "钱不多"}))).await;
    assert_eq!((status, changed["display_name"].as_str()), (StatusCode::OK, Some("钱不多")));

    // The same write from a dispatcher is refused for the role.
    let dispatcher = app.login("dispatcher").await;
    let (status, err) = app.request(Method::PATCH, &path, Some(&dispatcher), Some(json!({"display_name": "入侵者"}))).await;
    assert_eq!((status, err["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_not_allowed")));
    assert_eq!(app.store.user_by_username("named").await.unwrap().unwrap().display_name, "钱不多");
}

async fn regions_say_which_have_a_boundary(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.login("admin").await;
    let region = json!({"code": "310115137001999", "name": "新划网格", "level": "grid", "parent": "310115137001"});
    let (status, body) = app.post("/api/v1/admin/regions", &admin, region).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, list) = app.get("/api/v1/admin/regions", &admin).await;
    assert_eq!(status, StatusCode::OK);
    let items = list["items"].as_array().unwrap();
    let find = |code: &str| items.iter().find(|r| r["code"] == code).unwrap_or_else(|| panic!("{code} listed"));
    assert_eq!(find("310115137")["has_boundary"], true, "the demo town has its outline");
    assert_eq!(find("310115137")["level"], "town");
    assert_eq!(find("310115137001")["parent"], "310115137P01", "a village under its 片区");
    assert!(items.iter().any(|r| r["level"] == "grid" && r["has_boundary"] == true), "demo grids have outlines");
    assert_eq!(find("310115137001999")["has_boundary"], false, "a region made by hand has none yet");
    assert_eq!(find("310115137001999")["name"], "新划网格");
    let (status, _) = app.get("/api/v1/admin/regions", &app.login("dispatcher").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
