//! 疑似重复件: which open reports of the same kind lie near a new one in place and time.
//!
//! The database narrows the candidates with an index range over a box of fixed-point
//! coordinates ([`search_box`]); the exact great-circle distance and the score are decided here.

use crate::coord::{distance_m, LonLat};

/// Fixed-point coordinates stored beside a case (`cases.wgs_lon_e7`, `wgs_lat_e7`): degrees × 10⁷
/// (≈ 1 cm of latitude). Integers, because floats (NULL ones above all) do not bind reliably
/// through sqlx's `Any` driver on PostgreSQL.
pub const E7_PER_DEGREE: f64 = 1e7;

/// Metres per degree of latitude on the sphere [`distance_m`] uses.
const METRES_PER_DEGREE: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// A degree value as stored.
pub fn e7(deg: f64) -> i64 {
    (deg * E7_PER_DEGREE).round() as i64
}

/// How near and how recent an open case must be to be suspected as the same problem.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DuplicateRule {
    /// Metres (default 50).
    pub radius_m: f64,
    /// How far back to look, in milliseconds (default 72 h).
    pub window_ms: i64,
}

impl Default for DuplicateRule {
    fn default() -> Self {
        DuplicateRule { radius_m: 50.0, window_ms: 72 * 3_600_000 }
    }
}

/// A box in degrees × 10⁷, inclusive, that contains every point within `radius_m` of `center`
/// (a little larger, never smaller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct E7Box {
    pub min_lon: i64,
    pub max_lon: i64,
    pub min_lat: i64,
    pub max_lat: i64,
}

pub fn search_box(center: LonLat, radius_m: f64) -> E7Box {
    // 1 % and one unit of slack absorb rounding; the exact test comes after.
    let dlat = radius_m.max(0.0) / METRES_PER_DEGREE * 1.01;
    let widest_lat = (center.lat.abs() + dlat).min(89.0).to_radians();
    let dlon = dlat / widest_lat.cos();
    E7Box {
        min_lon: e7(center.lon - dlon) - 1,
        max_lon: e7(center.lon + dlon) + 1,
        min_lat: e7(center.lat - dlat) - 1,
        max_lat: e7(center.lat + dlat) + 1,
    }
}

/// An open case found in the box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate<T> {
    pub item: T,
    /// WGS-84.
    pub point: LonLat,
    pub created_at: i64,
}

/// A candidate that passed the rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Suspect<T> {
    pub item: T,
    pub distance_m: f64,
    /// How long before the new report the candidate was reported (never negative).
    pub age_ms: i64,
    /// 0–1, higher is likelier the same problem; see [`score`].
    pub score: f64,
}

/// How alike a candidate is by place and time alone: 1 at the same spot and instant, falling
/// linearly to 0.5 at the edge of the radius and of the window each weighing half. `None` when
/// outside either. A text similarity may later be blended in by the caller.
pub fn score(distance_m: f64, age_ms: i64, rule: &DuplicateRule) -> Option<f64> {
    let age_ms = age_ms.max(0);
    // false for a NaN distance too: such a candidate is never a suspect
    let near_enough = distance_m <= rule.radius_m;
    if !near_enough || age_ms > rule.window_ms {
        return None;
    }
    let near = if rule.radius_m > 0.0 { 1.0 - distance_m / rule.radius_m } else { 1.0 };
    let recent = if rule.window_ms > 0 { 1.0 - age_ms as f64 / rule.window_ms as f64 } else { 1.0 };
    Some(0.5 + 0.25 * near + 0.25 * recent)
}

