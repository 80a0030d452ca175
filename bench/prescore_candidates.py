"""Candidate placement pre-scores, studied by bench/prescore_study.py and not used by the planner (none predicted
the final score better than the street-alignment pre-score; the study's docstring has the numbers).

Placement pre-scores from the outline's vertices snapped to the street network (no corridor routing).

A placement's vertices are its corners (tips, notches, corners) plus points evenly spaced along the outline
(a circle has no corners). Each is snapped to its nearest network node; the pre-scores compare the polygon
through the snapped nodes, or the street paths between them, with the figure.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse.csgraph import dijkstra

from routes.planner.recognisability import recognisability

EVEN_VERTICES = 16
MIN_VERTEX_GAP = 6  # outline samples (of 400) between kept vertices
SNAP_WEIGHT = 10.0  # mean snap distance per perimeter, weighted against the angle and length errors


def vertex_indices(n: int, corner_idx: np.ndarray) -> np.ndarray:
    """Corners first, then evenly spaced points not within MIN_VERTEX_GAP samples of a kept one; sorted."""
    kept = [int(c) for c in corner_idx]
    for i in np.linspace(0, n, EVEN_VERTICES, endpoint=False).astype(int):
        if all(min(abs(i - c), n - abs(i - c)) >= MIN_VERTEX_GAP for c in kept):
            kept.append(int(i))
    return np.array(sorted(kept), dtype=np.int64)


def snapped_vertices(node_xy: np.ndarray, node_tree, placed: np.ndarray,
                     corner_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vertex indices, snapped node indices, snap distances) of the placed outline (ring, metres)."""
    idx = vertex_indices(len(placed), corner_idx)
    dist, nodes = node_tree.query(placed[idx])
    return idx, np.asarray(nodes, dtype=np.int64), np.asarray(dist, dtype=np.float64)


def _turns_and_lengths(poly: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.roll(poly, -1, axis=0) - poly
    lengths = np.hypot(*edges.T)
    heading = np.arctan2(edges[:, 1], edges[:, 0])
    turns = (heading - np.roll(heading, 1) + math.pi) % (2 * math.pi) - math.pi
    return turns, lengths


def polygon_match(figure_poly: np.ndarray, snapped_poly: np.ndarray, snap_dist: np.ndarray) -> float:
    """Higher is better (0 = perfect): minus the mean turning-angle error / pi, the mean |log| ratio of
    consecutive edge lengths (each edge over the next: the shape, not the size) and the mean snap distance
    per perimeter x SNAP_WEIGHT."""
    turns_f, len_f = _turns_and_lengths(figure_poly)
    turns_s, len_s = _turns_and_lengths(snapped_poly)
    turn_err = np.abs((turns_s - turns_f + math.pi) % (2 * math.pi) - math.pi).mean() / math.pi
    ratio_f = np.log(np.maximum(len_f, 1e-9) / np.maximum(np.roll(len_f, -1), 1e-9))
    ratio_s = np.log(np.maximum(len_s, 1e-3) / np.maximum(np.roll(len_s, -1), 1e-3))
    length_err = np.minimum(np.abs(ratio_s - ratio_f), 3.0).mean()
    perimeter = max(float(len_f.sum()), 1e-9)
    return -(turn_err + length_err + SNAP_WEIGHT * float(snap_dist.mean()) / perimeter)


def snap_turn_score(area, placed: np.ndarray, unit: np.ndarray, corner_idx: np.ndarray,
                    figure_outline: np.ndarray) -> float:
    """`polygon_match` of the corners' polygon (the even points for a figure with fewer than 3 corners: a
    circle), with the snap distance of all vertices: the points between corners would only add the grid's
    quantisation to the edge-length ratios."""
    idx, nodes, dist = snapped_vertices(area.node_xy, area.node_tree, placed, corner_idx)
    shape_idx = corner_idx if len(corner_idx) >= 3 else idx
    shape_nodes = nodes[np.searchsorted(idx, shape_idx)]
    return polygon_match(placed[shape_idx], area.node_xy[shape_nodes], dist)


def snap_recog_score(area, placed: np.ndarray, unit: np.ndarray, corner_idx: np.ndarray,
                     figure_outline: np.ndarray) -> float:
    _, nodes, _ = snapped_vertices(area.node_xy, area.node_tree, placed, corner_idx)
    poly = area.node_xy[nodes]
    return _graded(recognisability(figure_outline, np.vstack([poly, poly[:1]]), closed=True, exact=False))


def _graded(recog) -> float:
    """Coarse recognisability is nearly 0 or 100 on street figures; the IoU margin over the nearest rival
    orders placements within each group."""
    return float(recog.recognisability) + 20.0 * float(recog.iou - recog.rival_iou)


def snapped_path(area, nodes: np.ndarray, limit_m: float) -> np.ndarray | None:
    """Shortest street paths (the crop's weighted matrix) between consecutive snapped nodes, as one ring of
    local node indices; None when a leg is not reached within limit_m."""
    ring = np.append(nodes, nodes[0])
    sources = np.unique(ring[:-1])
    _, pred = dijkstra(area.matrix, directed=True, indices=sources, return_predecessors=True, limit=limit_m)
    row_of = {int(s): i for i, s in enumerate(sources)}
    path: list[int] = [int(ring[0])]
    for a, b in zip(ring[:-1].tolist(), ring[1:].tolist(), strict=True):
        if a == b:
            continue
        row = pred[row_of[a]]
        leg = [b]
        while leg[-1] != a:
            step = int(row[leg[-1]])
            if step < 0:
                return None
            leg.append(step)
        path.extend(reversed(leg[:-1]))
    return np.array(path, dtype=np.int64)


def path_recog_score(area, placed: np.ndarray, unit: np.ndarray, corner_idx: np.ndarray,
                     figure_outline: np.ndarray) -> float:
    idx, nodes, _ = snapped_vertices(area.node_xy, area.node_tree, placed, corner_idx)
    gaps = np.hypot(*np.diff(np.vstack([placed[idx], placed[idx[:1]]]), axis=0).T)
    path = snapped_path(area, nodes, limit_m=4.0 * float(gaps.max()) + 200.0)
    if path is None:
        return 0.0
    return _graded(recognisability(figure_outline, area.node_xy[path], closed=True, exact=False))
