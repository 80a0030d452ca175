"""OSM import on small synthetic XML extracts written by the tests."""

import numpy as np
import pytest

from routes.planner.graph import _ARRAY_DTYPES, FLAG_PARK, LIT_NO, LIT_UNKNOWN, LIT_YES, HighwayClass, RoadGraph
from routes.planner.osm_import import build_graph_from_osm, walkable_highway_class

from .synthetic import ORIGIN, osm_xml

# A 4 x 4 grid of residential streets, 100 m blocks: node ids 1..16, (x, y) = (100*i, 100*j).
GRID_NODES = {1 + i + 4 * j: (100.0 * i, 100.0 * j) for i in range(4) for j in range(4)}


def _grid_ways():
    ways = []
    way_id = 100
    for j in range(4):  # east-west streets
        ways.append((way_id, [1 + i + 4 * j for i in range(4)],
                     {"highway": "residential", "name": f"Row {j}", "lit": "yes" if j == 0 else "no"}))
        way_id += 1
    for i in range(4):  # north-south streets
        ways.append((way_id, [1 + i + 4 * j for j in range(4)], {"highway": "residential"}))
        way_id += 1
    return ways


@pytest.fixture
def extract(tmp_path):
    nodes = dict(GRID_NODES)
    nodes.update({
        50: (-200.0, -200.0), 51: (500.0, 500.0),  # motorway shortcut, joined to the grid at its corners
        60: (150.0, 150.0),  # footway with foot=no into the middle of a block
        61: (150.0, 250.0),  # private service road
        62: (350.0, 150.0),  # cycleway without foot access
        63: (350.0, 250.0),  # cycleway with foot=yes
        70: (2000.0, 2000.0), 71: (2100.0, 2000.0),  # an island, not connected
        80: (0.0, 8.0), 81: (100.0, 8.0), 82: (200.0, 8.0), 83: (300.0, 8.0),  # sidewalk along Row 0
        90: (150.0, 60.0), 91: (150.0, 40.0),  # park path from inside the block to the sidewalk
        95: (120.0, 180.0),  # a named place
    })
    ways = [
        *_grid_ways(),
        (200, [50, 1, 16, 51], {"highway": "motorway"}),
        (201, [6, 60], {"highway": "footway", "foot": "no"}),
        (202, [10, 61], {"highway": "service", "access": "private"}),
        (203, [7, 62], {"highway": "cycleway"}),
        (204, [11, 63], {"highway": "cycleway", "foot": "yes"}),
        (205, [70, 71], {"highway": "footway"}),
        (206, [80, 81, 82, 83], {"highway": "footway", "footway": "sidewalk"}),
        (207, [90, 91, 81], {"highway": "footway"}),
    ]
    path = tmp_path / "tiny.osm"
    path.write_text(osm_xml(nodes, ways, node_tags={95: {"place": "neighbourhood", "name": "Testila",
                                                         "name:ko": "테스트"}}))
    return path


def test_filters_keep_only_walkable_ways(extract):
    graph = build_graph_from_osm(extract)
    osm_ids = set(np.asarray(graph.node_osm_id).tolist())
    assert set(GRID_NODES) <= osm_ids
    assert 50 not in osm_ids and 51 not in osm_ids  # motorway nodes
    assert 60 not in osm_ids  # foot=no
    assert 61 not in osm_ids  # access=private
    assert 62 not in osm_ids  # cycleway without foot access
    assert 63 in osm_ids  # cycleway with foot=yes
    assert 70 not in osm_ids  # island: not in the largest component
    # The motorway also ran between grid nodes 1 and 16: no such edge may exist.
    index = {osm: i for i, osm in enumerate(np.asarray(graph.node_osm_id).tolist())}
    assert graph.edge_between(index[1], index[16]) == -1
    assert HighwayClass.OTHER not in set(np.asarray(graph.edge_highway).tolist())
    assert graph.meta["components_dropped"] >= 1


def test_sidewalk_collapses_onto_its_street_but_keeps_the_park_path_connected(extract):
    graph = build_graph_from_osm(extract)
    osm_ids = np.asarray(graph.node_osm_id)
    index = {osm: i for i, osm in enumerate(osm_ids.tolist())}
    assert graph.meta["sidewalks_collapsed"] == 1
    for sidewalk_only in (80, 82, 83):
        assert sidewalk_only not in index
    # Node 81 joined the park path to the sidewalk: it stays, linked to the street by a connector.
    nodes, edges = graph.neighbours(index[81])
    classes = {int(graph.edge_highway[e]) for e in edges}
    assert HighwayClass.CONNECTOR in classes
    assert index[2] in set(nodes.tolist())  # street node (100, 0) is 8 m away
    park_edge = graph.edge_between(index[90], index[91])
    assert graph.edge_flags[park_edge] & FLAG_PARK


