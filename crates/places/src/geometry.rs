//! Region shapes: WGS-84 multipolygons, their GeoJSON and stored forms, validation and measures.
//!
//! A shape is valid when every ring is closed with at least four positions, every number is
//! finite and inside China, no ring crosses itself, the rings of a polygon do not cross, every
//! hole lies inside its shell without overlapping another hole, and the polygons of a
//! multipolygon do not overlap. Touching at single points is allowed (OGC simple features).

use crate::CoordSys;
use crate::coord::{self, LonLat};
use geo::algorithm::sweep::{Cross, Intersections};
use geo::coordinate_position::CoordPos;
use geo::{
    BoundingRect, Centroid, Coord, CoordinatePosition, GeodesicArea, Line, LineIntersection,
    LineString, MapCoords, MultiPolygon, Polygon, Rect, RemoveRepeatedPoints, SimplifyVwPreserve,
};
use std::fmt;
use thiserror::Error;

/// Mainland China, its islands and waters; the same box as `Location::is_plausible`.
const CHINA_LON: std::ops::RangeInclusive<f64> = 73.0..=136.0;
const CHINA_LAT: std::ops::RangeInclusive<f64> = 3.0..=54.0;
/// Metres per degree of latitude on the WGS-84 mean sphere (π·R/180).
const METRES_PER_DEGREE: f64 = 111_195.0;

/// Which ring of a multipolygon: `part` is the polygon (0-based), `ring` 0 its shell and
/// `k ≥ 1` its k-th hole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingRef {
    pub part: usize,
    pub ring: usize,
}

impl fmt::Display for RingRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ring {
            0 => write!(f, "第{}个多边形的外环", self.part + 1),
            k => write!(f, "第{}个多边形的第{k}个内环", self.part + 1),
        }
    }
}

/// Why a shape was refused. [`ShapeError::code`] is stable; the message is Chinese.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ShapeError {
    #[error("几何类型是 {found}，边界只能是 Polygon 或 MultiPolygon")]
    NotAPolygon { found: String },
    #[error("几何为空：没有任何多边形")]
    Empty,
    #[error("{ring}的第{}个坐标只有{len}个数，至少要有经度和纬度两个数", .index + 1)]
    ShortPosition {
        ring: RingRef,
        index: usize,
        len: usize,
    },
    #[error("{ring}没有闭合：首点{}与末点{}不同（GeoJSON 要求环的最后一个坐标与第一个相同）", pt(.first), pt(.last))]
    RingNotClosed {
        ring: RingRef,
        first: LonLat,
        last: LonLat,
    },
    #[error("{ring}只有{points}个不重复的坐标，一个环至少要有3个不同的点（连同闭合点共4个坐标）")]
    TooFewPoints { ring: RingRef, points: usize },
    #[error("{ring}的第{}个坐标不是有限数值", .index + 1)]
    NonFinite { ring: RingRef, index: usize },
    #[error("{ring}的第{}个坐标{}像是把经纬度写反了（应为[经度, 纬度]，即[{:.6}, {:.6}]）", .index + 1, pt(.at), .at.lat, .at.lon)]
    SwappedCoordinates {
        ring: RingRef,
        index: usize,
        at: LonLat,
    },
    #[error("{ring}的第{}个坐标{}不在中国范围内（经度73–136，纬度3–54）", .index + 1, pt(.at))]
    OutsideChina {
        ring: RingRef,
        index: usize,
        at: LonLat,
    },
    #[error("{ring}在{}处自相交", pt(.at))]
    SelfIntersection { ring: RingRef, at: LonLat },
    #[error("{a}与{b}在{}处相交（同一多边形的各环只能在个别点上相接）", pt(.at))]
    RingsCross { a: RingRef, b: RingRef, at: LonLat },
    #[error("{ring}不在外环之内")]
    HoleOutsideShell { ring: RingRef },
    #[error("{a}与{b}重叠（内环之间不能重叠）")]
    HolesOverlap { a: RingRef, b: RingRef },
    #[error("第{}个多边形与第{}个多边形重叠或共用一段边界（多边形之间只能在个别点上相接）", .a + 1, .b + 1)]
    PartsOverlap { a: usize, b: usize },
    #[error("保存的边界无法读取：{reason}")]
    Stored { reason: String },
}

