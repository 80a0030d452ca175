"""Road networks split by region (`import_osm --regions`): each start maps only the network of its region."""

import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from routes import networks
from routes.models import RoadNetwork
from routes.planner.graph import RoadGraph
from routes.planner.tests.test_street_names import _write_legacy
from routes.tests.conftest import GRID_SIZE, grid_node_latlng

# The synthetic grid (GRID_SIZE x GRID_SIZE streets 80 m apart) cut into a larger west and a smaller east region.
SPLIT_COL = 7
MARGIN_KM = 0.2  # 2.5 blocks


def _bbox(first_col: int, last_col: int) -> list[float]:
    south_west = grid_node_latlng(0, first_col)
    north_east = grid_node_latlng(GRID_SIZE - 1, last_col)
    return [south_west[0] - 1e-5, south_west[1] - 1e-5, north_east[0] + 1e-5, north_east[1] + 1e-5]


@pytest.fixture
def regions(db, network_dir, grid_osm_file, tmp_path):
    regions_file = tmp_path / "regions.json"
    regions_file.write_text(json.dumps([
        {"name": "West", "bbox": _bbox(0, SPLIT_COL - 1)},
        {"name": "East", "bbox": _bbox(SPLIT_COL, GRID_SIZE - 1)},
    ]))
    call_command("import_osm", str(grid_osm_file), regions=regions_file, region_margin_km=MARGIN_KM,
                 no_progress=True)
    return {network.name: network for network in RoadNetwork.objects.all()}


def _mapped_files() -> set[str]:
    return {line.split(maxsplit=5)[5] for line in Path("/proc/self/maps").read_text().splitlines()
            if len(line.split(maxsplit=5)) == 6}


def test_each_region_becomes_a_network_of_its_box_plus_the_margin(regions):
    assert set(regions) == {"West", "East"}
    west, east = regions["West"], regions["East"]
    assert list(west.region_bbox) == pytest.approx(_bbox(0, SPLIT_COL - 1))
    assert list(east.region_bbox) == pytest.approx(_bbox(SPLIT_COL, GRID_SIZE - 1))
    margin_lon = MARGIN_KM * 1000 / (111_195.0 * np.cos(np.radians(east.max_lat)))
    # Each file reaches past its region by at most the margin, and by more than two blocks of it.
    assert west.max_lon <= west.region_max_lon + margin_lon and west.max_lon > grid_node_latlng(0, SPLIT_COL + 1)[1]
    assert east.min_lon >= east.region_min_lon - margin_lon and east.min_lon < grid_node_latlng(0, SPLIT_COL - 2)[1]
    for network in (west, east):
        graph = RoadGraph.load(network.path)
        assert graph.node_count == network.node_count and graph.bbox == pytest.approx(
            (network.min_lat, network.min_lon, network.max_lat, network.max_lon))


def test_a_start_maps_only_the_network_of_its_region(regions):
    west, east = regions["West"], regions["East"]
    networks.forget_all()
    found = networks.network_covering(lat=grid_node_latlng(6, 2)[0], lon=grid_node_latlng(6, 2)[1])
    assert found.network == west
    assert set(networks._graphs) == {west.pk}
    mapped = _mapped_files()
    assert str(west.path) in mapped and str(east.path) not in mapped
    # In the band both files hold, the network whose region holds the start wins, though East is smaller.
    assert (east.max_lat - east.min_lat) * (east.max_lon - east.min_lon) < (
        (west.max_lat - west.min_lat) * (west.max_lon - west.min_lon))
    lat, lon = grid_node_latlng(6, SPLIT_COL - 1)
    assert regions["East"].min_lon < lon
    assert networks.network_covering(lat=lat, lon=lon).network == west
    assert str(east.path) not in _mapped_files()
    found = networks.network_covering(lat=grid_node_latlng(6, SPLIT_COL + 3)[0],
                                      lon=grid_node_latlng(6, SPLIT_COL + 3)[1])
    assert found.network == east and str(east.path) in _mapped_files()


def test_a_bad_regions_file_is_a_command_error_and_imports_nothing(db, network_dir, grid_osm_file, tmp_path):
    bad = tmp_path / "regions.json"
    bad.write_text(json.dumps([{"name": "Nowhere", "bbox": [1, 2, 3]}]))
    with pytest.raises(CommandError, match="bbox"):
        call_command("import_osm", str(grid_osm_file), regions=bad, no_progress=True)
    bad.write_text(json.dumps([{"name": "Sea", "bbox": [10.0, 10.0, 10.1, 10.1]}]))
    with pytest.raises(CommandError, match="no walkable ways"):
        call_command("import_osm", str(grid_osm_file), regions=bad, no_progress=True)
    with pytest.raises(CommandError, match="--name"):
        call_command("import_osm", str(grid_osm_file), regions=bad, name="Korea", no_progress=True)
    assert not RoadNetwork.objects.exists()


def test_a_network_file_of_format_1_is_still_served(grid_network, caplog):
    """A dev checkout's demo network written before the stored index: `make run` keeps working on it."""
    graph = RoadGraph.load(grid_network.path)
    old_path = grid_network.path.with_name("old-format.rwgraph")
    _write_legacy(graph, old_path)
    RoadNetwork.objects.filter(pk=grid_network.pk).update(file_name=old_path.name)
    networks.forget_all()
    lat, lon = grid_node_latlng(6, 6)
    found = networks.network_covering(lat=lat, lon=lon)
    assert found is not None and found.network.pk == grid_network.pk
    assert "(format 1) has no stored spatial index" in caplog.text
    assert found.graph.nearest_node(lat, lon)[1] < 1.0
