//! A deterministic synthetic city grid, for benchmarks and tests of [`crate::locate`].
//!
//! [`city_grid`] tiles [`shanghai()`] (≈ 110 km × 134 km) with roughly square 单元网格 that look like
//! real ones where it matters to a point-in-polygon index:
//!
//! - a jittered lattice: every lattice corner moves by up to [`CORNER_JITTER`] of a cell;
//! - every shared edge is subdivided into 0–13 wiggled intermediate points (horizontal edges
//!   always at least one), computed once per edge, so both neighbours hold bit-identical
//!   vertices and the cells tile without gaps or overlaps; a cell has 6–56 vertices;
//! - about 4 % of cells have a hole filled by a cell of its own (a 小区 inside a grid);
//! - about 2 % of cells have a hole filled by an exclave of their left neighbour, which thus
//!   becomes a two-part multipolygon (飞地).
//!
//! Cells are laid out row by row from the south-west corner until `cells` regions exist; the
//! number of rows is chosen for the expected count, so the last row is usually partial (a few
//! cells may also spill into one more row north of the extent). Codes are 15-digit grid codes
//! `3101dd ttt vvv sss` (50 grids per village, 40 villages per town, 30 towns per district),
//! unique and increasing in generation order.
//!
//! Everything comes from a tiny SplitMix64 hash of `(seed, what, i, j)`, not from `rand`: the
//! same seed must give the same city on every platform and every version of every dependency.

use geo::{Coord, LineString, MultiPolygon, Polygon, Rect, coord};

use crate::coord::LonLat;

/// Shanghai's extent, WGS-84.
pub fn shanghai() -> Rect<f64> {
    Rect::new(coord! { x: 120.85, y: 30.67 }, coord! { x: 122.0, y: 31.88 })
}

/// How far a lattice corner may move, in cell sizes (each axis).
pub const CORNER_JITTER: f64 = 0.12;
/// How far an edge's intermediate points may leave the straight edge, in cell sizes.
const EDGE_WIGGLE: f64 = 0.05;
/// Largest radius of a hole, in cell sizes. The cell boundary stays at least
/// 0.5 − 2·0.12 − 0.05 ≈ 0.21 away from the hole's centre (the mean of the corners), so holes
/// never touch it.
const HOLE_RADIUS: f64 = 0.1;
/// Share of cells with a hole filled by a cell of its own, and with a hole filled by an exclave.
const FILLED_HOLE_RATE: f64 = 0.04;
const EXCLAVE_RATE: f64 = 0.02;
/// Most intermediate points on one edge.
const MAX_EDGE_POINTS: u64 = 13;

/// Generates `cells` grid regions tiling [`shanghai()`]; the same `(cells, seed)` always gives the
/// same cells. Every shape is a valid multipolygon (one part, or two for exclave owners).
pub fn city_grid(cells: usize, seed: u64) -> Vec<(String, MultiPolygon<f64>)> {
    let lattice = Lattice::new(cells, seed);
    let mut out: Vec<(String, MultiPolygon<f64>)> = Vec::with_capacity(cells);
    let mut cell = 0usize;
    while out.len() < cells {
        let (i, j) = (cell % lattice.cols, cell / lattice.cols);
        cell += 1;
        let exterior = lattice.cell_ring(i, j);
        let roll = lattice.unit(Salt::CellKind, i, j);
        let room_for_filler = out.len() + 2 <= cells;
        if roll < FILLED_HOLE_RATE && room_for_filler {
            let hole = lattice.hole_ring(i, j);
            out.push((grid_code(out.len()), Polygon::new(exterior, vec![hole.clone()]).into()));
            out.push((grid_code(out.len()), Polygon::new(hole, vec![]).into()));
        } else if roll < FILLED_HOLE_RATE + EXCLAVE_RATE && i > 0 {
            // The left neighbour was the last lattice cell pushed, possibly followed by its filler.
            let hole = lattice.hole_ring(i, j);
            // Row-major order: the left neighbour is the last lattice cell pushed.
            let left = last_lattice_index(&out);
            out[left].1.0.push(Polygon::new(hole.clone(), vec![]));
            out.push((grid_code(out.len()), Polygon::new(exterior, vec![hole]).into()));
        } else {
            out.push((grid_code(out.len()), Polygon::new(exterior, vec![]).into()));
        }
    }
    out
}

