//! The in-memory index answering "which 单元网格 (村/居, 街镇 …) is this point in?".
//!
//! Build it once from region shapes of any levels with [`LocateIndex::build`]; it is immutable
//! and `Send + Sync`, so one index serves every request thread.
//!
//! # Which region wins
//!
//! A region *covers* a point when the point is in its interior or on its boundary (outer ring
//! or a hole's ring). Within one level the answer is, among the regions covering the point:
//!
//! 1. a region having the point in its **interior** beats one having it only on its boundary;
//! 2. among equals, the **smallest code** (byte order; for same-length digit codes, numeric
//!    order) wins.
//!
//! So a point exactly on an edge shared by two grids (or on a vertex shared by four) always goes
//! to the neighbour with the smallest code, whatever the order of the input, and regions that
//! overlap by mistake resolve the same way. [`LocateIndex::locate`] returns the deepest level
//! with any covering region (grid before village before area before town …), so a point on a
//! grid's outer edge still gets that grid even where no other grid lies beyond.
//!
//! "On the boundary" is exact: the answer is the one geo's winding-number test
//! ([`coord_pos_relative_to_ring`], robust orientation predicates) gives on the input's own
//! `f64` coordinates.
//!
//! # How it works, and why so
//!
//! One R-tree ([`rstar`]) per level over the bounding boxes of every polygon *part* (a
//! multipolygon's parts are indexed separately, so an exclave does not blow up its region's
//! box). A query walks the deepest level first and tests each part whose box holds the point
//! (1.2 parts per point on the synthetic city).
//!
//! At 40,625 cells the index outgrows what this machine's caches hold for one process (≈ 5 MB
//! before a random access costs ≈ 150 ns instead of ≈ 20), so a locate costs mostly its cache
//! misses: profiles show the time at the first load of each tree node's children, of each
//! candidate's ring and of the winner's code. The layout is chosen to touch little memory:
//!
//! - tree boxes are `f32`, rounded outwards (a conservative filter), so a leaf is 32 bytes and
//!   a node slot 40; nodes of up to 12 (rstar's default is 6: measured ≈ 15 % slower);
//! - codes live in one string at a fixed stride, not in a box each;
//! - each exterior ring is also kept quantised to 16 bits per axis within its box (4 bytes a
//!   vertex instead of 16), and [`fast_position`], a winding-number test in exact integer
//!   arithmetic on it, answers whenever the quantisation provably cannot change the answer
//!   (the point is more than a quantum, ≈ 1 cm here, from every edge); otherwise — about 1
//!   point in 10,000 — and for holes, geo's exact test on the `f64` rings decides. This hand-written
//!   test is there for speed: measured ≈ 1.3× faster locates than geo's test on every
//!   candidate's `f64` ring (0.9–1.15 against 1.1–1.6 million a second, same runs
//!   interleaved); the unit tests check it against geo's.
//! - in front of each level's tree sits a [`lattice`]: a flat array of ≈ 128 lattice cells per
//!   region part saying "nothing here", "region N has all of this cell inside" or "ask the tree".
//!   A cell gets a region only when no ring of any part comes within 10⁻⁹° of it and exactly
//!   one part holds it, so it never answers differently from the tree. Most points then end
//!   with one array read and the winner's code (measured with `bash scripts/bench-locate.sh`:
//!   1.4 → 3.9 million locates a second at 40,625 cells, for ≈ 20 MB and ≈ 0.4 s of build).

use std::fmt;
use std::ops::ControlFlow;

use chengyun_domain::region::RegionLevel;
use geo::coordinate_position::{CoordPos, coord_pos_relative_to_ring};
use geo::{BoundingRect, Coord, LineString, MultiPolygon, Rect};
use rstar::{
    AABB, Envelope, ParentNode, PointDistance, RStarInsertionStrategy, RTree, RTreeNode, RTreeObject, RTreeParams,
};

use crate::coord::LonLat;

mod lattice;
use lattice::{Lattice, PartShape};

/// The region a point was located in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located<'a> {
    pub code: &'a str,
    pub level: RegionLevel,
}

/// Point → region index over WGS-84 shapes. See the module documentation for the rules.
pub struct LocateIndex {
    /// Region codes by region id, sorted, so comparing ids compares codes.
    codes: Codes,
    /// Deepest level first.
    levels: Vec<LevelTree>,
    /// The exact polygons, indexed by [`PartEntry::part`].
    parts: Vec<Part>,
    /// Every quantised exterior ring, one after the other (see [`Quantiser`]).
    quantised: Vec<[Quantum; 2]>,
}

/// All codes in one string at a fixed stride (a length character, the code, NUL padding), so
/// that reading a winner's code costs one load from one compact array, not a pointer chase.
struct Codes {
    stride: usize,
    text: String,
}

impl Codes {
    fn new(codes: &[String]) -> Codes {
        let longest = codes.iter().map(String::len).max().unwrap_or(0);
        // The length is stored as one ASCII character.
        assert!(longest < 128, "region codes are short");
        let stride = longest + 1;
        let mut text = String::with_capacity(stride * codes.len());
        for code in codes {
            text.push(char::from(code.len() as u8));
            text.push_str(code);
            text.extend(std::iter::repeat_n('\0', longest - code.len()));
        }
        Codes { stride, text }
    }

    fn get(&self, id: u32) -> &str {
        let at = id as usize * self.stride;
        let len = usize::from(self.text.as_bytes()[at]);
        &self.text[at + 1..at + 1 + len]
    }

