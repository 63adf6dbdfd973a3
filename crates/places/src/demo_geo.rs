//! Approximate, deterministic geometry for the demo towns (issue #3).
//!
//! Official outlines of the seed towns are not public, so the demo draws its own from public
//! facts: each town's published area and centre (`data/demo/towns-geo.csv`) and its 村/居
//! centroids (`data/demo/villages.csv`; sources in `data/demo/README.md`). Everything is built
//! on a lattice of 100 m × 100 m cells in a local frame around the town centre:
//!
//! 1. the town: cells grown outwards from the 村/居 points (joined along their minimum spanning
//!    tree), nearest first with distances stretched by smooth noise, until their count matches
//!    the published area; holes are filled;
//! 2. the 村/居: the town's cells shared out by a growth race from each 村/居 point with a quota
//!    per village (a 村 weighs as much as [`RURAL_WEIGHT`] 居民区), so every village is one
//!    connected piece of a plausible size and together they tile the town;
//! 3. the 片区: the union of their 村/居;
//! 4. the 单元网格: one lattice cell (≈ 10,000 ㎡) each — or blocks of 2 × 1, 2 × 2 … cells in a
//!    村/居 that would otherwise need more than 999 — coded `<村/居 code><001..999>` in reading
//!    order (north to south, west to east) and named `<short name>N号网格`.
//!
//! Outlines are traced from the cells, so neighbours share edges exactly, every grid lies in its
//! 村/居 and every 村/居 in its town. Every shape is marked `approximate`; the same input always
//! gives the same output.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};

use chengyun_domain::demo::DemoTowns;
use chengyun_domain::region::{Region, RegionLevel, RegionTree};
use geo::{Coord, LineString, MultiPolygon, Polygon};

use crate::RegionShape;
use crate::coord::LonLat;

const TOWNS_CSV: &str = include_str!("../../../data/demo/towns-geo.csv");
const VILLAGES_CSV: &str = include_str!("../../../data/demo/villages.csv");

/// Side of a lattice cell: a 单元网格 is customarily about 10,000 ㎡.
pub const CELL_M: f64 = 100.0;
/// Grid codes have a 3-digit sequence.
const MAX_GRIDS_PER_VILLAGE: usize = 999;
/// Share of the town a 村 gets relative to a 居民区 (1): villages span farmland and hamlets,
/// residents' areas a few housing estates.
pub const RURAL_WEIGHT: f64 = 8.0;
/// How much distances are stretched from place to place (± share): ragged, natural borders.
const TOWN_NOISE: f64 = 0.25;
const VILLAGE_NOISE: f64 = 0.35;
/// Wavelengths of that variation (m).
const TOWN_NOISE_SCALE_M: f64 = 1_500.0;
const VILLAGE_NOISE_SCALE_M: f64 = 400.0;

/// Generated shapes of every town of `demo` that `data/demo/towns-geo.csv` knows (other towns
/// get none): per town its outline, its 片区, its 村/居 and their 单元网格, all WGS-84 and
/// `approximate`. 单元网格 regions already in `demo` are ignored; the generated ones replace them.
pub fn demo_shapes(demo: &DemoTowns) -> Vec<RegionShape> {
    let tree = demo.region_tree();
    let facts = town_facts();
    let points = village_points();
    let mut shapes = Vec::new();
    for town in tree.iter().filter(|r| r.level == RegionLevel::Town) {
        if let Some(fact) = facts.iter().find(|f| f.code == town.code) {
            shapes.extend(TownLayout::build(&tree, town, fact, &points).shapes());
        }
    }
    shapes
}

/// `demo` with the generated 单元网格 of `shapes` added as regions (replacing any grid of the
/// same code), so that a region tree built from it knows them.
pub fn with_grid_regions(demo: &DemoTowns, shapes: &[RegionShape]) -> DemoTowns {
    let mut out = demo.clone();
    let generated: HashSet<&str> = shapes
        .iter()
        .filter(|s| s.level == RegionLevel::Grid)
        .map(|s| s.code.as_str())
        .collect();
    out.regions.retain(|r| !generated.contains(r.code.as_str()));
    out.regions.extend(
        shapes
            .iter()
            .filter(|s| s.level == RegionLevel::Grid)
            .map(|s| Region {
                code: s.code.clone(),
                name: s.name.clone(),
                level: s.level,
                parent: s.parent.clone(),
            }),
    );
    out
}

/// `航头居民区` → `航头居`, `海桥村` stays: the usual short forms inside grid names.
pub fn short_name(village: &str) -> String {
    match village.strip_suffix("居民区") {
        Some(base) if !base.is_empty() => format!("{base}居"),
        _ => village.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Bundled facts

/// A town's published area and its centre.
#[derive(Debug, Clone, PartialEq)]
pub struct TownFacts {
    pub code: String,
    pub area_km2: f64,
    /// WGS-84.
    pub centre: LonLat,
}

/// The rows of a bundled CSV file (no quoting: the files keep commas out of their fields).
fn csv_rows(text: &'static str) -> impl Iterator<Item = HashMap<&'static str, &'static str>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    lines.map(move |line| {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(
            fields.len(),
            header.len(),
            "bundled CSV row has a stray comma: {line}"
        );
        header.iter().copied().zip(fields).collect()
    })
}

fn number(row: &HashMap<&str, &str>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("bundled CSV: {column} is no number in {row:?}"))
}

/// The towns of `data/demo/towns-geo.csv`.
pub fn town_facts() -> Vec<TownFacts> {
    csv_rows(TOWNS_CSV)
        .map(|r| TownFacts {
            code: r["code"].to_string(),
            area_km2: number(&r, "area_km2"),
            centre: LonLat::new(number(&r, "centre_lon"), number(&r, "centre_lat")),
        })
        .collect()
}

