//! Places: locate a point, read a region and its boundaries for maps, import boundaries.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tower_http::limit::RequestBodyLimitLayer;

use chengyun_domain::case::{CoordSys, PlaceOutcome, Placement};
use chengyun_domain::region::{Region, RegionLevel};
use chengyun_places::coord::{self, LonLat};
use chengyun_places::geometry;
use chengyun_places::import::{parse_import, ImportSpec, KnownRegion, Tolerance};
use chengyun_storage::{AuditActor, GeometryScope, RegionGeometry};

use crate::access::require_role;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Places, Reference};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/locate", get(locate))
        .route("/api/v1/regions/{code}", get(region))
        .route("/api/v1/regions/{code}/geojson", get(region_geojson))
}

/// The boundary import takes files far larger than a JSON request: its own limit.
pub fn import_routes(max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/regions/import", post(import))
        .layer(DefaultBodyLimit::max(max_bytes))
        .layer(RequestBodyLimitLayer::new(max_bytes))
}

/// Query parameters as the handlers read them.
pub type Params = HashMap<String, String>;

/// A query parameter; blank counts as absent.
pub fn param<'p>(params: &'p Params, key: &str) -> Option<&'p str> {
    params.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

pub fn parse_coord_sys(value: &str, field: &str) -> ApiResult<CoordSys> {
    serde_json::from_value(Value::String(value.to_ascii_lowercase())).map_err(|_| {
        ApiError::invalid("invalid_coord_sys", field, format!("坐标系（{field}）须为 wgs84、cgcs2000、gcj02 或 bd09，收到“{value}”"))
    })
}

/// The coordinate system answers are given in (`out_coord_sys`, default WGS-84).
pub fn out_coord_sys(params: &Params) -> ApiResult<CoordSys> {
    param(params, "out_coord_sys").map_or(Ok(CoordSys::Wgs84), |v| parse_coord_sys(v, "out_coord_sys"))
}

fn number(params: &Params, key: &str) -> ApiResult<f64> {
    let raw = param(params, key).ok_or_else(|| ApiError::invalid("field_required", key, format!("缺少参数 {key}")))?;
    raw.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| ApiError::invalid("invalid_parameter", key, format!("参数 {key} 须为数字，收到“{raw}”")))
}

/// Where a WGS-84 point falls: the deepest region with a boundary. `None` when no boundaries
/// have been imported at all (then there is nothing to say about the point).
pub fn place(places: &Places, p: LonLat) -> Option<Placement> {
    if places.index.is_empty() {
        return None;
    }
    let located = places.index.locate(p);
    let outcome = match &located {
        Some(l) if l.level == RegionLevel::Grid => PlaceOutcome::Grid,
        Some(_) => PlaceOutcome::Region,
        None => PlaceOutcome::Outside,
    };
    Some(Placement { lon: p.lon, lat: p.lat, region: located.map(|l| l.code.to_string()), outcome })
}

fn region_brief(r: &Region) -> Value {
    json!({"code": r.code, "name": r.name, "level": r.level, "level_label": r.level.label()})
}

/// The region and those above it, top down (市 … 单元网格).
pub fn chain(reference: &Reference, code: &str) -> Vec<Value> {
    let tree = &reference.regions;
    let mut out: Vec<Value> = tree.ancestors(code).into_iter().rev().map(region_brief).collect();
    out.extend(tree.get(code).map(region_brief));
    out
}

fn point_json(p: LonLat, sys: CoordSys) -> Value {
    let q = coord::from_wgs84(p, sys);
    json!({"lon": q.lon, "lat": q.lat, "coord_sys": sys})
}

pub fn placement_view(p: &Placement, reference: &Reference, out: CoordSys) -> Value {
    let message = match p.outcome {
        PlaceOutcome::Grid => "点位已落入单元网格",
        PlaceOutcome::Region => "点位不在任何单元网格内（已落入上级区划），请核对位置",
        PlaceOutcome::Outside => "点位不在任何已导入的区划边界内，请核对位置",
    };
    json!({
        "point": point_json(LonLat::new(p.lon, p.lat), out),
        "outcome": p.outcome,
        "region": p.region.as_deref().and_then(|c| reference.regions.get(c)).map(region_brief),
        "chain": p.region.as_deref().map(|c| chain(reference, c)).unwrap_or_default(),
        "flag": p.flag(),
        "message": message,
    })
}