/// `n` points uniformly distributed in `bbox`, deterministic for a seed.
pub fn random_points(n: usize, seed: u64, bbox: Rect<f64>) -> Vec<LonLat> {
    let (min, max) = (bbox.min(), bbox.max());
    let mut state = mix(seed ^ 0x5EED_0F90_1271_5EED);
    let mut next = || {
        state = state.wrapping_add(GOLDEN_GAMMA);
        to_unit(mix(state))
    };
    (0..n)
        .map(|_| {
            let lon = min.x + next() * (max.x - min.x);
            let lat = min.y + next() * (max.y - min.y);
            LonLat::new(lon, lat)
        })
        .collect()
}

/// Cells as the peers (shapely, PostGIS) read them: one `code<TAB>GeoJSON geometry` line each.
/// Coordinates are written as shortest round-trip decimals, so every reader gets the same
/// doubles.
pub fn cells_tsv(cells: &[(String, MultiPolygon<f64>)]) -> String {
    let mut out = String::new();
    for (code, shape) in cells {
        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(shape));
        out.push_str(code);
        out.push('\t');
        out.push_str(&serde_json::to_string(&geometry).expect("a geometry serialises"));
        out.push('\n');
    }
    out
}

/// Points as the peers read them: a `lon,lat` header, then one point a line (round-trip exact).
pub fn points_csv(points: &[LonLat]) -> String {
    let mut out = String::with_capacity(points.len() * 40 + 8);
    out.push_str("lon,lat\n");
    for p in points {
        out.push_str(&format!("{},{}\n", p.lon, p.lat));
    }
    out
}

/// The `n`-th generated grid's code.
fn grid_code(n: usize) -> String {
    let village = n / 50;
    let town = village / 40;
    let district = town / 30;
    format!("3101{:02}{:03}{:03}{:03}", district + 1, town % 30 + 1, village % 40 + 1, n % 50 + 1)
}

/// Index in `out` of the last cell that came from the lattice (skipping a trailing hole filler,
/// which is always a single hole-less polygon equal to the previous cell's hole).
fn last_lattice_index(out: &[(String, MultiPolygon<f64>)]) -> usize {
    let last = out.len() - 1;
    if last > 0 {
        let prev = &out[last - 1].1.0[0];
        if prev.interiors().first() == Some(out[last].1.0[0].exterior()) {
            return last - 1;
        }
    }
    last
}

#[derive(Clone, Copy)]
enum Salt {
    CornerX = 1,
    CornerY,
    EdgeCount,
    EdgePoint,
    CellKind,
    Hole,
}

struct Lattice {
    seed: u64,
    cols: usize,
    /// Degrees per lattice unit.
    dx: f64,
    dy: f64,
}

impl Lattice {
    fn new(cells: usize, seed: u64) -> Lattice {
        let (min, max) = (shanghai().min(), shanghai().max());
        let mid_lat = (min.y + max.y) / 2.0;
        // Metres per degree are close enough to pick an aspect ratio that makes cells square.
        let width_m = (max.x - min.x) * 111_320.0 * mid_lat.to_radians().cos();
        let height_m = (max.y - min.y) * 110_900.0;
        let lattice_cells = (cells as f64 / (1.0 + FILLED_HOLE_RATE)).max(1.0);
        let cols = ((lattice_cells * width_m / height_m).sqrt().round() as usize).max(1);
        let rows = (lattice_cells / cols as f64).ceil().max(1.0) as usize;
        Lattice { seed, cols, dx: (max.x - min.x) / cols as f64, dy: (max.y - min.y) / rows as f64 }
    }

    fn hash(&self, salt: Salt, a: usize, b: usize, c: usize) -> u64 {
        let mut h = mix(self.seed ^ (salt as u64).wrapping_mul(GOLDEN_GAMMA));
        for v in [a, b, c] {
            h = mix(h ^ (v as u64).wrapping_add(GOLDEN_GAMMA));
        }
        h
    }

