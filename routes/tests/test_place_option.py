"""POST /routes/{id}/options: the figure placed by hand becomes one more option of the route (issue 11)."""

import pytest
from django.db import connection

from routes.models import MAX_OPTIONS_PER_ROUTE, RouteOption
from routes.planner import planner as planner_module
from routes.planner.types import RouteNotFound
from routes.tests.conftest import GRID_STEP_DEG_LON, grid_centre
from routes.tests.factories import RouteOptionFactory
from routes.tests.test_routes_api import URL, _assert_on_network_nodes, heart_request
from routes.throttles import RoutePlanThrottle
from workouts.tests.factories import WorkoutFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned_square(auth_client, grid_network, shapes, settings):
    # a square follows the grid at any size, so every placement below can be snapped; a generous budget
    # because these tests check the placement, not planning speed on a busy machine
    settings.ROUTE_PLAN_TIME_BUDGET_S = 2.0  # CPU seconds
    settings.ROUTE_PLAN_WALL_LIMIT_S = 120.0
    response = auth_client.post(URL, heart_request(shape_id="square", target_distance=1.6, options_count=2),
                                format="json")
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def _place_url(route_id) -> str:
    return f"{URL}/{route_id}/options"


def _dragged_east(option: dict, blocks: float = 1.0) -> dict:
    placement = option["placement"]
    return {"center_latitude": placement["center_latitude"],
            "center_longitude": placement["center_longitude"] + blocks * GRID_STEP_DEG_LON,
            "rotation_deg": placement["rotation_deg"]}


