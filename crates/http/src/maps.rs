//! Maps drawn by the server: `GET /api/v1/map.svg` (the console's map contract, docs/console.md).

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use chengyun_domain::org::{Actor, Role};
use chengyun_domain::region::{Region, RegionLevel};
use chengyun_places::geometry;
use chengyun_storage::{GeometryScope, RegionGeometry, ScopeFilter};
use chengyun_svg::map::{Area, MapSpec};

use crate::access::{region_in_scope, require_role, scope_filter};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::places::{param, with_stored_boundaries, Params};
use crate::state::{AppState, Reference};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/map.svg", get(map_svg))
}

/// Every staff role; API clients (接入渠道) draw no maps.
pub const STAFF: [Role; 8] =
    [Role::Inspector, Role::Operator, Role::ShiftLead, Role::Dispatcher, Role::Handler, Role::Leader, Role::Assessor, Role::Admin];

/// The region a picture or figure is asked for: known (404) and inside the asker's scope (403).
pub fn scoped_region<'r>(reference: &'r Reference, actor: &Actor, code: &str) -> ApiResult<&'r Region> {
    let r = reference.regions.get(code).ok_or_else(|| ApiError::not_found("区划"))?;
    if !region_in_scope(actor, &reference.regions, &r.code) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "out_of_scope",
            format!("区划（region）“{}”超出本人数据范围，无权查看", r.name),
        )
        .field("region"));
    }
    Ok(r)
}

/// The extra filter counts need beyond the region: none when the region lies in the asker's
/// region scope (everything in it is visible), the asker's scope otherwise (a unit's staff).
pub fn count_scope(actor: &Actor, reference: &Reference) -> Option<ScopeFilter> {
    if actor.scope.region.is_some() { None } else { scope_filter(actor, &reference.regions) }
}

/// The `region` parameter, required.
pub fn region_param(params: &Params) -> ApiResult<&str> {
    param(params, "region").ok_or_else(|| ApiError::invalid("field_required", "region", "缺少参数 region（区划代码）"))
}

/// What the map draws: the region's children, or every region of one level below it.
#[derive(Clone, Copy, PartialEq)]
enum Level {
    Child,
    Below(RegionLevel),
}

/// Boundaries of what the map draws: the region's children (the region itself when it has
/// none), or every 单元网格 below it.
async fn boundaries(state: &AppState, reference: &Reference, r: &Region, level: Level) -> ApiResult<Vec<RegionGeometry>> {
    match level {
        Level::Child => {
            let children = state.store.region_geometries(GeometryScope::ChildrenOf(&r.code)).await?;
            if !children.is_empty() {
                return Ok(children);
            }
            Ok(state.store.region_geometries(GeometryScope::Code(&r.code)).await?)
        }
        Level::Below(target) => {
            if r.level == target {
                return Ok(state.store.region_geometries(GeometryScope::Code(&r.code)).await?);
            }
            // Parents of the target level: the region and every region below it down to the target.
            let mut parents = vec![r.code.clone()];
            let mut i = 0;
            while i < parents.len() {
                let kids: Vec<String> = reference
                    .regions
                    .children(&parents[i])
                    .filter(|c| c.level != target && c.level != RegionLevel::Grid)
                    .map(|c| c.code.clone())
                    .collect();
                parents.extend(kids);
                i += 1;
            }
            let mut out = Vec::new();
            if parents.len() > 64 {
                // a district or more: one read of everything beats hundreds of small ones
                let all = state.store.region_geometries(GeometryScope::All).await?;
                out.extend(all.into_iter().filter(|g| g.region.level == target && reference.regions.contains(&r.code, &g.region.code)));
            } else {
                for p in &parents {
                    let kids = state.store.region_geometries(GeometryScope::ChildrenOf(p)).await?;
                    out.extend(kids.into_iter().filter(|g| g.region.level == target));
                }
            }
            out.sort_by(|a, b| a.region.code.cmp(&b.region.code));
            Ok(out)
        }
    }
}

fn lon_lat(raw: &str) -> ApiResult<(f64, f64)> {
    let bad = || ApiError::invalid("invalid_parameter", "point", format!("参数 point 须为“经度,纬度”（WGS-84），收到“{raw}”"));
    let (lon, lat) = raw.split_once(',').ok_or_else(bad)?;
    let (lon, lat): (f64, f64) = (lon.trim().parse().map_err(|_| bad())?, lat.trim().parse().map_err(|_| bad())?);
    if !(lon.is_finite() && lat.is_finite() && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
        return Err(bad());
    }
    Ok((lon, lat))
}