/// 村/居 code → its WGS-84 point, from `data/demo/villages.csv`.
pub fn village_points() -> HashMap<&'static str, LonLat> {
    csv_rows(VILLAGES_CSV)
        .map(|r| (r["code"], LonLat::new(number(&r, "lon"), number(&r, "lat"))))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The lattice

type Cell = (i32, i32);

/// Square cells of [`CELL_M`] in a local equirectangular frame: cell `(i, j)` spans the corners
/// `(i, j)`..`(i + 1, j + 1)`, `i` eastwards, `j` northwards. A corner always maps to the same
/// coordinates, so traced outlines share their edges exactly.
struct Lattice {
    lon0: f64,
    lat0: f64,
    dlon: f64,
    dlat: f64,
    cols: i32,
    rows: i32,
}

/// Metres per degree of longitude and latitude at `lat` on the WGS-84 ellipsoid (series form).
fn metres_per_degree(lat: f64) -> (f64, f64) {
    let p = lat.to_radians();
    (
        111_412.84 * p.cos() - 93.5 * (3.0 * p).cos() + 0.118 * (5.0 * p).cos(),
        111_132.954 - 559.822 * (2.0 * p).cos() + 1.175 * (4.0 * p).cos(),
    )
}

impl Lattice {
    /// A lattice covering `[west, east] × [south, north]` metres around `centre`.
    fn around(centre: LonLat, west: f64, south: f64, east: f64, north: f64) -> Self {
        let (m_lon, m_lat) = metres_per_degree(centre.lat);
        let (i0, j0) = ((west / CELL_M).floor(), (south / CELL_M).floor());
        Lattice {
            lon0: centre.lon + i0 * CELL_M / m_lon,
            lat0: centre.lat + j0 * CELL_M / m_lat,
            dlon: CELL_M / m_lon,
            dlat: CELL_M / m_lat,
            cols: ((east / CELL_M).ceil() - i0) as i32,
            rows: ((north / CELL_M).ceil() - j0) as i32,
        }
    }

    fn len(&self) -> usize {
        (self.cols * self.rows) as usize
    }

    fn corner(&self, (i, j): Cell) -> Coord<f64> {
        Coord {
            x: self.lon0 + f64::from(i) * self.dlon,
            y: self.lat0 + f64::from(j) * self.dlat,
        }
    }

    /// The cell holding `p`, clamped to the lattice.
    fn cell_at(&self, p: LonLat) -> Cell {
        let i = ((p.lon - self.lon0) / self.dlon).floor() as i32;
        let j = ((p.lat - self.lat0) / self.dlat).floor() as i32;
        (i.clamp(0, self.cols - 1), j.clamp(0, self.rows - 1))
    }

    fn index(&self, (i, j): Cell) -> usize {
        (j * self.cols + i) as usize
    }

    fn cell(&self, index: usize) -> Cell {
        let index = index as i32;
        (index % self.cols, index / self.cols)
    }

    /// Cell centre in metres from the lattice origin.
    fn metres(&self, (i, j): Cell) -> (f64, f64) {
        ((f64::from(i) + 0.5) * CELL_M, (f64::from(j) + 0.5) * CELL_M)
    }

    /// The 4 neighbours inside the lattice, in a fixed order.
    fn neighbours(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        let (i, j) = self.cell(index);
        [(i + 1, j), (i, j + 1), (i - 1, j), (i, j - 1)]
            .into_iter()
            .filter(|&(x, y)| x >= 0 && y >= 0 && x < self.cols && y < self.rows)
            .map(|c| self.index(c))
    }
}

// ---------------------------------------------------------------------------------------------
// Deterministic noise

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64's finaliser: a well-mixed 64-bit hash of `x`.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A uniform number in [0, 1) from a hash.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Smooth value noise in [-1, 1]: hashed values on a `scale`-metre lattice, interpolated with a
/// smoothstep.
fn value_noise(seed: u64, x: f64, y: f64, scale: f64) -> f64 {
    let (gx, gy) = (x / scale, y / scale);
    let (x0, y0) = (gx.floor(), gy.floor());
    let (tx, ty) = (gx - x0, gy - y0);
    let corner = |dx: i64, dy: i64| {
        let h = mix(seed ^ mix((x0 as i64 + dx) as u64) ^ mix(((y0 as i64 + dy) as u64) << 1));
        unit(h) * 2.0 - 1.0
    };
    let (sx, sy) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
    let bottom = corner(0, 0) + (corner(1, 0) - corner(0, 0)) * sx;
    let top = corner(0, 1) + (corner(1, 1) - corner(0, 1)) * sx;
    bottom + (top - bottom) * sy
}

// ---------------------------------------------------------------------------------------------
// Growth

/// A claim of `cell` for `owner` at `cost`; the heap pops the cheapest (ties by cell, owner).
/// Growth spreads claims from cell to neighbouring cell, so whatever an owner gets is connected;
/// the cost is the straight distance from where the owner started, stretched by noise, so
/// regions come out round and ragged rather than diamond-shaped.
#[derive(Debug, Clone, Copy)]
struct Claim {
    cost: f64,
    cell: usize,
    owner: usize,
}