/// The candidates within the rule of a new report at `point` and `now`, nearest first (the
/// more recent first at equal distance).
pub fn suspects<T>(point: LonLat, now: i64, rule: &DuplicateRule, candidates: impl IntoIterator<Item = Candidate<T>>) -> Vec<Suspect<T>> {
    let mut found: Vec<Suspect<T>> = candidates
        .into_iter()
        .filter_map(|c| {
            let distance_m = distance_m(point, c.point);
            let age_ms = (now - c.created_at).max(0);
            score(distance_m, age_ms, rule).map(|score| Suspect { item: c.item, distance_m, age_ms, score })
        })
        .collect();
    found.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.age_ms.cmp(&b.age_ms)));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HANGTOU: LonLat = LonLat::new(121.5958, 31.0274);
    const HOUR: i64 = 3_600_000;

    /// The point `metres` away from `from` towards `bearing` degrees (clockwise from north).
    fn offset(from: LonLat, metres: f64, bearing: f64) -> LonLat {
        let b = bearing.to_radians();
        let dlat = metres * b.cos() / METRES_PER_DEGREE;
        let dlon = metres * b.sin() / (METRES_PER_DEGREE * from.lat.to_radians().cos());
        LonLat::new(from.lon + dlon, from.lat + dlat)
    }

    fn inside(b: &E7Box, p: LonLat) -> bool {
        (b.min_lon..=b.max_lon).contains(&e7(p.lon)) && (b.min_lat..=b.max_lat).contains(&e7(p.lat))
    }

    #[test]
    fn the_rule_keeps_near_recent_cases_nearest_first() {
        let rule = DuplicateRule::default();
        let candidates = vec![
            Candidate { item: "30 m", point: offset(HANGTOU, 30.0, 90.0), created_at: -HOUR },
            Candidate { item: "10 m", point: offset(HANGTOU, 10.0, 200.0), created_at: -2 * HOUR },
            Candidate { item: "80 m", point: offset(HANGTOU, 80.0, 0.0), created_at: -HOUR },
            Candidate { item: "too old", point: offset(HANGTOU, 5.0, 0.0), created_at: -73 * HOUR },
            Candidate { item: "just in", point: offset(HANGTOU, 49.0, 300.0), created_at: -72 * HOUR },
        ];
        let found = suspects(HANGTOU, 0, &rule, candidates);
        let names: Vec<&str> = found.iter().map(|s| s.item).collect();
        assert_eq!(names, ["10 m", "30 m", "just in"]);
        assert!((found[0].distance_m - 10.0).abs() < 0.05, "{}", found[0].distance_m);
        assert_eq!(found[0].age_ms, 2 * HOUR);
    }

    #[test]
    fn scores_fall_with_distance_and_age() {
        let rule = DuplicateRule { radius_m: 50.0, window_ms: 10 * HOUR };
        assert_eq!(score(0.0, 0, &rule), Some(1.0));
        assert_eq!(score(50.0, 10 * HOUR, &rule), Some(0.5));
        assert!(score(10.0, HOUR, &rule) > score(20.0, HOUR, &rule));
        assert!(score(10.0, HOUR, &rule) > score(10.0, 2 * HOUR, &rule));
        assert_eq!(score(50.1, 0, &rule), None);
        assert_eq!(score(0.0, 10 * HOUR + 1, &rule), None);
        assert_eq!(score(f64::NAN, 0, &rule), None, "a broken distance never matches");
        assert_eq!(score(0.0, -5, &rule), Some(1.0), "a clock a little ahead counts as now");
    }

    proptest! {
        /// Every point within the radius lies in the search box, in every direction and latitude.
        #[test]
        fn the_box_holds_the_circle(lon in 73.0f64..136.0, lat in 3.0f64..54.0, r in 1.0f64..5000.0, bearing in 0.0f64..360.0, share in 0.0f64..1.0) {
            let center = LonLat::new(lon, lat);
            let p = offset(center, r * share, bearing);
            prop_assume!(distance_m(center, p) <= r);
            prop_assert!(inside(&search_box(center, r), p));
        }

        /// The box is not much larger than the circle (the index range stays tight).
        #[test]
        fn the_box_is_tight(lon in 73.0f64..136.0, lat in 3.0f64..54.0, r in 10.0f64..5000.0) {
            let b = search_box(LonLat::new(lon, lat), r);
            let height_m = (b.max_lat - b.min_lat) as f64 / E7_PER_DEGREE * METRES_PER_DEGREE;
            prop_assert!(height_m < 2.0 * r * 1.05 + 1.0, "{height_m} for radius {r}");
        }
    }
}
