#!/usr/bin/env python3
"""The shapely peer of chengyun's point -> grid index (crates/places/src/locate.rs).

Reads the files written by `target/release/locate` or by the shapely agreement test:
cells.tsv (code, TAB, GeoJSON geometry) and points.csv (header `lon,lat`).

  locate_peer_shapely.py bench   CELLS POINTS OUT.json [--passes N]
      Single-thread throughput of an STRtree over the cells answering "which cell contains
      this point" for every point, in two ways, each the median of N passes:
        within   tree.query(points, predicate="within")           (one call, all points)
        prepared shapely.prepare(cells); candidates = tree.query(points);
                 shapely.contains(cells[c], points[p])            (bounding boxes, then exact)
      and, on the first 100,000 points only (a Python loop is slow), one call per point as a
      service answering one request at a time would make:
        per_point for each point: tree.query(point, predicate="within")
  locate_peer_shapely.py answers CELLS POINTS OUT.txt
      One line per point: the codes of the cells whose interior holds it, joined by ';'
      (empty when none).
"""

import json
import os
import resource
import statistics
import sys
import time

# One thread, like the Rust side (numpy's BLAS is not used here, but be explicit).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import shapely  # noqa: E402


def load(cells_path, points_path):
    codes, geojson = [], []
    with open(cells_path, encoding="utf-8") as f:
        for line in f:
            code, geometry = line.rstrip("\n").split("\t", 1)
            codes.append(code)
            geojson.append(geometry)
    cells = shapely.from_geojson(geojson)
    xy = np.loadtxt(points_path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    points = shapely.points(xy)
    return np.array(codes), cells, points


def rss_kb():
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def query_within(tree, points):
    return tree.query(points, predicate="within")


def query_prepared(tree, cells, points):
    point_idx, cell_idx = tree.query(points)
    keep = shapely.contains(cells[cell_idx], points[point_idx])
    return np.vstack([point_idx[keep], cell_idx[keep]])


def query_per_point(tree, points):
    found = []
    for point in points:
        found.extend((i, c) for i, c in enumerate(tree.query(point, predicate="within")))
    return np.array(found, dtype=np.int64).T.reshape(2, -1)


PER_POINT_SAMPLE = 100_000


def bench(cells_path, points_path, out_path, passes):
    codes, cells, points = load(cells_path, points_path)
    rss_loaded = rss_kb()
    t = time.perf_counter()
    tree = shapely.STRtree(cells)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    shapely.prepare(cells)
    prepare_s = time.perf_counter() - t

    sample = points[:PER_POINT_SAMPLE]
    results = {}
    for name, run, n, runs in [
        ("within", lambda: query_within(tree, points), len(points), passes),
        ("prepared", lambda: query_prepared(tree, cells, points), len(points), passes),
        ("per_point", lambda: query_per_point(tree, sample), len(sample), 1),
    ]:
        pairs = run()  # warm-up, and the hit count
        hits = int(np.unique(pairs[0]).size) if name != "per_point" else int(pairs.shape[1])
        times, cpu = [], []
        for _ in range(runs):
            t, c = time.perf_counter(), time.thread_time()
            run()
            times.append(time.perf_counter() - t)
            cpu.append(time.thread_time() - c)
        results[name] = {
            "points": n,
            "hits": hits,
            "passes_s": times,
            "locate_per_s": n / statistics.median(times),
            "locate_per_cpu_s": n / statistics.median(cpu),
        }
    best = max(["within", "prepared"], key=lambda k: results[k]["locate_per_s"])
    summary = {
        "shapely": shapely.__version__,
        "geos": ".".join(map(str, shapely.geos_version)),
        "cells": len(codes),
        "points": len(points),
        "build_s": build_s,
        "prepare_s": prepare_s,
        "variants": results,
        "best": best,
        "locate_per_s": results[best]["locate_per_s"],
        "locate_per_cpu_s": results[best]["locate_per_cpu_s"],
        "hits": results[best]["hits"],
        "rss_loaded_kb": rss_loaded,
        "rss_after_build_kb": rss_kb(),
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    for name, r in results.items():
        print(f"shapely {name:9s} {r['locate_per_s'] / 1e6:.3f} M/s ({r['hits']} of {r['points']} in a cell)")
    print(f"shapely STRtree build {build_s:.3f} s, prepare {prepare_s:.3f} s, RSS {rss_kb() / 1024:.1f} MiB")


def answers(cells_path, points_path, out_path):
    codes, cells, points = load(cells_path, points_path)
    tree = shapely.STRtree(cells)
    shapely.prepare(cells)
    point_idx, cell_idx = query_prepared(tree, cells, points)
    found = [[] for _ in range(len(points))]
    for p, c in zip(point_idx.tolist(), cell_idx.tolist()):
        found[p].append(codes[c])
    with open(out_path, "w", encoding="utf-8") as f:
        for codes_here in found:
            f.write(";".join(sorted(codes_here)) + "\n")


def main(argv):
    if len(argv) >= 5 and argv[1] == "bench":
        passes = int(argv[argv.index("--passes") + 1]) if "--passes" in argv else 5
        bench(argv[2], argv[3], argv[4], passes)
    elif len(argv) == 5 and argv[1] == "answers":
        answers(argv[2], argv[3], argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