impl PartialEq for Claim {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Claim {}
impl PartialOrd for Claim {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Claim {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .cost
            .total_cmp(&self.cost)
            .then(other.cell.cmp(&self.cell))
            .then(other.owner.cmp(&self.owner))
    }
}

const NOBODY: usize = usize::MAX;

/// The town: the `target` cells nearest to `sources` by noisy distance, holes filled.
fn grow_town(lattice: &Lattice, sources: &[usize], target: usize, seed: u64) -> Vec<bool> {
    let mut inside = vec![false; lattice.len()];
    // A claim's owner is the source it grew from.
    let mut heap: BinaryHeap<Claim> = sources
        .iter()
        .map(|&cell| Claim {
            cost: 0.0,
            cell,
            owner: cell,
        })
        .collect();
    let mut claimed = 0;
    while let Some(c) = heap.pop() {
        if inside[c.cell] {
            continue;
        }
        if claimed >= target && c.cost > 0.0 {
            break;
        }
        inside[c.cell] = true;
        claimed += 1;
        for n in lattice.neighbours(c.cell) {
            if !inside[n] {
                let cost =
                    noisy_distance(lattice, c.owner, n, seed, TOWN_NOISE, TOWN_NOISE_SCALE_M);
                heap.push(Claim {
                    cost,
                    cell: n,
                    owner: c.owner,
                });
            }
        }
    }
    fill_holes(lattice, &mut inside);
    inside
}

/// Distance (m) between the centres of two cells, stretched by up to ± `amount` by smooth noise
/// at `to`.
fn noisy_distance(
    lattice: &Lattice,
    from: usize,
    to: usize,
    seed: u64,
    amount: f64,
    scale: f64,
) -> f64 {
    let (ax, ay) = lattice.metres(lattice.cell(from));
    let (bx, by) = lattice.metres(lattice.cell(to));
    (bx - ax).hypot(by - ay) * (1.0 + amount * value_noise(seed, bx, by, scale))
}

/// Adds to `inside` every cell not reachable from the lattice border without crossing it.
fn fill_holes(lattice: &Lattice, inside: &mut [bool]) {
    let mut outside = vec![false; inside.len()];
    let mut queue: VecDeque<usize> = (0..inside.len())
        .filter(|&k| {
            let (i, j) = lattice.cell(k);
            !inside[k] && (i == 0 || j == 0 || i == lattice.cols - 1 || j == lattice.rows - 1)
        })
        .collect();
    for &k in &queue {
        outside[k] = true;
    }
    while let Some(k) = queue.pop_front() {
        for n in lattice.neighbours(k) {
            if !inside[n] && !outside[n] {
                outside[n] = true;
                queue.push_back(n);
            }
        }
    }
    for (cell, out) in inside.iter_mut().zip(outside) {
        *cell |= !out;
    }
}

/// Shares the town's cells out among villages: each grows from its seed cell, its distances
/// divided by its `speed`, until it has its quota; cells left over when every neighbouring
/// village is full go to whichever reaches them first. Every owner's cells stay connected.
fn share_out(
    lattice: &Lattice,
    inside: &[bool],
    seeds: &[usize],
    quotas: &[usize],
    speeds: &[f64],
    seed: u64,
) -> Vec<usize> {
    let mut owner = vec![NOBODY; lattice.len()];
    let mut count = vec![0usize; seeds.len()];
    let mut heap: BinaryHeap<Claim> = seeds
        .iter()
        .enumerate()
        .map(|(v, &cell)| Claim {
            cost: 0.0,
            cell,
            owner: v,
        })
        .collect();
    let mut deferred = Vec::new();
    let mut capped = true;
    loop {
        while let Some(c) = heap.pop() {
            if owner[c.cell] != NOBODY {
                continue;
            }
            if capped && count[c.owner] >= quotas[c.owner] {
                deferred.push(c);
                continue;
            }
            owner[c.cell] = c.owner;
            count[c.owner] += 1;
            for n in lattice.neighbours(c.cell) {
                if inside[n] && owner[n] == NOBODY {
                    let d = noisy_distance(
                        lattice,
                        seeds[c.owner],
                        n,
                        seed,
                        VILLAGE_NOISE,
                        VILLAGE_NOISE_SCALE_M,
                    );
                    heap.push(Claim {
                        cost: d / speeds[c.owner],
                        cell: n,
                        owner: c.owner,
                    });
                }
            }
        }
        if !capped || deferred.is_empty() {
            break;
        }
        capped = false;
        heap.extend(deferred.drain(..));
    }
    owner
}

/// Splits `total` in proportion to `weights` (largest remainders; at least 1 each).
fn apportion(total: usize, weights: &[f64]) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut shares: Vec<usize> = exact.iter().map(|e| (e.floor() as usize).max(1)).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let missing = total.saturating_sub(shares.iter().sum());
    for &k in order.iter().cycle().take(missing) {
        shares[k] += 1;
    }
    shares
}

