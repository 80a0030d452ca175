"""Country-size networks: the stored grid index, the crop read from it, and distances far from the centre."""

import itertools
import logging

import numpy as np
import pytest

from routes.planner import graph as graph_module
from routes.planner.geometry import LocalProjection, haversine_m
from routes.planner.graph import FORMAT_VERSION, HighwayClass, RoadGraph
from routes.planner.planner import PlanRequest, _crop, plan_routes
from routes.planner.shapes import template_outline

from .synthetic import ORIGIN, grid_graph
from .test_street_names import _write_legacy


def irregular_graph(*, count: int = 3000, seed: int = 7, origin: LocalProjection = ORIGIN,
                    half_size_m: float = 2500.0) -> RoadGraph:
    """Random nodes joined to their 3 nearest neighbours: uneven density, odd degrees, crossing cell borders."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    xy = rng.uniform(-half_size_m, half_size_m, size=(count, 2))
    _, nearest = cKDTree(xy).query(xy, k=4)
    edges = np.stack([np.repeat(np.arange(count), 3), nearest[:, 1:].ravel()], axis=1)
    latlng = origin.to_latlng(xy)
    return RoadGraph.from_edges(node_lat=latlng[:, 0], node_lon=latlng[:, 1], edge_u=edges[:, 0],
                                edge_v=edges[:, 1], edge_highway=np.full(len(edges), HighwayClass.RESIDENTIAL))


def brute_force_crop(graph: RoadGraph, start: int, reach_m: float) -> tuple[np.ndarray, set[int]]:
    """Every node within reach (scanning all nodes, projected around the start) and every edge between two."""
    projection = LocalProjection(float(graph.node_lat[start]), float(graph.node_lon[start]))
    xy = projection.to_xy(np.asarray(graph.node_lat), np.asarray(graph.node_lon))
    inside = np.hypot(xy[:, 0], xy[:, 1]) <= reach_m
    edge_u, edge_v = np.asarray(graph.edge_u), np.asarray(graph.edge_v)
    return np.flatnonzero(inside), set(np.flatnonzero(inside[edge_u] & inside[edge_v]).tolist())


@pytest.fixture(scope="module")
def irregular(tmp_path_factory):
    path = tmp_path_factory.mktemp("country") / "irregular.rwgraph"
    irregular_graph().save(path)
    return RoadGraph.load(path)


@pytest.mark.parametrize(("start", "reach_m"), [(0, 800.0), (1234, 2500.0), (2999, 6000.0), (17, 30.0)])
def test_the_crop_from_the_grid_index_is_every_node_and_edge_within_reach(irregular, start, reach_m):
    nodes, edges = brute_force_crop(irregular, start, reach_m)
    area = _crop(irregular, start, reach_m, safety_mode=False)
    np.testing.assert_array_equal(area.nodes, nodes)
    assert set(area.edge_ids.tolist()) == edges
    assert len(area.edge_ids) == len(edges)  # each undirected edge once
    assert area.nodes[area.start] == start and np.allclose(area.node_xy[area.start], 0.0)
    # Local endpoints are the edges' own nodes, and lengths are the stored ones.
    edge_u, edge_v = np.asarray(irregular.edge_u), np.asarray(irregular.edge_v)
    ends = np.sort(np.stack([area.nodes[area.edge_u], area.nodes[area.edge_v]], axis=1), axis=1)
    np.testing.assert_array_equal(ends, np.stack([edge_u[area.edge_ids], edge_v[area.edge_ids]], axis=1))
    np.testing.assert_array_equal(area.length_m, np.asarray(irregular.edge_length_m)[area.edge_ids])


def test_nearest_node_and_edges_along_match_a_full_scan(irregular):
    rng = np.random.default_rng(3)
    lat, lon = np.asarray(irregular.node_lat), np.asarray(irregular.node_lon)
    points = ORIGIN.to_latlng(rng.uniform(-4000, 4000, size=(60, 2)))  # some outside the network
    for p_lat, p_lon in points:
        node, distance_m = irregular.nearest_node(float(p_lat), float(p_lon))
        xy = LocalProjection(float(p_lat), float(p_lon)).to_xy(lat, lon)
        scan = np.hypot(xy[:, 0], xy[:, 1])
        assert distance_m == pytest.approx(scan.min(), abs=1e-6) and scan[node] == pytest.approx(scan.min())
    far_node, far_m = irregular.nearest_node(ORIGIN.origin_lat + 5.0, ORIGIN.origin_lon)  # ~550 km north
    far_scan = haversine_m(ORIGIN.origin_lat + 5.0, ORIGIN.origin_lon, lat, lon)
    assert (far_node, far_m) == (int(np.argmin(far_scan)), pytest.approx(float(far_scan.min())))

    edge_u = np.asarray(irregular.edge_u)
    edge_v = np.asarray(irregular.edge_v)
    path = np.array([edge_u[10], edge_v[10], edge_u[10], 2999, 0])
    along = irregular.edge_ids_along(path)
    assert along[0] == 10 and along[1] == 10
    keys = {(int(u), int(v)): e for e, (u, v) in enumerate(zip(edge_u, edge_v, strict=True))}
    for (a, b), found in zip(itertools.pairwise(path), along, strict=True):
        assert found == keys.get((min(a, b), max(a, b)), -1)


def test_a_saved_network_is_queried_and_planned_on_without_building_an_index(tmp_path, monkeypatch):
    grid_graph().save(tmp_path / "n.rwgraph")

    def must_not_build(*args, **kwargs):
        raise AssertionError("an index was built after load")

    monkeypatch.setattr(graph_module, "build_grid_index", must_not_build)
    monkeypatch.setattr(graph_module, "cKDTree", must_not_build)
    loaded = RoadGraph.load(tmp_path / "n.rwgraph")
    assert loaded.meta["format_version"] == FORMAT_VERSION
    assert all(isinstance(getattr(loaded, key), np.memmap) for key in graph_module.GRID_ARRAYS)
    centre = 20 * 41 + 20
    lat, lon = float(loaded.node_lat[centre]), float(loaded.node_lon[centre])
    assert loaded.nearest_node(lat, lon) == (centre, 0.0)
    options = plan_routes(loaded, PlanRequest(outline_xy=template_outline("circle"), start_lat=lat, start_lon=lon,
                                              target_length_m=2000.0, options_count=1, time_budget_s=5.0))
    assert options and (loaded.edge_ids_along(options[0].node_ids) >= 0).all()


def test_a_format_1_file_loads_with_its_index_built_once_and_a_warning(irregular, tmp_path, caplog):
    _write_legacy(irregular, tmp_path / "old.rwgraph")
    with caplog.at_level(logging.WARNING, logger="routes.planner.graph"):
        old = RoadGraph.load(tmp_path / "old.rwgraph")
    assert "no stored spatial index" in caplog.text and "import_osm" in caplog.text
    assert isinstance(old.node_lat, np.memmap)
    for start, reach_m in [(5, 900.0), (2000, 2500.0)]:
        np.testing.assert_array_equal(_crop(old, start, reach_m, False).nodes, brute_force_crop(old, start, reach_m)[0])


def test_a_region_cut_from_a_network_keeps_the_streets_in_its_box_plus_the_margin(irregular):
    box = tuple(float(v) for v in (*ORIGIN.to_latlng(np.array([-1000.0, -1000.0])),
                                   *ORIGIN.to_latlng(np.array([1000.0, 1000.0]))))
    part = irregular.subgraph_around(box, margin_m=500.0)
    part_xy = ORIGIN.to_xy(np.asarray(part.node_lat), np.asarray(part.node_lon))
    assert np.abs(part_xy).max() <= 1500.0 + 1.0
    assert 0 < part.node_count < irregular.node_count
    # Its edges are the original network's edges between those nodes, with their lengths.
    osm = np.asarray(part.node_osm_id)
    u, v = osm[np.asarray(part.edge_u)], osm[np.asarray(part.edge_v)]
    original = irregular.edge_ids_along(np.ravel(np.stack([u, v], axis=1)))[::2]
    assert (original >= 0).all()
    np.testing.assert_array_equal(np.asarray(part.edge_length_m), np.asarray(irregular.edge_length_m)[original])
    # One connected part (the largest), so every route on it can reach back to its start.
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    matrix = coo_matrix((np.ones(part.edge_count), (part.edge_u, part.edge_v)), shape=(part.node_count,) * 2)
    assert connected_components(matrix, directed=False)[0] == 1


def test_distances_hold_at_a_corner_of_a_country_sized_network(tmp_path):
    """A 3 km square of streets at 33° N tied by a 600 km chain of roads up to 38.5° N (Korea's span): far
    from the bbox's centre, the reported length and the figure's size must still be true on the ground."""
    corner = LocalProjection(33.2, 126.3)
    side, spacing_m = 41, 80.0
    i, j = np.meshgrid(np.arange(side), np.arange(side))
    xy = np.stack([i.ravel() * spacing_m, j.ravel() * spacing_m], axis=1)
    latlng = corner.to_latlng(xy)
    index = np.arange(side * side).reshape(side, side)
    edges = [np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1),
             np.stack([index[:-1, :].ravel(), index[1:, :].ravel()], axis=1)]
    chain_lat = np.linspace(latlng[:, 0].max() + 0.02, 38.5, 300)
    chain_lon = np.linspace(126.3, 129.5, 300)
    chain = side * side + np.arange(300)
    edges.append(np.stack([np.concatenate([[index[-1, -1]], chain[:-1]]), chain], axis=1))
    edges = np.vstack(edges)
    big = RoadGraph.from_edges(node_lat=np.concatenate([latlng[:, 0], chain_lat]),
                               node_lon=np.concatenate([latlng[:, 1], chain_lon]), edge_u=edges[:, 0],
                               edge_v=edges[:, 1], edge_highway=np.full(len(edges), HighwayClass.RESIDENTIAL))
    big.save(tmp_path / "country.rwgraph")
    big = RoadGraph.load(tmp_path / "country.rwgraph")
    # The bbox-centred projection is 3 % off east-west down here: the crop must not use it.
    assert abs(np.cos(np.radians(33.2)) / np.cos(np.radians(np.mean(big.bbox[::2]))) - 1) > 0.025
    start = corner.to_latlng(np.array([1600.0, 1600.0]))
    options = plan_routes(big, PlanRequest(outline_xy=template_outline("square"), start_lat=float(start[0]),
                                           start_lon=float(start[1]), target_length_m=3000.0, options_count=2,
                                           time_budget_s=8.0))  # the wall-clock budget: the machine is shared
    for option in options:
        coords = option.coordinates
        ground_m = float(haversine_m(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1]).sum())
        assert option.distance_m == pytest.approx(ground_m, rel=0.005)
        outline = np.asarray(option.outline_latlng)
        outline_ground_m = float(haversine_m(outline[:-1, 0], outline[:-1, 1], outline[1:, 0], outline[1:, 1]).sum())
        closing_m = float(haversine_m(outline[-1, 0], outline[-1, 1], outline[0, 0], outline[0, 1]))
        assert outline_ground_m + closing_m == pytest.approx(option.figure_perimeter_m, rel=0.005)