    fn len(&self) -> usize {
        self.text.len().checked_div(self.stride).unwrap_or(0)
    }
}

struct Part {
    exterior: LineString<f64>,
    holes: Box<[Hole]>,
}

struct Hole {
    bbox: Rect<f64>,
    ring: LineString<f64>,
}

struct LevelTree {
    level: RegionLevel,
    tree: RTree<PartEntry, TreeParams>,
    /// Answers most points before the tree is asked (see [`lattice`]).
    lattice: Option<Lattice>,
}

/// An R-tree leaf: one polygon's box and where to find its rings. At most 32 bytes, so that a
/// tree node's slot stays at 40 (it is 48 from 33 bytes on).
struct PartEntry {
    /// The polygon's bounding box rounded outwards to `f32`.
    envelope: AABB<[f32; 2]>,
    region: u32,
    part: u32,
    /// The quantised exterior: `quantised[start..start + len]`; `len == 0` when the box is
    /// degenerate (zero width or height) or the ring too long, and only the exact test applies.
    quantised_start: u32,
    quantised_len: u16,
    has_holes: bool,
}

impl RTreeObject for PartEntry {
    type Envelope = AABB<[f32; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl PointDistance for PartEntry {
    fn distance_2(&self, point: &[f32; 2]) -> f32 {
        self.envelope.distance_2(point)
    }
    fn contains_point(&self, point: &[f32; 2]) -> bool {
        self.envelope.contains_point(point)
    }
}

/// Nodes of up to 12 rather than rstar's default 6: a shallower tree, measured ≈ 15 % faster
/// on the 40,625-cell synthetic city.
struct TreeParams;
impl RTreeParams for TreeParams {
    const MIN_SIZE: usize = 4;
    const MAX_SIZE: usize = 12;
    const REINSERTION_COUNT: usize = 3;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

impl LocateIndex {
    /// Builds the index from `(code, level, shape)` triples of any levels (typically grids,
    /// 村/居 and towns). Empty shapes and empty polygons are skipped; a code given twice makes
    /// two regions with the same code. Panics on a code longer than 127 bytes.
    pub fn build(shapes: impl IntoIterator<Item = (String, RegionLevel, MultiPolygon<f64>)>) -> LocateIndex {
        let mut input: Vec<(String, RegionLevel, MultiPolygon<f64>)> =
            shapes.into_iter().filter(|(_, _, shape)| shape.0.iter().any(|p| !p.exterior().0.is_empty())).collect();
        // Stable: equal codes keep their input order, so the result never depends on chance.
        input.sort_by(|a, b| a.0.cmp(&b.0));

        let mut codes = Vec::with_capacity(input.len());
        let mut parts = Vec::with_capacity(input.len());
        let mut quantised = Vec::new();
        let mut by_level: Vec<(RegionLevel, Vec<PartEntry>)> = Vec::new();
        for (id, (code, level, shape)) in input.into_iter().enumerate() {
            let region = u32::try_from(id).expect("fewer than 2^32 regions");
            codes.push(code);
            for polygon in shape {
                let Some(bbox) = polygon.exterior().bounding_rect() else { continue };
                let envelope = AABB::from_corners(
                    [round_down(bbox.min().x), round_down(bbox.min().y)],
                    [round_up(bbox.max().x), round_up(bbox.max().y)],
                );
                let (exterior, interiors) = polygon.into_inner();
                let quantised_start = to_u32(quantised.len());
                let quantiser = Quantiser::for_box(&envelope).filter(|_| exterior.0.len() <= usize::from(u16::MAX));
                if let Some(q) = quantiser {
                    quantised.extend(exterior.0.iter().map(|&c| q.vertex(c)));
                }
                let holes: Box<[Hole]> =
                    interiors.into_iter().filter_map(|ring| Some(Hole { bbox: ring.bounding_rect()?, ring })).collect();
                let entry = PartEntry {
                    envelope,
                    region,
                    part: to_u32(parts.len()),
                    quantised_start,
                    quantised_len: u16::try_from(quantised.len() - quantised_start as usize).expect("checked above"),
                    has_holes: !holes.is_empty(),
                };
                parts.push(Part { exterior, holes });
                match by_level.iter_mut().find(|(l, _)| *l == level) {
                    Some((_, list)) => list.push(entry),
                    None => by_level.push((level, vec![entry])),
                }
            }
        }
        by_level.sort_by_key(|(level, _)| std::cmp::Reverse(*level));
        let levels = by_level
            .into_iter()
            .map(|(level, list)| LevelTree { level, tree: RTree::bulk_load_with_params(list), lattice: None })
            .collect();
        let mut index = LocateIndex { codes: Codes::new(&codes), levels, parts, quantised };
        let lattices: Vec<Option<Lattice>> = index.levels.iter().map(|level| index.lattice_for(level)).collect();
        for (level, lattice) in index.levels.iter_mut().zip(lattices) {
            level.lattice = lattice;
        }
        index
    }

    /// The lattice of one level, built from its parts' exact rings.
    fn lattice_for(&self, level: &LevelTree) -> Option<Lattice> {
        let entries: Vec<&PartEntry> = level.tree.iter().collect();
        let shapes: Vec<PartShape<'_>> = entries
            .iter()
            .map(|e| {
                let part = &self.parts[e.part as usize];
                let bbox = part.exterior.bounding_rect().expect("indexed parts have a ring");
                PartShape {
                    region: e.region,
                    bbox: [bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y],
                    rings: std::iter::once(&part.exterior).chain(part.holes.iter().map(|h| &h.ring)).collect(),
                }
            })
            .collect();
        Lattice::build(&shapes, |i, at| self.position(entries[i], at) == CoordPos::Inside)
    }

    /// The deepest-level region covering the WGS-84 point (grid before village before area
    /// before town …), or `None` outside every region.
    pub fn locate(&self, p: LonLat) -> Option<Located<'_>> {
        let at = Coord { x: p.lon, y: p.lat };
        self.levels.iter().find_map(|tree| {
            let id = self.best_in(tree, at)?;
            Some(Located { code: self.codes.get(id), level: tree.level })
        })
    }

    /// The region of exactly `level` covering the point.
    pub fn locate_level(&self, p: LonLat, level: RegionLevel) -> Option<&str> {
        let at = Coord { x: p.lon, y: p.lat };
        let tree = self.levels.iter().find(|t| t.level == level)?;
        self.best_in(tree, at).map(|id| self.codes.get(id))
    }

    /// Whether the region with this code has a boundary in the index (codes are kept sorted).
    pub fn contains(&self, code: &str) -> bool {
        let (mut lo, mut hi) = (0, self.codes.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.codes.get(to_u32(mid)).cmp(code) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }

    /// Number of regions indexed.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.len() == 0
    }

    /// Approximate heap bytes held by the index: region codes, rings (exact and quantised),
    /// holes and R-tree nodes (counted by walking the trees; allocator overhead not included).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let ring = |r: &LineString<f64>| r.0.capacity() * size_of::<Coord<f64>>();
        let codes = self.codes.text.capacity();
        let parts = self.parts.capacity() * size_of::<Part>()
            + self
                .parts
                .iter()
                .map(|p| {
                    ring(&p.exterior)
                        + p.holes.len() * size_of::<Hole>()
                        + p.holes.iter().map(|h| ring(&h.ring)).sum::<usize>()
                })
                .sum::<usize>();
        let quantised = self.quantised.capacity() * size_of::<[Quantum; 2]>();
        let trees = self.levels.capacity() * size_of::<LevelTree>()
            + self.levels.iter().map(|l| tree_bytes(l.tree.root()) + l.lattice.as_ref().map_or(0, Lattice::heap_bytes)).sum::<usize>();
        codes + parts + quantised + trees
    }

    /// The winning region of one level (see the module documentation), as a region id.
    fn best_in(&self, level: &LevelTree, at: Coord<f64>) -> Option<u32> {
        match level.lattice.as_ref().map(|l| l.get(at)) {
            Some(lattice::EMPTY) => return None,
            Some(lattice::MIXED) | None => {}
            Some(region) => return Some(region),
        }
        // (interior?, region id); ids are in code order.
        let mut best: Option<(bool, u32)> = None;
        // Rounding to nearest is monotonic, so a point inside an exact box stays inside the
        // box rounded outwards. NaN compares false and finds nothing.
        let key = [at.x as f32, at.y as f32];
        let _ = level.tree.locate_all_at_point_int(key, |entry| {
            let beats = |interior: bool| match best {
                None => true,
                Some((best_interior, best_id)) => {
                    (interior && !best_interior) || (interior == best_interior && entry.region < best_id)
                }
            };
            // Skip the test when even an interior hit could not win: in a tiling, once a
            // region has the point inside, only a smaller code could still matter.
            if beats(true) {
                match self.position(entry, at) {
                    CoordPos::Inside => best = Some((true, entry.region)),
                    CoordPos::OnBoundary if beats(false) => best = Some((false, entry.region)),
                    _ => {}
                }
            }
            ControlFlow::<()>::Continue(())
        });
        best.map(|(_, id)| id)
    }

    /// Where `at` is relative to one polygon: inside its exterior and outside every hole is
    /// inside; on any ring is on the boundary.
    fn position(&self, entry: &PartEntry, at: Coord<f64>) -> CoordPos {
        let start = entry.quantised_start as usize;
        let quantised = &self.quantised[start..start + entry.quantised_len as usize];
        let fast = Quantiser::for_box(&entry.envelope).and_then(|q| fast_position(quantised, q.point(at)));
        let outer = match fast {
            Some(CoordPos::Outside) => return CoordPos::Outside,
            Some(CoordPos::Inside) if !entry.has_holes => return CoordPos::Inside,
            Some(pos) => pos,
            None => exact_ring_position(at, &self.parts[entry.part as usize].exterior),
        };
        if outer != CoordPos::Inside {
            return outer;
        }
        for hole in &self.parts[entry.part as usize].holes {
            let (min, max) = (hole.bbox.min(), hole.bbox.max());
            if at.x < min.x || at.x > max.x || at.y < min.y || at.y > max.y {
                continue;
            }
            match exact_ring_position(at, &hole.ring) {
                CoordPos::Outside => {}
                CoordPos::OnBoundary => return CoordPos::OnBoundary,
                CoordPos::Inside => return CoordPos::Outside,
            }
        }
        CoordPos::Inside
    }
}

/// geo's exact test (kept in one place: the fast test must agree with it).
fn exact_ring_position(at: Coord<f64>, ring: &LineString<f64>) -> CoordPos {
    coord_pos_relative_to_ring(at, ring)
}

/// One quantised coordinate (see [`Quantiser`]).
type Quantum = u16;
const QUANTA: f64 = Quantum::MAX as f64;

/// Maps a part's `f32` box onto a grid of `QUANTA` steps a side: `q = round((c − min) · scale)`.
///
/// Error: `c − min` is exact when both lie within a factor 2 of each other (Sterbenz), and off
/// by less than 2⁻⁵³ of the box's size otherwise; the product is rounded once. So a quantised
/// vertex or point is within 0.5 + 10⁻⁹ quanta, on each axis, of its true scaled position
/// `(c − min) · scale` (the same `scale` for all, so its own rounding is harmless).
#[derive(Clone, Copy)]
struct Quantiser {
    min: [f64; 2],
    scale: [f64; 2],
}

impl Quantiser {
    /// `None` for a box of zero width or height.
    fn for_box(envelope: &AABB<[f32; 2]>) -> Option<Quantiser> {
        let (lo, hi) = (envelope.lower(), envelope.upper());
        let (min, max) = ([f64::from(lo[0]), f64::from(lo[1])], [f64::from(hi[0]), f64::from(hi[1])]);
        let (width, height) = (max[0] - min[0], max[1] - min[1]);
        (width > 0.0 && height > 0.0).then(|| Quantiser { min, scale: [QUANTA / width, QUANTA / height] })
    }

