//! The point → grid index agrees with shapely (GEOS) on the synthetic city: for every random
//! point farther than 1 mm from every cell edge, the cell we find is the one whose interior
//! shapely says holds the point (or neither finds one). Points within 1 mm of an edge are
//! counted and reported, and only they are skipped: there the two may legitimately differ (we
//! give an edge to the smaller code, shapely's `contains` gives it to no one).
//!
//! Needs a Python with shapely: `CHENGYUN_TEST_PYTHON=/path/to/python` (scripts/test.sh makes
//! `target/test-venv` and sets it). Without it the test fails; it never skips.

use std::path::PathBuf;
use std::process::Command;

use chengyun_domain::region::RegionLevel;
use chengyun_places::coord::LonLat;
use chengyun_places::locate::LocateIndex;
use chengyun_places::synthetic::{cells_tsv, city_grid, points_csv, random_points};
use geo::{BoundingRect, Coord, Distance, Euclidean, LineString, MapCoords, MultiPolygon, Point, Rect};
use rstar::{AABB, RTree, primitives::GeomWithData, primitives::Rectangle};

const CELLS: usize = 3000;
const RANDOM_POINTS: usize = 100_000;
/// Metres per degree of latitude, and of longitude at the equator (local flat-earth scale,
/// ample for distances of a millimetre).
const M_PER_DEG_LAT: f64 = 110_574.0;
const M_PER_DEG_LON_EQUATOR: f64 = 111_320.0;
const NEAR_M: f64 = 0.001;

#[test]
fn the_index_agrees_with_shapely_away_from_edges() {
    let python = std::env::var_os("CHENGYUN_TEST_PYTHON").unwrap_or_else(|| {
        panic!(
            "CHENGYUN_TEST_PYTHON is not set: this test compares the index with shapely and needs a \
             Python that has it. Run `bash scripts/test.sh` (it creates target/test-venv with shapely), \
             or set CHENGYUN_TEST_PYTHON=/path/to/python with `pip install shapely` done."
        )
    });

    let cells = city_grid(CELLS, 42);
    let holes: usize = cells.iter().flat_map(|(_, s)| &s.0).map(|p| p.interiors().len()).sum();
    let multi = cells.iter().filter(|(_, s)| s.0.len() > 1).count();
    assert!(holes > 0 && multi > 0, "the sample must have holes ({holes}) and multipolygons ({multi})");

    // Random points over the cells' extent, plus some exactly on vertices (shared by 2–4 cells)
    // to show that the near-edge accounting works.
    let extent = cells
        .iter()
        .map(|(_, s)| s.bounding_rect().expect("cells are not empty"))
        .reduce(|a, b| {
            let min = Coord { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) };
            let max = Coord { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) };
            Rect::new(min, max)
        })
        .expect("there are cells");
    let mut points = random_points(RANDOM_POINTS, 43, extent);
    points.extend(cells.iter().step_by(15).map(|(_, s)| {
        let c = s.0[0].exterior().0[1];
        LonLat::new(c.x, c.y)
    }));

    let dir = scratch_dir();
    std::fs::write(dir.join("cells.tsv"), cells_tsv(&cells)).unwrap();
    std::fs::write(dir.join("points.csv"), points_csv(&points)).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/locate_peer_shapely.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg("answers")
        .arg(dir.join("cells.tsv"))
        .arg(dir.join("points.csv"))
        .arg(dir.join("answers.txt"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run CHENGYUN_TEST_PYTHON={python:?}: {e}"));
    assert!(
        output.status.success(),
        "{} failed ({}): {}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let answers = std::fs::read_to_string(dir.join("answers.txt")).unwrap();
    let answers: Vec<&str> = answers.lines().collect();
    assert_eq!(answers.len(), points.len(), "shapely answers one line per point");

    let edges = EdgeDistance::new(&cells);
    let index = LocateIndex::build(cells.iter().map(|(c, s)| (c.clone(), RegionLevel::Grid, s.clone())));
    let (mut compared, mut near, mut in_a_cell) = (0usize, 0usize, 0usize);
    let mut disagreements = Vec::new();
    for (p, shapely_answer) in points.iter().zip(&answers) {
        if edges.within(*p, NEAR_M) {
            near += 1;
            continue;
        }
        compared += 1;
        let ours = index.locate(*p).map(|l| l.code).unwrap_or("");
        in_a_cell += usize::from(!ours.is_empty());
        if ours != *shapely_answer {
            disagreements.push(format!("{p:?}: ours {ours:?}, shapely {shapely_answer:?}"));
        }
    }
    eprintln!(
        "shapely agreement: {} points ({RANDOM_POINTS} random, {} on vertices), {compared} compared \
         ({in_a_cell} in a cell), {near} within {NEAR_M} m of an edge skipped, {} disagreements",
        points.len(),
        points.len() - RANDOM_POINTS,
        disagreements.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        disagreements.is_empty(),
        "{} disagreements, e.g.\n{}",
        disagreements.len(),
        disagreements[..disagreements.len().min(20)].join("\n")
    );
    assert!(near >= points.len() - RANDOM_POINTS, "every vertex point is near an edge");
    assert!(compared > RANDOM_POINTS * 99 / 100 && in_a_cell > compared * 9 / 10);
}

fn scratch_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("chengyun-shapely-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Distance from a point to the nearest ring of any cell, in metres, found through an R-tree
/// of ring bounding boxes (independent of the index under test).
struct EdgeDistance {
    rings: RTree<GeomWithData<Rectangle<[f64; 2]>, LineString<f64>>>,
}

impl EdgeDistance {
    fn new(cells: &[(String, MultiPolygon<f64>)]) -> Self {
        let rings = cells
            .iter()
            .flat_map(|(_, s)| &s.0)
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|ring| {
                let b = ring.bounding_rect().expect("rings are not empty");
                GeomWithData::new(Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]), ring.clone())
            })
            .collect();
        EdgeDistance { rings: RTree::bulk_load(rings) }
    }

    /// Whether some ring passes within `metres` of `p`.
    fn within(&self, p: LonLat, metres: f64) -> bool {
        let (sx, sy) = (M_PER_DEG_LON_EQUATOR * p.lat.to_radians().cos(), M_PER_DEG_LAT);
        // A box of twice the distance, in degrees, around the point.
        let (dx, dy) = (2.0 * metres / sx, 2.0 * metres / sy);
        let search = AABB::from_corners([p.lon - dx, p.lat - dy], [p.lon + dx, p.lat + dy]);
        self.rings.locate_in_envelope_intersecting(search).any(|ring| {
            // The ring in metres, centred on the point.
            let local = ring.data.map_coords(|c| Coord { x: (c.x - p.lon) * sx, y: (c.y - p.lat) * sy });
            Euclidean.distance(&Point::new(0.0, 0.0), &local) <= metres
        })
    }
}
