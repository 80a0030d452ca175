"""The issue-11 "done" check on the Helsinki demo: the 3 km heart before (the planner before recognisability)
and after, both scored with today's shape_fidelity, and the figure dragged 300 m east with plan_at_placement.
Writes var/bench/heart-before-after.png.

    python bench/heart_before_after.py [--before old_heart.npz] [--budget 1.0] [--starts-only]

The starts lie in the west half of the demo (1.0 x 1.7 km): a 3 km heart is ~0.75 km wide, so a figure
near the centre dragged 300 m east would sit mostly off the mapped streets. `--starts-only` prints them
("lat,lon" each) for making the before file: the planner of the commit before the recognisability score
(`git archive 08b1796^ routes/planner`) run at these starts, its best option's coordinates saved as
`coords<k>` and its own score as `score<k>` in an .npz.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.contact_sheet import write_sheet  # noqa: E402
from bench.planner_bench import PLACE_BUDGET_S  # noqa: E402
from routes.planner import (  # noqa: E402
    Placement,
    PlanRequest,
    RoadGraph,
    build_graph_from_osm,
    plan_at_placement,
    plan_routes,
    shape_fidelity,
    template_outline,
)
from routes.planner.recognisability import warm_up  # noqa: E402

DRAG_EAST_M = 300.0


def drag_starts(graph: RoadGraph) -> list[tuple[float, float]]:
    """Nodes 350 m west / 200 m north and 400 m west / 400 m south of the demo's centre: the planner puts a
    3 km heart from there in the west half (centre ~170 m and ~80 m west of the middle; found by trying
    starts), so dragged 300 m east it still lies (almost) on the mapped streets."""
    min_lat, min_lon, max_lat, max_lon = graph.bbox
    centre_xy = graph.projection.to_xy((min_lat + max_lat) / 2, (min_lon + max_lon) / 2)
    points = []
    for offset in ((-350.0, 200.0), (-400.0, -400.0)):
        _, node = graph.kdtree.query(centre_xy + np.array(offset))
        points.append((float(graph.node_lat[node]), float(graph.node_lon[node])))
    return points


def dragged(graph: RoadGraph, option, east_m: float = DRAG_EAST_M) -> Placement:
    """The option's figure moved `east_m` metres east, same turn and size (the app's drag)."""
    centre = graph.projection.to_xy(*option.figure_center_latlng) + np.array([east_m, 0.0])
    c_lat, c_lon = graph.projection.to_latlng(centre)
    return Placement(float(c_lat), float(c_lon), option.rotation_deg, option.figure_perimeter_m)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help=".npz of the old planner's hearts at these starts")
    parser.add_argument("--budget", type=float, default=1.0, help="CPU seconds per planning request")
    parser.add_argument("--starts-only", action="store_true")
    args = parser.parse_args()
    graph = build_graph_from_osm(ROOT / ".cache/osm/Helsinki.osm.pbf")
    starts = drag_starts(graph)
    if args.starts_only:
        print(" ".join(f"{lat},{lon}" for lat, lon in starts))
        return 0
    old = np.load(args.before) if args.before else None
    graph.kdtree  # noqa: B018
    warm_up()
    outline = template_outline("heart")
    entries = []
    for k, (lat, lon) in enumerate(starts):
        request = PlanRequest(outline_xy=outline, start_lat=lat, start_lon=lon, target_length_m=3000.0,
                              time_budget_s=args.budget)
        t0, cpu0 = time.perf_counter(), time.process_time()
        new = plan_routes(graph, request)[0]
        plan_s, plan_cpu = time.perf_counter() - t0, time.process_time() - cpu0
        if old is not None:
            coords = old[f"coords{k}"]
            fid = shape_fidelity(outline, coords)
            before = dataclasses.replace(new, coordinates=coords, fidelity=fid, recognisability=fid.recognisability,
                                         approach_length_m=0.0, figure_range=(0, len(coords) - 1),
                                         distance_m=float(new.distance_m), recognisable=True)
            print(f"start {k}: before: old score {float(old[f'score{k}']):.1f} → today's shape_fidelity "
                  f"{fid.score:.1f} (recognisability {fid.recognisability:.1f}, trace {fid.trace_score:.1f}, "
                  f"rival {fid.rival_shape_id})")
            entries.append(("BEFORE heart", before, outline, True))
        print(f"start {k} ({lat:.5f},{lon:.5f}): after: shape_fidelity {new.fidelity.score:.1f}, recognisability "
              f"{new.recognisability:.1f}, {new.distance_m:.0f} m, approach {new.approach_length_m:.0f} m; "
              f"{plan_s:.2f} s wall, {plan_cpu:.2f} s CPU")
        entries.append(("AFTER heart", new, outline, True))
        t0, cpu0 = time.perf_counter(), time.process_time()
        moved = plan_at_placement(graph, dataclasses.replace(request, time_budget_s=PLACE_BUDGET_S),
                                  dragged(graph, new))
        took_ms = (time.perf_counter() - t0) * 1000
        cpu_ms = (time.process_time() - cpu0) * 1000
        shift = graph.projection.to_xy(*moved.figure_center_latlng) - graph.projection.to_xy(*new.figure_center_latlng)
        print(f"start {k}: dragged 300 m east: {took_ms:.0f} ms wall, {cpu_ms:.0f} ms CPU, {moved.distance_m:.0f} m, "
              f"recognisability {moved.recognisability:.1f}, approach {moved.approach_length_m:.0f} m, figure "
              f"centre moved {shift[0]:+.0f} m east {shift[1]:+.0f} m north")
        entries.append((f"DRAGGED +300 m E ({cpu_ms:.0f} ms CPU)", moved, outline, True))
    write_sheet(ROOT / "var/bench/heart-before-after.png", graph, entries, columns=3,
                heading="Helsinki 3 km heart: before (old planner, today's score) / after / dragged 300 m east")
    return 0


if __name__ == "__main__":
    sys.exit(main())