    fn unit(&self, salt: Salt, i: usize, j: usize) -> f64 {
        to_unit(self.hash(salt, i, j, 0))
    }

    /// Maps lattice units to WGS-84 degrees (an affine map: it keeps simple rings simple).
    fn to_lonlat(&self, u: f64, v: f64) -> Coord<f64> {
        coord! { x: shanghai().min().x + u * self.dx, y: shanghai().min().y + v * self.dy }
    }

    /// Corner `(i, j)` in lattice units. The west, east and south borders stay straight.
    fn corner(&self, i: usize, j: usize) -> (f64, f64) {
        let jitter = |salt| (self.unit(salt, i, j) * 2.0 - 1.0) * CORNER_JITTER;
        let ju = if i == 0 || i == self.cols { 0.0 } else { jitter(Salt::CornerX) };
        let jv = if j == 0 { 0.0 } else { jitter(Salt::CornerY) };
        (i as f64 + ju, j as f64 + jv)
    }

    /// The points of the edge from corner `(i, j)` east (`vertical == false`) or north, both
    /// corners included, in lattice units.
    fn edge(&self, i: usize, j: usize, vertical: bool) -> Vec<(f64, f64)> {
        let a = self.corner(i, j);
        let b = if vertical { self.corner(i, j + 1) } else { self.corner(i + 1, j) };
        let dir = usize::from(vertical);
        let straight_border = if vertical { i == 0 || i == self.cols } else { j == 0 };
        let count = self.hash(Salt::EdgeCount, i, j, dir) % (MAX_EDGE_POINTS + 1);
        // Horizontal edges always have a point so that every cell has at least 6 vertices.
        let count = if vertical { count } else { count.max(1) } as usize;
        let (nu, nv) = (-(b.1 - a.1), b.0 - a.0); // normal, as long as the edge
        let mut points = Vec::with_capacity(count + 2);
        points.push(a);
        for m in 0..count {
            let h = self.hash(Salt::EdgePoint, i, j, dir * 64 + m);
            // Strictly increasing positions along the edge, kept off the corners.
            let t = (m as f64 + 0.1 + 0.8 * to_unit(h)) / count as f64;
            let side = if straight_border { 0.0 } else { to_unit(mix(h)) * 2.0 - 1.0 };
            // The sine keeps the wiggle near the corners small, so edges never cross there.
            let off = side * EDGE_WIGGLE * (std::f64::consts::PI * t).sin();
            points.push((a.0 + t * (b.0 - a.0) + off * nu, a.1 + t * (b.1 - a.1) + off * nv));
        }
        points.push(b);
        points
    }

    /// The counter-clockwise exterior of cell `(i, j)`.
    fn cell_ring(&self, i: usize, j: usize) -> LineString<f64> {
        let south = self.edge(i, j, false);
        let east = self.edge(i + 1, j, true);
        let north = self.edge(i, j + 1, false);
        let west = self.edge(i, j, true);
        let mut ring: Vec<Coord<f64>> = Vec::with_capacity(south.len() + east.len() + north.len() + west.len());
        let mut add = |pts: &mut dyn Iterator<Item = &(f64, f64)>| {
            // Each edge's last point is the next edge's first: skip it.
            let pts: Vec<_> = pts.collect();
            for &&(u, v) in &pts[..pts.len() - 1] {
                ring.push(self.to_lonlat(u, v));
            }
        };
        add(&mut south.iter());
        add(&mut east.iter());
        add(&mut north.iter().rev());
        add(&mut west.iter().rev());
        let first = ring[0];
        ring.push(first);
        LineString::new(ring)
    }