/// Cells along the segment `a`–`b` (metres from the lattice origin), 4-connected.
fn segment_cells(lattice: &Lattice, a: (f64, f64), b: (f64, f64)) -> Vec<usize> {
    let steps = ((b.0 - a.0).hypot(b.1 - a.1) / (CELL_M / 4.0))
        .ceil()
        .max(1.0) as usize;
    let to_cell = |(x, y): (f64, f64)| {
        let i = ((x / CELL_M).floor() as i32).clamp(0, lattice.cols - 1);
        let j = ((y / CELL_M).floor() as i32).clamp(0, lattice.rows - 1);
        (i, j)
    };
    let mut cells = Vec::with_capacity(steps + 1);
    let mut last = to_cell(a);
    cells.push(lattice.index(last));
    for s in 1..=steps {
        let t = s as f64 / steps as f64;
        let c = to_cell((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
        if c != last {
            if c.0 != last.0 && c.1 != last.1 {
                cells.push(lattice.index((c.0, last.1)));
            }
            cells.push(lattice.index(c));
            last = c;
        }
    }
    cells
}

/// Edges of the minimum spanning tree of `points` (Prim; the point sets are small).
fn spanning_tree(points: &[(f64, f64)]) -> Vec<(usize, usize)> {
    let n = points.len();
    let dist = |a: usize, b: usize| (points[a].0 - points[b].0).hypot(points[a].1 - points[b].1);
    let mut in_tree = vec![false; n];
    // Per point: the distance to the tree and the tree point it would attach to.
    let mut best: Vec<(f64, usize)> = (0..n).map(|k| (dist(0, k), 0)).collect();
    let mut edges = Vec::new();
    if n == 0 {
        return edges;
    }
    in_tree[0] = true;
    for _ in 1..n {
        let next = (0..n)
            .filter(|&k| !in_tree[k])
            .min_by(|&a, &b| best[a].0.total_cmp(&best[b].0).then(a.cmp(&b)))
            .expect("a point is left");
        in_tree[next] = true;
        edges.push((best[next].1, next));
        for (k, b) in best.iter_mut().enumerate() {
            if !in_tree[k] && dist(next, k) < b.0 {
                *b = (dist(next, k), next);
            }
        }
    }
    edges
}

// ---------------------------------------------------------------------------------------------
// Outlines

/// Directions of lattice edges, counter-clockwise.
const DELTAS: [Cell; 4] = [(1, 0), (0, 1), (-1, 0), (0, -1)];

/// The outline of a set of cells: one polygon per 4-connected part, holes included, exterior
/// rings counter-clockwise and holes clockwise.
fn outline(lattice: &Lattice, cells: &[Cell]) -> MultiPolygon<f64> {
    if let [(i, j)] = cells {
        let ring = vec![(*i, *j), (i + 1, *j), (i + 1, j + 1), (*i, j + 1)];
        return MultiPolygon(vec![Polygon::new(ring_line(lattice, &ring), Vec::new())]);
    }
    Patch::new(cells).polygons(lattice)
}

fn ring_line(lattice: &Lattice, ring: &[Cell]) -> LineString<f64> {
    let mut coords: Vec<Coord<f64>> = ring.iter().map(|&c| lattice.corner(c)).collect();
    coords.push(coords[0]);
    LineString(coords)
}

/// Cells on a dense raster over their bounding box, labelled by 4-connected part.
struct Patch {
    i0: i32,
    j0: i32,
    width: i32,
    height: i32,
    /// Per raster cell: 0 outside, else 1 + the index of its part.
    part: Vec<u32>,
    /// The cells of each part.
    parts: Vec<Vec<Cell>>,
}

impl Patch {
    fn new(cells: &[Cell]) -> Self {
        let (mut i0, mut j0, mut i1, mut j1) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
        for &(i, j) in cells {
            (i0, j0, i1, j1) = (i0.min(i), j0.min(j), i1.max(i), j1.max(j));
        }
        let (width, height) = (i1 - i0 + 1, j1 - j0 + 1);
        let mut patch = Patch {
            i0,
            j0,
            width,
            height,
            part: vec![0; (width * height) as usize],
            parts: Vec::new(),
        };
        const UNLABELLED: u32 = u32::MAX;
        for &c in cells {
            let k = patch.at(c).expect("inside its own bounding box");
            patch.part[k] = UNLABELLED;
        }
        for k in 0..patch.part.len() {
            if patch.part[k] != UNLABELLED {
                continue;
            }
            let label = patch.parts.len() as u32 + 1;
            let first = patch.cell(k);
            patch.part[k] = label;
            let mut members = vec![first];
            let mut next = 0;
            while next < members.len() {
                let (i, j) = members[next];
                for (di, dj) in DELTAS {
                    let n = (i + di, j + dj);
                    if let Some(m) = patch.at(n).filter(|&m| patch.part[m] == UNLABELLED) {
                        patch.part[m] = label;
                        members.push(n);
                    }
                }
                next += 1;
            }
            patch.parts.push(members);
        }
        patch
    }

    fn at(&self, (i, j): Cell) -> Option<usize> {
        let (x, y) = (i - self.i0, j - self.j0);
        (x >= 0 && y >= 0 && x < self.width && y < self.height)
            .then(|| (y * self.width + x) as usize)
    }

    fn cell(&self, k: usize) -> Cell {
        let k = k as i32;
        (self.i0 + k % self.width, self.j0 + k / self.width)
    }

    fn polygons(&self, lattice: &Lattice) -> MultiPolygon<f64> {
        // Outgoing boundary edges per corner of the patch, reused for every part.
        let mut outgoing = vec![0u8; ((self.width + 1) * (self.height + 1)) as usize];
        let polygons = (0..self.parts.len())
            .map(|p| self.trace(lattice, p as u32 + 1, &mut outgoing))
            .collect();
        MultiPolygon(polygons)
    }

    /// The polygon of one part. Boundary edges run with the part on their left; where two of its
    /// cells touch only at a corner the walk turns right first, which keeps every ring simple (a
    /// hole may touch the exterior at that corner, as OGC allows).
    fn trace(&self, lattice: &Lattice, label: u32, outgoing: &mut [u8]) -> Polygon<f64> {
        let mine = |c: Cell| self.at(c).is_some_and(|k| self.part[k] == label);
        let corner = |(i, j): Cell| ((j - self.j0) * (self.width + 1) + (i - self.i0)) as usize;
        let mut starts = Vec::new();
        for &(i, j) in &self.parts[label as usize - 1] {
            for (dir, (v, neighbour)) in [
                ((i, j), (i, j - 1)),
                ((i + 1, j), (i + 1, j)),
                ((i + 1, j + 1), (i, j + 1)),
                ((i, j + 1), (i - 1, j)),
            ]
            .into_iter()
            .enumerate()
            {
                if !mine(neighbour) {
                    outgoing[corner(v)] |= 1 << dir;
                    starts.push(v);
                }
            }
        }
        starts.sort_unstable();
        let mut rings: Vec<(i64, Vec<Cell>)> = Vec::new();
        for start in starts {
            let mask = outgoing[corner(start)];
            if mask == 0 {
                continue;
            }
            let mut dir = mask.trailing_zeros() as usize;
            let mut v = start;
            let mut ring = vec![start];
            loop {
                outgoing[corner(v)] &= !(1 << dir);
                v = (v.0 + DELTAS[dir].0, v.1 + DELTAS[dir].1);
                if v == start {
                    break;
                }
                let available = outgoing[corner(v)];
                let Some(next) = [(dir + 3) % 4, dir, (dir + 1) % 4]
                    .into_iter()
                    .find(|d| available & (1 << d) != 0)
                else {
                    debug_assert!(false, "open boundary at {v:?}");
                    break;
                };
                if next != dir {
                    ring.push(v);
                }
                dir = next;
            }
            let ring = drop_collinear(ring);
            rings.push((twice_area(&ring), ring));
        }
        // One exterior (positive area) per 4-connected part; the rest are holes.
        let exterior_at = rings
            .iter()
            .position(|(a, _)| *a > 0)
            .expect("a part has an exterior ring");
        let holes = rings
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != exterior_at)
            .map(|(_, (_, r))| ring_line(lattice, r))
            .collect();
        Polygon::new(ring_line(lattice, &rings[exterior_at].1), holes)
    }
}

/// Removes vertices in the middle of a straight run (the start may be one).
fn drop_collinear(ring: Vec<Cell>) -> Vec<Cell> {
    let n = ring.len();
    (0..n)
        .filter(|&k| {
            let (p, v, q) = (ring[(k + n - 1) % n], ring[k], ring[(k + 1) % n]);
            !((p.0 == v.0 && v.0 == q.0) || (p.1 == v.1 && v.1 == q.1))
        })
        .map(|k| ring[k])
        .collect()
}

/// Twice the signed area (shoelace), positive counter-clockwise.
fn twice_area(ring: &[Cell]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|k| {
            let (a, b) = (ring[k], ring[(k + 1) % n]);
            i64::from(a.0) * i64::from(b.1) - i64::from(b.0) * i64::from(a.1)
        })
        .sum()
}