    fn vertex(&self, c: Coord<f64>) -> [Quantum; 2] {
        // Inside the box by construction: the clamp only absorbs rounding noise.
        let q = |v: f64, axis: usize| ((v - self.min[axis]) * self.scale[axis]).round().clamp(0.0, QUANTA) as Quantum;
        [q(c.x, 0), q(c.y, 1)]
    }

    /// A query point, which may lie slightly outside the box (by less than an `f32` step).
    fn point(&self, c: Coord<f64>) -> [i64; 2] {
        let q = |v: f64, axis: usize| ((v - self.min[axis]) * self.scale[axis]).round() as i64;
        [q(c.x, 0), q(c.y, 1)]
    }
}

/// The winding number of a quantised ring around a quantised point, in exact integer
/// arithmetic — the answer of [`coord_pos_relative_to_ring`] on the true (`f64`) ring and
/// point whenever the quantisation provably cannot change it, and `None` otherwise.
///
/// Why it is exact: shift the true ring by the point's own rounding error, so that the point
/// sits on its quantised position; every true vertex is then within 1 quantum (per axis, plus
/// 10⁻⁹) of its quantised one. Moving each vertex in a straight line from one to the other
/// moves every point of every edge by at most that much, so if the point is farther than that
/// from every quantised edge, no edge ever passes over it: it is on no true edge, and its
/// winding number is the same for both rings. "Within 1 quantum per axis of the edge `a b`"
/// is the edge's box grown by 1, intersected with `|(b − a) × (p − a)| ≤ |b.x − a.x| + |b.y − a.y|`
/// (a segment swept by a square is that hexagon); the test falls back when the point is in it.
/// The 10⁻⁹ needs no margin: an integer point farther than 1 from an integer edge is farther
/// by at least `1 / (|b.x − a.x| + |b.y − a.y|)`.
fn fast_position(ring: &[[Quantum; 2]], p: [i64; 2]) -> Option<CoordPos> {
    let [px, py] = p;
    let [ax, ay] = *ring.first()?;
    let (mut ax, mut ay) = (i64::from(ax), i64::from(ay));
    let mut winding = 0i32;
    for &[bx, by] in &ring[1..] {
        let (bx, by) = (i64::from(bx), i64::from(by));
        // Only edges reaching within a quantum of the point's latitude can matter.
        if ay.min(by) - 1 <= py && py <= ay.max(by) + 1 {
            let (ux, uy, wx, wy) = (bx - ax, by - ay, px - ax, py - ay);
            let cross = ux * wy - uy * wx;
            if ax.min(bx) - 1 <= px && px <= ax.max(bx) + 1 && cross.abs() <= ux.abs() + uy.abs() {
                return None;
            }
            // Sunday's crossing rules, as geo applies them: upward edges (start included,
            // end excluded) with the point on their left count +1, downward ones with it on
            // their right −1.
            if ay <= py {
                if by > py && cross > 0 {
                    winding += 1;
                }
            } else if by <= py && cross < 0 {
                winding -= 1;
            }
        }
        (ax, ay) = (bx, by);
    }
    Some(if winding == 0 { CoordPos::Outside } else { CoordPos::Inside })
}

fn round_down(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) > v { f.next_down() } else { f }
}