def test_placed_option_is_stored_returned_and_on_the_network(auth_client, planned_square, grid_network):
    best = planned_square["options"][0]
    assert best["placement"]["center_latitude"] is not None and best["placement"]["perimeter"] > 0
    response = auth_client.post(_place_url(planned_square["id"]), {**_dragged_east(best), "scale": 1.0},
                                format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["success"] is True
    placed = body["data"]
    assert placed["source"] == "placed"
    assert placed["rank"] == max(option["rank"] for option in planned_square["options"]) + 1
    assert 0 <= placed["recognisability"] <= 100 and 0 <= placed["shape_fidelity"] <= 100
    assert isinstance(placed["recognisable"], bool)
    assert placed["approach_distance"] >= 0 and placed["approach_distance"] <= placed["distance"]
    # the figure sits where it was put (the engine snaps it to streets, within a block)
    centre = placed["placement"]
    assert centre["center_longitude"] == pytest.approx(_dragged_east(best)["center_longitude"], abs=GRID_STEP_DEG_LON)
    first, last = centre["figure_range"]
    assert 0 <= first <= last < len(placed["path"]["coordinates"])
    _assert_on_network_nodes(grid_network, placed["path"]["coordinates"])

    stored = RouteOption.objects.get(pk=placed["id"])
    assert stored.route_id.hex == planned_square["id"].replace("-", "")
    assert stored.source == RouteOption.Source.PLACED and stored.recognisability == pytest.approx(
        placed["recognisability"], abs=0.05)
    route = auth_client.get(f"{URL}/{planned_square['id']}").json()["data"]
    assert [option["id"] for option in route["options"]][-1] == placed["id"]
    assert len(route["options"]) == len(planned_square["options"]) + 1


def test_a_placement_sent_back_as_given_keeps_the_figure_size(auth_client, planned_square):
    # The app moves an option by sending its `placement` back with a new centre: perimeter and all.
    best = planned_square["options"][0]
    body = {**best["placement"], **_dragged_east(best)}
    response = auth_client.post(_place_url(planned_square["id"]), body, format="json")
    assert response.status_code == 201, response.json()
    placed = response.json()["data"]
    # the snap may refit the outline to its streets by at most 15 %
    assert placed["placement"]["perimeter"] == pytest.approx(best["placement"]["perimeter"], rel=0.15)
    assert placed["placement"]["center_longitude"] == pytest.approx(body["center_longitude"],
                                                                    abs=GRID_STEP_DEG_LON)
    again = auth_client.post(_place_url(planned_square["id"]), {**placed["placement"], **_dragged_east(placed)},
                             format="json")
    assert again.status_code == 201, again.json()
    assert again.json()["data"]["placement"]["perimeter"] == pytest.approx(placed["placement"]["perimeter"],
                                                                           rel=0.15)


def test_placement_by_target_distance_sizes_the_whole_run(auth_client, planned_square):
    best = planned_square["options"][0]
    response = auth_client.post(_place_url(planned_square["id"]), {**_dragged_east(best, 0),
                                                                    "target_distance": 1.6}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["distance"] == pytest.approx(1.6, rel=0.10)


def test_placement_by_target_distance_outside_ten_percent_is_422_and_stores_nothing(auth_client, planned_square,
                                                                                     monkeypatch):
    # a tolerance no street length meets: the sizing cannot get there, so the answer is an error, not a run
    # of some other length
    monkeypatch.setattr(planner_module, "LENGTH_TOLERANCE", 1e-9)
    monkeypatch.setattr(planner_module, "CALIBRATION_TOLERANCE", 1e-9)
    best = planned_square["options"][0]
    response = auth_client.post(_place_url(planned_square["id"]), {**_dragged_east(best, 0),
                                                                    "target_distance": 1.63}, format="json")
    assert response.status_code == 422, response.json()
    assert response.json()["success"] is False
    assert response.json()["error"]["code"] == "route_not_found"
    assert "10 %" in response.json()["error"]["message"]
    assert RouteOption.objects.filter(route_id=planned_square["id"]).count() == len(planned_square["options"])


def test_placement_by_scale_gives_the_length_that_size_gives(auth_client, planned_square):
    # half the figure is far below ±10 % of the route's 1.6 km target: answered, with its true distance
    best = planned_square["options"][0]
    response = auth_client.post(_place_url(planned_square["id"]), {**_dragged_east(best, 0), "scale": 0.5},
                                format="json")
    assert response.status_code == 201, response.json()
    placed = response.json()["data"]
    assert placed["placement"]["perimeter"] == pytest.approx(0.5 * best["placement"]["perimeter"], abs=0.02)
    assert placed["distance"] < 1.6 * 0.9  # outside the tolerance, and not refused for it
    stored = RouteOption.objects.get(pk=placed["id"])
    assert stored.target_error == pytest.approx(abs(stored.distance_km / 1.6 - 1), abs=1e-6)


def test_no_transaction_is_open_while_the_planner_runs(auth_client, planned_square, monkeypatch):
    baseline = len(connection.atomic_blocks)
    depths = []
    real_plan = planner_module.plan_at_placement

    def recording_plan(*args, **kwargs):
        depths.append(len(connection.atomic_blocks))
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(planner_module, "plan_at_placement", recording_plan)
    response = auth_client.post(_place_url(planned_square["id"]),
                                {**_dragged_east(planned_square["options"][0]), "scale": 1.0}, format="json")
    assert response.status_code == 201, response.json()
    assert depths == [baseline]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"center_latitude": 91}, "center_latitude"),
    ({"center_longitude": -181}, "center_longitude"),
    ({"rotation_deg": 400}, "rotation_deg"),
    ({"scale": 0}, "scale"),
    ({"scale": -1}, "scale"),
    ({"scale": 50}, "scale"),
    ({"scale": None}, "scale"),  # neither scale nor target_distance
    ({"target_distance": 2.0}, "scale"),  # both
    ({"perimeter": 1.2}, "scale"),  # scale and perimeter
    ({"scale": None, "perimeter": 0.05}, "perimeter"),
    ({"scale": None, "perimeter": 500}, "perimeter"),
    ({"target_distance": 100.0, "scale": None}, "target_distance"),
    ({"center_latitude": "north"}, "center_latitude"),
    ({"center_latitude": 37.40, "center_longitude": 127.20}, "center_latitude"),  # far off the network
])
def test_bad_placement_is_400_in_the_envelope_and_stores_nothing(auth_client, planned_square, overrides, field):
    body = {**_dragged_east(planned_square["options"][0]), "scale": 1.0, **overrides}
    body = {key: value for key, value in body.items() if value is not None}
    response = auth_client.post(_place_url(planned_square["id"]), body, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert response.json()["success"] is False
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert RouteOption.objects.filter(route_id=planned_square["id"]).count() == len(planned_square["options"])


def test_another_users_route_is_404(other_client, planned_square):
    body = {**_dragged_east(planned_square["options"][0]), "scale": 1.0}
    response = other_client.post(_place_url(planned_square["id"]), body, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    missing = other_client.post(_place_url("00000000-0000-0000-0000-000000000000"), body, format="json")
    assert missing.status_code == 404
    assert RouteOption.objects.filter(route_id=planned_square["id"]).count() == len(planned_square["options"])


def test_a_deleted_route_is_404(auth_client, planned_square):
    assert auth_client.delete(f"{URL}/{planned_square['id']}").status_code == 204
    response = auth_client.post(_place_url(planned_square["id"]),
                                {**_dragged_east(planned_square["options"][0]), "scale": 1.0}, format="json")
    assert response.status_code == 404


def test_placement_is_throttled_with_planning(auth_client, planned_square, monkeypatch):
    # planning the route (the fixture) and placing share one per-user budget: 2 requests a minute here
    monkeypatch.setattr(RoutePlanThrottle, "THROTTLE_RATES", {"route_plan": "2/min"})
    body = {**_dragged_east(planned_square["options"][0]), "scale": 0}  # refused fast, still counted
    assert auth_client.post(_place_url(planned_square["id"]), body, format="json").status_code == 400
    throttled = auth_client.post(_place_url(planned_square["id"]), body, format="json")
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"
    assert int(throttled["Retry-After"]) >= 1
    # planning a new route shares the same per-user budget
    assert auth_client.post(URL, heart_request(), format="json").status_code == 429
    assert auth_client.get(f"{URL}/{planned_square['id']}").status_code == 200


def test_streets_that_cannot_draw_it_answer_like_route_creation(auth_client, planned_square, monkeypatch):
    def no_route(*args, **kwargs):
        raise RouteNotFound("the streets at this placement cannot draw the figure")

    monkeypatch.setattr(planner_module, "plan_at_placement", no_route)
    response = auth_client.post(_place_url(planned_square["id"]),
                                {**_dragged_east(planned_square["options"][0]), "scale": 1.0}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "route_not_found"
    assert RouteOption.objects.filter(route_id=planned_square["id"]).count() == len(planned_square["options"])


def _fill_with_placed_options(route_id, count: int) -> list[RouteOption]:
    top = max(RouteOption.objects.filter(route_id=route_id).values_list("rank", flat=True))
    return [RouteOptionFactory(route_id=route_id, rank=top + 1 + index, source=RouteOption.Source.PLACED)
            for index in range(count)]


def test_a_full_route_drops_its_oldest_unused_placed_option(auth_client, user, planned_square):
    route_id = planned_square["id"]
    planned_count = len(planned_square["options"])
    placed = _fill_with_placed_options(route_id, MAX_OPTIONS_PER_ROUTE - planned_count)
    WorkoutFactory(user=user, route_id=route_id, route_option=placed[0])  # in use: kept
    response = auth_client.post(_place_url(route_id), {**_dragged_east(planned_square["options"][0]),
                                                       "scale": 1.0}, format="json")
    assert response.status_code == 201, response.json()
    remaining = set(RouteOption.objects.filter(route_id=route_id).values_list("pk", flat=True))
    assert len(remaining) == MAX_OPTIONS_PER_ROUTE
    assert placed[0].pk in remaining and placed[1].pk not in remaining  # the oldest unused one made room
    assert {option["id"] for option in planned_square["options"]} <= {str(pk) for pk in remaining}


def test_a_route_full_of_options_in_use_is_409(auth_client, user, planned_square):
    route_id = planned_square["id"]
    placed = _fill_with_placed_options(route_id, MAX_OPTIONS_PER_ROUTE - len(planned_square["options"]))
    for option in placed:
        WorkoutFactory(user=user, route_id=route_id, route_option=option)
    response = auth_client.post(_place_url(route_id), {**_dragged_east(planned_square["options"][0]),
                                                       "scale": 1.0}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert RouteOption.objects.filter(route_id=route_id).count() == MAX_OPTIONS_PER_ROUTE


def test_placement_centre_is_checked_against_the_start(auth_client, planned_square, monkeypatch):
    # the grid is ~0.9 km wide: with a 100 m reach (and a small route) its far corner is too far
    monkeypatch.setattr(planner_module, "MAX_PLACEMENT_DISTANCE_M", 100.0)
    lat, lon = grid_centre()
    response = auth_client.post(_place_url(planned_square["id"]), {
        "center_latitude": lat + 0.0035, "center_longitude": lon + 0.0045, "target_distance": 0.5},
        format="json")
    assert response.status_code == 400
    assert "from the start" in response.json()["error"]["fields"]["center_latitude"][0]