/// `GET /api/v1/locate?lon=&lat=&coord_sys=`
async fn locate(State(state): State<AppState>, CurrentUser(_): CurrentUser, Query(params): Query<Params>) -> ApiResult<Json<Value>> {
    let sys = parse_coord_sys(
        param(&params, "coord_sys").ok_or_else(|| {
            ApiError::invalid("field_required", "coord_sys", "请指明坐标系（coord_sys）：wgs84、cgcs2000、gcj02 或 bd09")
        })?,
        "coord_sys",
    )?;
    let input = LonLat::new(number(&params, "lon")?, number(&params, "lat")?);
    let plausible = chengyun_domain::case::Location { lon: input.lon, lat: input.lat, coord_sys: sys }.is_plausible();
    if !plausible {
        return Err(ApiError::invalid("invalid_location", "lon", "坐标不在中国范围内，请检查经纬度是否填反（lon/lat）"));
    }
    let out = out_coord_sys(&params)?;
    let reference = state.reference().await?;
    let places = state.places().await?;
    let wgs = coord::to_wgs84(input, sys);
    let view = match place(&places, wgs) {
        Some(p) => placement_view(&p, &reference, out),
        None => json!({"point": point_json(wgs, out), "outcome": Value::Null, "region": Value::Null, "chain": [],
                        "flag": Value::Null, "message": "尚未导入区划边界，无法定位"}),
    };
    Ok(Json(view))
}

fn region_of<'r>(reference: &'r Reference, code: &str) -> ApiResult<&'r Region> {
    reference.regions.get(code).ok_or_else(|| ApiError::not_found("区划"))
}

/// `GET /api/v1/regions/{code}`: the region, its place in the tree, children, boundary facts.
async fn region(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    Path(code): Path<String>,
    Query(params): Query<Params>,
) -> ApiResult<Json<Value>> {
    let out = out_coord_sys(&params)?;
    let reference = state.reference().await?;
    let r = region_of(&reference, &code)?;
    let stored = state.store.region_geometries(GeometryScope::Code(&r.code)).await?.into_iter().next();
    let boundary = match &stored {
        Some(g) => {
            let shape = geometry::from_stored(&g.geometry).map_err(|e| {
                tracing::error!(region = %g.region.code, error = %e, "stored boundary is invalid");
                ApiError::internal()
            })?;
            json!({
                "approximate": g.approximate,
                "area_m2": geometry::area_m2(&shape).round(),
                "centroid": geometry::centroid(&shape).map(|c| point_json(c, out)),
            })
        }
        None => Value::Null,
    };
    let children: Vec<Value> = reference.regions.children(&r.code).map(region_brief).collect();
    Ok(Json(json!({
        "code": r.code,
        "name": r.name,
        "level": r.level,
        "level_label": r.level.label(),
        "parent": r.parent,
        "chain": chain(&reference, &r.code),
        "children": children,
        "boundary": boundary,
    })))
}

/// `GET /api/v1/regions/{code}/geojson?children=true&simplify=M&out_coord_sys=`: the boundaries
/// of the region's children (or of the region itself), for the console's maps.
async fn region_geojson(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    Path(code): Path<String>,
    Query(params): Query<Params>,
) -> ApiResult<impl IntoResponse> {
    let out = out_coord_sys(&params)?;
    let children = match param(&params, "children") {
        None | Some("true") | Some("1") => true,
        Some("false") | Some("0") => false,
        Some(_) => return Err(ApiError::invalid("invalid_parameter", "children", "参数 children 须为 true 或 false")),
    };
    let simplify = match param(&params, "simplify") {
        None => None,
        Some(_) => Some(number(&params, "simplify")?).filter(|m| *m > 0.0),
    };
    let reference = state.reference().await?;
    let r = region_of(&reference, &code)?;
    let scope = if children { GeometryScope::ChildrenOf(&r.code) } else { GeometryScope::Code(&r.code) };
    let stored = state.store.region_geometries(scope).await?;
    let features = with_stored_boundaries(move || -> Result<Vec<Value>, String> {
        stored
            .into_iter()
            .map(|g| {
                let mut shape = geometry::from_stored(&g.geometry).map_err(|e| format!("{}: {e}", g.region.code))?;
                if let Some(m) = simplify {
                    shape = geometry::simplify_for_display(&shape, m);
                }
                if out != CoordSys::Wgs84 {
                    shape = geometry::from_wgs84(&shape, out);
                }
                Ok(json!({
                    "type": "Feature",
                    "properties": {"code": g.region.code, "name": g.region.name, "level": g.region.level,
                                   "level_label": g.region.level.label(), "approximate": g.approximate},
                    "geometry": geometry::shape_to_geojson(&shape),
                }))
            })
            .collect()
    })
    .await?;
    let body = json!({"type": "FeatureCollection", "features": features, "coord_sys": out});
    Ok(([(header::CONTENT_TYPE, "application/geo+json; charset=utf-8")], Json(body)))
}

/// Runs `work` on stored boundaries off the async threads (parsing and drawing them take
/// milliseconds). A stored boundary that no longer parses is the server's fault: logged, 500.
pub(crate) async fn with_stored_boundaries<T: Send + 'static>(work: impl FnOnce() -> Result<T, String> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(|_| ApiError::internal())?.map_err(|e| {
        tracing::error!(error = %e, "stored boundary is invalid");
        ApiError::internal()
    })
}

