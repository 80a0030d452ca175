"""Planner on exact synthetic street grids: shapes traced, lengths on target, outputs on the network."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routes.planner.graph import LIT_NO, LIT_YES, HighwayClass, RoadGraph
from routes.planner.osm_import import build_graph_from_osm
from routes.planner.planner import (
    MAX_RETRACE_SHARE,
    PlanRequest,
    RouteNotFound,
    StartOutsideNetwork,
    _remove_spurs,
    estimate_duration_s,
    plan_routes,
    target_length_from_duration,
)
from routes.planner.shapes import template_outline

from .synthetic import ORIGIN, grid_graph, osm_xml

SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


@pytest.fixture(scope="module")
def grid():
    return grid_graph()


def _assert_on_network(graph: RoadGraph, route):
    edges = graph.edge_ids_along(route.node_ids)
    assert (edges >= 0).all(), "every consecutive pair of node_ids must be an edge"
    node_ids = route.node_ids
    coords = np.stack([np.asarray(graph.node_lat)[node_ids], np.asarray(graph.node_lon)[node_ids]], axis=1)
    np.testing.assert_allclose(route.coordinates, coords)
    assert route.distance_m == pytest.approx(float(np.asarray(graph.edge_length_m)[edges].sum()), rel=1e-6)
    return edges


def test_square_on_a_grid_is_traced_almost_perfectly(grid):
    start = ORIGIN.to_latlng(np.array([[0.0, 0.0]]))[0]
    request = PlanRequest(outline_xy=SQUARE, start_lat=start[0], start_lon=start[1], target_length_m=2000,
                          options_count=3, time_budget_s=5.0)
    options = plan_routes(grid, request)
    assert 1 <= len(options) <= 3
    assert [o.rank for o in options] == list(range(1, len(options) + 1))
    best = options[0]
    assert best.fidelity.score > 90
    assert best.fidelity.buffer_f1 > 0.95
    assert abs(best.distance_m - 2000) / 2000 <= 0.05
    assert best.length_error == pytest.approx(abs(best.distance_m - 2000) / 2000)
    start_node, _ = grid.nearest_node(*start)
    for option in options:
        _assert_on_network(grid, option)
        assert option.node_ids[0] == start_node and option.node_ids[-1] == start_node  # a loop from the start
        assert abs(option.distance_m - 2000) / 2000 <= 0.10
        assert option.lit_ratio is None and option.safety_signal is None  # no lit tags, no safety mode
        assert option.retrace_share < 0.1


def test_options_are_diverse(grid):
    start = ORIGIN.to_latlng(np.array([[0.0, 0.0]]))[0]
    options = plan_routes(grid, PlanRequest(outline_xy=template_outline("heart"), start_lat=start[0],
                                            start_lon=start[1], target_length_m=3000, options_count=3,
                                            time_budget_s=5.0))
    assert len(options) >= 2
    edge_sets = [set(grid.edge_ids_along(o.node_ids).tolist()) for o in options]
    for a in range(len(edge_sets)):
        for b in range(a + 1, len(edge_sets)):
            shared = len(edge_sets[a] & edge_sets[b]) / min(len(edge_sets[a]), len(edge_sets[b]))
            assert shared <= 0.5
    scores = [o.fidelity.score - 50 * o.length_error for o in options]
    assert scores == sorted(scores, reverse=True)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape_id=st.sampled_from(["heart", "star", "circle", "triangle", "arrow", "wave"]),
       target_m=st.floats(1500, 4000), dx=st.floats(-300, 300), dy=st.floats(-300, 300))
def test_outputs_always_lie_on_the_network_and_within_tolerance(grid, shape_id, target_m, dx, dy):
    start = ORIGIN.to_latlng(np.array([[dx, dy]]))[0]
    closed = shape_id != "wave"
    try:
        options = plan_routes(grid, PlanRequest(outline_xy=template_outline(shape_id), start_lat=start[0],
                                                start_lon=start[1], target_length_m=target_m, closed=closed,
                                                options_count=2, time_budget_s=3.0))
    except RouteNotFound:
        return  # allowed; what is returned must be right
    for option in options:
        edges = _assert_on_network(grid, option)
        assert len(edges) > 0
        assert abs(option.distance_m - target_m) / target_m <= 0.10
        nodes = option.node_ids.tolist()
        # An out-and-back (a -> b -> a) is kept only where it draws a feature of the figure (a star's tip, a
        # heart's point): never more of them than the figure has corners, and the retrace stays under the cap.
        spur_tips = [i + 1 for i in range(len(nodes) - 2) if nodes[i] == nodes[i + 2]]
        assert len(spur_tips) <= 10, spur_tips
        assert option.retrace_share <= MAX_RETRACE_SHARE
        if closed:
            assert nodes[0] == nodes[-1]


def test_remove_spurs_cuts_out_and_back_detours():
    path = np.array([0, 1, 2, 3, 4, 3, 2, 5, 6, 7, 6, 0])
    assert _remove_spurs(path, closed=True).tolist() == [0, 1, 2, 5, 6, 0]


def test_motorway_in_the_extract_is_never_used(tmp_path):
    # 9 x 9 grid of residential streets with 100 m blocks plus a motorway ring and diagonal that would be
    # the perfect "diamond" if it were walkable.
    nodes = {}
    ways = []
    for j in range(9):
        for i in range(9):
            nodes[1000 + 9 * j + i] = ((i - 4) * 100.0, (j - 4) * 100.0)
    way_id = 1
    for j in range(9):
        ways.append((way_id, [1000 + 9 * j + i for i in range(9)], {"highway": "residential"}))
        way_id += 1
    for i in range(9):
        ways.append((way_id, [1000 + 9 * j + i for j in range(9)], {"highway": "residential"}))
        way_id += 1
    diamond = {1: (0.0, -300.0), 2: (300.0, 0.0), 3: (0.0, 300.0), 4: (-300.0, 0.0)}
    nodes.update({k + 10: v for k, v in diamond.items()})
    ways.append((900, [11, 12, 13, 14, 11, 1040], {"highway": "motorway"}))  # joined at the centre node
    path = tmp_path / "motorway.osm"
    path.write_text(osm_xml(nodes, ways))
    graph = build_graph_from_osm(path)
    motorway_nodes = {11, 12, 13, 14}
    assert not motorway_nodes & set(np.asarray(graph.node_osm_id).tolist())
    start = ORIGIN.to_latlng(np.array([[0.0, -300.0]]))[0]
    diamond_outline = np.array([[0, -1], [1, 0], [0, 1], [-1, 0]], dtype=float)
    options = plan_routes(graph, PlanRequest(outline_xy=diamond_outline, start_lat=start[0],
                                             start_lon=start[1], target_length_m=2400, time_budget_s=5.0))
    for option in options:
        edges = _assert_on_network(graph, option)
        assert not set(np.asarray(graph.node_osm_id)[option.node_ids].tolist()) & motorway_nodes
        assert set(np.asarray(graph.edge_highway)[edges].tolist()) == {HighwayClass.RESIDENTIAL}


def test_start_outside_the_network(grid):
    with pytest.raises(StartOutsideNetwork):
        plan_routes(grid, PlanRequest(outline_xy=SQUARE, start_lat=10.0, start_lon=10.0,
                                      target_length_m=2000))


def test_no_loop_possible_is_route_not_found():
    # A single straight street: any loop would be an out-and-back, which is not a drawing.
    line = RoadGraph.from_edges(node_lat=60.17 + np.arange(20) * 0.0005, node_lon=np.full(20, 24.94),
                                edge_u=np.arange(19), edge_v=np.arange(1, 20),
                                edge_highway=np.full(19, HighwayClass.RESIDENTIAL))
    with pytest.raises(RouteNotFound):
        plan_routes(line, PlanRequest(outline_xy=SQUARE, start_lat=60.1745, start_lon=24.94,
                                      target_length_m=2000, time_budget_s=1.0))


def test_invalid_requests_raise_value_error(grid):
    start = ORIGIN.to_latlng(np.array([[0.0, 0.0]]))[0]
    for kwargs in ({"options_count": 0}, {"options_count": 6}, {"target_length_m": 10.0}):
        params = {"outline_xy": SQUARE, "start_lat": start[0], "start_lon": start[1], "target_length_m": 2000}
        params.update(kwargs)
        with pytest.raises(ValueError):
            plan_routes(grid, PlanRequest(**params))


def test_safety_mode_uses_lit_where_it_is_mapped():
    graph = grid_graph(lit=LIT_YES)
    start = ORIGIN.to_latlng(np.array([[0.0, 0.0]]))[0]
    options = plan_routes(graph, PlanRequest(outline_xy=SQUARE, start_lat=start[0], start_lon=start[1],
                                             target_length_m=2000, safety_mode=True, time_budget_s=5.0))
    assert options[0].safety_signal == "lit"
    assert options[0].lit_ratio == pytest.approx(1.0)


def test_safety_mode_falls_back_to_road_class_without_lit_tags(grid):
    start = ORIGIN.to_latlng(np.array([[0.0, 0.0]]))[0]
    options = plan_routes(grid, PlanRequest(outline_xy=SQUARE, start_lat=start[0], start_lon=start[1],
                                            target_length_m=2000, safety_mode=True, time_budget_s=5.0))
    assert options[0].safety_signal == "road_class"
    assert options[0].lit_ratio is None


def test_safety_mode_avoids_unlit_streets():
    # Lit grid, but the streets around the block east of the start are unlit: an unlit detour must lose.
    graph = grid_graph(lit=LIT_YES)
    lit = np.asarray(graph.edge_lit).copy()
    xy = graph.node_xy
    mid = (xy[np.asarray(graph.edge_u)] + xy[np.asarray(graph.edge_v)]) / 2
    unlit = (mid[:, 0] > 0) & (mid[:, 0] < 500) & (mid[:, 1] > -10) & (mid[:, 1] < 500)
    lit[unlit] = LIT_NO
    graph.edge_lit = lit
    start = ORIGIN.to_latlng(np.array([[0.0, 0.0]]))[0]
    safe = plan_routes(graph, PlanRequest(outline_xy=SQUARE, start_lat=start[0], start_lon=start[1],
                                          target_length_m=2000, safety_mode=True, time_budget_s=5.0))
    assert safe[0].lit_ratio > 0.9


@pytest.mark.parametrize("activity", ["running", "walking"])
@pytest.mark.parametrize("intensity", ["easy", "normal", "hard"])
def test_duration_and_length_are_inverse(activity, intensity):
    duration_s = estimate_duration_s(5000, activity, intensity)
    assert target_length_from_duration(duration_s, activity, intensity) == pytest.approx(5000, rel=1e-3)


def test_paces_are_ordered():
    assert estimate_duration_s(5000, "running", "hard") < estimate_duration_s(5000, "running", "easy")
    assert estimate_duration_s(5000, "running", "easy") < estimate_duration_s(5000, "walking", "hard")
    assert estimate_duration_s(1000, "running", "normal") == 360
    with pytest.raises(ValueError):
        estimate_duration_s(1000, "swimming", "easy")


def test_open_shape_starts_at_the_start_and_is_not_forced_into_a_loop(grid):
    start = ORIGIN.to_latlng(np.array([[0.0, 0.0]]))[0]
    options = plan_routes(grid, PlanRequest(outline_xy=template_outline("wave"), closed=False,
                                            start_lat=start[0], start_lon=start[1], target_length_m=2000,
                                            time_budget_s=5.0))
    start_node, _ = grid.nearest_node(*start)
    for option in options:
        _assert_on_network(grid, option)
        assert option.node_ids[0] == start_node
        assert option.node_ids[-1] != start_node
        assert abs(option.distance_m - 2000) / 2000 <= 0.10
    assert options[0].fidelity.score > 70


def test_custom_drawing_in_lat_lng_is_planned(grid):
    from routes.planner.shapes import outline_from_latlng

    # An L-shaped block drawn on the map as [lat, lng] points (closed: it ends near its start).
    drawing_m = np.array([[0, 0], [600, 0], [600, 300], [300, 300], [300, 600], [0, 600], [0, 20]], dtype=float)
    outline = outline_from_latlng(ORIGIN.to_latlng(drawing_m).tolist())
    assert np.allclose(outline[0], outline[-1])
    start = ORIGIN.to_latlng(np.array([[0.0, 0.0]]))[0]
    options = plan_routes(grid, PlanRequest(outline_xy=outline, start_lat=start[0], start_lon=start[1],
                                            target_length_m=2400, time_budget_s=5.0))
    assert options[0].fidelity.score > 85
    assert abs(options[0].distance_m - 2400) / 2400 <= 0.05


def test_a_tiny_time_budget_still_gives_valid_options_or_route_not_found(grid):
    start = ORIGIN.to_latlng(np.array([[0.0, 0.0]]))[0]
    try:
        options = plan_routes(grid, PlanRequest(outline_xy=template_outline("star"), start_lat=start[0],
                                                start_lon=start[1], target_length_m=3000, time_budget_s=0.01))
    except RouteNotFound:
        return
    for option in options:
        _assert_on_network(grid, option)
        assert abs(option.distance_m - 3000) / 3000 <= 0.10