    /// A star-shaped ring of 6–12 vertices around the centre of cell `(i, j)`.
    fn hole_ring(&self, i: usize, j: usize) -> LineString<f64> {
        let corners = [self.corner(i, j), self.corner(i + 1, j), self.corner(i + 1, j + 1), self.corner(i, j + 1)];
        let cu = corners.iter().map(|c| c.0).sum::<f64>() / 4.0;
        let cv = corners.iter().map(|c| c.1).sum::<f64>() / 4.0;
        let count = 6 + (self.hash(Salt::Hole, i, j, 99) % 7) as usize;
        let mut ring: Vec<Coord<f64>> = (0..count)
            .map(|m| {
                let h = self.hash(Salt::Hole, i, j, m);
                let angle = std::f64::consts::TAU * (m as f64 + 0.2 + 0.6 * to_unit(h)) / count as f64;
                let r = HOLE_RADIUS * (0.6 + 0.4 * to_unit(mix(h)));
                self.to_lonlat(cu + r * angle.cos(), cv + r * angle.sin())
            })
            .collect();
        ring.push(ring[0]);
        LineString::new(ring)
    }
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's finaliser: a cheap, well-mixing bijection on u64.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform float in [0, 1) from the top 53 bits.
fn to_unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{BoundingRect, Contains, Validation};

    #[test]
    fn is_deterministic_and_seeded() {
        assert_eq!(city_grid(500, 7), city_grid(500, 7));
        assert_ne!(city_grid(500, 7), city_grid(500, 8));
        assert_eq!(random_points(100, 3, shanghai()), random_points(100, 3, shanghai()));
        assert_ne!(random_points(100, 3, shanghai()), random_points(100, 4, shanghai()));
    }

    #[test]
    fn gives_exactly_the_cells_asked_for_with_unique_grid_codes() {
        for n in [1, 2, 3, 10, 997, 3000] {
            let cells = city_grid(n, 1);
            assert_eq!(cells.len(), n);
            let mut codes: Vec<&str> = cells.iter().map(|(c, _)| c.as_str()).collect();
            assert!(codes.iter().all(|c| c.len() == 15 && c.bytes().all(|b| b.is_ascii_digit())));
            assert!(codes.windows(2).all(|w| w[0] < w[1]), "codes increase in generation order");
            codes.dedup();
            assert_eq!(codes.len(), n);
        }
    }

    #[test]
    fn shapes_are_valid_and_realistic() {
        let cells = city_grid(3000, 11);
        let (mut holes, mut multi) = (0, 0);
        for (code, shape) in &cells {
            assert!(shape.is_valid(), "{code}: {:?}", shape.validation_errors());
            multi += usize::from(shape.0.len() > 1);
            assert!(shape.0.len() <= 2);
            for polygon in &shape.0 {
                holes += polygon.interiors().len();
                let vertices = polygon.exterior().0.len() - 1;
                assert!((5..=60).contains(&vertices), "{code} has {vertices} vertices");
            }
        }
        assert!(holes > 60 && multi > 20, "{holes} holes, {multi} multipolygons");
        let mean = cells.iter().map(|(_, s)| s.0[0].exterior().0.len() - 1).sum::<usize>() / cells.len();
        assert!((20..=40).contains(&mean), "mean vertices {mean}");
    }

    #[test]
    fn cells_tile_without_overlaps_or_gaps() {
        let cells = city_grid(2000, 5);
        let boxes: Vec<_> = cells.iter().map(|(_, s)| s.bounding_rect().unwrap()).collect();
        // Below the last (partial) row every point is in exactly one cell.
        let top_of_full_rows = boxes.iter().map(|b| b.max().y).fold(f64::MIN, f64::max) - 2.5 * (boxes[0].height());
        let area = Rect::new(shanghai().min(), coord! { x: shanghai().max().x, y: top_of_full_rows });
        for p in random_points(3000, 9, area) {
            let point = geo::Point::new(p.lon, p.lat);
            let containing = cells
                .iter()
                .zip(&boxes)
                .filter(|(_, b)| b.contains(&point))
                .filter(|((_, s), _)| s.contains(&point))
                .count();
            assert_eq!(containing, 1, "{p:?}");
        }
    }

    #[test]
    fn points_stay_in_the_box() {
        let bbox = Rect::new(coord! { x: 1.0, y: 2.0 }, coord! { x: 1.5, y: 2.25 });
        for p in random_points(1000, 1, bbox) {
            assert!((1.0..1.5).contains(&p.lon) && (2.0..2.25).contains(&p.lat));
        }
    }
}