impl ShapeError {
    /// Stable snake_case identifier for API clients and tests.
    pub fn code(&self) -> &'static str {
        match self {
            ShapeError::NotAPolygon { .. } => "not_a_polygon",
            ShapeError::Empty => "empty_shape",
            ShapeError::ShortPosition { .. } => "short_position",
            ShapeError::RingNotClosed { .. } => "ring_not_closed",
            ShapeError::TooFewPoints { .. } => "too_few_points",
            ShapeError::NonFinite { .. } => "non_finite",
            ShapeError::SwappedCoordinates { .. } => "swapped_coordinates",
            ShapeError::OutsideChina { .. } => "outside_china",
            ShapeError::SelfIntersection { .. } => "self_intersection",
            ShapeError::RingsCross { .. } => "rings_cross",
            ShapeError::HoleOutsideShell { .. } => "hole_outside_shell",
            ShapeError::HolesOverlap { .. } => "holes_overlap",
            ShapeError::PartsOverlap { .. } => "parts_overlap",
            ShapeError::Stored { .. } => "invalid_stored_shape",
        }
    }
}

/// `（121.473700, 31.230400）` — six decimals is about 0.1 m.
fn pt(p: &LonLat) -> String {
    format!("（{:.6}, {:.6}）", p.lon, p.lat)
}

fn lonlat(c: Coord<f64>) -> LonLat {
    LonLat::new(c.x, c.y)
}

// ---------------------------------------------------------------------------------------------
// GeoJSON and stored form

/// A GeoJSON Polygon or MultiPolygon as a multipolygon, in the coordinates it was given.
///
/// Ring closure is checked here because geo closes rings silently on construction; everything
/// else is left to [`validate`].
pub fn shape_from_geojson(g: &geojson::Geometry) -> Result<MultiPolygon<f64>, ShapeError> {
    use geojson::GeometryValue as V;
    let parts: Vec<&geojson::PolygonType> = match &g.value {
        V::Polygon { coordinates } => vec![coordinates],
        V::MultiPolygon { coordinates } => coordinates.iter().collect(),
        other => {
            return Err(ShapeError::NotAPolygon {
                found: other.type_name().to_owned(),
            });
        }
    };
    if parts.is_empty() {
        return Err(ShapeError::Empty);
    }
    let mut polygons = Vec::with_capacity(parts.len());
    for (part, rings) in parts.into_iter().enumerate() {
        if rings.is_empty() {
            return Err(ShapeError::TooFewPoints {
                ring: RingRef { part, ring: 0 },
                points: 0,
            });
        }
        let mut converted = Vec::with_capacity(rings.len());
        for (ring, positions) in rings.iter().enumerate() {
            converted.push(ring_from_positions(positions, RingRef { part, ring })?);
        }
        let exterior = converted.remove(0);
        polygons.push(Polygon::new(exterior, converted));
    }
    Ok(MultiPolygon::new(polygons))
}

fn ring_from_positions(
    positions: &[geojson::Position],
    at: RingRef,
) -> Result<LineString<f64>, ShapeError> {
    let mut coords = Vec::with_capacity(positions.len());
    for (index, p) in positions.iter().enumerate() {
        // Any third (altitude) or further member is ignored.
        if p.len() < 2 {
            return Err(ShapeError::ShortPosition {
                ring: at,
                index,
                len: p.len(),
            });
        }
        coords.push(Coord { x: p[0], y: p[1] });
    }
    if let (Some(&first), Some(&last)) = (coords.first(), coords.last())
        && first != last
    {
        return Err(ShapeError::RingNotClosed {
            ring: at,
            first: lonlat(first),
            last: lonlat(last),
        });
    }
    if coords.len() < 4 {
        return Err(ShapeError::TooFewPoints {
            ring: at,
            points: coords.len().saturating_sub(1),
        });
    }
    Ok(LineString::new(coords))
}