// ---------------------------------------------------------------------------------------------
// Grids

/// Block of lattice cells (columns, rows) tried in round `round`: 1×1, 2×1, 2×2, 3×2, 3×3 …
fn block(round: i32) -> (i32, i32) {
    ((round + 1) / 2 + 1, round / 2 + 1)
}

/// A village's cells cut into at most 999 grids: the 4-connected parts of the smallest block
/// size that is enough, in reading order (north to south, then west to east).
fn grid_pieces(cells: &[Cell]) -> Vec<Vec<Cell>> {
    for round in 0.. {
        let (bx, by) = block(round);
        let mut blocks: BTreeMap<Cell, Vec<Cell>> = BTreeMap::new();
        for &(i, j) in cells {
            blocks
                .entry((i.div_euclid(bx), j.div_euclid(by)))
                .or_default()
                .push((i, j));
        }
        let mut pieces: Vec<Vec<Cell>> = Vec::new();
        for group in blocks.into_values() {
            pieces.extend(connected_parts(&group));
            if pieces.len() > MAX_GRIDS_PER_VILLAGE {
                break;
            }
        }
        if pieces.len() <= MAX_GRIDS_PER_VILLAGE {
            let key = |p: &Vec<Cell>| {
                p.iter()
                    .map(|&(i, j)| (-j, i))
                    .min()
                    .expect("a piece has cells")
            };
            pieces.sort_by_key(key);
            return pieces;
        }
    }
    unreachable!("blocks grow until the grids fit")
}

/// The 4-connected parts of a few cells.
fn connected_parts(cells: &[Cell]) -> Vec<Vec<Cell>> {
    let mut left: Vec<Cell> = cells.to_vec();
    left.sort_unstable();
    let mut parts = Vec::new();
    while let Some(first) = left.first().copied() {
        let mut part = vec![first];
        left.retain(|&c| c != first);
        let mut k = 0;
        while k < part.len() {
            let (i, j) = part[k];
            let (near, far): (Vec<Cell>, Vec<Cell>) = left
                .iter()
                .partition(|&&(x, y)| (x - i).abs() + (y - j).abs() == 1);
            part.extend(near);
            left = far;
            k += 1;
        }
        part.sort_unstable();
        parts.push(part);
    }
    parts
}

// ---------------------------------------------------------------------------------------------
// One town

struct VillageSeed<'a> {
    region: &'a Region,
    point: LonLat,
    weight: f64,
}

/// A town's lattice and who owns each cell.
struct TownLayout<'a> {
    tree: &'a RegionTree,
    town: &'a Region,
    lattice: Lattice,
    villages: Vec<VillageSeed<'a>>,
    /// Per lattice cell: the index of the owning village, or [`NOBODY`] outside the town.
    owner: Vec<usize>,
    inside: Vec<bool>,
}

