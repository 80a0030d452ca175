"""Way names in the road network: `name`, `name:ko`, `name:en` per edge, and network files older than them."""

import json

import numpy as np
import pytest

from routes.planner.cues import cues_for_path
from routes.planner.graph import _ALIGN, FILE_MAGIC, RoadGraph
from routes.planner.osm_import import build_graph_from_osm

from .synthetic import osm_xml

NODES = {1: (0.0, 0.0), 2: (100.0, 0.0), 3: (200.0, 0.0), 4: (100.0, 100.0), 5: (100.0, -100.0),
         6: (300.0, 0.0)}
WAYS = [
    (10, [1, 2], {"highway": "residential", "name": "월드컵로", "name:ko": "월드컵로", "name:en": "World Cup-ro"}),
    (11, [2, 3], {"highway": "residential", "name": "월드컵로", "name:ko": "월드컵로", "name:en": "World Cup-ro"}),
    (12, [2, 4], {"highway": "residential", "name": "Mannerheimintie"}),
    (13, [2, 5], {"highway": "footway", "name:ko": "산책길"}),
    (14, [3, 6], {"highway": "residential", "name": "월드컵로", "name:en": "Worldcup-ro"}),
]


@pytest.fixture
def graph(tmp_path):
    path = tmp_path / "names.osm"
    path.write_text(osm_xml(NODES, WAYS), encoding="utf-8")
    return build_graph_from_osm(path)


def _edge(graph, a, b):
    index = {osm: i for i, osm in enumerate(np.asarray(graph.node_osm_id).tolist())}
    return graph.edge_between(index[a], index[b]), index


def test_each_edge_names_its_way_in_every_tagged_language(graph):
    world_cup, _ = _edge(graph, 1, 2)
    idx = int(graph.edge_name_idx[world_cup])
    assert (graph.names[idx], graph.names_ko[idx], graph.names_en[idx]) == ("월드컵로", "월드컵로", "World Cup-ro")
    assert graph.street_name(idx, "ko") == "월드컵로" and graph.street_name(idx, "en") == "World Cup-ro"
    # Both segments of the same way share one entry of the name table.
    assert graph.edge_name_idx[_edge(graph, 2, 3)[0]] == idx
    # A way tagged only `name` is called that in every language.
    helsinki = int(graph.edge_name_idx[_edge(graph, 2, 4)[0]])
    assert [graph.street_name(helsinki, lang) for lang in ("ko", "en", None)] == ["Mannerheimintie"] * 3
    # A way with only `name:ko` is named by it.
    path_idx = int(graph.edge_name_idx[_edge(graph, 2, 5)[0]])
    assert graph.names[path_idx] == "산책길" and graph.street_name(path_idx, "en") == "산책길"
    # The same `name` with another English name is its own entry (the cue says what that way's sign says).
    other = int(graph.edge_name_idx[_edge(graph, 3, 6)[0]])
    assert other != idx and graph.street_name(other, "en") == "Worldcup-ro"
    assert graph.street_name(-1, "ko") == ""
    assert len(graph.names) == len(graph.names_ko) == len(graph.names_en) == 4


def test_names_survive_save_and_load(graph, tmp_path):
    graph.save(tmp_path / "names.rwgraph")
    loaded = RoadGraph.load(tmp_path / "names.rwgraph")
    assert (loaded.names, loaded.names_ko, loaded.names_en) == (graph.names, graph.names_ko, graph.names_en)
    np.testing.assert_array_equal(np.asarray(loaded.edge_name_idx), np.asarray(graph.edge_name_idx))


def _write_legacy(graph: RoadGraph, path, *, drop_header=(), drop_arrays=()):
    """A graph file as earlier versions wrote it: the same layout without some header keys or arrays."""
    arrays = {key: np.ascontiguousarray(getattr(graph, key)) for key in (
        "node_lat", "node_lon", "node_osm_id", "indptr", "adj_node", "adj_edge", "edge_u", "edge_v",
        "edge_length_m", "edge_highway", "edge_lit", "edge_flags", "edge_name_idx") if key not in drop_arrays}

    def align(offset):
        return (offset + _ALIGN - 1) // _ALIGN * _ALIGN

    layout, offset = {}, 0
    for key, array in arrays.items():
        offset = align(offset)
        layout[key] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        offset += array.nbytes
    header = {"meta": graph.meta, "names": graph.names, "places": graph.places, "arrays": layout}
    for key in drop_header:
        header.pop(key)
    header_bytes = json.dumps(header).encode()
    data_start = align(len(FILE_MAGIC) + 8 + len(header_bytes))
    with open(path, "wb") as fh:
        fh.write(FILE_MAGIC + len(header_bytes).to_bytes(8, "little") + header_bytes)
        for key, array in arrays.items():
            fh.seek(data_start + layout[key]["offset"])
            fh.write(array.tobytes())


def test_a_file_from_before_the_language_names_loads_with_the_name_tag_only(graph, tmp_path):
    _write_legacy(graph, tmp_path / "old.rwgraph")
    old = RoadGraph.load(tmp_path / "old.rwgraph")
    assert old.names == graph.names and old.names_ko == [""] * 4 and old.names_en == [""] * 4
    idx = int(old.edge_name_idx[_edge(old, 1, 2)[0]])
    assert old.street_name(idx, "en") == "월드컵로"  # no English name known: the sign's own
    _edge_id, index = _edge(old, 1, 2)
    cues = cues_for_path(old, np.array([index[1], index[2], index[4]]))
    assert [(cue.turn, cue.street, cue.street_en) for cue in cues] == [
        ("depart", "월드컵로", ""), ("left", "Mannerheimintie", ""), ("arrive", "", "")]


def test_a_file_without_names_at_all_loads_with_every_edge_unnamed(graph, tmp_path):
    _write_legacy(graph, tmp_path / "older.rwgraph", drop_header=("names",), drop_arrays=("edge_name_idx",))
    older = RoadGraph.load(tmp_path / "older.rwgraph")
    assert older.names == [] and older.edge_count == graph.edge_count
    assert (np.asarray(older.edge_name_idx) == -1).all()
    _edge_id, index = _edge(older, 1, 2)
    cues = cues_for_path(older, np.array([index[1], index[2], index[4]]))
    assert [(cue.turn, cue.street) for cue in cues] == [("depart", ""), ("left", ""), ("arrive", "")]
