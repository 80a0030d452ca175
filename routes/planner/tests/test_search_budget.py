"""The search: placements pre-scored by street alignment, the CPU budget, the learned detour, early stop."""

import time

import numpy as np
import pytest

from routes.planner import planner as planner_module
from routes.planner.geometry import LocalProjection
from routes.planner.graph import HighwayClass, RoadGraph
from routes.planner.planner import (
    PlanRequest,
    _crop,
    _Deadline,
    _normalised_outline,
    _placements,
    _street_samples,
    plan_routes,
)
from routes.planner.shapes import template_outline

from .synthetic import grid_graph, grid_node_latlng


@pytest.fixture(scope="module")
def grid():
    return grid_graph()


@pytest.fixture(scope="module")
def big_district():
    """~50k nodes: a jittered 27 m lattice with 15 % of its segments missing (the bench's district)."""
    rng = np.random.default_rng(1)
    side = 224
    i, j = np.meshgrid(np.arange(side), np.arange(side))
    xy = np.stack([(i.ravel() - side / 2) * 27.0, (j.ravel() - side / 2) * 27.0], axis=1)
    xy += rng.normal(0, 4.0, xy.shape)
    index = np.arange(side * side).reshape(side, side)
    edges = np.vstack([np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1),
                       np.stack([index[:-1, :].ravel(), index[1:, :].ravel()], axis=1)])
    edges = edges[rng.random(len(edges)) > 0.15]
    latlng = LocalProjection(60.17, 24.94).to_latlng(xy)
    return RoadGraph.from_edges(node_lat=latlng[:, 0], node_lon=latlng[:, 1], edge_u=edges[:, 0],
                                edge_v=edges[:, 1],
                                edge_highway=np.full(len(edges), HighwayClass.RESIDENTIAL))


def _request(graph, shape_id="heart", target_m=3000.0, budget_s=1.0, **kwargs):
    lat, lon = grid_node_latlng(graph, 0.0, 0.0) if graph.node_count < 10_000 else (60.17, 24.94)
    return PlanRequest(outline_xy=template_outline(shape_id), start_lat=lat, start_lon=lon,
                       target_length_m=target_m, time_budget_s=budget_s, **kwargs)


def test_prescore_prefers_the_placement_aligned_with_the_streets(grid):
    # On an axis-parallel grid a square drawn upright runs along the streets; turned 45 degrees it crosses
    # every block diagonally. The pre-score (street alignment, before any routing) must rank upright first.
    request = _request(grid, "square", 2000.0, max_rotation_deg=45.0)
    start_node, _ = grid.nearest_node(request.start_lat, request.start_lon)
    area = _crop(grid, start_node, 1500.0, False)
    unit, corners = _normalised_outline(np.asarray(request.outline_xy, dtype=float), True)
    placements = _placements(area, unit, corners, request, 2000.0, _street_samples(area))
    best_by_rotation = {}
    for placement in placements:
        best_by_rotation.setdefault(placement.rotation_deg, placement.cost)
    assert placements[0].rotation_deg == 0.0
    assert best_by_rotation[0.0] < best_by_rotation[45.0] - 5.0
    assert best_by_rotation[0.0] < best_by_rotation[-45.0] - 5.0
    assert best_by_rotation[0.0] < best_by_rotation[30.0]


def test_planning_on_a_big_graph_stays_within_its_cpu_budget(big_district, monkeypatch):
    routings = []
    real_route_once = planner_module._route_once

    def counted(*args, **kwargs):
        routings.append(1)
        return real_route_once(*args, **kwargs)

    monkeypatch.setattr(planner_module, "_route_once", counted)
    # Only the budget may end these searches: the early stop for clear figures would end both at the same point.
    # (Not 101: the quick score adds a fifth of the trace score, so a clear heart here reaches ~110; with the
    # catalogue's rasters already built by an earlier test both searches stopped early at 16 routings.)
    monkeypatch.setattr(planner_module, "GOOD_ENOUGH_QUICK_SCORE", float("inf"))
    budget_s = 0.4
    started = time.process_time()
    options = plan_routes(big_district, _request(big_district, budget_s=budget_s))
    used_s = time.process_time() - started
    assert options, "a small budget still answers with options"
    assert all(abs(o.distance_m / 3000.0 - 1) <= 0.10 for o in options)
    # Past the budget the planner finishes at most the routing under way and scores what it has: a few
    # routings (~10-30 ms each on this graph) and the exact scores of the options (~50 ms each).
    assert used_s < budget_s + 0.6, used_s
    small_budget_routings = len(routings)
    routings.clear()
    plan_routes(big_district, _request(big_district, budget_s=4.0))
    assert len(routings) > small_budget_routings  # the budget, not a fixed count, stopped the first search


def test_deadline_counts_cpu_not_sleep():
    deadline, cpu0, wall0 = _Deadline.for_request(_request(grid_graph(cols=3, rows=3), budget_s=0.2))
    time.sleep(0.3)  # a request waiting for the CPU (a busy machine) has not used its budget
    assert not deadline.passed()
    until = time.process_time() + 0.25
    while time.process_time() < until:
        pass
    assert deadline.passed()
    assert deadline.share(cpu0, wall0, 0.5).cpu == pytest.approx(cpu0 + 0.1)


def test_a_wall_limit_caps_a_starved_request():
    deadline, _, _ = _Deadline.for_request(_request(grid_graph(cols=3, rows=3), budget_s=0.2, wall_limit_s=0.2))
    time.sleep(0.25)
    assert deadline.passed()


def test_the_search_stops_early_once_enough_candidates_read_clearly(grid, monkeypatch):
    # A square on a square grid: the first placements already trace it exactly, so the search stops long
    # before its cap of routed placements, with budget to spare.
    routed = []
    real = planner_module._route_with_calibration

    def counted(*args, **kwargs):
        routed.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(planner_module, "_route_with_calibration", counted)
    options = plan_routes(grid, _request(grid, "square", 1600.0, budget_s=10.0, options_count=2))
    assert options[0].recognisability > 80
    # early stop after options_count + 1 clear candidates (the cap would allow MAX_ROUTED_PLACEMENTS + 2)
    assert len(routed) <= 4


def test_on_a_small_network_the_budget_not_a_low_cap_ends_the_search(monkeypatch):
    # Coarse 120 m blocks: no star placement reads clearly, so the early stop never ends the search. With CPU
    # to spare the search routes past the old cap of 16 + options_count placements (on small irregular
    # networks the placements that draw the figure are found further down the list), up to its cap.
    coarse = grid_graph(cols=25, rows=25, spacing_m=120.0)
    routed = []
    for name in ("_route_with_calibration", "_route_at_centre"):
        real = getattr(planner_module, name)

        def counted(*args, _real=real, **kwargs):
            routed.append(1)
            return _real(*args, **kwargs)

        monkeypatch.setattr(planner_module, name, counted)
    # (verify_suggestion=False: checking the suggested length would plan a second time)
    options = plan_routes(coarse, _request(coarse, "star", 3000.0, budget_s=20.0, options_count=3,
                                           verify_suggestion=False))
    assert options
    assert 16 + 3 < len(routed) <= planner_module.MAX_ROUTED_PLACEMENTS + 3, len(routed)