impl<'a> TownLayout<'a> {
    fn build(
        tree: &'a RegionTree,
        town: &'a Region,
        facts: &TownFacts,
        points: &HashMap<&str, LonLat>,
    ) -> Self {
        let seed = fnv1a(&town.code);
        let radius = (facts.area_km2 * 1e6 / std::f64::consts::PI).sqrt();
        let (m_lon, m_lat) = metres_per_degree(facts.centre.lat);
        let villages: Vec<VillageSeed> = tree
            .iter()
            .filter(|r| r.level == RegionLevel::Village && tree.contains(&town.code, &r.code))
            .map(|region| {
                // A village the data lacks gets a stable spot near the centre.
                let point = points
                    .get(region.code.as_str())
                    .copied()
                    .unwrap_or_else(|| {
                        let h = mix(fnv1a(&region.code));
                        let (angle, r) = (
                            unit(h) * std::f64::consts::TAU,
                            0.5 * radius * unit(mix(h)).sqrt(),
                        );
                        LonLat::new(
                            facts.centre.lon + r * angle.cos() / m_lon,
                            facts.centre.lat + r * angle.sin() / m_lat,
                        )
                    });
                let weight = if region.name.ends_with('村') {
                    RURAL_WEIGHT
                } else {
                    1.0
                };
                VillageSeed {
                    region,
                    point,
                    weight,
                }
            })
            .collect();

        // Seeds in metres from the centre; the lattice leaves room to grow on every side.
        let mut seeds_m: Vec<(f64, f64)> = vec![(0.0, 0.0)];
        seeds_m.extend(villages.iter().map(|v| {
            (
                (v.point.lon - facts.centre.lon) * m_lon,
                (v.point.lat - facts.centre.lat) * m_lat,
            )
        }));
        let margin = 1.25 * radius + 500.0;
        let (mut west, mut south, mut east, mut north) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for &(x, y) in &seeds_m {
            (west, east) = (west.min(x), east.max(x));
            (south, north) = (south.min(y), north.max(y));
        }
        let lattice = Lattice::around(
            facts.centre,
            west - margin,
            south - margin,
            east + margin,
            north + margin,
        );

        let origin = lattice.corner((0, 0));
        let local: Vec<(f64, f64)> = seeds_m
            .iter()
            .map(|&(x, y)| {
                (
                    x + (facts.centre.lon - origin.x) * m_lon,
                    y + (facts.centre.lat - origin.y) * m_lat,
                )
            })
            .collect();
        let mut sources: Vec<usize> = Vec::new();
        for (a, b) in spanning_tree(&local) {
            sources.extend(segment_cells(&lattice, local[a], local[b]));
        }
        sources.push(lattice.index(lattice.cell_at(facts.centre)));
        sources.sort_unstable();
        sources.dedup();
        let target = (facts.area_km2 * 1e6 / (CELL_M * CELL_M)).round() as usize;
        let inside = grow_town(&lattice, &sources, target, seed);

        // Each village starts from its own cell (the nearest free one if two share a cell).
        let mut taken: HashSet<usize> = HashSet::new();
        let starts: Vec<usize> = villages
            .iter()
            .map(|v| {
                let first = lattice.index(lattice.cell_at(v.point));
                let free = nearest_free(&lattice, &inside, &taken, first);
                taken.insert(free);
                free
            })
            .collect();
        let cells = inside.iter().filter(|&&c| c).count();
        let weights: Vec<f64> = villages.iter().map(|v| v.weight).collect();
        let quotas = apportion(cells, &weights);
        let speeds: Vec<f64> = weights.iter().map(|w| w.sqrt()).collect();
        let owner = share_out(&lattice, &inside, &starts, &quotas, &speeds, mix(seed));
        TownLayout {
            tree,
            town,
            lattice,
            villages,
            owner,
            inside,
        }
    }

    fn shape(&self, region: &Region, cells: &[Cell]) -> RegionShape {
        RegionShape {
            code: region.code.clone(),
            name: region.name.clone(),
            level: region.level,
            parent: region.parent.clone(),
            shape: outline(&self.lattice, cells),
            approximate: true,
        }
    }

    fn shapes(&self) -> Vec<RegionShape> {
        let town_cells: Vec<Cell> = (0..self.lattice.len())
            .filter(|&k| self.inside[k])
            .map(|k| self.lattice.cell(k))
            .collect();
        let mut by_village: Vec<Vec<Cell>> = vec![Vec::new(); self.villages.len()];
        for (k, &v) in self.owner.iter().enumerate() {
            if v != NOBODY {
                by_village[v].push(self.lattice.cell(k));
            }
        }
        let mut out = vec![self.shape(self.town, &town_cells)];
        for area in self
            .tree
            .children(&self.town.code)
            .filter(|r| r.level == RegionLevel::Area)
        {
            let cells: Vec<Cell> = self
                .villages
                .iter()
                .zip(&by_village)
                .filter(|(v, _)| v.region.parent.as_deref() == Some(area.code.as_str()))
                .flat_map(|(_, c)| c.iter().copied())
                .collect();
            if !cells.is_empty() {
                out.push(self.shape(area, &cells));
            }
        }
        for (v, cells) in self.villages.iter().zip(&by_village) {
            out.push(self.shape(v.region, cells));
        }
        for (v, cells) in self.villages.iter().zip(&by_village) {
            let short = short_name(&v.region.name);
            for (k, piece) in grid_pieces(cells).iter().enumerate() {
                out.push(RegionShape {
                    code: format!("{}{:03}", v.region.code, k + 1),
                    name: format!("{short}{}号网格", k + 1),
                    level: RegionLevel::Grid,
                    parent: Some(v.region.code.clone()),
                    shape: outline(&self.lattice, piece),
                    approximate: true,
                });
            }
        }
        out
    }
}

