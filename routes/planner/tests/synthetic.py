"""Synthetic networks for the planner tests: exact street grids built in code, and small OSM XML files."""

from __future__ import annotations

import numpy as np

from routes.planner.geometry import LocalProjection
from routes.planner.graph import LIT_UNKNOWN, HighwayClass, RoadGraph

ORIGIN = LocalProjection(60.17, 24.94)


def grid_graph(*, cols: int = 41, rows: int = 41, spacing_m: float = 50.0, lit: int = LIT_UNKNOWN,
               highway: HighwayClass = HighwayClass.RESIDENTIAL) -> RoadGraph:
    """A square street grid centred on ORIGIN; node (i, j) has index j * cols + i, x = east, y = north."""
    i, j = np.meshgrid(np.arange(cols), np.arange(rows))
    x_m = (i.ravel() - (cols - 1) / 2) * spacing_m
    y_m = (j.ravel() - (rows - 1) / 2) * spacing_m
    latlng = ORIGIN.to_latlng(np.stack([x_m, y_m], axis=1))
    index = np.arange(cols * rows).reshape(rows, cols)
    horizontal = np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1)
    vertical = np.stack([index[:-1, :].ravel(), index[1:, :].ravel()], axis=1)
    edges = np.vstack([horizontal, vertical])
    return RoadGraph.from_edges(node_lat=latlng[:, 0], node_lon=latlng[:, 1], edge_u=edges[:, 0],
                                edge_v=edges[:, 1], edge_highway=np.full(len(edges), highway),
                                edge_lit=np.full(len(edges), lit))


def grid_node_latlng(graph: RoadGraph, x_m: float, y_m: float) -> tuple[float, float]:
    lat, lon = ORIGIN.to_latlng(np.array([[x_m, y_m]]))[0]
    return float(lat), float(lon)


def osm_xml(nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict[str, str]]],
            node_tags: dict[int, dict[str, str]] | None = None) -> str:
    """A minimal OSM XML document. nodes: id → (x_m, y_m) around ORIGIN; ways: (id, node ids, tags)."""
    node_tags = node_tags or {}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node_id, (x_m, y_m) in nodes.items():
        lat, lon = ORIGIN.to_latlng(np.array([[x_m, y_m]]))[0]
        tags = node_tags.get(node_id, {})
        attrs = f'id="{node_id}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"'
        if tags:
            lines.append(f"  <node {attrs}>")
            lines.extend(f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items())
            lines.append("  </node>")
        else:
            lines.append(f"  <node {attrs}/>")
    for way_id, refs, tags in ways:
        lines.append(f'  <way id="{way_id}" version="1">')
        lines.extend(f'    <nd ref="{ref}"/>' for ref in refs)
        lines.extend(f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines)
