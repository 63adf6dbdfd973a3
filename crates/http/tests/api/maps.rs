//! Server-drawn maps: `GET /api/v1/map.svg` (the console's map contract).

use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::on_both;
use chengyun_storage::Backend;

on_both!(the_town_map_is_well_formed_svg_shaded_by_open_cases, maps_refuse_outside_scope_and_unknown_regions);

async fn svg(app: &TestApp, path: &str, token: &str) -> (StatusCode, String, String) {
    let resp = app.client.get(format!("{}{path}", app.base)).bearer_auth(token).send().await.unwrap();
    let status = resp.status();
    let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ct, resp.text().await.unwrap())
}

fn areas(doc: &roxmltree::Document) -> Vec<(String, String, Option<u64>)> {
    doc.descendants()
        .filter(|n| n.tag_name().name() == "path" && n.attribute("class").is_some_and(|c| c.starts_with("area")))
        .map(|n| {
            (
                n.attribute("data-code").unwrap().to_string(),
                n.attribute("data-name").unwrap().to_string(),
                n.attribute("data-value").map(|v| v.parse().unwrap()),
            )
        })
        .collect()
}

async fn the_town_map_is_well_formed_svg_shaded_by_open_cases(b: Backend) {
    let app = TestApp::spawn(b).await;
    let inspector = app.login("inspector").await;
    let leader = app.login("leader").await;
    let case = app.report(&inspector, "patrol").await;
    let village = "310115137001";
    assert!(case["region"].as_str().unwrap_or_default().starts_with(village) || case["region_code"].as_str().unwrap_or_default().starts_with(village), "{case}");

    // the town's 村/居, shaded
    let (status, ct, text) = svg(&app, "/api/v1/map.svg?region=310115137&level=village&shade=open", &leader).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(ct.starts_with("image/svg+xml"), "{ct}");
    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("class"), Some("map"));
    let bbox: Vec<f64> = root.attribute("data-bbox").unwrap().split(',').map(|v| v.parse().unwrap()).collect();
    assert!(bbox[0] > 121.0 && bbox[2] < 122.0 && bbox[1] > 30.5 && bbox[3] < 31.5, "{bbox:?}");
    let villages = areas(&doc);
    assert_eq!(villages.len(), 47, "航头镇 has 47 村/居 in the demo");
    let hit: Vec<_> = villages.iter().filter(|(_, _, v)| v.unwrap_or(0) > 0).collect();
    assert_eq!(hit.len(), 1, "{hit:?}");
    assert_eq!(hit[0].0, village);
    assert_eq!(hit[0].2, Some(1));
    assert!(text.contains("未结案件"), "legend");

    // the town's children are its 片区; a village's children are grids, with a marker and highlight
    let (_, _, text) = svg(&app, "/api/v1/map.svg?region=310115137", &leader).await;
    let doc = roxmltree::Document::parse(&text).unwrap();
    let areas_of_town = areas(&doc);
    assert_eq!(areas_of_town.len(), 3);
    assert!(areas_of_town.iter().all(|(_, _, v)| v.is_none()), "no shade by default");
    let (status, _, text) =
        svg(&app, &format!("/api/v1/map.svg?region={village}&point=121.5958,31.0274&highlight={village}&shade=open"), &leader).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let doc = roxmltree::Document::parse(&text).unwrap();
    let grids = areas(&doc);
    assert!(!grids.is_empty() && grids.iter().all(|(c, _, _)| c.starts_with(village) && c.len() > village.len()), "{grids:?}");
    assert_eq!(grids.iter().map(|g| g.2.unwrap()).sum::<u64>(), 1);
    assert!(doc.descendants().any(|n| n.attribute("class") == Some("marker")));
    assert!(doc.descendants().any(|n| n.attribute("class") == Some("highlight") && n.attribute("data-code") == Some(village)));

    // every grid of the town
    let (status, _, text) = svg(&app, "/api/v1/map.svg?region=310115137&level=grid", &leader).await;
    assert_eq!(status, StatusCode::OK);
    let all_grids = areas(&roxmltree::Document::parse(&text).unwrap());
    assert!(all_grids.len() > grids.len());
}

async fn maps_refuse_outside_scope_and_unknown_regions(b: Backend) {
    let app = TestApp::spawn(b).await;
    let village = app.login("village").await;
    // own village: fine; another village or the town: refused
    let (status, _, _) = svg(&app, "/api/v1/map.svg?region=310115137001", &village).await;
    assert_eq!(status, StatusCode::OK);
    for other in ["310115137002", "310115137"] {
        let (status, _, body) = svg(&app, &format!("/api/v1/map.svg?region={other}&shade=open"), &village).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{other}: {body}");
        assert!(body.contains("out_of_scope"), "{body}");
    }
    let leader = app.login("leader").await;
    let (status, _, body) = svg(&app, "/api/v1/map.svg?region=310115999999", &leader).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _, body) = svg(&app, "/api/v1/map.svg?region=310115137&level=town", &leader).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("level"));
    let (status, _, body) = svg(&app, "/api/v1/map.svg?region=310115137&point=abc", &leader).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _, _) = svg(&app, "/api/v1/map.svg?region=310115137", "no-such-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // the Hongqiao operator may not see Hangtou's map
    let hq = app.login("hq-operator").await;
    let (status, _, _) = svg(&app, "/api/v1/map.svg?region=310115137", &hq).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