fn level_param(params: &Params) -> ApiResult<RegionLevel> {
    let raw = param(params, "level").ok_or_else(|| ApiError::invalid("field_required", "level", "缺少参数 level（district、town、area、village 或 grid）"))?;
    serde_json::from_value(Value::String(raw.to_string()))
        .ok()
        .filter(|l| *l != RegionLevel::City)
        .ok_or_else(|| ApiError::invalid("invalid_parameter", "level", format!("参数 level 须为 district、town、area、village 或 grid，收到“{raw}”")))
}

/// A validated shape as the store keeps it.
pub fn stored_shape(s: chengyun_places::RegionShape) -> RegionGeometry {
    RegionGeometry {
        geometry: geometry::to_stored(&s.shape),
        approximate: s.approximate,
        region: Region { code: s.code, name: s.name, level: s.level, parent: s.parent },
    }
}

/// The import's options as the CLI and the API take them.
pub fn import_spec(params: &Params) -> ApiResult<ImportSpec> {
    let text = |k: &str| {
        param(params, k).map(str::to_string).ok_or_else(|| ApiError::invalid("field_required", k, format!("缺少参数 {k}")))
    };
    Ok(ImportSpec {
        level: level_param(params)?,
        code_property: text("code_property")?,
        name_property: text("name_property")?,
        parent: param(params, "parent").map(str::to_string),
        crs: param(params, "crs").map_or(Ok(CoordSys::Wgs84), |v| parse_coord_sys(v, "crs"))?,
        tolerance: Tolerance::default(),
    })
}

/// Regions the import may attach to or replace, with their boundaries.
pub async fn known_regions(store: &dyn chengyun_storage::Store, reference: &Reference) -> ApiResult<Vec<KnownRegion>> {
    let mut shapes: HashMap<String, String> = store
        .region_geometries(GeometryScope::All)
        .await?
        .into_iter()
        .map(|g| (g.region.code, g.geometry))
        .collect();
    Ok(reference
        .regions
        .iter()
        .map(|r| KnownRegion {
            code: r.code.clone(),
            level: r.level,
            parent: r.parent.clone(),
            shape: shapes.remove(&r.code).and_then(|g| geometry::from_stored(&g).ok()),
        })
        .collect())
}

/// Validates and stores a boundary file; all or nothing. Returns the regions written.
pub async fn import_boundaries(
    state: &AppState,
    bytes: Vec<u8>,
    spec: ImportSpec,
    by: &AuditActor,
) -> ApiResult<Vec<RegionGeometry>> {
    let reference = state.reference().await?;
    let known = known_regions(&*state.store, &reference).await?;
    let level = spec.level;
    let parsed = tokio::task::spawn_blocking(move || parse_import(&bytes, &spec, &known)).await.map_err(|_| ApiError::internal())?;
    let shapes = parsed.map_err(|errors| {
        let first = errors.0.first().map(|e| e.message.clone()).unwrap_or_default();
        ApiError::invalid("invalid_geojson", "features", format!("边界文件有 {} 处错误，未导入任何区划。{first}", errors.0.len()))
            .details(errors.to_json())
    })?;
    let records: Vec<RegionGeometry> = shapes.into_iter().map(stored_shape).collect();
    // The hierarchy must stay a tree with the new regions in it.
    let mut all: Vec<Region> = reference.regions.iter().filter(|r| !records.iter().any(|g| g.region.code == r.code)).cloned().collect();
    all.extend(records.iter().map(|g| g.region.clone()));
    chengyun_domain::region::RegionTree::from_regions(all).map_err(|e| ApiError::invalid("invalid_region", "features", e.to_string()))?;
    let detail = json!({"level": level, "count": records.len(),
                        "codes": records.iter().take(20).map(|g| g.region.code.as_str()).collect::<Vec<_>>()});
    state.store.import_region_geometries(&records, by, detail.to_string()).await?;
    state.reload().await?;
    state.places().await?;
    Ok(records)
}

/// `POST /api/v1/admin/regions/import?level=&code_property=&name_property=&parent=&crs=` with a
/// GeoJSON FeatureCollection as the body.
async fn import(
    State(state): State<AppState>,
    CurrentUser(actor): CurrentUser,
    Query(params): Query<Params>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    require_role(&actor, &[chengyun_domain::org::Role::Admin], "导入区划边界")?;
    let spec = import_spec(&params)?;
    let written = import_boundaries(&state, body.to_vec(), spec, &AuditActor::from(&actor)).await?;
    Ok(Json(json!({
        "imported": written.len(),
        "regions": written.iter().map(|g| json!({"code": g.region.code, "name": g.region.name, "level": g.region.level})).collect::<Vec<_>>(),
    })))
}
