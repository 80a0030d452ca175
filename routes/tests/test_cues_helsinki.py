"""Turn cues on the demo network (central Helsinki, real OSM streets with sidewalks, crossings and footways)."""

import numpy as np
import pytest

from routes.planner.cues import cues_for_path
from routes.planner.graph import RoadGraph
from routes.planner.osm_import import build_graph_from_osm
from routes.tests.conftest import ensure_sample_pbf
from routes.tests.test_cues_api import ENGLISH_TURN_TEXT, KOREAN_TURN_TEXT

# These tests are about the language: their requests send their own Accept-Language, or none (Korean).
pytestmark = pytest.mark.no_accept_language


@pytest.fixture(scope="module")
def helsinki() -> RoadGraph:
    return build_graph_from_osm(ensure_sample_pbf())


def _bearing(graph, a, b) -> float:
    delta = graph.node_xy[b] - graph.node_xy[a]
    return float(np.degrees(np.arctan2(delta[0], delta[1])) % 360)


def _walk_street(graph, junction: int, first: int, min_m: float = 110.0) -> list[int]:
    """From `junction` through `first`, along the same way name, the straightest edge at each node, for `min_m`
    or to the street's end (past the crossings and sidewalk junctions on the way)."""
    name = graph.edge_name_idx[graph.edge_between(junction, first)]
    path, length_m = [junction, first], float(graph.edge_length_m[graph.edge_between(junction, first)])
    while length_m < min_m:
        previous, here = path[-2], path[-1]
        heading = _bearing(graph, previous, here)
        options = [(abs((_bearing(graph, here, node) - heading + 180) % 360 - 180), int(node), int(edge))
                   for node, edge in zip(*graph.neighbours(here), strict=True)
                   if node != previous and graph.edge_name_idx[edge] == name]
        if not options or min(options)[0] > 30:
            break  # the street ends or bends away
        _deviation, node, edge = min(options)
        path.append(node)
        length_m += float(graph.edge_length_m[edge])
    assert length_m >= 60, "too short a street to test on: pick another corner"
    return path


def _corner(graph, street_a: str, street_b: str) -> tuple[int, dict[str, list[tuple[float, int]]]]:
    """The 4-way node where the two streets cross, with (bearing, neighbour) of each street's two arms."""
    for node in range(graph.node_count):
        neighbours, edges = graph.neighbours(node)
        names = [graph.names[graph.edge_name_idx[e]] if graph.edge_name_idx[e] >= 0 else "" for e in edges]
        if len(neighbours) == 4 and sorted(names) == sorted([street_a, street_a, street_b, street_b]):
            arms: dict[str, list[tuple[float, int]]] = {}
            for neighbour, name in zip(neighbours, names, strict=True):
                arms.setdefault(name, []).append((_bearing(graph, node, int(neighbour)), int(neighbour)))
            return node, arms
    raise AssertionError(f"no crossing of {street_a} and {street_b}")


def _turn(from_bearing: float, to_bearing: float) -> str:
    change = (to_bearing - from_bearing + 180) % 360 - 180
    return "right" if change > 0 else "left"


@pytest.mark.parametrize(("street_a", "street_b"), [("Pohjoisesplanadi", "Fabianinkatu"),
                                                    ("Kirkkokatu", "Unioninkatu"),
                                                    ("Eteläesplanadi", "Fabianinkatu")])
def test_real_corners_give_one_turn_and_straight_on_gives_none(helsinki, street_a, street_b):
    """Along one street for 60-110 m or more (over its crossings and sidewalk junctions), then at a real corner
    either round it (exactly depart, left/right onto the other street, arrive) or straight on (depart, arrive)."""
    junction, arms = _corner(helsinki, street_a, street_b)
    for arm_bearing, arm_node in arms[street_a]:
        approach = list(reversed(_walk_street(helsinki, junction, arm_node)))
        heading = (arm_bearing + 180) % 360  # walking into the junction from that arm
        for exit_bearing, exit_node in arms[street_b]:
            path = approach + _walk_street(helsinki, junction, exit_node)[1:]
            cues = cues_for_path(helsinki, np.array(path))
            assert [(cue.turn, cue.street) for cue in cues] == [
                ("depart", street_a), (_turn(heading, exit_bearing), street_b), ("arrive", "")], (arm_bearing,
                                                                                                   exit_bearing)
            assert (cues[1].latitude, cues[1].longitude) == (helsinki.node_lat[junction],
                                                             helsinki.node_lon[junction])
        (straight_node,) = [node for _bearing_deg, node in arms[street_a] if node != arm_node]
        path = approach + _walk_street(helsinki, junction, straight_node)[1:]
        assert [cue.turn for cue in cues_for_path(helsinki, np.array(path))] == ["depart", "arrive"]


def test_a_planned_heart_on_helsinki_reads_as_cues(auth_client, helsinki_network, shapes, settings):
    settings.ROUTE_PLAN_TIME_BUDGET_S = 2.0  # CPU seconds
    settings.ROUTE_PLAN_WALL_LIMIT_S = 120.0
    graph = RoadGraph.load(helsinki_network.path)
    min_lat, min_lon, max_lat, max_lon = graph.bbox
    response = auth_client.post("/api/v1/routes", {
        "shape_id": "heart", "start_latitude": (min_lat + max_lat) / 2, "start_longitude": (min_lon + max_lon) / 2,
        "target_distance": 3.0, "options_count": 1}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201, response.json()
    (option,) = response.json()["data"]["options"]
    cues = option["cues"]
    assert cues[0]["turn"] == "depart" and cues[-1]["turn"] == "arrive"
    assert sum(cue["distance_m"] for cue in cues) == pytest.approx(option["distance"] * 1000, abs=len(cues) + 10)
    # Real decisions only: dozens of crossings on 3 km of central Helsinki, far fewer cues than path vertices.
    assert 4 <= len(cues) <= option["path"]["coordinates"].__len__() // 3
    legs = [cue["distance_m"] for cue in cues[1:]]
    assert min(legs) >= 1 and np.median(legs) >= 30
    names = set(graph.names)
    for cue in cues[1:-1]:
        assert ENGLISH_TURN_TEXT.match(cue["text"]), cue["text"]
        assert cue["street"] is None or cue["street"] in names
    assert any(cue["street"] for cue in cues[1:-1])
    korean = auth_client.get(f"/api/v1/routes/{response.json()['data']['id']}/options/{option['id']}").json()
    assert all(KOREAN_TURN_TEXT.match(cue["text"]) for cue in korean["data"]["cues"][1:-1])
