//! Places: where a problem is.
//!
//! - [`coord`]: WGS-84 ⇄ GCJ-02 ⇄ BD-09 (CGCS2000 is taken as WGS-84)
//! - [`geometry`]: region shapes (WGS-84 multipolygons), their validation and GeoJSON form
//! - [`import`]: a GeoJSON FeatureCollection of boundaries → validated regions, all or nothing
//! - [`locate`]: the in-memory index answering point → 单元网格 → 村/居 → 街镇
//! - [`nearby`]: 疑似重复件 — the search box and the exact distance and score of nearby reports
//! - [`demo_geo`]: approximate, deterministic geometry for the demo towns
//!
//! Pure code: no I/O, no async. Geometry is always WGS-84 longitude/latitude degrees.

pub mod coord;
pub mod demo_geo;
pub mod geometry;
pub mod import;
pub mod locate;
pub mod nearby;
pub mod synthetic;

pub use chengyun_domain::case::CoordSys;
pub use geo::{MultiPolygon, Point, Polygon};

/// A region's boundary with what the hierarchy needs to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionShape {
    pub code: String,
    pub name: String,
    pub level: chengyun_domain::region::RegionLevel,
    pub parent: Option<String>,
    /// WGS-84.
    pub shape: MultiPolygon<f64>,
    /// Generated or otherwise not an official outline (shown as 示意 in the UI).
    pub approximate: bool,
}