def test_tags_recorded(extract):
    graph = build_graph_from_osm(extract)
    index = {osm: i for i, osm in enumerate(np.asarray(graph.node_osm_id).tolist())}
    row0 = graph.edge_between(index[1], index[2])
    row1 = graph.edge_between(index[5], index[6])
    column = graph.edge_between(index[1], index[5])
    assert graph.edge_lit[row0] == LIT_YES
    assert graph.edge_lit[row1] == LIT_NO
    assert graph.edge_lit[column] == LIT_UNKNOWN
    assert graph.names[graph.edge_name_idx[row0]] == "Row 0"
    assert graph.edge_name_idx[column] == -1
    assert graph.edge_highway[row0] == HighwayClass.RESIDENTIAL
    assert graph.edge_length_m[row0] == pytest.approx(100.0, rel=0.01)
    assert 0 < graph.meta["lit_tagged_share"] < 1
    assert len(graph.places) == 1
    place = graph.places[0]
    assert (place["name"], place["kind"], place["name_ko"]) == ("Testila", "neighbourhood", "테스트")
    expected_lat, expected_lon = ORIGIN.to_latlng(np.array([[120.0, 180.0]]))[0]
    assert (place["lat"], place["lon"]) == pytest.approx((expected_lat, expected_lon), abs=1e-6)


def test_csr_adjacency_matches_edge_list(extract):
    graph = build_graph_from_osm(extract)
    for node in range(graph.node_count):
        nodes, edges = graph.neighbours(node)
        for other, edge in zip(nodes.tolist(), edges.tolist(), strict=True):
            assert {int(graph.edge_u[edge]), int(graph.edge_v[edge])} == {node, other}
    assert int(graph.indptr[-1]) == 2 * graph.edge_count


def test_save_load_round_trip_memory_maps(extract, tmp_path):
    graph = build_graph_from_osm(extract)
    path = tmp_path / "tiny.rwgraph"
    graph.save(path)
    loaded = RoadGraph.load(path)
    assert isinstance(loaded.node_lat, np.memmap) and isinstance(loaded.edge_length_m, np.memmap)
    assert not loaded.node_lat.flags.writeable
    for key in ("node_lat", "node_lon", "node_osm_id", "indptr", "adj_node", "adj_edge", "edge_u", "edge_v",
                "edge_length_m", "edge_highway", "edge_lit", "edge_flags", "edge_name_idx"):
        np.testing.assert_array_equal(np.asarray(getattr(loaded, key)), np.asarray(getattr(graph, key)))
    assert loaded.meta == graph.meta
    assert loaded.names == graph.names and loaded.places == graph.places
    lat, lon = float(graph.node_lat[0]), float(graph.node_lon[0])
    assert loaded.covers(lat, lon)
    assert loaded.nearest_node(lat, lon) == (0, pytest.approx(0.0, abs=1e-6))
    assert not loaded.covers(lat + 1.0, lon)


def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "not-a-graph.bin"
    path.write_bytes(b"hello world, definitely not a graph")
    with pytest.raises(ValueError):
        RoadGraph.load(path)


def test_file_without_walkable_ways_is_an_error(tmp_path):
    path = tmp_path / "empty.osm"
    path.write_text(osm_xml({1: (0.0, 0.0), 2: (100.0, 0.0)}, [(1, [1, 2], {"highway": "motorway"})]))
    with pytest.raises(ValueError):
        build_graph_from_osm(path)


@pytest.mark.parametrize(("tags", "expected"), [
    ({"highway": "residential"}, HighwayClass.RESIDENTIAL),
    ({"highway": "primary_link"}, HighwayClass.PRIMARY_LINK),
    ({"highway": "steps"}, HighwayClass.STEPS),
    ({"highway": "trunk"}, None),
    ({"highway": "motorway_link", "foot": "yes"}, None),
    ({"highway": "primary", "motorroad": "yes"}, None),
    ({"highway": "service", "access": "no"}, None),
    ({"highway": "service", "access": "private", "foot": "designated"}, HighwayClass.SERVICE),
    ({"highway": "bridleway"}, None),
    ({"highway": "construction"}, None),
    ({"building": "yes"}, None),
])
def test_walkable_highway_class(tags, expected):
    assert walkable_highway_class(tags) == expected


def test_progress_callback_reports_completion(extract):
    calls = []
    build_graph_from_osm(extract, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1] and calls[-1][0] > 0


