"""Routes API end to end on a synthetic street grid imported with the real `import_osm`."""

import xml.etree.ElementTree as ET

import gpxpy
import numpy as np
import polyline
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from scipy.spatial import cKDTree

from conftest import client_for
from routes import networks
from routes.models import Route, RouteOption, RouteShape
from routes.planner import planner as planner_module
from routes.planner.graph import RoadGraph
from routes.planner.types import RouteNotFound
from routes.tests.conftest import grid_centre, grid_node_latlng
from routes.tests.factories import RouteFactory, RouteOptionFactory
from routes.throttles import RoutePlanThrottle

URL = "/api/v1/routes"


def heart_request(**overrides) -> dict:
    lat, lon = grid_centre()
    body = {"name": "Morning heart", "type": "running", "mode": "shape", "shape_id": "heart",
            "start_latitude": lat, "start_longitude": lon, "condition": "distance", "target_distance": 2.0,
            "intensity": "normal", "safety_mode": False}
    body.update(overrides)
    return body


@pytest.fixture
def planned_route(auth_client, grid_network, shapes):
    response = auth_client.post(URL, heart_request(), format="json")
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def _assert_on_network_nodes(network, points) -> None:
    """Every point is a node of the network, to the polyline's precision (1e-5 degrees, ~1 m)."""
    graph = RoadGraph.load(network.path)
    distances, _ = cKDTree(np.column_stack([graph.node_lat, graph.node_lon])).query(np.array(points), p=np.inf)
    assert distances.max() <= 0.6e-5


# --- POST /routes ------------------------------------------------------------------------------------------

