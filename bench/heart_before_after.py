"""The issue-11 "done" check on the Helsinki demo: the 3 km heart before (the planner before recognisability,
coordinates saved by running that version) and after, scored with today's shape_fidelity, and the figure
dragged 300 m east with plan_at_placement. Writes var/bench/heart-before-after.png.

    python bench/heart_before_after.py /tmp/old_heart.npz [time_budget_s]
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.contact_sheet import write_sheet  # noqa: E402
from bench.planner_bench import start_points  # noqa: E402
from routes.planner import (  # noqa: E402
    Placement,
    PlanRequest,
    build_graph_from_osm,
    plan_at_placement,
    plan_routes,
    shape_fidelity,
    template_outline,
)
from routes.planner.recognisability import warm_up  # noqa: E402


def main() -> int:
    old = np.load(sys.argv[1]) if len(sys.argv) > 1 else None
    budget_s = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    graph = build_graph_from_osm(ROOT / ".cache/osm/Helsinki.osm.pbf")
    graph.kdtree  # noqa: B018
    warm_up()
    outline = template_outline("heart")
    entries = []
    for k, (lat, lon) in enumerate(start_points(graph, 2)):
        request = PlanRequest(outline_xy=outline, start_lat=lat, start_lon=lon, target_length_m=3000.0,
                              time_budget_s=budget_s)
        new = plan_routes(graph, request)[0]
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
        print(f"start {k}: after: shape_fidelity {new.fidelity.score:.1f}, recognisability "
              f"{new.recognisability:.1f}, {new.distance_m:.0f} m, approach {new.approach_length_m:.0f} m")
        entries.append(("AFTER heart", new, outline, True))
        centre = graph.projection.to_xy(*new.figure_center_latlng) + np.array([300.0, 0.0])
        c_lat, c_lon = graph.projection.to_latlng(centre)
        t0, cpu0 = time.perf_counter(), time.thread_time()
        moved = plan_at_placement(graph, request, Placement(float(c_lat), float(c_lon), new.rotation_deg, None))
        took_ms = (time.perf_counter() - t0) * 1000
        cpu_ms = (time.thread_time() - cpu0) * 1000
        print(f"start {k}: dragged 300 m east: {took_ms:.0f} ms wall, {cpu_ms:.0f} ms CPU, {moved.distance_m:.0f} m, "
              f"recognisability "
              f"{moved.recognisability:.1f}, approach {moved.approach_length_m:.0f} m")
        entries.append((f"DRAGGED +300 m E ({took_ms:.0f} ms)", moved, outline, True))
    write_sheet(ROOT / "var/bench/heart-before-after.png", graph, entries, columns=3,
                heading="Helsinki 3 km heart: before (old planner, today's score) / after / dragged 300 m east")
    return 0


if __name__ == "__main__":
    sys.exit(main())