/// `from` if it is a town cell nobody has, else the nearest such cell (breadth first).
fn nearest_free(lattice: &Lattice, inside: &[bool], taken: &HashSet<usize>, from: usize) -> usize {
    let mut seen = HashSet::from([from]);
    let mut queue = VecDeque::from([from]);
    while let Some(k) = queue.pop_front() {
        if inside[k] && !taken.contains(&k) {
            return k;
        }
        for n in lattice.neighbours(k) {
            if seen.insert(n) {
                queue.push_back(n);
            }
        }
    }
    panic!("a town has more 村/居 than cells")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CoordSys;
    use crate::coord::{distance_m, to_wgs84};
    use chengyun_domain::region::level_of_code;
    use geo::{
        Area, BoundingRect, Contains, GeodesicArea, Intersects, PreparedGeometry, Relate,
        Validation,
    };
    use std::sync::OnceLock;

    fn shapes() -> &'static [RegionShape] {
        static S: OnceLock<Vec<RegionShape>> = OnceLock::new();
        S.get_or_init(|| demo_shapes(&DemoTowns::bundled()))
    }

    fn by_code() -> HashMap<&'static str, &'static RegionShape> {
        shapes().iter().map(|s| (s.code.as_str(), s)).collect()
    }

    fn of_level(level: RegionLevel) -> impl Iterator<Item = &'static RegionShape> {
        shapes().iter().filter(move |s| s.level == level)
    }

    #[test]
    fn the_same_every_time() {
        assert_eq!(demo_shapes(&DemoTowns::bundled()), shapes());
        assert!(shapes().iter().all(|s| s.approximate));
    }

    #[test]
    fn the_bundled_points_are_the_demo_villages() {
        let demo = DemoTowns::bundled();
        let tree = demo.region_tree();
        let points = village_points();
        let villages: Vec<&Region> = tree
            .iter()
            .filter(|r| r.level == RegionLevel::Village)
            .collect();
        assert_eq!(points.len(), villages.len());
        for v in &villages {
            assert!(
                points.contains_key(v.code.as_str()),
                "{} has no point",
                v.code
            );
        }
        let mut from_vonng = 0;
        for row in csv_rows(VILLAGES_CSV) {
            let v = tree.get(row["code"]).expect("a demo village");
            assert_eq!(v.name, row["name"]);
            assert_eq!(tree.town_of(row["code"]).unwrap().code, row["town"]);
            match row["source"] {
                "vonng2016" => {
                    // The stored WGS-84 point is the published GCJ-02 one converted back.
                    let gcj = LonLat::new(number(&row, "lon_gcj02"), number(&row, "lat_gcj02"));
                    let wgs = LonLat::new(number(&row, "lon"), number(&row, "lat"));
                    assert!(
                        distance_m(to_wgs84(gcj, CoordSys::Gcj02), wgs) < 0.2,
                        "{row:?}"
                    );
                    from_vonng += 1;
                }
                "placed" => assert!(row["lon_gcj02"].is_empty()),
                other => panic!("unknown source {other}"),
            }
        }
        assert_eq!(from_vonng, 19);
        assert_eq!(town_facts().len(), 3);
    }

    #[test]
    fn every_region_below_the_towns_has_a_shape() {
        let tree = DemoTowns::bundled().region_tree();
        let shapes = by_code();
        for r in tree.iter().filter(|r| {
            matches!(
                r.level,
                RegionLevel::Town | RegionLevel::Area | RegionLevel::Village
            )
        }) {
            let s = shapes
                .get(r.code.as_str())
                .unwrap_or_else(|| panic!("{} has no shape", r.code));
            assert_eq!((&s.name, s.level, &s.parent), (&r.name, r.level, &r.parent));
            assert!(!s.shape.0.is_empty());
        }
    }

    #[test]
    fn towns_have_their_published_area() {
        let shapes = by_code();
        for f in town_facts() {
            let km2 = shapes[f.code.as_str()].shape.geodesic_area_unsigned() / 1e6;
            assert!(
                (km2 / f.area_km2 - 1.0).abs() < 0.15,
                "{}: {km2:.2} km² vs {}",
                f.code,
                f.area_km2
            );
            // One piece without holes.
            assert_eq!(shapes[f.code.as_str()].shape.0.len(), 1, "{}", f.code);
            assert!(
                shapes[f.code.as_str()].shape.0[0].interiors().is_empty(),
                "{}",
                f.code
            );
        }
    }

    #[test]
    fn grid_codes_and_names() {
        let tree = DemoTowns::bundled().region_tree();
        let mut per_village: BTreeMap<&str, Vec<&RegionShape>> = BTreeMap::new();
        for g in of_level(RegionLevel::Grid) {
            assert_eq!(
                level_of_code(&g.code),
                Some(RegionLevel::Grid),
                "{}",
                g.code
            );
            let village = g.parent.as_deref().unwrap();
            assert_eq!(&g.code[..12], village);
            assert_eq!(tree.get(village).unwrap().level, RegionLevel::Village);
            per_village.entry(village).or_default().push(g);
        }
        assert_eq!(
            per_village.len(),
            tree.iter()
                .filter(|r| r.level == RegionLevel::Village)
                .count()
        );
        for (village, grids) in per_village {
            assert!(grids.len() <= 999);
            let short = short_name(&tree.get(village).unwrap().name);
            for (k, g) in grids.iter().enumerate() {
                assert_eq!(g.code, format!("{village}{:03}", k + 1));
                assert_eq!(g.name, format!("{short}{}号网格", k + 1));
            }
        }
        assert_eq!(short_name("金沁苑第一居民区"), "金沁苑第一居");
        assert_eq!(short_name("海桥村"), "海桥村");
    }

    #[test]
    fn grids_are_about_a_hectare() {
        let mut areas: Vec<f64> = of_level(RegionLevel::Grid)
            .filter(|g| g.code.starts_with("310115137") || g.code.starts_with("310112107"))
            .map(|g| g.shape.geodesic_area_unsigned())
            .collect();
        areas.sort_by(f64::total_cmp);
        let median = areas[areas.len() / 2];
        assert!((9_900.0..10_100.0).contains(&median), "median {median} m²");
        assert!(
            areas.iter().all(|a| (9_900.0..10_100.0).contains(a)),
            "航头镇 and 虹桥镇 need no larger grids"
        );
    }

    /// Parts tile their whole: no part pokes out (contains) and no two overlap (the areas add up).
    fn assert_tiles(whole: &RegionShape, parts: &[&RegionShape]) {
        let sum: f64 = parts.iter().map(|p| p.shape.unsigned_area()).sum();
        let area = whole.shape.unsigned_area();
        assert!(
            (sum / area - 1.0).abs() < 1e-9,
            "{}: parts {sum} vs {area}",
            whole.code
        );
        let prepared = PreparedGeometry::from(&whole.shape);
        for p in parts {
            assert!(
                prepared.relate(&p.shape).is_contains(),
                "{} not inside {}",
                p.code,
                whole.code
            );
        }
    }

    #[test]
    fn grids_tile_their_village_and_villages_their_town() {
        let shapes = by_code();
        let tree = DemoTowns::bundled().region_tree();
        let mut children: BTreeMap<&str, Vec<&RegionShape>> = BTreeMap::new();
        for s in of_level(RegionLevel::Grid).chain(of_level(RegionLevel::Village)) {
            let parent = if s.level == RegionLevel::Village {
                tree.town_of(&s.code).unwrap().code.as_str()
            } else {
                s.parent.as_deref().unwrap()
            };
            children.entry(parent).or_default().push(s);
        }
        for (parent, parts) in &children {
            assert_tiles(shapes[parent], parts);
        }
        for area in of_level(RegionLevel::Area) {
            let parts: Vec<&RegionShape> = of_level(RegionLevel::Village)
                .filter(|v| v.parent.as_deref() == Some(area.code.as_str()))
                .collect();
            assert_tiles(area, &parts);
        }
    }

    #[test]
    fn neighbouring_grids_only_touch() {
        // Pairwise, in one town: interiors never meet.
        let grids: Vec<(&RegionShape, geo::Rect)> = of_level(RegionLevel::Grid)
            .filter(|g| g.code.starts_with("310112107"))
            .map(|g| (g, g.shape.bounding_rect().unwrap()))
            .collect();
        let mut touching = 0;
        for (k, (a, ra)) in grids.iter().enumerate() {
            for (b, rb) in &grids[k + 1..] {
                if ra.intersects(rb) {
                    let m = a.shape.relate(&b.shape);
                    assert!(
                        !m.is_intersects() || m.is_touches(),
                        "{} overlaps {}",
                        a.code,
                        b.code
                    );
                    touching += 1;
                }
            }
        }
        assert!(touching > grids.len());
    }

    #[test]
    fn shapes_are_valid() {
        for s in shapes() {
            assert!(
                s.shape.is_valid(),
                "{}: {:?}",
                s.code,
                s.shape.check_validation()
            );
        }
    }

    #[test]
    fn points_in_a_grid_locate_back() {
        let shapes = by_code();
        let grids: Vec<&RegionShape> = of_level(RegionLevel::Grid).collect();
        let mut h = 7u64;
        for g in grids.iter().step_by(23) {
            let r = g.shape.bounding_rect().unwrap();
            let mut found = 0;
            while found < 3 {
                h = mix(h);
                let p = geo::Point::new(
                    r.min().x + unit(h) * r.width(),
                    r.min().y + unit(mix(h)) * r.height(),
                );
                if !g.shape.contains(&p) {
                    continue;
                }
                found += 1;
                let village = shapes[g.parent.as_deref().unwrap()];
                assert!(village.shape.contains(&p));
                assert!(shapes[&village.code[..9]].shape.contains(&p));
                let hits: Vec<&str> = grids
                    .iter()
                    .filter(|o| o.parent == g.parent && o.shape.contains(&p))
                    .map(|o| o.code.as_str())
                    .collect();
                assert_eq!(hits, [g.code.as_str()]);
            }
        }
    }

    #[test]
    fn outlines_of_awkward_cell_sets() {
        let lattice = Lattice::around(LonLat::new(121.5, 31.2), 0.0, 0.0, 1000.0, 1000.0);
        // A ring of 8 cells: one polygon with a hole.
        let ring: Vec<Cell> = (0..3)
            .flat_map(|i| (0..3).map(move |j| (i, j)))
            .filter(|&c| c != (1, 1))
            .collect();
        let m = outline(&lattice, &ring);
        assert_eq!(m.0.len(), 1);
        assert_eq!(m.0[0].exterior().0.len(), 5);
        assert_eq!(m.0[0].interiors().len(), 1);
        assert!(m.is_valid());
        // Two cells touching at a corner: two squares.
        let m = outline(&lattice, &[(0, 0), (1, 1)]);
        assert_eq!(m.0.len(), 2);
        assert!(m.is_valid(), "{:?}", m.check_validation());
        // A C whose tips touch at a corner: a polygon whose hole touches the exterior there.
        let c: Vec<Cell> = vec![
            (0, 0),
            (1, 0),
            (2, 0),
            (2, 1),
            (2, 2),
            (1, 2),
            (0, 2),
            (0, 1),
        ]
        .into_iter()
        .filter(|&c| c != (0, 1))
        .chain([(-1, 1), (-1, 2)])
        .collect();
        let m = outline(&lattice, &c);
        assert!(m.is_valid(), "{:?}", m.check_validation());
        assert!((m.unsigned_area() / (lattice.dlon * lattice.dlat) - c.len() as f64).abs() < 1e-6);
        // Grid pieces: more than 999 cells are blocked up.
        let big: Vec<Cell> = (0..40).flat_map(|i| (0..30).map(move |j| (i, j))).collect();
        let pieces = grid_pieces(&big);
        assert_eq!(pieces.len(), 600);
        assert!(pieces.iter().all(|p| p.len() == 2));
        assert_eq!(pieces[0], vec![(0, 29), (1, 29)]);
    }

    #[test]
    fn adds_the_grids_as_regions() {
        let demo = DemoTowns::bundled();
        let with = with_grid_regions(&demo, shapes());
        let tree = with.region_tree();
        let grids = of_level(RegionLevel::Grid).count();
        assert_eq!(tree.len(), demo.regions.len() + grids);
        assert_eq!(tree.town_of("310115137201001").unwrap().code, "310115137");
        // Idempotent.
        assert_eq!(
            with_grid_regions(&with, shapes()).regions.len(),
            with.regions.len()
        );
    }
}