def test_create_plans_three_options_on_the_network(auth_client, user, grid_network, shapes):
    response = auth_client.post(URL, heart_request(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["success"] is True
    route = body["data"]
    assert route["name"] == "Morning heart"
    assert route["shape_id"] == "heart" and route["shape_name"] == "Heart"
    assert route["target_distance"] == 2.0
    assert route["status"] == "active"
    assert route["location_address"] and route["location_district"] == "Grid District"
    assert [option["rank"] for option in route["options"]] == [1, 2, 3]

    for option in route["options"]:
        assert 1.8 <= option["distance"] <= 2.2  # ±10 % of the target
        assert 0 <= option["shape_fidelity"] <= 100
        assert option["elevation_gain"] is None
        path = option["path"]
        decoded = polyline.decode(path["polyline"], 5)
        assert [tuple(point) for point in path["coordinates"]] == decoded
        _assert_on_network_nodes(grid_network, decoded)
        assert path["coordinates"][0] == path["coordinates"][-1]  # a loop
        lats = [point[0] for point in decoded]
        lngs = [point[1] for point in decoded]
        assert path["bbox"] == pytest.approx([min(lats), min(lngs), max(lats), max(lngs)], abs=1e-5)
        assert option["start"] == pytest.approx(path["coordinates"][0], abs=1e-5)
        # 6:00 per km, the normal running pace.
        assert option["estimated_duration"] == pytest.approx(option["distance"] * 360, abs=3)

    stored = Route.objects.get(pk=route["id"])
    assert stored.user == user and stored.network == grid_network
    assert stored.options.count() == 3
    assert stored.planning_ms is not None


def test_create_never_uses_the_motorway(auth_client, grid_network, shapes):
    route = auth_client.post(URL, heart_request(shape_id="square"), format="json").json()["data"]
    south_edge_lat = grid_node_latlng(0, 0)[0]
    for option in route["options"]:
        assert min(point[0] for point in option["path"]["coordinates"]) >= south_edge_lat - 1e-6


def test_create_from_duration_uses_the_intensity_pace(auth_client, grid_network, shapes):
    # 12 minutes of easy running at 7:00 per km = 1.714 km.
    response = auth_client.post(URL, heart_request(condition="duration", target_duration=720,
                                                   intensity="easy", target_distance=None), format="json")
    assert response.status_code == 201, response.json()
    route = response.json()["data"]
    assert route["target_duration"] == 720
    assert route["target_distance"] == pytest.approx(1.71, abs=0.01)
    for option in route["options"]:
        assert abs(option["distance"] / (720 / 420) - 1) <= 0.1


def test_create_custom_points_and_svg_path(auth_client, grid_network, shapes):
    corners = [grid_node_latlng(3, 3), grid_node_latlng(3, 8), grid_node_latlng(8, 8), grid_node_latlng(8, 3),
               grid_node_latlng(3, 3)]
    body = heart_request(mode="custom", shape_id=None, custom_points=[list(c) for c in corners],
                         target_distance=1.6, options_count=2, name="")
    response = auth_client.post(URL, {k: v for k, v in body.items() if v is not None}, format="json")
    assert response.status_code == 201, response.json()
    route = response.json()["data"]
    assert route["mode"] == "custom" and route["shape_id"] is None
    # API.md: latitude/longitude with up to 7 decimals (the grid's corners have more).
    assert route["custom_points"] == [[round(lat, 7), round(lng, 7)] for lat, lng in corners]
    assert any(round(lat, 7) != lat for lat, _ in corners)
    assert route["name"] == "Custom drawing 1.6 km"
    assert 1 <= len(route["options"]) <= 2

    body = heart_request(mode="custom", svg_path="M 10 10 L 90 10 L 90 90 L 10 90 Z", target_distance=1.6)
    body.pop("shape_id")
    response = auth_client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["svg_path"].startswith("M 10 10")


def test_custom_points_are_answered_with_at_most_seven_decimals(auth_client, user):
    # API.md: latitude/longitude as numbers with up to 7 decimals, also when the client drew with more.
    drawn = [[37.28431674086065, 127.04542644985627], [37.28831674086065, 127.04942644985627],
             [37.28431674086065, 127.04542644985627]]
    route = RouteFactory(user=user, mode="custom", custom_points=drawn)
    RouteOptionFactory(route=route)
    expected = [[37.2843167, 127.0454264], [37.2883167, 127.0494264], [37.2843167, 127.0454264]]
    assert auth_client.get(f"{URL}/{route.pk}").json()["data"]["custom_points"] == expected
    assert auth_client.get(URL).json()["data"]["results"][0]["custom_points"] == expected
    route.refresh_from_db()
    assert route.custom_points == drawn  # the drawing itself is kept as sent


FAR = [[37.5665, 126.9780], [37.57, 126.98]]  # Seoul, ~35 km from the grid


@pytest.mark.parametrize(("overrides", "field"), [
    ({"start_latitude": 91}, "start_latitude"),
    ({"start_longitude": -181}, "start_longitude"),
    ({"start_latitude": "north"}, "start_latitude"),
    ({"target_distance": 0.4}, "target_distance"),
    ({"target_distance": 42.2}, "target_distance"),
    ({"target_distance": None}, "target_distance"),
    ({"condition": "duration", "target_duration": 299}, "target_duration"),
    ({"condition": "duration", "target_duration": 6 * 3600 + 1}, "target_duration"),
    ({"condition": "duration"}, "target_duration"),
    # 6 h of hard running (5:00 per km) is 72 km: past a marathon.
    ({"condition": "duration", "target_duration": 6 * 3600, "intensity": "hard"}, "target_duration"),
    ({"shape_id": "unicorn"}, "shape_id"),
    ({"shape_id": None}, "shape_id"),
    ({"mode": "custom"}, "custom_points"),
    ({"mode": "custom", "custom_points": [[37.28, 127.04]]}, "custom_points"),
    ({"mode": "custom", "custom_points": [[37.28, 127.04 + i * 1e-5] for i in range(501)]}, "custom_points"),
    ({"mode": "custom", "custom_points": [[37.28, 127.04], [95, 127.04]]}, "custom_points"),
    ({"mode": "custom", "custom_points": FAR}, "custom_points"),
    ({"mode": "custom", "custom_points": [[37.28, 127.04], [37.28, 127.04]]}, "custom_points"),
    ({"mode": "custom", "svg_path": "not a path at all"}, "svg_path"),
    ({"options_count": 0}, "options_count"),
    ({"options_count": 6}, "options_count"),
    ({"type": "swimming"}, "type"),
    ({"intensity": "insane"}, "intensity"),
    ({"name": "x" * 101}, "name"),
])
def test_create_rejects_bad_input_with_field_errors(auth_client, grid_network, shapes, overrides, field):
    body = {k: v for k, v in heart_request(**overrides).items() if v is not None}
    if overrides.get("mode") == "custom":
        body.pop("shape_id", None)
    response = auth_client.post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert not Route.objects.exists()


def test_create_refuses_a_deactivated_shape(auth_client, grid_network, shapes):
    RouteShape.objects.filter(shape_id="heart").update(is_active=False)
    response = auth_client.post(URL, heart_request(), format="json")
    assert response.status_code == 400
    assert "shape_id" in response.json()["error"]["fields"]


def test_create_without_a_covering_network_is_422(auth_client, grid_network, shapes):
    response = auth_client.post(URL, heart_request(start_latitude=37.5665, start_longitude=126.9780),
                                format="json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "no_road_network"
    assert not Route.objects.exists()


def test_create_with_no_network_at_all_is_422(auth_client, shapes, network_dir):
    response = auth_client.post(URL, heart_request(), format="json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "no_road_network"


def test_create_impossible_target_on_a_tiny_network_is_422_route_not_found(auth_client, grid_network, shapes):
    # The grid is under 1 km across: a 20 km heart cannot be drawn in it.
    response = auth_client.post(URL, heart_request(target_distance=20), format="json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "route_not_found"
    assert not Route.objects.exists()


def test_planning_out_of_time_is_422_route_planning_timeout(auth_client, grid_network, shapes, settings,
                                                           monkeypatch):
    settings.ROUTE_PLAN_TIME_BUDGET_S = 0.05

    def exhausted(graph, request):
        raise RouteNotFound("budget used up", out_of_time=True)

    monkeypatch.setattr(planner_module, "plan_routes", exhausted)
    response = auth_client.post(URL, heart_request(), format="json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "route_planning_timeout"


def test_create_needs_authentication(api_client, grid_network, shapes):
    response = api_client.post(URL, heart_request(), format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_route_creation_is_throttled_but_reading_is_not(auth_client, grid_network, shapes, monkeypatch):
    monkeypatch.setattr(RoutePlanThrottle, "THROTTLE_RATES", {"route_plan": "1/min"})
    bad = heart_request(target_distance=0.1)  # fails validation fast, but still counts against the rate
    assert auth_client.post(URL, bad, format="json").status_code == 400
    throttled = auth_client.post(URL, bad, format="json")
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"
    assert int(throttled["Retry-After"]) >= 1
    assert auth_client.get(URL).status_code == 200


# --- reading, updating, deleting ---------------------------------------------------------------------------

def test_list_newest_first_with_status_filter_and_light_paths(auth_client, user, other_user):
    older = RouteFactory(user=user, name="older")
    RouteOptionFactory(route=older, rank=1)
    archived = RouteFactory(user=user, name="archived", status="archived")
    newer = RouteFactory(user=user, name="newer")
    RouteFactory(user=other_user, name="not mine")
    RouteFactory(user=user, name="deleted", deleted_at="2026-01-01T00:00:00Z")
    Route.objects.filter(pk=older.pk).update(created_at="2026-01-01T00:00:00Z")
    Route.objects.filter(pk=archived.pk).update(created_at="2026-02-01T00:00:00Z")

    response = auth_client.get(URL)
    assert response.status_code == 200
    page = response.json()["data"]
    assert [item["name"] for item in page["results"]] == ["newer", "archived", "older"]
    assert {"next", "previous"} <= set(page)
    option = page["results"][2]["options"][0]
    # API.md: a path is always {polyline, coordinates, bbox}, lists included
    assert set(option["path"]) == {"polyline", "coordinates", "bbox"}
    assert [tuple(p) for p in option["path"]["coordinates"]] == polyline.decode(option["path"]["polyline"])

    active = auth_client.get(URL + "?status=active").json()["data"]["results"]
    assert [item["name"] for item in active] == ["newer", "older"]
    assert auth_client.get(URL + "?status=lost").status_code == 400
    first_page = auth_client.get(URL + "?page_size=2").json()["data"]
    assert len(first_page["results"]) == 2 and first_page["next"]
    assert first_page["results"][0]["id"] == str(newer.pk)


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_routes(user, django_assert_max_num_queries):
    client = client_for(user)
    for _ in range(3):
        RouteOptionFactory(route=RouteFactory(user=user), rank=1)
    with_three = _list_queries(client)
    for _ in range(7):
        route = RouteFactory(user=user)
        RouteOptionFactory(route=route, rank=1)
        RouteOptionFactory(route=route, rank=2)
    with django_assert_max_num_queries(with_three):
        response = client.get(URL)
    assert len(response.json()["data"]["results"]) == 10


def test_detail_patch_delete_and_other_users_get_404(planned_route, auth_client, other_client):
    route_url = f"{URL}/{planned_route['id']}"
    detail = auth_client.get(route_url)
    assert detail.status_code == 200
    assert len(detail.json()["data"]["options"][0]["path"]["coordinates"]) > 10

    for method in ("get", "patch", "delete"):
        response = getattr(other_client, method)(route_url, {"name": "mine now"}, format="json")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    renamed = auth_client.patch(route_url, {"name": "Evening heart", "status": "archived"}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["data"]["name"] == "Evening heart"
    assert renamed.json()["data"]["status"] == "archived"

    refused = auth_client.patch(route_url, {"name": "x", "target_distance": 10, "user_id": "someone"},
                                format="json")
    assert refused.status_code == 400
    assert set(refused.json()["error"]["fields"]) == {"target_distance", "user_id"}
    route = Route.objects.get(pk=planned_route["id"])
    assert route.name == "Evening heart" and float(route.target_distance_km) == 2.0
    assert auth_client.patch(route_url, {"status": "gone"}, format="json").status_code == 400

    deleted = auth_client.delete(route_url)
    assert deleted.status_code == 204
    assert deleted.content == b""
    route.refresh_from_db()
    assert route.deleted_at is not None
    # a soft delete keeps the rows
    assert RouteOption.objects.filter(route=route).count() == len(planned_route["options"])
    assert auth_client.get(route_url).status_code == 404
    assert auth_client.delete(route_url).status_code == 404
    assert auth_client.get(URL).json()["data"]["results"] == []


def test_option_detail_gpx_and_svg(planned_route, auth_client):
    option = planned_route["options"][0]
    option_url = f"{URL}/{planned_route['id']}/options/{option['id']}"
    detail = auth_client.get(option_url)
    assert detail.status_code == 200
    path = detail.json()["data"]["path"]
    assert path["coordinates"] == option["path"]["coordinates"]
    assert set(detail.json()["data"]["fidelity"]) == {"buffer_f1", "frechet_norm", "length_error",
                                                      "retrace_share", "trace_score", "recognisability",
                                                      "iou", "rival_iou", "rival_shape_id"}

    gpx_response = auth_client.get(option_url + "/gpx")
    assert gpx_response.status_code == 200
    assert gpx_response["Content-Type"].startswith("application/gpx+xml")
    assert gpx_response["Content-Disposition"] == 'attachment; filename="runnerway-morning-heart-1.gpx"'
    gpx = gpxpy.parse(gpx_response.content.decode())
    assert gpx.version == "1.1"
    assert gpx.tracks[0].name == "Morning heart"
    points = gpx.tracks[0].segments[0].points
    assert len(points) == len(path["coordinates"])
    assert [points[0].latitude, points[0].longitude] == pytest.approx(path["coordinates"][0])

    svg_response = auth_client.get(option_url + "/preview.svg", HTTP_ACCEPT="image/svg+xml")
    assert svg_response.status_code == 200
    assert svg_response["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(svg_response.content)  # noqa: S314 - our own output
    line = root.find("{http://www.w3.org/2000/svg}polyline[@class='figure']")
    figure_start, figure_end = detail.json()["data"]["placement"]["figure_range"]
    path["coordinates"] = path["coordinates"][figure_start:figure_end + 1]
    assert len(line.get("points").split()) == len(path["coordinates"])
    xy = np.array([[float(v) for v in pair.split(",")] for pair in line.get("points").split()])
    assert xy.min() >= 0 and xy.max() <= 1000  # inside the viewBox


def test_other_users_option_gpx_and_svg_are_404(planned_route, other_client, auth_client, user):
    option_id = planned_route["options"][0]["id"]
    base = f"{URL}/{planned_route['id']}/options/{option_id}"
    for suffix in ("", "/gpx", "/preview.svg"):
        response = other_client.get(base + suffix)
        assert response.status_code == 404, suffix
        assert response.json()["error"]["code"] == "not_found"
    # An option reached through another route id of mine is not found either.
    my_other_route = RouteFactory(user=user)
    assert auth_client.get(f"{URL}/{my_other_route.pk}/options/{option_id}").status_code == 404


def test_registry_reuses_the_loaded_graph_across_requests(auth_client, grid_network, shapes):
    networks.forget_all()
    assert auth_client.post(URL, heart_request(options_count=1), format="json").status_code == 201
    graph = networks.graph_for(grid_network)
    assert auth_client.post(URL, heart_request(options_count=1), format="json").status_code == 201
    assert networks.graph_for(grid_network) is graph
    assert isinstance(np.asarray(graph.node_lat), np.ndarray)
    assert isinstance(graph.node_lat, np.memmap)  # memory-mapped, not read into the process


def test_open_shape_walking_route(auth_client, grid_network, shapes):
    response = auth_client.post(URL, heart_request(shape_id="wave", type="walking", target_distance=1.2,
                                                   options_count=1), format="json")
    assert response.status_code == 201, response.json()
    route = response.json()["data"]
    assert route["type"] == "walking"
    option = route["options"][0]
    assert 1.08 <= option["distance"] <= 1.32
    # 10:30 per km, the normal walking pace.
    assert option["estimated_duration"] == pytest.approx(option["distance"] * 630, abs=4)
    _assert_on_network_nodes(grid_network, option["path"]["coordinates"])


@pytest.mark.parametrize(("overrides", "field"), [
    ({"condition": "duration", "target_duration": None}, "target_duration"),
    ({"condition": "duration", "target_duration": 60}, "target_duration"),
    ({"target_distance": 100.0}, "target_distance"),
    ({"start_latitude": 123.0}, "start_latitude"),
    ({"options_count": 9}, "options_count"),
    ({"shape_id": "unicorn"}, "shape_id"),
])
def test_route_create_service_rechecks_its_input(user, grid_network, shapes, overrides, field):
    from routes.services import route_create
    from runnerway.api.exceptions import ApiError

    lat, lon = grid_centre()
    arguments = {"user": user, "shape_id": "heart", "start_latitude": lat, "start_longitude": lon,
                 "target_distance": 2.0, **overrides}
    with pytest.raises(ApiError) as raised:
        route_create(**arguments)
    assert raised.value.status_code == 400
    assert field in raised.value.fields
    assert not Route.objects.exists()
