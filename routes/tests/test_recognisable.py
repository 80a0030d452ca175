"""`recognisable` and `suggested_distance` (issue 11): a figure the streets cannot draw at this size is still
answered, marked, with the distance at which it would read as itself."""

import dataclasses

import pytest
from django.core.management import call_command

from routes.models import Route
from routes.planner import planner as planner_module
from routes.planner.tests.synthetic import ORIGIN, osm_xml
from routes.tests.test_routes_api import URL

pytestmark = pytest.mark.django_db

COARSE_BLOCK_M = 200.0  # long blocks: a star's arms need several of them
COARSE_SIZE = 21  # 4 km across: a star long enough for the blocks still fits


@pytest.fixture
def coarse_network(network_dir, tmp_path):
    from routes.models import RoadNetwork

    half = (COARSE_SIZE - 1) / 2
    nodes = {1 + row * COARSE_SIZE + col: ((col - half) * COARSE_BLOCK_M, (row - half) * COARSE_BLOCK_M)
             for row in range(COARSE_SIZE) for col in range(COARSE_SIZE)}
    ways = []
    for index in range(COARSE_SIZE):
        ways.append((1000 + index, [1 + index * COARSE_SIZE + col for col in range(COARSE_SIZE)],
                     {"highway": "residential"}))
        ways.append((2000 + index, [1 + row * COARSE_SIZE + index for row in range(COARSE_SIZE)],
                     {"highway": "residential"}))
    path = tmp_path / "coarse.osm"
    path.write_text(osm_xml(nodes, ways), encoding="utf-8")
    call_command("import_osm", str(path), name="Coarse grid", no_progress=True)
    return RoadNetwork.objects.get(name="Coarse grid")


def _star_request(distance_km: float) -> dict:
    lat, lon = ORIGIN.to_latlng([[0.0, 0.0]])[0]
    return {"mode": "shape", "shape_id": "star", "start_latitude": float(lat), "start_longitude": float(lon),
            "condition": "distance", "target_distance": distance_km, "options_count": 2}


def test_a_star_too_small_for_coarse_blocks_is_marked_with_a_suggested_distance(auth_client, coarse_network,
                                                                                 shapes):
    response = auth_client.post(URL, _star_request(3.0), format="json")
    assert response.status_code == 201, response.json()
    route = response.json()["data"]
    assert route["options"], "still answered"
    assert route["options"][0]["recognisable"] is False
    # never a blob with a high score: the unrecognisable star scores low on both counts
    assert all(option["recognisability"] < 50 and option["shape_fidelity"] < 50 for option in route["options"])
    assert route["suggested_distance"] is not None and route["suggested_distance"] > 3.0
    assert Route.objects.get(pk=route["id"]).suggested_distance_km == pytest.approx(route["suggested_distance"])
    # The suggestion was checked by planning it: following it draws a star that reads.
    followed = auth_client.post(URL, _star_request(route["suggested_distance"]), format="json")
    assert followed.status_code == 201, followed.json()
    best = followed.json()["data"]["options"][0]
    assert best["recognisable"] is True and best["recognisability"] >= 60
    assert followed.json()["data"]["suggested_distance"] is None


def test_suggested_distance_comes_from_the_best_option_when_it_is_not_recognisable(
        auth_client, grid_network, shapes, monkeypatch):
    real_plan = planner_module.plan_routes

    def too_small(graph, request):
        return [dataclasses.replace(option, recognisable=False, min_recognisable_length_m=4236.0)
                for option in real_plan(graph, request)]

    monkeypatch.setattr(planner_module, "plan_routes", too_small)
    from routes.tests.test_routes_api import heart_request

    route = auth_client.post(URL, heart_request(), format="json").json()["data"]
    assert route["suggested_distance"] == 4.24
    assert all(option["recognisable"] is False for option in route["options"])


def test_no_suggestion_when_the_best_option_is_recognisable(auth_client, grid_network, shapes, monkeypatch):
    real_plan = planner_module.plan_routes

    def best_is_fine(graph, request):
        return [dataclasses.replace(option, recognisable=option.rank == 1, min_recognisable_length_m=4236.0)
                for option in real_plan(graph, request)]

    monkeypatch.setattr(planner_module, "plan_routes", best_is_fine)
    from routes.tests.test_routes_api import heart_request

    route = auth_client.post(URL, heart_request(), format="json").json()["data"]
    assert route["suggested_distance"] is None
    assert route["options"][0]["recognisable"] is True
