//! `locate`: throughput of the point → grid index (`chengyun_places::locate`) on the synthetic
//! city grid, on one thread. `scripts/bench-locate.sh` runs it and then the shapely and PostGIS
//! peers on the files it writes.
//!
//! ```text
//! cargo run --release -p chengyun-bench --bin locate -- --cells 40625 --points 1000000
//! ```
//!
//! Writes to `--out`: `cells.tsv` (code, TAB, GeoJSON geometry; one cell a line), `points.csv`
//! (`lon,lat`, shortest round-trip decimals, so every peer reads the same doubles) and
//! `ours.json` (the figures printed).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use chengyun_domain::region::RegionLevel;
use chengyun_places::coord::LonLat;
use chengyun_places::locate::LocateIndex;
use chengyun_places::synthetic::{cells_tsv, city_grid, points_csv, random_points, shanghai};
use clap::Parser;
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// Grid cells to generate.
    #[arg(long, default_value_t = 40_625)]
    cells: usize,
    /// Random points to locate (uniform over Shanghai's extent).
    #[arg(long, default_value_t = 1_000_000)]
    points: usize,
    /// Timed passes over all points; the median pass is reported.
    #[arg(long, default_value_t = 5)]
    passes: usize,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Folder for cells.tsv, points.csv and ours.json.
    #[arg(long, default_value = "target/bench-locate")]
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;

    let t = Instant::now();
    let cells = city_grid(args.cells, args.seed);
    let points = random_points(args.points, args.seed.wrapping_add(1), shanghai());
    let generate_s = t.elapsed().as_secs_f64();
    let vertices: usize = cells.iter().map(|(_, mp)| mp.0.iter().map(polygon_vertices).sum::<usize>()).sum();
    let holes: usize = cells.iter().map(|(_, mp)| mp.0.iter().map(|p| p.interiors().len()).sum::<usize>()).sum();
    let multi = cells.iter().filter(|(_, mp)| mp.0.len() > 1).count();
    std::fs::write(args.out.join("cells.tsv"), cells_tsv(&cells))?;
    std::fs::write(args.out.join("points.csv"), points_csv(&points))?;

    let input: Vec<_> = cells.into_iter().map(|(code, shape)| (code, RegionLevel::Grid, shape)).collect();
    let rss_before_kb = proc_status_kb("VmRSS");
    let t = Instant::now();
    let index = LocateIndex::build(input);
    let build_s = t.elapsed().as_secs_f64();
    let rss_after_kb = proc_status_kb("VmRSS");

    // One untimed pass warms caches and gives the hit count; then the timed passes.
    let hits = locate_all(&index, &points);
    let mut passes: Vec<(f64, f64)> = (0..args.passes.max(1))
        .map(|_| {
            let (t, cpu) = (Instant::now(), thread_cpu_s());
            let found = locate_all(&index, &points);
            let (wall, cpu) = (t.elapsed().as_secs_f64(), thread_cpu_s() - cpu);
            assert_eq!(found, hits, "every pass finds the same cells");
            (wall, cpu)
        })
        .collect();
    passes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pass_s: Vec<f64> = passes.iter().map(|p| p.0).collect();
    let (median_s, median_cpu_s) = passes[passes.len() / 2];
    let per_second = points.len() as f64 / median_s;
    let per_cpu_second = points.len() as f64 / median_cpu_s;

    let result = json!({
        "cells": index.len(),
        "vertices": vertices,
        "holes": holes,
        "multipolygons": multi,
        "points": points.len(),
        "hits": hits,
        "generate_s": generate_s,
        "build_s": build_s,
        "passes_s": pass_s,
        "locate_per_s": per_second,
        "locate_per_cpu_s": per_cpu_second,
        "ns_per_locate": median_s * 1e9 / points.len() as f64,
        "heap_bytes": index.heap_bytes(),
        "rss_before_build_kb": rss_before_kb,
        "rss_after_build_kb": rss_after_kb,
        "peak_rss_kb": proc_status_kb("VmHWM"),
    });
    std::fs::write(args.out.join("ours.json"), serde_json::to_string_pretty(&result)?)?;

    println!("cells            {} ({vertices} vertices, {holes} holes, {multi} multipolygons)", index.len());
    println!("points           {} ({hits} in a cell)", points.len());
    println!("index build      {:.3} s", build_s);
    println!("index heap       {:.1} MiB", index.heap_bytes() as f64 / 1048576.0);
    println!(
        "process RSS      {:.1} MiB before build, {:.1} MiB after",
        rss_before_kb as f64 / 1024.0,
        rss_after_kb as f64 / 1024.0
    );
    println!(
        "locate, 1 thread {:.2} M/s ({:.0} ns each; median of {} passes); {:.2} M per CPU-second on the thread",
        per_second / 1e6,
        median_s * 1e9 / points.len() as f64,
        pass_s.len(),
        per_cpu_second / 1e6
    );
    Ok(())
}

/// Locates every point and reads each answer's code, as a caller would (a checksum of the
/// codes' last digits keeps the reads from being optimised away).
fn locate_all(index: &LocateIndex, points: &[LonLat]) -> usize {
    let mut hits = 0;
    let mut checksum = 0u64;
    for p in points {
        if let Some(found) = index.locate(*p) {
            hits += 1;
            checksum += u64::from(found.code.as_bytes().last().copied().unwrap_or(0));
        }
    }
    std::hint::black_box(checksum);
    hits
}

fn polygon_vertices(p: &chengyun_places::Polygon<f64>) -> usize {
    // Rings are closed: the last coordinate repeats the first.
    std::iter::once(p.exterior()).chain(p.interiors()).map(|r| r.0.len().saturating_sub(1)).sum()
}

/// Time this thread has spent on a CPU (from /proc/thread-self/schedstat, in ns), so that a
/// busy machine's other processes do not count against us; 0 where unavailable.
fn thread_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

/// A `kB` field of /proc/self/status (0 where there is none).
fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field)?.strip_prefix(':')?.trim().strip_suffix("kB")?.trim().parse().ok())
        })
        .unwrap_or(0)
}
