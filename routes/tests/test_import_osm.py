"""`import_osm`: the real command on a synthetic OSM grid; re-import replaces atomically; bad input fails."""

import bz2
import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from routes import networks
from routes.models import RoadNetwork
from routes.planner.graph import HighwayClass, RoadGraph
from routes.tests.conftest import GRID_NAME, GRID_SIZE, grid_centre, synthetic_grid_osm


def test_import_writes_network_file_and_row(grid_network, network_dir):
    network = grid_network
    assert network.path.parent == network_dir
    assert network.path.exists()
    graph = RoadGraph.load(network.path)
    # Every grid node is kept; the motorway and its nodes are not.
    assert network.node_count == graph.node_count == GRID_SIZE * GRID_SIZE
    assert network.edge_count == graph.edge_count == 2 * GRID_SIZE * (GRID_SIZE - 1) + 1  # + the footway
    assert not np.isin(np.asarray(graph.edge_highway), [0]).any()
    assert HighwayClass.FOOTWAY in set(np.asarray(graph.edge_highway).tolist())
    assert network.min_lat == pytest.approx(37.28, abs=1e-6)
    assert network.min_lon == pytest.approx(127.04, abs=1e-6)
    assert network.max_lat > network.min_lat
    # Even rows are lit-tagged: 6 of 24 streets of equal length, the footway aside.
    assert network.lit_tagged_share == pytest.approx(0.25, abs=0.01)
    assert network.is_active and network.source.endswith("grid.osm")


def test_reimport_replaces_file_atomically(grid_network, grid_osm_file, network_dir,
                                          django_capture_on_commit_callbacks):
    old_path = grid_network.path
    old_built_at = grid_network.built_at
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("import_osm", str(grid_osm_file), name=GRID_NAME, no_progress=True)
        assert old_path.exists()  # the old file lives until the swap commits
    assert len(callbacks) == 1
    network = RoadNetwork.objects.get(name=GRID_NAME)
    assert RoadNetwork.objects.count() == 1
    assert network.pk == grid_network.pk
    assert network.path != old_path
    assert network.path.exists()
    assert not old_path.exists()
    assert network.built_at > old_built_at
    assert sorted(p.name for p in network_dir.iterdir()) == [network.file_name]


def test_registry_picks_the_covering_network_and_reloads_after_reimport(grid_network, grid_osm_file):
    lat, lon = grid_centre()
    found = networks.network_covering(lat=lat, lon=lon)
    assert found is not None and found.network.pk == grid_network.pk
    assert networks.network_covering(lat=lat, lon=lon).graph is found.graph  # loaded once per process
    assert networks.network_covering(lat=37.5665, lon=126.9780) is None  # Seoul: far outside
    call_command("import_osm", str(grid_osm_file), name=GRID_NAME, no_progress=True)
    reloaded = networks.network_covering(lat=lat, lon=lon)
    assert reloaded.graph is not found.graph


def test_import_reads_bz2_and_defaults_name_to_file_name(db, network_dir, tmp_path):
    path = tmp_path / "Tiny-grid.osm.bz2"
    path.write_bytes(bz2.compress(synthetic_grid_osm(size=4).encode()))
    call_command("import_osm", str(path), no_progress=True)
    network = RoadNetwork.objects.get()
    assert network.name == "Tiny-grid"
    assert network.node_count == 16


def test_missing_file_is_a_command_error(db, network_dir, tmp_path):
    with pytest.raises(CommandError, match="not found"):
        call_command("import_osm", str(tmp_path / "nope.osm.pbf"), no_progress=True)
    assert not RoadNetwork.objects.exists()


@pytest.mark.parametrize(("file_name", "content", "message"), [
    ("notes.txt", b"hello", "not an OSM extract"),
    ("broken.osm.pbf", b"\x00\x01garbage" * 50, "cannot build"),
    ("empty.osm", b"<?xml version='1.0'?><osm version='0.6'></osm>", "cannot build|no walkable"),
])
def test_bad_input_is_a_command_error_and_writes_nothing(db, network_dir, tmp_path, file_name, content,
                                                          message):
    path = tmp_path / file_name
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_osm", str(path), no_progress=True)
    assert not RoadNetwork.objects.exists()
    assert not network_dir.exists() or not any(network_dir.iterdir())


def test_import_shows_a_progress_bar(db, network_dir, grid_osm_file):
    stderr, stdout = io.StringIO(), io.StringIO()
    call_command("import_osm", str(grid_osm_file), name="With bar", stderr=stderr, stdout=stdout)
    assert "Reading OSM" in stderr.getvalue()
    assert "100%" in stderr.getvalue()  # the final call gives the total
    assert "Road network 'With bar': 144 nodes" in stdout.getvalue()