/// The shape as a GeoJSON MultiPolygon (always MultiPolygon, so readers need one case).
pub fn shape_to_geojson(s: &MultiPolygon<f64>) -> geojson::Geometry {
    let ring = |r: &LineString<f64>| -> Vec<geojson::Position> {
        r.coords()
            .map(|c| geojson::Position::from([c.x, c.y]))
            .collect()
    };
    let parts = s
        .iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(ring)
                .collect()
        })
        .collect();
    geojson::Geometry::new(geojson::GeometryValue::MultiPolygon { coordinates: parts })
}

/// The compact text kept in the database: a GeoJSON MultiPolygon geometry, full precision.
pub fn to_stored(s: &MultiPolygon<f64>) -> String {
    shape_to_geojson(s).to_string()
}

/// Reads [`to_stored`]'s text back (not re-validated: only valid shapes are stored).
pub fn from_stored(text: &str) -> Result<MultiPolygon<f64>, ShapeError> {
    let g: geojson::Geometry = serde_json::from_str(text).map_err(|e| ShapeError::Stored {
        reason: e.to_string(),
    })?;
    shape_from_geojson(&g)
}

// ---------------------------------------------------------------------------------------------
// Validation

/// Checks a (WGS-84) shape; returns the first problem found, cheapest checks first.
pub fn validate(s: &MultiPolygon<f64>) -> Result<(), ShapeError> {
    if s.0.is_empty() {
        return Err(ShapeError::Empty);
    }
    for (part, polygon) in s.iter().enumerate() {
        for (ring, r) in rings(polygon).enumerate() {
            check_ring_points(r, RingRef { part, ring })?;
        }
    }
    check_crossings(s)?;
    check_containment(s)
}

fn rings(p: &Polygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    std::iter::once(p.exterior()).chain(p.interiors())
}

/// Closure, point count, finite numbers and the China box, for one ring.
fn check_ring_points(r: &LineString<f64>, at: RingRef) -> Result<(), ShapeError> {
    let coords = &r.0;
    for (index, c) in coords.iter().enumerate() {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err(ShapeError::NonFinite { ring: at, index });
        }
    }
    // geo closes rings on construction; this only guards shapes built some other way.
    if let (Some(&first), Some(&last)) = (coords.first(), coords.last())
        && first != last
    {
        return Err(ShapeError::RingNotClosed {
            ring: at,
            first: lonlat(first),
            last: lonlat(last),
        });
    }
    let distinct = r.remove_repeated_points().0.len().saturating_sub(1);
    if coords.len() < 4 || distinct < 3 {
        return Err(ShapeError::TooFewPoints {
            ring: at,
            points: distinct,
        });
    }
    for (index, c) in coords.iter().enumerate() {
        if !(CHINA_LON.contains(&c.x) && CHINA_LAT.contains(&c.y)) {
            let at_point = lonlat(*c);
            return Err(if CHINA_LON.contains(&c.y) && CHINA_LAT.contains(&c.x) {
                ShapeError::SwappedCoordinates {
                    ring: at,
                    index,
                    at: at_point,
                }
            } else {
                ShapeError::OutsideChina {
                    ring: at,
                    index,
                    at: at_point,
                }
            });
        }
    }
    Ok(())
}

/// One edge of a ring, for geo's sweep-line intersection search.
#[derive(Debug, Clone, Copy)]
struct Edge {
    line: Line<f64>,
    at: RingRef,
    index: usize,
    /// Number of edges in the ring, to recognise the closing edge's neighbour.
    ring_edges: usize,
}

impl Cross for Edge {
    type Scalar = f64;
    fn line(&self) -> Line<f64> {
        self.line
    }
}

impl Edge {
    fn adjacent(&self, other: &Edge) -> bool {
        let n = self.ring_edges;
        (self.index + 1) % n == other.index || (other.index + 1) % n == self.index
    }
}

