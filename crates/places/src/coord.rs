//! Coordinate systems used in China.
//!
//! - WGS-84: GPS. CGCS2000 (国家2000, 天地图) differs from it by centimetres and is treated as WGS-84.
//! - GCJ-02 (火星坐标): the state-mandated obfuscation used by 高德, Tencent and WeChat maps; a
//!   smooth, non-linear offset of a few hundred metres, applied only inside China.
//! - BD-09: Baidu's further transform of GCJ-02.
//!
//! The forward transforms are the published formulas; the inverses have no closed form and are
//! found by fixed-point iteration to well under a millimetre.

use crate::CoordSys;

/// Krasovsky 1940 ellipsoid, as the GCJ-02 formula uses it.
const KRASOVSKY_A: f64 = 6_378_245.0;
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
const BD_X_PI: f64 = std::f64::consts::PI * 3000.0 / 180.0;
/// Stop iterating an inverse once a step moves less than this (degrees; ≈ 0.01 mm).
const INVERSE_EPSILON_DEG: f64 = 1e-10;
const INVERSE_MAX_STEPS: usize = 30;

/// A longitude/latitude pair in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

impl LonLat {
    pub const fn new(lon: f64, lat: f64) -> Self {
        LonLat { lon, lat }
    }
}

/// The box in which GCJ-02 applies its offset; outside it GCJ-02 equals WGS-84.
pub fn in_gcj_area(p: LonLat) -> bool {
    (72.004..=137.8347).contains(&p.lon) && (0.8293..=55.8271).contains(&p.lat)
}

/// Converts a point in `from` to WGS-84.
pub fn to_wgs84(p: LonLat, from: CoordSys) -> LonLat {
    match from {
        CoordSys::Wgs84 | CoordSys::Cgcs2000 => p,
        CoordSys::Gcj02 => gcj02_to_wgs84(p),
        CoordSys::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(p)),
    }
}

/// Converts a WGS-84 point to `to`.
pub fn from_wgs84(p: LonLat, to: CoordSys) -> LonLat {
    match to {
        CoordSys::Wgs84 | CoordSys::Cgcs2000 => p,
        CoordSys::Gcj02 => wgs84_to_gcj02(p),
        CoordSys::Bd09 => gcj02_to_bd09(wgs84_to_gcj02(p)),
    }
}

/// Converts between any two systems (through WGS-84).
pub fn convert(p: LonLat, from: CoordSys, to: CoordSys) -> LonLat {
    if from == to { p } else { from_wgs84(to_wgs84(p, from), to) }
}

pub fn wgs84_to_gcj02(p: LonLat) -> LonLat {
    if !in_gcj_area(p) {
        return p;
    }
    let (dlon, dlat) = gcj_offset(p);
    LonLat::new(p.lon + dlon, p.lat + dlat)
}

pub fn gcj02_to_wgs84(p: LonLat) -> LonLat {
    invert(p, wgs84_to_gcj02)
}

pub fn gcj02_to_bd09(p: LonLat) -> LonLat {
    let (x, y) = (p.lon, p.lat);
    let z = (x * x + y * y).sqrt() + 0.000_02 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) + 0.000_003 * (x * BD_X_PI).cos();
    LonLat::new(z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

pub fn bd09_to_gcj02(p: LonLat) -> LonLat {
    invert(p, gcj02_to_bd09)
}

/// The GCJ-02 offset (Δlon, Δlat) in degrees at a WGS-84 point.
fn gcj_offset(p: LonLat) -> (f64, f64) {
    use std::f64::consts::PI;
    let (x, y) = (p.lon - 105.0, p.lat - 35.0);
    let periodic = (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    let dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt()
        + periodic
        + (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0
        + (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt()
        + periodic
        + (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0
        + (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad_lat = p.lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = dlat * 180.0 / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon = dlon * 180.0 / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (dlon, dlat)
}

/// Finds `w` with `forward(w) = target` by fixed-point iteration. The transforms are small,
/// smooth offsets, so each step shrinks the error by orders of magnitude.
fn invert(target: LonLat, forward: impl Fn(LonLat) -> LonLat) -> LonLat {
    let mut w = target;
    for _ in 0..INVERSE_MAX_STEPS {
        let f = forward(w);
        let (dlon, dlat) = (f.lon - target.lon, f.lat - target.lat);
        w = LonLat::new(w.lon - dlon, w.lat - dlat);
        if dlon.abs() < INVERSE_EPSILON_DEG && dlat.abs() < INVERSE_EPSILON_DEG {
            break;
        }
    }
    w
}

/// Great-circle distance in metres (haversine on a sphere of the WGS-84 mean radius).
pub fn distance_m(a: LonLat, b: LonLat) -> f64 {
    const R: f64 = 6_371_008.8;
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SYSTEMS: [CoordSys; 4] = [CoordSys::Wgs84, CoordSys::Cgcs2000, CoordSys::Gcj02, CoordSys::Bd09];

    #[test]
    fn gcj_offset_in_shanghai_is_a_few_hundred_metres() {
        let wgs = LonLat::new(121.4737, 31.2304);
        let gcj = wgs84_to_gcj02(wgs);
        let d = distance_m(wgs, gcj);
        assert!((400.0..700.0).contains(&d), "offset {d} m");
        assert!(gcj.lon > wgs.lon && gcj.lat < wgs.lat, "Shanghai's GCJ offset is east and south: {gcj:?}");
    }

    #[test]
    fn outside_china_nothing_moves() {
        let tokyo = LonLat::new(139.6917, 35.6895);
        for sys in SYSTEMS.into_iter().filter(|s| *s != CoordSys::Bd09) {
            assert_eq!(to_wgs84(tokyo, sys), tokyo);
        }
    }

    proptest! {
        /// Every inverse lands within 0.5 m (in fact within millimetres) of the original.
        #[test]
        fn round_trips_within_half_a_metre(lon in 73.5f64..135.0, lat in 18.0f64..53.5, i in 0usize..4, j in 0usize..4) {
            let p = LonLat::new(lon, lat);
            let (a, b) = (SYSTEMS[i], SYSTEMS[j]);
            let back = convert(convert(p, a, b), b, a);
            prop_assert!(distance_m(p, back) < 0.001, "{p:?} {a:?}→{b:?}→{a:?} = {back:?}");
            let there = from_wgs84(p, b);
            prop_assert!(distance_m(to_wgs84(there, b), p) < 0.5);
        }
    }
}
