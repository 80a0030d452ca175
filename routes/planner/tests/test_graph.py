"""`RoadGraph.from_edges`: the edge list it stores does not depend on how the input came (order, direction,
self-loops, parallel edges, index dtype), and its CSR adjacency lists every edge from both ends."""

import numpy as np
import pytest

from routes.planner import graph as graph_module
from routes.planner.graph import _ARRAY_DTYPES, RoadGraph


def _reference_edges(n_nodes, edge_u, edge_v, length_m):
    """The stored edges written out plainly: (low, high, length) per edge, self-loops dropped, sorted by
    (low, high, length, input position), the first of each (low, high)."""
    best = {}
    for position, (u, v, length) in enumerate(zip(edge_u.tolist(), edge_v.tolist(), length_m.tolist(), strict=True)):
        if u == v:
            continue
        key = (min(u, v), max(u, v))
        if key not in best or (length, position) < best[key]:
            best[key] = (length, position)
    keys = sorted(best)
    return (np.array([k[0] for k in keys], dtype=np.int32), np.array([k[1] for k in keys], dtype=np.int32),
            np.array([best[k][1] for k in keys], dtype=np.int64))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_edges_are_canonical_deduplicated_and_keep_the_shortest(seed, index_dtype):
    rng = np.random.default_rng(seed)
    n_nodes, n_edges = 40, 300  # dense enough for many parallel edges and some self-loops
    edge_u = rng.integers(0, n_nodes, n_edges).astype(index_dtype)
    edge_v = rng.integers(0, n_nodes, n_edges).astype(index_dtype)
    length_m = rng.choice([5.0, 7.5, 10.0], n_edges)  # ties between parallel edges: input order decides
    name_idx = np.arange(n_edges, dtype=np.int32)  # tells which input edge was kept
    graph = RoadGraph.from_edges(node_lat=rng.uniform(60.0, 60.01, n_nodes),
                                 node_lon=rng.uniform(24.0, 24.01, n_nodes), edge_u=edge_u, edge_v=edge_v,
                                 edge_highway=np.ones(n_edges, np.uint8), edge_name_idx=name_idx,
                                 edge_length_m=length_m, names=[str(i) for i in range(n_edges)])
    low, high, kept = _reference_edges(n_nodes, edge_u, edge_v, length_m)
    assert len(kept) < n_edges - 20  # the case really has duplicates to settle
    np.testing.assert_array_equal(graph.edge_u, low)
    np.testing.assert_array_equal(graph.edge_v, high)
    np.testing.assert_array_equal(graph.edge_name_idx, kept)
    np.testing.assert_array_equal(graph.edge_length_m, length_m[kept].astype(np.float32))
    for key, dtype in _ARRAY_DTYPES.items():
        assert getattr(graph, key).dtype == dtype, key


@pytest.mark.parametrize("chunk_edges", [1_000_000, 7])
def test_csr_rows_list_edges_from_both_ends_in_edge_order(chunk_edges, monkeypatch):
    monkeypatch.setattr(graph_module, "CSR_CHUNK_EDGES", chunk_edges)  # a country's build fills it in chunks
    rng = np.random.default_rng(7)
    n_nodes = 50
    edge_u, edge_v = rng.integers(0, n_nodes, 400), rng.integers(0, n_nodes, 400)
    graph = RoadGraph.from_edges(node_lat=rng.uniform(60.0, 60.01, n_nodes),
                                 node_lon=rng.uniform(24.0, 24.01, n_nodes), edge_u=edge_u, edge_v=edge_v,
                                 edge_highway=np.ones(400, np.uint8))
    assert graph.indptr[-1] == 2 * graph.edge_count
    for node in range(n_nodes):
        as_u = np.flatnonzero(graph.edge_u == node)
        as_v = np.flatnonzero(graph.edge_v == node)
        neighbours, edges = graph.neighbours(node)
        np.testing.assert_array_equal(edges, np.concatenate([as_u, as_v]))
        np.testing.assert_array_equal(neighbours, np.concatenate([graph.edge_v[as_u], graph.edge_u[as_v]]))


def test_an_already_canonical_edge_list_is_stored_without_a_copy():
    edge_u = np.array([0, 0, 1], dtype=np.int32)
    edge_v = np.array([1, 2, 2], dtype=np.int32)
    length_m = np.array([3.0, 4.0, 5.0], dtype=np.float32)
    graph = RoadGraph.from_edges(node_lat=[60.0, 60.001, 60.002], node_lon=[24.0, 24.0, 24.001], edge_u=edge_u,
                                 edge_v=edge_v, edge_highway=np.ones(3, np.uint8), edge_length_m=length_m)
    assert graph.edge_u is edge_u and graph.edge_v is edge_v and graph.edge_length_m is length_m


def test_edges_outside_the_node_arrays_are_refused():
    with pytest.raises(ValueError, match="indices into the node arrays"):
        RoadGraph.from_edges(node_lat=[60.0, 60.001], node_lon=[24.0, 24.0], edge_u=[0], edge_v=[2],
                             edge_highway=[1])