def _one_pass_reference(path) -> RoadGraph:
    """The importer as it read files before its two passes: one pass with osmium's location store, each way's
    references without a location dropped as the way is read. Its graph is the reference for the two passes."""
    import types
    from array import array

    import osmium

    from routes.planner.osm_import import _WayCollector

    collector = _WayCollector()
    ref_lat, ref_lon = array("d"), array("d")
    processor = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION)
                 .with_locations().with_filter(osmium.filter.KeyFilter("highway", "place", "boundary")))
    for obj in processor:
        if obj.is_way():
            located = [node for node in obj.nodes if node.location.valid()]
            ways_before = len(collector.way_class)
            collector.way(types.SimpleNamespace(tags=obj.tags, nodes=located))
            if len(collector.way_class) > ways_before:
                ref_lat.extend(node.location.lat for node in located)
                ref_lon.extend(node.location.lon for node in located)
        elif obj.is_node():
            collector.node(obj)
        else:
            collector.relation(obj)
    osm_ids, node_of_entry = np.unique(np.frombuffer(collector.node_ref, dtype=np.int64), return_inverse=True)
    node_lat, node_lon = np.zeros(len(osm_ids)), np.zeros(len(osm_ids))
    node_lat[node_of_entry] = np.frombuffer(ref_lat)
    node_lon[node_of_entry] = np.frombuffer(ref_lon)
    collector.set_locations(osm_ids, node_of_entry.astype(np.int32), node_lat, node_lon,
                            np.ones(len(osm_ids), dtype=bool))
    return collector.build_graph()


@pytest.fixture
def clipped_extract(tmp_path):
    """The tiny extract as a clipped one: ways reference nodes outside the file (999, 998), one way only such
    nodes and the first name of the file, which must then leave no trace in the name table."""
    nodes = {**GRID_NODES, 80: (0.0, 8.0), 81: (100.0, 8.0), 82: (200.0, 8.0), 83: (300.0, 8.0),
             90: (150.0, 60.0), 91: (150.0, 40.0), 95: (120.0, 180.0)}
    ways = [
        (90, [998, 999], {"highway": "residential", "name": "Outside Road", "name:ko": "바깥길"}),
        *_grid_ways(),
        (206, [80, 81, 82, 83], {"highway": "footway", "footway": "sidewalk"}),
        (207, [90, 91, 81], {"highway": "footway", "name": "Park Path"}),
        (208, [999, 16, 12], {"highway": "service", "name": "Half Inside", "lit": "yes"}),
    ]
    path = tmp_path / "clipped.osm"
    path.write_text(osm_xml(nodes, ways, node_tags={95: {"place": "neighbourhood", "name": "Testila"}}))
    return path


@pytest.mark.parametrize("fixture", ["extract", "clipped_extract"])
def test_two_passes_build_the_same_graph_as_one_pass_with_locations(fixture, request):
    path = request.getfixturevalue(fixture)
    graph, reference = build_graph_from_osm(path), _one_pass_reference(path)
    for key in _ARRAY_DTYPES:
        actual, expected = np.asarray(getattr(graph, key)), np.asarray(getattr(reference, key))
        assert actual.dtype == expected.dtype and np.array_equal(actual, expected), key
    assert (graph.names, graph.names_ko, graph.names_en) == (reference.names, reference.names_ko,
                                                             reference.names_en)
    assert graph.places == reference.places
    assert {k: v for k, v in graph.meta.items() if k in reference.meta} == reference.meta
    if fixture == "clipped_extract":
        assert "Outside Road" not in graph.names and graph.names[0] == "Row 0"
        assert graph.street_name(int(np.asarray(graph.edge_name_idx).max())) in ("Half Inside", "Park Path")


def test_street_trees_split_in_bands_decide_the_same_sidewalks(extract, monkeypatch):
    """A country's street samples go into one KD-tree per band of x; banding must not change which sidewalks
    are near a street (each band's tree holds the samples within reach of its points)."""
    from routes.planner import osm_import

    whole = build_graph_from_osm(extract)
    monkeypatch.setattr(osm_import, "STREET_TREE_SAMPLES", 3)
    banded = build_graph_from_osm(extract)
    assert whole.meta["sidewalks_collapsed"] > 0
    for key in _ARRAY_DTYPES:
        assert np.array_equal(np.asarray(getattr(banded, key)), np.asarray(getattr(whole, key))), key
    assert {k: banded.meta[k] for k in ("sidewalks_collapsed", "connector_edges", "ways_kept")} == {
        k: whole.meta[k] for k in ("sidewalks_collapsed", "connector_edges", "ways_kept")}
