"""Snapped-vertex pre-scores (routes/planner/prescore.py) on a synthetic street grid."""

import math

import numpy as np
import pytest

from routes.planner import prescore
from routes.planner.planner import _crop, _normalised_outline
from routes.planner.shapes import template_outline

from .synthetic import grid_graph, grid_node_latlng


@pytest.fixture(scope="module")
def area():
    graph = grid_graph()  # 41 x 41 nodes, 50 m apart, centred on the start
    start, _ = graph.nearest_node(*grid_node_latlng(graph, 0.0, 0.0))
    return _crop(graph, start, 1500.0, False)


def _square(rotation_deg: float, perimeter_m: float = 1200.0):
    outline = np.asarray(template_outline("square"), dtype=np.float64)
    unit, corner_idx = _normalised_outline(outline, True)
    theta = math.radians(rotation_deg)
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    return outline, unit @ rot.T * perimeter_m, corner_idx


def test_vertices_keep_every_corner_and_fill_the_edges_between():
    _, placed, corner_idx = _square(0.0)
    idx = prescore.vertex_indices(len(placed), corner_idx)
    assert set(corner_idx.tolist()) <= set(idx.tolist())
    assert len(idx) > len(corner_idx)
    gaps = np.diff(np.append(idx, idx[0] + len(placed)))
    assert gaps.min() >= prescore.MIN_VERTEX_GAP


def test_a_square_along_the_grid_prescores_above_one_across_it(area):
    outline, aligned, corner_idx = _square(0.0)
    _, turned, _ = _square(30.0)
    aligned_score = prescore.snap_turn_score(area, aligned, None, corner_idx, outline)
    turned_score = prescore.snap_turn_score(area, turned, None, corner_idx, outline)
    # The corners snap onto grid nodes exactly; turned 30 degrees they snap up to 25 m off and the snapped
    # polygon's angles and edge ratios drift. (A square turned 45 degrees snaps to a perfect diamond of
    # nodes: the snapped polygon cannot see that the streets between them are staircases.)
    assert aligned_score > turned_score


def test_the_snapped_street_path_is_a_closed_walk_over_grid_edges(area):
    outline, aligned, corner_idx = _square(0.0)
    _, nodes, _ = prescore.snapped_vertices(area.node_xy, area.node_tree, aligned, corner_idx)
    path = prescore.snapped_path(area, nodes, limit_m=2000.0)
    assert path is not None and path[0] == path[-1]
    steps = np.hypot(*np.diff(area.node_xy[path], axis=0).T)
    assert np.allclose(steps, 50.0, atol=1.0)  # consecutive nodes are grid neighbours
    assert prescore.path_recog_score(area, aligned, None, corner_idx, outline) >= 60.0