/// Finds self-intersections, crossing rings and overlapping parts with one sweep over all
/// edges (O(n log n) for ordinary boundaries, where a pairwise test would be O(n²)).
fn check_crossings(s: &MultiPolygon<f64>) -> Result<(), ShapeError> {
    let mut edges = Vec::new();
    for (part, polygon) in s.iter().enumerate() {
        for (ring, r) in rings(polygon).enumerate() {
            // Repeated points would make zero-length edges that "touch" their neighbours.
            let r = r.remove_repeated_points();
            let ring_edges = r.0.len().saturating_sub(1);
            edges.extend(r.lines().enumerate().map(|(index, line)| Edge {
                line,
                at: RingRef { part, ring },
                index,
                ring_edges,
            }));
        }
    }
    // Of all problems, report the one in the lowest ring, so the answer does not depend on the
    // sweep's order.
    let mut worst: Option<((usize, usize, usize, usize), ShapeError)> = None;
    for (a, b, hit) in Intersections::from_iter(edges) {
        let (a, b) = if (a.at.part, a.at.ring) <= (b.at.part, b.at.ring) {
            (a, b)
        } else {
            (b, a)
        };
        let (point, proper, collinear) = match hit {
            LineIntersection::SinglePoint {
                intersection,
                is_proper,
            } => (intersection, is_proper, false),
            LineIntersection::Collinear { intersection } => (intersection.start, false, true),
        };
        let at = lonlat(point);
        let problem = if a.at == b.at {
            // Neighbouring edges share a vertex; they are wrong only when they fold back onto
            // each other (a spike). Any contact between other edges of the ring is a crossing
            // or a self-touch.
            (!a.adjacent(&b) || collinear)
                .then_some(ShapeError::SelfIntersection { ring: a.at, at })
        } else if proper || collinear {
            Some(if a.at.part == b.at.part {
                ShapeError::RingsCross {
                    a: a.at,
                    b: b.at,
                    at,
                }
            } else {
                ShapeError::PartsOverlap {
                    a: a.at.part,
                    b: b.at.part,
                }
            })
        } else {
            None
        };
        if let Some(problem) = problem {
            let key = (a.at.part, a.at.ring, b.at.part, b.at.ring);
            if worst.as_ref().is_none_or(|(k, _)| key < *k) {
                worst = Some((key, problem));
            }
        }
    }
    worst.map_or(Ok(()), |(_, e)| Err(e))
}

/// With no rings crossing, each ring lies wholly inside or wholly outside any other, so one
/// vertex that is not on the other ring decides.
fn check_containment(s: &MultiPolygon<f64>) -> Result<(), ShapeError> {
    for (part, polygon) in s.iter().enumerate() {
        let shell = Polygon::new(polygon.exterior().clone(), vec![]);
        let holes: Vec<Polygon<f64>> = polygon
            .interiors()
            .iter()
            .map(|h| Polygon::new(h.clone(), vec![]))
            .collect();
        for (k, hole) in holes.iter().enumerate() {
            let ring = RingRef { part, ring: k + 1 };
            if side_of(hole.exterior(), &shell) == Some(CoordPos::Outside) {
                return Err(ShapeError::HoleOutsideShell { ring });
            }
            for (j, other) in holes.iter().enumerate().take(k) {
                if boxes_meet(hole, other)
                    && (side_of(hole.exterior(), other) == Some(CoordPos::Inside)
                        || side_of(other.exterior(), hole) == Some(CoordPos::Inside))
                {
                    return Err(ShapeError::HolesOverlap {
                        a: RingRef { part, ring: j + 1 },
                        b: ring,
                    });
                }
            }
        }
    }
    for (b, pb) in s.iter().enumerate() {
        for (a, pa) in s.iter().enumerate().take(b) {
            // An island inside another part's hole is "outside" that part, as it should be.
            if boxes_meet(pa, pb)
                && (side_of(pb.exterior(), pa) == Some(CoordPos::Inside)
                    || side_of(pa.exterior(), pb) == Some(CoordPos::Inside))
            {
                return Err(ShapeError::PartsOverlap { a, b });
            }
        }
    }
    Ok(())
}