fn round_up(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) < v { f.next_up() } else { f }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 2^32 polygons and vertices")
}

/// Heap bytes of a node's children arrays, recursively.
fn tree_bytes(node: &ParentNode<PartEntry>) -> usize {
    std::mem::size_of_val(node.children())
        + node
            .children()
            .iter()
            .map(|child| match child {
                RTreeNode::Parent(parent) => tree_bytes(parent),
                RTreeNode::Leaf(_) => 0,
            })
            .sum::<usize>()
}

impl fmt::Debug for LocateIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocateIndex")
            .field("regions", &self.codes.len())
            .field("polygons", &self.parts.len())
            .field("levels", &self.levels.iter().map(|l| l.level).collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{city_grid, random_points, shanghai};
    use RegionLevel::{Grid, Town, Village};
    use geo::{CoordinatePosition, Polygon, coord, polygon};
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)]
    }

    fn rect_with_hole(outer: [f64; 4], hole: [f64; 4]) -> Polygon<f64> {
        Polygon::new(
            rect(outer[0], outer[1], outer[2], outer[3]).exterior().clone(),
            vec![rect(hole[0], hole[1], hole[2], hole[3]).exterior().clone()],
        )
    }

    fn grids(shapes: Vec<(&str, Polygon<f64>)>) -> LocateIndex {
        LocateIndex::build(shapes.into_iter().map(|(c, p)| (c.to_string(), Grid, MultiPolygon::new(vec![p]))))
    }

    fn at(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat)
    }

    fn code(index: &LocateIndex, lon: f64, lat: f64) -> Option<&str> {
        index.locate(at(lon, lat)).map(|l| l.code)
    }

    /// The rule of the module documentation, applied by brute force with geo's own predicate.
    fn oracle(shapes: &[(String, RegionLevel, MultiPolygon<f64>)], p: LonLat) -> Option<(String, RegionLevel)> {
        let c = coord! { x: p.lon, y: p.lat };
        let covering: Vec<(RegionLevel, bool, &String)> = shapes
            .iter()
            .filter_map(|(code, level, shape)| match shape.coordinate_position(&c) {
                CoordPos::Inside => Some((*level, true, code)),
                CoordPos::OnBoundary => Some((*level, false, code)),
                CoordPos::Outside => None,
            })
            .collect();
        let deepest = covering.iter().map(|(level, _, _)| *level).max()?;
        covering
            .into_iter()
            .filter(|(level, _, _)| *level == deepest)
            .min_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(b.2)))
            .map(|(level, _, code)| (code.clone(), level))
    }

    #[test]
    fn knows_which_codes_have_a_boundary() {
        let index = grids(vec![
            ("310115137001003", rect(2.0, 0.0, 3.0, 1.0)),
            ("310115137001001", rect(0.0, 0.0, 1.0, 1.0)),
            ("310115137001002", rect(1.0, 0.0, 2.0, 1.0)),
        ]);
        for c in ["310115137001001", "310115137001002", "310115137001003"] {
            assert!(index.contains(c), "{c}");
        }
        for c in ["310115137001", "310115137001004", "", "310115137001000"] {
            assert!(!index.contains(c), "{c}");
        }
        assert!(!grids(vec![]).contains("310115137001001"));
    }

    #[test]
    fn finds_the_polygon_and_nothing_outside() {
        let index = grids(vec![("310115137001001", rect(0.0, 0.0, 1.0, 1.0))]);
        assert_eq!(index.len(), 1);
        assert!(!index.is_empty());
        assert_eq!(index.locate(at(0.5, 0.5)), Some(Located { code: "310115137001001", level: Grid }));
        assert_eq!(code(&index, 1.0, 0.5), Some("310115137001001"), "an edge belongs to the region");
        assert_eq!(code(&index, 1.0, 1.0), Some("310115137001001"), "so does a vertex");
        assert_eq!(code(&index, 1.000_000_1, 0.5), None);
        assert_eq!(code(&index, -0.5, 0.5), None);
        assert_eq!(code(&index, f64::NAN, 0.5), None);
        assert_eq!(code(&index, f64::INFINITY, 0.5), None);
    }

    #[test]
    fn a_hole_is_not_in_the_polygon_but_in_the_one_filling_it() {
        let with_hole = rect_with_hole([0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 2.0, 2.0]);
        let alone = grids(vec![("2", with_hole.clone())]);
        assert_eq!(code(&alone, 1.5, 1.5), None);
        assert_eq!(code(&alone, 3.0, 3.0), Some("2"));
        assert_eq!(code(&alone, 1.0, 1.5), Some("2"), "the hole's ring is the polygon's boundary");

        let filled = grids(vec![("2", with_hole), ("3", rect(1.0, 1.0, 2.0, 2.0))]);
        assert_eq!(code(&filled, 1.5, 1.5), Some("3"));
        assert_eq!(code(&filled, 0.5, 1.5), Some("2"));
        assert_eq!(code(&filled, 1.0, 1.5), Some("2"), "shared edge: the smaller code");
    }

    #[test]
    fn each_part_of_a_multipolygon_is_found() {
        let shape = MultiPolygon::new(vec![rect(0.0, 0.0, 1.0, 1.0), rect(5.0, 5.0, 6.0, 7.0)]);
        let index = LocateIndex::build([("9".to_string(), Village, shape)]);
        assert_eq!(index.locate(at(0.5, 0.5)).map(|l| (l.code, l.level)), Some(("9", Village)));
        assert_eq!(code(&index, 5.5, 6.5), Some("9"));
        assert_eq!(code(&index, 3.0, 3.0), None, "between the parts");
        assert_eq!(index.len(), 1);
    }

    #[test]
    fn a_shared_edge_or_vertex_goes_to_the_smallest_code_whatever_the_order() {
        let cells = [
            ("310115137001004", rect(0.0, 0.0, 1.0, 1.0)),
            ("310115137001002", rect(1.0, 0.0, 2.0, 1.0)),
            ("310115137001003", rect(0.0, 1.0, 1.0, 2.0)),
            ("310115137001001", rect(1.0, 1.0, 2.0, 2.0)),
        ];
        let forward = grids(cells.to_vec());
        let backward = grids(cells.iter().rev().cloned().collect());
        for index in [&forward, &backward] {
            assert_eq!(code(index, 1.0, 0.5), Some("310115137001002"), "edge between 004 and 002");
            assert_eq!(code(index, 0.5, 1.0), Some("310115137001003"), "edge between 004 and 003");
            assert_eq!(code(index, 1.0, 1.0), Some("310115137001001"), "vertex of all four");
            assert_eq!(code(index, 0.999_999_999, 0.5), Some("310115137001004"), "near, not on, the edge");
            assert_eq!(code(index, 1.000_000_001, 0.5), Some("310115137001002"));
        }
    }

    #[test]
    fn an_interior_hit_beats_a_boundary_hit_in_overlaps() {
        // 1 overlaps 2 by mistake; (1, 0.5) is on 1's edge but inside 2.
        let index = grids(vec![("1", rect(0.0, 0.0, 1.0, 1.0)), ("2", rect(0.5, 0.0, 1.5, 1.0))]);
        assert_eq!(code(&index, 1.0, 0.5), Some("2"));
        assert_eq!(code(&index, 0.75, 0.5), Some("1"), "inside both: the smaller code");
    }

    #[test]
    fn the_deepest_level_wins_and_each_level_can_be_asked() {
        let index = LocateIndex::build([
            ("310115137".to_string(), Town, MultiPolygon::new(vec![rect(0.0, 0.0, 10.0, 10.0)])),
            ("310115137001".to_string(), Village, MultiPolygon::new(vec![rect(0.0, 0.0, 5.0, 5.0)])),
            ("310115137001001".to_string(), Grid, MultiPolygon::new(vec![rect(1.0, 1.0, 2.0, 2.0)])),
            ("310115137001002".to_string(), Grid, MultiPolygon::new(vec![])),
        ]);
        assert_eq!(index.len(), 3, "the empty shape is skipped");
        let found = |lon, lat| index.locate(at(lon, lat)).map(|l| (l.code, l.level));
        assert_eq!(found(1.5, 1.5), Some(("310115137001001", Grid)));
        assert_eq!(found(3.0, 3.0), Some(("310115137001", Village)));
        assert_eq!(found(7.0, 7.0), Some(("310115137", Town)));
        assert_eq!(found(11.0, 7.0), None);
        assert_eq!(index.locate_level(at(1.5, 1.5), Village), Some("310115137001"));
        assert_eq!(index.locate_level(at(1.5, 1.5), Town), Some("310115137"));
        assert_eq!(index.locate_level(at(7.0, 7.0), Grid), None);
        assert_eq!(index.locate_level(at(1.5, 1.5), RegionLevel::City), None);
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        let index = LocateIndex::build(Vec::new());
        assert!(index.is_empty());
        assert_eq!(index.locate(at(1.0, 1.0)), None);
    }

    #[test]
    fn is_shareable_between_threads_and_reports_its_size() {
        fn shareable<T: Send + Sync>() {}
        shareable::<LocateIndex>();
        let cells = city_grid(200, 1);
        let coords: usize = cells.iter().flat_map(|(_, s)| &s.0).map(|p| p.exterior().0.len()).sum();
        let index = LocateIndex::build(cells.into_iter().map(|(c, s)| (c, Grid, s)));
        assert!(index.heap_bytes() > coords * 16, "{} bytes", index.heap_bytes());
        assert!(index.heap_bytes() < coords * 16 * 3, "{} bytes", index.heap_bytes());
    }

    type Shapes = Vec<(String, RegionLevel, MultiPolygon<f64>)>;

    fn synthetic() -> &'static (Shapes, LocateIndex) {
        static CITY: OnceLock<(Shapes, LocateIndex)> = OnceLock::new();
        CITY.get_or_init(|| {
            let shapes: Vec<_> = city_grid(1500, 3).into_iter().map(|(c, s)| (c, Grid, s)).collect();
            let index = LocateIndex::build(shapes.clone());
            (shapes, index)
        })
    }

    #[test]
    fn agrees_with_brute_force_on_the_synthetic_city() {
        let (shapes, index) = synthetic();
        let mut hits = 0;
        for p in random_points(2000, 77, shanghai()) {
            let expected = oracle(shapes, p);
            hits += usize::from(expected.is_some());
            assert_eq!(index.locate(p).map(|l| (l.code.to_string(), l.level)), expected, "{p:?}");
        }
        assert!(hits > 0);
    }

    /// A staircase splitting [0, 10] × [0, 10] into a west and an east region: its vertical
    /// runs are at `xs[k]` for `y` in `[ys[k], ys[k + 1]]`.
    fn staircase(xs: &[f64], ys: &[f64]) -> (Polygon<f64>, Polygon<f64>) {
        let mut line = vec![coord! { x: xs[0], y: 0.0 }];
        for k in 0..xs.len() {
            line.push(coord! { x: xs[k], y: ys[k] });
            line.push(coord! { x: xs[k], y: ys[k + 1] });
            if k + 1 < xs.len() {
                line.push(coord! { x: xs[k + 1], y: ys[k + 1] });
            }
        }
        line.push(coord! { x: xs[xs.len() - 1], y: 10.0 });
        line.dedup();
        // West: along the bottom to the staircase, up it, back along the top.
        let mut west = vec![coord! { x: 0.0, y: 0.0 }];
        west.extend(line.iter().copied());
        west.push(coord! { x: 0.0, y: 10.0 });
        // East: down the staircase, along the bottom to the east side, up it.
        let mut east: Vec<_> = line.iter().rev().copied().collect();
        east.push(coord! { x: 10.0, y: 0.0 });
        east.push(coord! { x: 10.0, y: 10.0 });
        (Polygon::new(LineString::new(west), vec![]), Polygon::new(LineString::new(east), vec![]))
    }

    fn staircase_strategy() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        (1usize..6).prop_flat_map(|steps| {
            (
                proptest::collection::vec(1.0f64..9.0, steps),
                proptest::collection::btree_set(1u32..999, steps - 1)
                    .prop_map(|set| set.into_iter().map(|v| f64::from(v) / 100.0).collect::<Vec<_>>()),
            )
                .prop_filter_map("steps must have distinct y", move |(xs, inner)| {
                    (inner.len() == steps - 1).then(|| {
                        let mut ys = vec![0.0];
                        ys.extend(inner);
                        ys.push(10.0);
                        (xs, ys)
                    })
                })
        })
    }

    /// The quantised ring of a polygon, as the index keeps it.
    fn quantised(ring: &LineString<f64>) -> (Quantiser, Vec<[Quantum; 2]>) {
        let b = ring.bounding_rect().unwrap();
        let envelope = AABB::from_corners(
            [round_down(b.min().x), round_down(b.min().y)],
            [round_up(b.max().x), round_up(b.max().y)],
        );
        let q = Quantiser::for_box(&envelope).unwrap();
        (q, ring.0.iter().map(|&c| q.vertex(c)).collect())
    }

    #[test]
    fn the_fast_test_decides_nearly_every_point_and_never_contradicts_the_exact_one() {
        let (shapes, _) = synthetic();
        let (mut decided, mut total) = (0, 0);
        for (_, _, shape) in shapes.iter().take(300) {
            let ring = shape.0[0].exterior();
            let (q, ring_q) = quantised(ring);
            let b = ring.bounding_rect().unwrap();
            for p in random_points(200, total as u64, b) {
                let at = coord! { x: p.lon, y: p.lat };
                total += 1;
                if let Some(fast) = fast_position(&ring_q, q.point(at)) {
                    decided += 1;
                    assert_eq!(fast, exact_ring_position(at, ring), "{at:?}");
                }
            }
        }
        assert!(decided * 1000 >= total * 999, "{decided} of {total} decided");
    }

    proptest! {
        #[test]
        fn a_point_in_a_hole_belongs_to_the_filler_not_the_holed_polygon(
            hole in (0.5f64..4.0, 0.5f64..4.0, 0.1f64..4.0, 0.1f64..4.0),
            // Coordinates drawn from the ring values too, so boundaries are hit exactly.
            px in prop_oneof![0.0f64..10.0, Just(0.0), Just(10.0), Just(-1.0)],
            py in prop_oneof![0.0f64..10.0, Just(0.0), Just(10.0), Just(11.0)],
            on_hole_x in any::<bool>(),
        ) {
            let (hx0, hy0) = (hole.0, hole.1);
            let (hx1, hy1) = (hx0 + hole.2, hy0 + hole.3);
            let px = if on_hole_x { hx0 } else { px };
            let holed = rect_with_hole([0.0, 0.0, 10.0, 10.0], [hx0, hy0, hx1, hy1]);
            let filler = rect(hx0, hy0, hx1, hy1);
            let alone = grids(vec![("5", holed.clone())]);
            let both = grids(vec![("5", holed), ("4", filler)]);

            let in_outer = (0.0..=10.0).contains(&px) && (0.0..=10.0).contains(&py);
            let in_hole_closed = (hx0..=hx1).contains(&px) && (hy0..=hy1).contains(&py);
            let in_hole_open = hx0 < px && px < hx1 && hy0 < py && py < hy1;
            let expected_alone = (in_outer && !in_hole_open).then_some("5");
            let expected_both = if in_hole_closed { Some("4") } else if in_outer { Some("5") } else { None };
            prop_assert_eq!(code(&alone, px, py), expected_alone);
            prop_assert_eq!(code(&both, px, py), expected_both);
        }

        #[test]
        fn every_part_of_a_multipolygon_is_found(
            widths in proptest::collection::vec(0.01f64..2.0, 1..6),
            order in any::<u64>(),
            t in (0.001f64..0.999, 0.001f64..0.999),
        ) {
            let mut parts: Vec<Polygon<f64>> = widths
                .iter()
                .enumerate()
                .map(|(k, w)| rect(3.0 * k as f64, 0.0, 3.0 * k as f64 + w, 1.0 + w))
                .collect();
            let rotation = (order % parts.len() as u64) as usize;
            parts.rotate_left(rotation);
            let index = LocateIndex::build([
                ("7".to_string(), Grid, MultiPolygon::new(parts.clone())),
                ("1".to_string(), Grid, MultiPolygon::new(vec![rect(-5.0, -5.0, -4.0, -4.0)])),
            ]);
            for (k, w) in widths.iter().enumerate() {
                let (x, y) = (3.0 * k as f64 + t.0 * w, t.1 * (1.0 + w));
                prop_assert_eq!(code(&index, x, y), Some("7"));
                prop_assert_eq!(code(&index, 3.0 * k as f64 + 2.5, y), None, "in the gap after part {}", k);
            }
        }

        #[test]
        fn a_point_on_a_shared_staircase_goes_to_the_smaller_code_and_near_points_to_their_side(
            (xs, ys) in staircase_strategy(),
            codes in (100u32..999, 100u32..999).prop_filter("distinct", |(a, b)| a != b),
            k in any::<prop::sample::Index>(),
            t in 0.0f64..=1.0,
            reversed in any::<bool>(),
        ) {
            let (west, east) = staircase(&xs, &ys);
            let (west_code, east_code) = (codes.0.to_string(), codes.1.to_string());
            let mut shapes = vec![(west_code.as_str(), west), (east_code.as_str(), east)];
            if reversed { shapes.reverse(); }
            let index = grids(shapes);
            let smaller = west_code.as_str().min(east_code.as_str());

            let k = k.index(xs.len());
            let y = ys[k] + t * (ys[k + 1] - ys[k]);
            // On a vertical run (ends included: those are shared vertices).
            prop_assert_eq!(code(&index, xs[k], y), Some(smaller));
            // Just off it, strictly within the run.
            if t > 0.0 && t < 1.0 && y > ys[k] && y < ys[k + 1] {
                prop_assert_eq!(code(&index, xs[k] - 1e-9, y), Some(west_code.as_str()));
                prop_assert_eq!(code(&index, xs[k] + 1e-9, y), Some(east_code.as_str()));
            }
            // On the horizontal run to the next step.
            if k + 1 < xs.len() {
                let x = xs[k] + t * (xs[k + 1] - xs[k]);
                prop_assert_eq!(code(&index, x, ys[k + 1]), Some(smaller));
            }
        }

        #[test]
        fn shared_vertices_and_random_points_of_the_synthetic_city_follow_the_rule(
            cell in any::<prop::sample::Index>(),
            vertex in any::<prop::sample::Index>(),
            seed in any::<u64>(),
        ) {
            let (shapes, index) = synthetic();
            let (_, _, shape) = &shapes[cell.index(shapes.len())];
            let ring = &shape.0[0].exterior().0;
            let v = ring[vertex.index(ring.len())];
            let p = LonLat::new(v.x, v.y);
            let expected = oracle(shapes, p);
            prop_assert!(expected.is_some());
            prop_assert_eq!(index.locate(p).map(|l| (l.code.to_string(), l.level)), expected);
            for q in random_points(20, seed, shanghai()) {
                prop_assert_eq!(index.locate(q).map(|l| (l.code.to_string(), l.level)), oracle(shapes, q));
            }
        }

        #[test]
        fn the_fast_test_never_contradicts_the_exact_one_near_edges_and_vertices(
            cell in any::<prop::sample::Index>(),
            edge in any::<prop::sample::Index>(),
            t in 0.0f64..=1.0,
            // Offsets from a point of the edge, from far below a quantum (≈ 1 cm) to far above.
            exponent in -12i32..-3,
            mantissa in (-9.0f64..9.0, -9.0f64..9.0),
        ) {
            let (shapes, _) = synthetic();
            let (_, _, shape) = &shapes[cell.index(shapes.len())];
            let ring = shape.0[0].exterior();
            let (q, ring_q) = quantised(ring);
            let k = edge.index(ring.0.len() - 1);
            let (a, b) = (ring.0[k], ring.0[k + 1]);
            let scale = 10f64.powi(exponent);
            let at = coord! {
                x: a.x + t * (b.x - a.x) + mantissa.0 * scale,
                y: a.y + t * (b.y - a.y) + mantissa.1 * scale,
            };
            for p in [at, coord! { x: at.x, y: a.y }, coord! { x: a.x + mantissa.0 * scale, y: a.y }] {
                if let Some(fast) = fast_position(&ring_q, q.point(p)) {
                    prop_assert_eq!(fast, exact_ring_position(p, ring), "{:?}", p);
                }
            }
        }

        #[test]
        fn the_deepest_covering_level_wins(
            town in (0.0f64..2.0, 0.0f64..2.0, 6.0f64..10.0, 6.0f64..10.0),
            village in (2.0f64..3.0, 2.0f64..3.0, 4.0f64..6.0, 4.0f64..6.0),
            grid in (3.0f64..3.5, 3.0f64..3.5, 3.5f64..4.0, 3.5f64..4.0),
            px in prop_oneof![-1.0f64..11.0, Just(3.0), Just(2.0)],
            py in -1.0f64..11.0,
        ) {
            let shape = |r: (f64, f64, f64, f64)| MultiPolygon::new(vec![rect(r.0, r.1, r.2, r.3)]);
            let shapes = vec![
                ("310115137".to_string(), Town, shape(town)),
                ("310115137001".to_string(), Village, shape(village)),
                ("310115137001001".to_string(), Grid, shape(grid)),
            ];
            let index = LocateIndex::build(shapes.clone());
            let p = at(px, py);
            let inside = |r: (f64, f64, f64, f64)| (r.0..=r.2).contains(&px) && (r.1..=r.3).contains(&py);
            let expected = if inside(grid) {
                Some(("310115137001001", Grid))
            } else if inside(village) {
                Some(("310115137001", Village))
            } else if inside(town) {
                Some(("310115137", Town))
            } else {
                None
            };
            prop_assert_eq!(index.locate(p).map(|l| (l.code, l.level)), expected);
            prop_assert_eq!(index.locate(p).map(|l| (l.code.to_string(), l.level)), oracle(&shapes, p));
            prop_assert_eq!(index.locate_level(p, Town), inside(town).then_some("310115137"));
            prop_assert_eq!(index.locate_level(p, Village), inside(village).then_some("310115137001"));
        }

        #[test]
        fn outside_every_region_there_is_nothing(
            px in prop_oneof![-180.0f64..120.8, 122.1f64..180.0],
            py in -90.0f64..90.0,
        ) {
            let (_, index) = synthetic();
            prop_assert_eq!(index.locate(at(px, py)), None);
            prop_assert_eq!(index.locate(at(121.0, py.clamp(-90.0, 30.6))), None);
        }
    }
}