/// `GET /api/v1/map.svg?region=CODE[&level=child|village|grid][&shade=open|none][&point=LON,LAT][&highlight=CODE]`
async fn map_svg(State(state): State<AppState>, CurrentUser(actor): CurrentUser, Query(params): Query<Params>) -> ApiResult<impl IntoResponse> {
    require_role(&actor, &STAFF, "查看地图")?;
    let code = region_param(&params)?;
    let level = match param(&params, "level") {
        None | Some("child") => Level::Child,
        Some("village") => Level::Below(RegionLevel::Village),
        Some("grid") => Level::Below(RegionLevel::Grid),
        Some(v) => return Err(ApiError::invalid("invalid_parameter", "level", format!("参数 level 须为 child、village 或 grid，收到“{v}”"))),
    };
    let shade = match param(&params, "shade") {
        None | Some("none") => false,
        Some("open") => true,
        Some(v) => return Err(ApiError::invalid("invalid_parameter", "shade", format!("参数 shade 须为 open 或 none，收到“{v}”"))),
    };
    let point = param(&params, "point").map(lon_lat).transpose()?;
    let reference = state.reference().await?;
    let r = scoped_region(&reference, &actor, code)?.clone();
    let highlight = match param(&params, "highlight") {
        Some(h) => {
            let hr = reference.regions.get(h).ok_or_else(|| ApiError::not_found("区划"))?;
            state.store.region_geometries(GeometryScope::Code(&hr.code)).await?.into_iter().next()
        }
        None => None,
    };
    let stored = boundaries(&state, &reference, &r, level).await?;

    // Open cases per drawn area: each case's region code counts for the area whose subtree holds it.
    let counts = if shade {
        let rows = state.store.open_cases_by_region(&reference.regions.scope_prefixes(&r.code), count_scope(&actor, &reference).as_ref()).await?;
        let mut per_area = vec![0u64; stored.len()];
        let prefixes: Vec<Vec<String>> = stored.iter().map(|g| reference.regions.scope_prefixes(&g.region.code)).collect();
        for (case_region, n) in rows {
            if let Some(i) = prefixes.iter().position(|ps| ps.iter().any(|p| case_region.starts_with(p.as_str()))) {
                per_area[i] += n.max(0) as u64;
            }
        }
        Some(per_area)
    } else {
        None
    };
    let what = match level {
        Level::Below(l) => l.label().to_string(),
        Level::Child => stored.first().filter(|g| g.region.code != r.code).map(|g| g.region.level.label().to_string()).unwrap_or_else(|| r.level.label().to_string()),
    };
    let title = if shade { format!("{} 各{what}未结案件", r.name) } else { format!("{} {what}", r.name) };

    let svg = with_stored_boundaries(move || -> Result<String, String> {
        let parse = |g: RegionGeometry, value: Option<u64>| -> Result<Area, String> {
            let shape = geometry::from_stored(&g.geometry).map_err(|e| format!("{}: {e}", g.region.code))?;
            Ok(Area { code: g.region.code, name: g.region.name, shape, value })
        };
        let mut areas = stored
            .into_iter()
            .enumerate()
            .map(|(i, g)| parse(g, counts.as_ref().map(|c| c[i])))
            .collect::<Result<Vec<_>, _>>()?;
        // Outlines lighter than a pixel of the picture: ~1.5 m per unit on a town's map.
        let extent_m = areas
            .iter()
            .filter_map(|a| geo::BoundingRect::bounding_rect(&a.shape))
            .map(|b| (b.max().x - b.min().x) * 111_320.0 * b.min().y.to_radians().cos())
            .fold(0.0_f64, f64::max);
        let tolerance = (extent_m / 800.0).clamp(0.5, 200.0);
        for a in &mut areas {
            a.shape = geometry::simplify_for_display(&a.shape, tolerance);
        }
        let highlight = highlight.map(|g| parse(g, None)).transpose()?;
        let spec = MapSpec {
            title,
            width: 800.0,
            labels: areas.len() <= 200,
            areas,
            legend: shade.then(|| "未结案件".to_string()),
            point,
            highlight,
        };
        Ok(chengyun_svg::map::render(&spec))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"), (header::CACHE_CONTROL, "private, no-cache")], svg))
}