/// Where `ring` lies relative to `area`, judged by its first vertex not on `area`'s boundary.
fn side_of(ring: &LineString<f64>, area: &Polygon<f64>) -> Option<CoordPos> {
    ring.coords()
        .map(|c| area.coordinate_position(c))
        .find(|pos| *pos != CoordPos::OnBoundary)
}

fn boxes_meet(a: &Polygon<f64>, b: &Polygon<f64>) -> bool {
    match (a.bounding_rect(), b.bounding_rect()) {
        (Some(a), Some(b)) => rects_meet(&a, &b),
        _ => false,
    }
}

fn rects_meet(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

// ---------------------------------------------------------------------------------------------
// Coordinates and measures

/// The shape converted from `from` to WGS-84, point by point.
pub fn transform(s: &MultiPolygon<f64>, from: CoordSys) -> MultiPolygon<f64> {
    match from {
        CoordSys::Wgs84 | CoordSys::Cgcs2000 => s.clone(),
        _ => s.map_coords(|c| {
            let w = coord::to_wgs84(LonLat::new(c.x, c.y), from);
            Coord { x: w.lon, y: w.lat }
        }),
    }
}

/// The WGS-84 shape expressed in `to` (for maps drawn on 高德 or Baidu tiles).
pub fn from_wgs84(s: &MultiPolygon<f64>, to: CoordSys) -> MultiPolygon<f64> {
    match to {
        CoordSys::Wgs84 | CoordSys::Cgcs2000 => s.clone(),
        _ => s.map_coords(|c| {
            let p = coord::from_wgs84(LonLat::new(c.x, c.y), to);
            Coord { x: p.lon, y: p.lat }
        }),
    }
}

/// Area in square metres on the WGS-84 ellipsoid (Karney's geodesic algorithm).
///
/// Each polygon's signed area is taken absolute, so rings of either winding order count
/// (RFC 7946 asks for counter-clockwise shells, but many files do not comply).
pub fn area_m2(s: &MultiPolygon<f64>) -> f64 {
    s.iter().map(|p| p.geodesic_area_signed().abs()).sum()
}

/// A lighter outline for maps: Visvalingam–Whyatt simplification, removing vertices whose
/// triangle with its neighbours is smaller than `tolerance_m`² (about a `tolerance_m`
/// deviation), without making a polygon's rings cross (geo's topology-preserving variant; the
/// parts of a multipolygon are simplified independently). Rings never come back degenerate: a
/// polygon whose shell would collapse is kept as it was, and collapsed holes are dropped.
pub fn simplify_for_display(s: &MultiPolygon<f64>, tolerance_m: f64) -> MultiPolygon<f64> {
    let Some(centre) = centroid(s) else {
        return s.clone();
    };
    if tolerance_m.is_nan() || tolerance_m <= 0.0 {
        return s.clone();
    }
    // Visvalingam–Whyatt compares triangle areas only, and an axis-aligned stretch scales all
    // areas alike, so simplifying in degrees with the threshold converted to degrees² is the
    // same as simplifying in local metres — and leaves the kept vertices bit-for-bit unchanged.
    let lon_m = METRES_PER_DEGREE * centre.lat.to_radians().cos();
    let epsilon_deg2 = tolerance_m * tolerance_m / (METRES_PER_DEGREE * lon_m);
    let polygons = s
        .iter()
        .map(|original| {
            let simple = original.simplify_vw_preserve(epsilon_deg2);
            if simple.exterior().0.len() < 4 {
                return original.clone();
            }
            let holes = simple
                .interiors()
                .iter()
                .filter(|h| h.0.len() >= 4)
                .cloned()
                .collect();
            Polygon::new(simple.exterior().clone(), holes)
        })
        .collect();
    MultiPolygon::new(polygons)
}

/// The part of `s` inside `r` — the same region as `s ∩ r`, though it may contain zero-width
/// slivers along `r`'s sides. Sutherland–Hodgman clipping is linear in the vertices and far
/// cheaper than a polygon overlay, so a small shape can be compared with the local piece of a
/// large one instead of all of it.
pub(crate) fn clip_to_rect(s: &MultiPolygon<f64>, r: &Rect<f64>) -> MultiPolygon<f64> {
    let (min, max) = (r.min(), r.max());
    let clip_ring = |ring: &LineString<f64>| -> Option<LineString<f64>> {
        // open ring: the closing coordinate is implied
        let mut pts: Vec<Coord<f64>> = ring.0[..ring.0.len().saturating_sub(1)].to_vec();
        pts = clip_half_plane(&pts, |c| c.x >= min.x, |a, b| at_x(a, b, min.x));
        pts = clip_half_plane(&pts, |c| c.x <= max.x, |a, b| at_x(a, b, max.x));
        pts = clip_half_plane(&pts, |c| c.y >= min.y, |a, b| at_y(a, b, min.y));
        pts = clip_half_plane(&pts, |c| c.y <= max.y, |a, b| at_y(a, b, max.y));
        (pts.len() >= 3).then(|| LineString::new(pts)) // Polygon::new closes it
    };
    let polygons = s
        .iter()
        .filter_map(|p| {
            let shell = clip_ring(p.exterior())?;
            Some(Polygon::new(
                shell,
                p.interiors().iter().filter_map(clip_ring).collect(),
            ))
        })
        .collect();
    MultiPolygon::new(polygons)
}

/// One Sutherland–Hodgman pass: keeps the part of the (open) ring where `inside` holds.
fn clip_half_plane(
    ring: &[Coord<f64>],
    inside: impl Fn(Coord<f64>) -> bool,
    cut: impl Fn(Coord<f64>, Coord<f64>) -> Coord<f64>,
) -> Vec<Coord<f64>> {
    let mut out = Vec::with_capacity(ring.len() + 4);
    let Some(&last) = ring.last() else { return out };
    let mut prev = last;
    for &cur in ring {
        match (inside(prev), inside(cur)) {
            (true, true) => out.push(cur),
            (true, false) => out.push(cut(prev, cur)),
            (false, true) => {
                out.push(cut(prev, cur));
                out.push(cur);
            }
            (false, false) => {}
        }
        prev = cur;
    }
    out
}

fn at_x(a: Coord<f64>, b: Coord<f64>, x: f64) -> Coord<f64> {
    let t = (x - a.x) / (b.x - a.x);
    Coord {
        x,
        y: a.y + t * (b.y - a.y),
    }
}

fn at_y(a: Coord<f64>, b: Coord<f64>, y: f64) -> Coord<f64> {
    let t = (y - a.y) / (b.y - a.y);
    Coord {
        x: a.x + t * (b.x - a.x),
        y,
    }
}

/// Area-weighted centre (planar in degrees, which is exact enough at the scale of a district).
pub fn centroid(s: &MultiPolygon<f64>) -> Option<LonLat> {
    s.centroid().map(|p| LonLat::new(p.x(), p.y()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn shape(text: &str) -> Result<MultiPolygon<f64>, ShapeError> {
        let g: geojson::Geometry = text.parse().expect("test geometry parses");
        shape_from_geojson(&g).and_then(|s| validate(&s).map(|()| s))
    }

    fn code(text: &str) -> &'static str {
        shape(text).expect_err("shape must be refused").code()
    }

    /// A 1 km-ish square in 航头镇 with its corner at (121.6, 31.05).
    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[121.6,31.05],[121.61,31.05],[121.61,31.06],[121.6,31.06],[121.6,31.05]]]}"#;

    #[test]
    fn a_square_with_a_hole_and_an_island_is_valid() {
        shape(SQUARE).unwrap();
        // extra points along a side and a repeated point are common in real outlines
        shape(
            r#"{"type":"Polygon","coordinates":[[[121.6,31.05],[121.605,31.05],[121.605,31.05],
            [121.61,31.05],[121.61,31.06],[121.6,31.06],[121.6,31.05]]]}"#,
        )
        .unwrap();
        let text = r#"{"type":"MultiPolygon","coordinates":[
            [[[121.6,31.05],[121.61,31.05],[121.61,31.06],[121.6,31.06],[121.6,31.05]],
             [[121.602,31.052],[121.604,31.052],[121.604,31.054],[121.602,31.054],[121.602,31.052]]],
            [[[121.6025,31.0525],[121.6035,31.0525],[121.6035,31.0535],[121.6025,31.0525]]],
            [[[121.61,31.06],[121.62,31.06],[121.62,31.07],[121.61,31.06]]]]}"#;
        let s = shape(text).unwrap();
        assert_eq!(s.0.len(), 3);
    }

    #[test]
    fn each_defect_has_its_code() {
        assert_eq!(
            code(r#"{"type":"LineString","coordinates":[[121.6,31.05],[121.61,31.05]]}"#),
            "not_a_polygon"
        );
        assert_eq!(
            code(r#"{"type":"MultiPolygon","coordinates":[]}"#),
            "empty_shape"
        );
        assert_eq!(
            code(
                r#"{"type":"Polygon","coordinates":[[[121.6,31.05],[121.61,31.05],[121.61,31.06],[121.6,31.06]]]}"#
            ),
            "ring_not_closed"
        );
        assert_eq!(
            code(
                r#"{"type":"Polygon","coordinates":[[[121.6,31.05],[121.61,31.05],[121.6,31.05]]]}"#
            ),
            "too_few_points"
        );
        assert_eq!(
            code(
                r#"{"type":"Polygon","coordinates":[[[121.6,31.05],[121.61,31.05],[121.61,31.05],[121.6,31.05]]]}"#
            ),
            "too_few_points"
        );
        assert_eq!(
            code(
                r#"{"type":"Polygon","coordinates":[[[31.05,121.6],[31.05,121.61],[31.06,121.61],[31.05,121.6]]]}"#
            ),
            "swapped_coordinates"
        );
        assert_eq!(
            code(
                r#"{"type":"Polygon","coordinates":[[[139.6,35.6],[139.7,35.6],[139.7,35.7],[139.6,35.6]]]}"#
            ),
            "outside_china"
        );
        // bow-tie
        assert_eq!(
            code(
                r#"{"type":"Polygon","coordinates":[[[121.6,31.05],[121.61,31.06],[121.61,31.05],[121.6,31.06],[121.6,31.05]]]}"#
            ),
            "self_intersection"
        );
        // a spike: the ring runs out and straight back
        assert_eq!(
            code(
                r#"{"type":"Polygon","coordinates":[[[121.6,31.05],[121.61,31.05],[121.62,31.05],[121.61,31.05],[121.61,31.06],[121.6,31.05]]]}"#
            ),
            "self_intersection"
        );
        // hole sticking out through the shell
        assert_eq!(
            code(
                r#"{"type":"Polygon","coordinates":[[[121.6,31.05],[121.61,31.05],[121.61,31.06],[121.6,31.06],[121.6,31.05]],
                [[121.605,31.055],[121.615,31.055],[121.615,31.058],[121.605,31.055]]]}"#
            ),
            "rings_cross"
        );
        assert_eq!(
            code(
                r#"{"type":"Polygon","coordinates":[[[121.6,31.05],[121.61,31.05],[121.61,31.06],[121.6,31.06],[121.6,31.05]],
                [[121.62,31.055],[121.63,31.055],[121.63,31.058],[121.62,31.055]]]}"#
            ),
            "hole_outside_shell"
        );
        assert_eq!(
            code(
                r#"{"type":"Polygon","coordinates":[[[121.6,31.05],[121.61,31.05],[121.61,31.06],[121.6,31.06],[121.6,31.05]],
                [[121.601,31.051],[121.609,31.051],[121.609,31.059],[121.601,31.051]],
                [[121.605,31.052],[121.606,31.052],[121.606,31.053],[121.605,31.052]]]}"#
            ),
            "holes_overlap"
        );
        assert_eq!(
            code(
                r#"{"type":"MultiPolygon","coordinates":[
                [[[121.6,31.05],[121.61,31.05],[121.61,31.06],[121.6,31.06],[121.6,31.05]]],
                [[[121.601,31.051],[121.602,31.051],[121.602,31.052],[121.601,31.051]]]]}"#
            ),
            "parts_overlap"
        );
    }

    #[test]
    fn messages_name_the_ring() {
        let e = shape(
            r#"{"type":"MultiPolygon","coordinates":[[[[121.6,31.05],[121.61,31.05],[121.61,31.06],[121.6,31.05]]],
               [[[121.7,31.05],[121.71,31.05],[121.71,31.06],[121.7,31.06]]]]}"#,
        )
        .unwrap_err();
        assert_eq!(e.code(), "ring_not_closed");
        assert!(
            e.to_string().starts_with("第2个多边形的外环没有闭合"),
            "{e}"
        );
        let e = validate(&MultiPolygon::new(vec![
            polygon![(x: 121.6, y: 31.0), (x: f64::NAN, y: 31.0), (x: 121.7, y: 31.1)],
        ]))
        .unwrap_err();
        assert_eq!(e.code(), "non_finite");
        assert_eq!(e.to_string(), "第1个多边形的外环的第2个坐标不是有限数值");
    }

    #[test]
    fn stored_text_round_trips_exactly() {
        let s = shape(SQUARE).unwrap();
        let text = to_stored(&s);
        assert!(
            text.starts_with(r#"{"type":"MultiPolygon","coordinates":[[[[121.6,31.05]"#),
            "{text}"
        );
        assert_eq!(from_stored(&text).unwrap(), s);
        assert_eq!(from_stored("{").unwrap_err().code(), "invalid_stored_shape");
    }

    #[test]
    fn area_ignores_winding_and_subtracts_holes() {
        let s = shape(SQUARE).unwrap();
        let a = area_m2(&s);
        // 0.01° × 0.01° at 31.05°N ≈ 1112 m × 953 m
        assert!((1_050_000.0..1_070_000.0).contains(&a), "{a}");
        let reversed = MultiPolygon::new(vec![Polygon::new(
            LineString::new(s.0[0].exterior().0.iter().rev().copied().collect()),
            vec![],
        )]);
        assert!((area_m2(&reversed) - a).abs() < 1e-6);
    }

    #[test]
    fn simplification_keeps_rings_whole() {
        // a 200-vertex circle of ~500 m radius
        let ring: Vec<Coord<f64>> = (0..=200)
            .map(|i| {
                let t = std::f64::consts::TAU * f64::from(i % 200) / 200.0;
                Coord {
                    x: 121.6 + 0.005 * t.cos(),
                    y: 31.05 + 0.0045 * t.sin(),
                }
            })
            .collect();
        let circle = MultiPolygon::new(vec![Polygon::new(LineString::new(ring), vec![])]);
        validate(&circle).unwrap();
        let coarse = simplify_for_display(&circle, 20.0);
        let n = coarse.0[0].exterior().0.len();
        assert!((8..100).contains(&n), "{n} vertices");
        validate(&coarse).unwrap();
        assert!((area_m2(&coarse) / area_m2(&circle) - 1.0).abs() < 0.05);
        // A tolerance far larger than the shape never empties it.
        let tiny = simplify_for_display(&circle, 100_000.0);
        assert!(tiny.0[0].exterior().0.len() >= 4);
        assert_eq!(simplify_for_display(&circle, 0.0), circle);
    }

    #[test]
    fn gcj02_shapes_move_back_by_a_few_hundred_metres() {
        let s = shape(SQUARE).unwrap();
        let w = transform(&s, CoordSys::Gcj02);
        let d = coord::distance_m(centroid(&s).unwrap(), centroid(&w).unwrap());
        assert!((300.0..800.0).contains(&d), "{d} m");
        assert_eq!(transform(&s, CoordSys::Cgcs2000), s);
    }
}
