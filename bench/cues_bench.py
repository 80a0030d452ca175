"""Turn-cue benchmark: cues per option and the time to compute and render them, on real OSM networks.

    python bench/cues_bench.py [--starts 2]

Plans heart, circle, star and square at 3 km (3 options each) from a few start points of the Helsinki demo
network (`.cache/osm/Helsinki.osm.pbf`, `make sample`) and of the Suwon/Ajou extract when it is present
(`../shared/data/suwon-ajou.osm`; skipped with a note otherwise), then for every option: how many cues (and per
km), the time of `cues_for_path` (what planning adds per option), of rendering them in Korean and English
(what each response with the option adds) and of the FIT and GPX exports; then a marathon-length FIT course.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "runnerway.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from bench.planner_bench import SUWON_OSM  # noqa: E402
from routes.cues import cues_render  # noqa: E402
from routes.exports import fit_course_for_path, gpx_for_path  # noqa: E402
from routes.planner import PlanRequest, RouteNotFound, build_graph_from_osm, plan_routes, template_outline  # noqa: E402
from routes.planner.cues import cues_for_path  # noqa: E402

SHAPES = ("heart", "circle", "star", "square")
START_TIME = datetime(2026, 1, 1, tzinfo=UTC)
DISTANCE_M = 3000.0
NETWORKS = [("Helsinki demo", ROOT / ".cache" / "osm" / "Helsinki.osm.pbf"), ("Suwon/Ajou", SUWON_OSM)]


def start_points(graph, count: int) -> list[tuple[float, float]]:
    """The bbox centre and points a fifth of the way in from its corners."""
    min_lat, min_lon, max_lat, max_lon = graph.bbox
    points = [((min_lat + max_lat) / 2, (min_lon + max_lon) / 2)]
    for fy, fx in ((0.35, 0.35), (0.65, 0.65), (0.35, 0.65), (0.65, 0.35)):
        points.append((min_lat + fy * (max_lat - min_lat), min_lon + fx * (max_lon - min_lon)))
    return points[:count]


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(values, share * 100)) if values else float("nan")


def bench_network(name: str, path: Path, starts: int) -> None:
    if not path.exists():
        print(f"{name}: {path} not found, skipped")
        return
    graph = build_graph_from_osm(path)
    named = sum(1 for n in graph.names if n)
    print(f"\n{name}: {graph.node_count} nodes, {graph.edge_count} edges, {named} street names "
          f"({sum(1 for n in graph.names_ko if n)} with name:ko, {sum(1 for n in graph.names_en if n)} name:en)")
    graph.edge_ids_along(np.zeros(2, dtype=np.int64))  # the lazy edge index, built once per process in the app
    # fit-tool's import (~0.5-1.5 s, once per process) is not what an export costs
    fit_course_for_path(name="warm-up", coordinates=[[0.0, 0.0], [0.0, 0.001]], cues=[], speed_mps=1.0,
                        start_time=START_TIME)
    rows = []
    for lat, lon in start_points(graph, starts):
        for shape in SHAPES:
            try:
                options = plan_routes(graph, PlanRequest(outline_xy=template_outline(shape), start_lat=lat,
                                                         start_lon=lon, target_length_m=DISTANCE_M))
            except RouteNotFound:
                continue
            for option in options:
                started = time.perf_counter()
                cues = [cue.to_json() for cue in cues_for_path(graph, option.node_ids)]
                compute_ms = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                cues_render(cues, language="ko")
                cues_render(cues, language="en")
                render_ms = (time.perf_counter() - started) * 1000 / 2
                rendered = cues_render(cues, language="ko")
                started = time.perf_counter()
                fit_course_for_path(name=shape, coordinates=option.coordinates.tolist(), cues=rendered,
                                    speed_mps=2.78, start_time=START_TIME)
                fit_ms = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                gpx_for_path(name=shape, coordinates=option.coordinates.tolist(), cues=rendered)
                gpx_ms = (time.perf_counter() - started) * 1000
                rows.append({"shape": shape, "km": option.distance_m / 1000, "vertices": len(option.node_ids),
                             "cues": len(cues), "turns": len(cues) - 2, "compute_ms": compute_ms,
                             "render_ms": render_ms, "fit_ms": fit_ms, "gpx_ms": gpx_ms})
    if not rows:
        print("  no option planned")
        return
    print(f"  {'shape':8} {'options':>7} {'cues/option':>12} {'turns/km':>9} {'vertices':>9} {'compute ms':>11}")
    for shape in SHAPES:
        shape_rows = [row for row in rows if row["shape"] == shape]
        if not shape_rows:
            continue
        print(f"  {shape:8} {len(shape_rows):7d} {statistics.median(r['cues'] for r in shape_rows):12.0f} "
              f"{statistics.median(r['turns'] / r['km'] for r in shape_rows):9.1f} "
              f"{statistics.median(r['vertices'] for r in shape_rows):9.0f} "
              f"{statistics.median(r['compute_ms'] for r in shape_rows):11.2f}")
    compute = [row["compute_ms"] for row in rows]
    render = [row["render_ms"] for row in rows]
    cue_counts = [row["cues"] for row in rows]
    print(f"  all {len(rows)} options: cues per option median {statistics.median(cue_counts):.0f} "
          f"(min {min(cue_counts)}, max {max(cue_counts)}); turns per km median "
          f"{statistics.median(r['turns'] / r['km'] for r in rows):.1f}")
    print(f"  compute per option: p50 {percentile(compute, 0.5):.2f} ms, p95 {percentile(compute, 0.95):.2f} ms, "
          f"max {max(compute):.2f} ms; render per option and language: p50 {percentile(render, 0.5):.2f} ms, "
          f"max {max(render):.2f} ms")
    fit = [row["fit_ms"] for row in rows]
    gpx = [row["gpx_ms"] for row in rows]
    print(f"  exports per option: FIT course p50 {percentile(fit, 0.5):.0f} ms (max {max(fit):.0f}), "
          f"GPX with route points p50 {percentile(gpx, 0.5):.1f} ms")


def bench_long_fit() -> None:
    """A marathon-length option: ~80 path points per km on city streets, a cue every ~80 m."""
    points = 3400
    angle = np.linspace(0, 6 * np.pi, points)
    coordinates = np.stack([37.28 + 0.03 * np.sin(angle), 127.04 + 0.04 * np.cos(angle)], axis=1).tolist()
    cues = [{"turn": "left", "latitude": lat, "longitude": lng, "distance_from_start_m": i * 80.0,
             "street": "월드컵로", "instruction": "좌회전, 월드컵로"} for i, (lat, lng) in enumerate(coordinates[::7])]
    started = time.process_time()
    fit_course_for_path(name="marathon", coordinates=coordinates, cues=cues, speed_mps=2.78, start_time=START_TIME)
    print(f"\nFIT course of {points} points and {len(cues)} course points (a marathon): "
          f"{(time.process_time() - started) * 1000:.0f} ms CPU")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=2, help="start points per network (1-5)")
    args = parser.parse_args()
    for name, path in NETWORKS:
        bench_network(name, path, max(1, min(args.starts, 5)))
    bench_long_fit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
