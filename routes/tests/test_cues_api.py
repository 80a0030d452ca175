"""Turn cues through the API: stored when planned, served in the client's language, exported as GPX route points
and as FIT course points (decoded back with fitdecode)."""

import io
import re

import fitdecode
import gpxpy
import numpy as np
import polyline
import pytest

from routes.cues import cue_language, cues_for_planned_route, cues_render, format_distance
from routes.models import RouteOption
from routes.planner.graph import RoadGraph
from routes.tests.conftest import GRID_SIZE
from routes.tests.factories import RouteOptionFactory
from routes.tests.test_routes_api import URL, heart_request

# These tests are about the language: their requests send their own Accept-Language, or none (Korean).
pytestmark = pytest.mark.no_accept_language

KOREAN_TURN_TEXT = re.compile(
    r"^\d+(\.\d)? k?m 후 (좌회전|우회전|왼쪽 방향|오른쪽 방향|급좌회전|급우회전|유턴|직진)(, .+)?$")
ENGLISH_TURN_TEXT = re.compile(
    r"^In \d+(\.\d)? k?m (turn left|turn right|keep left|keep right|turn sharp left|turn sharp right|"
    r"make a U-turn|continue straight)( onto .+)?$")
SEMICIRCLE_DEG = 180 / 2**31


def _grid_square_option(grid_network, user) -> RouteOption:
    """An option of `user` going round the square of rows/columns 3..6 of the synthetic grid (240 m sides),
    from its south-west corner, anticlockwise, with the cues the planning hook stores."""
    graph = RoadGraph.load(grid_network.path)
    index = {osm: i for i, osm in enumerate(np.asarray(graph.node_osm_id).tolist())}

    def node(row, col):
        return index[1 + row * GRID_SIZE + col]

    corners = [(3, c) for c in range(3, 7)] + [(r, 6) for r in range(4, 7)] + [(6, c) for c in range(5, 2, -1)] \
        + [(r, 3) for r in range(5, 2, -1)]
    node_ids = np.array([node(r, c) for r, c in corners])
    coordinates = [[float(graph.node_lat[n]), float(graph.node_lon[n])] for n in node_ids]
    return RouteOptionFactory(route__user=user, route__name="Grid square", polyline=polyline.encode(coordinates, 5),
                              point_count=len(coordinates), distance_km=0.96, estimated_duration_s=346,
                              cues=cues_for_planned_route(graph, node_ids))


def _option_url(option) -> str:
    return f"{URL}/{option.route_id}/options/{option.pk}"


# --- language ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "language"), [
    ("", "ko"), ("ko-KR,ko;q=0.9", "ko"), ("en-US,en;q=0.9", "en"), ("en", "en"), ("fr-FR, en;q=0.5", "en"),
    ("fr", "ko"), ("en;q=0.1, ko;q=0.9", "ko"), ("*", "ko"), ("EN-gb", "en"), ("x" * 600, "ko"),
])
def test_cue_language_from_accept_language(rf, header, language):
    request = rf.get("/", HTTP_ACCEPT_LANGUAGE=header) if header else rf.get("/")
    assert cue_language(request) == language


def test_rendering_in_korean_and_english():
    stored = [
        {"turn": "depart", "distance_m": 0.0, "distance_from_start_m": 0.0, "latitude": 37.5663, "longitude": 126.8972,
         "bearing_deg": 92, "street": "월드컵로", "street_ko": "월드컵로", "street_en": "World Cup-ro"},
        {"turn": "right", "distance_m": 118.4, "distance_from_start_m": 118.4, "latitude": 37.5663,
         "longitude": 126.8985, "bearing_deg": 180, "street": "월드컵로", "street_ko": "", "street_en": "World Cup-ro"},
        {"turn": "u_turn", "distance_m": 1234.0, "distance_from_start_m": 1352.4, "latitude": 37.55,
         "longitude": 126.8985, "bearing_deg": 0, "street": "성산로", "street_ko": "", "street_en": ""},
        {"turn": "slight_left", "distance_m": 40.0, "distance_from_start_m": 1392.4, "latitude": 37.551,
         "longitude": 126.8985, "bearing_deg": 330, "street": "", "street_ko": "", "street_en": ""},
        {"turn": "arrive", "distance_m": 4.0, "distance_from_start_m": 1396.4, "latitude": 37.5663,
         "longitude": 126.8972, "bearing_deg": 270, "street": "", "street_ko": "", "street_en": ""},
    ]
    korean = cues_render(stored, language="ko")
    english = cues_render(stored, language="en")
    assert [cue["text"] for cue in korean] == [
        "동쪽으로 출발, 월드컵로", "120 m 후 우회전, 월드컵로", "1.2 km 후 유턴", "40 m 후 왼쪽 방향", "10 m 후 도착"]
    assert [cue["instruction"] for cue in korean] == [
        "동쪽으로 출발, 월드컵로", "우회전, 월드컵로", "유턴", "왼쪽 방향", "도착"]
    assert [cue["text"] for cue in english] == [
        "Head east on World Cup-ro", "In 120 m turn right onto World Cup-ro", "In 1.2 km make a U-turn",
        "In 40 m keep left", "In 10 m arrive at the finish"]
    assert [cue["instruction"] for cue in english] == [
        "Head east on World Cup-ro", "Turn right onto World Cup-ro", "Make a U-turn", "Keep left", "Finish"]
    assert [cue["street"] for cue in english] == ["World Cup-ro", "World Cup-ro", "성산로", None, None]
    assert [cue["distance_m"] for cue in korean] == [0, 118, 1234, 40, 4]
    assert korean[1]["distance_from_start_m"] == 118 and korean[1]["bearing_deg"] == 180
    # A turn this version does not know (a later one wrote it) is left out rather than failing the response.
    assert cues_render([{**stored[1], "turn": "roundabout"}], language="en") == []
    with pytest.raises(ValueError):
        cues_render(stored, language="fr")


@pytest.mark.parametrize(("metres", "text"), [(0, "10 m"), (4, "10 m"), (118.4, "120 m"), (994, "990 m"),
                                               (995, "1.0 km"), (1234, "1.2 km"), (10_490, "10.5 km")])
def test_distances_read_to_ten_metres_then_tenths_of_a_kilometre(metres, text):
    assert format_distance(metres) == text


# --- served on options -----------------------------------------------------------------------------------

def test_planned_options_store_cues_and_serve_them_in_korean_by_default(auth_client, grid_network, shapes):
    response = auth_client.post(URL, heart_request(), format="json")
    assert response.status_code == 201, response.json()
    assert "Accept-Language" in response["Vary"]
    graph = RoadGraph.load(grid_network.path)
    junctions = {(round(float(graph.node_lat[n]), 7), round(float(graph.node_lon[n]), 7))
                 for n in range(graph.node_count) if graph.indptr[n + 1] - graph.indptr[n] >= 3}
    street_names = set(graph.names)
    options = response.json()["data"]["options"]
    assert options
    for served in options:
        stored = RouteOption.objects.get(pk=served["id"]).cues
        cues = served["cues"]
        assert len(cues) == len(stored) >= 3  # a heart on a grid turns
        assert cues[0]["turn"] == "depart" and cues[-1]["turn"] == "arrive"
        assert sum(cue["distance_m"] for cue in cues) == pytest.approx(served["distance"] * 1000, abs=len(cues) + 10)
        assert cues[0]["text"].endswith("으로 출발, " + cues[0]["street"])
        for cue in cues[1:-1]:
            assert KOREAN_TURN_TEXT.match(cue["text"]), cue["text"]
            assert cue["street"] in street_names
            # Every turn on the grid is at a crossing (the grid has no dead ends for a heart to turn back in).
            assert (round(cue["latitude"], 7), round(cue["longitude"], 7)) in junctions
        assert cues[-1]["text"].endswith(" 후 도착") and cues[-1]["street"] is None


def test_accept_language_en_serves_english_everywhere_options_appear(auth_client, grid_network, shapes, user):
    option = _grid_square_option(grid_network, user)
    english = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9,ko;q=0.8"}
    detail = auth_client.get(_option_url(option), **english)
    assert detail.status_code == 200
    assert "Accept-Language" in detail["Vary"]
    assert [cue["text"] for cue in detail.json()["data"]["cues"]] == [
        "Head east on Row 3 street", "In 240 m turn left onto Column 6 avenue", "In 240 m turn left onto Row 6 street",
        "In 240 m turn left onto Column 3 avenue", "In 240 m arrive at the finish"]
    route = auth_client.get(f"{URL}/{option.route_id}", **english).json()["data"]
    assert route["options"][0]["cues"] == detail.json()["data"]["cues"]
    listed = auth_client.get(URL, **english).json()["data"]["results"]
    assert listed[0]["options"][0]["cues"] == detail.json()["data"]["cues"]
    korean = auth_client.get(_option_url(option)).json()["data"]["cues"]
    assert [cue["text"] for cue in korean] == [
        "동쪽으로 출발, Row 3 street", "240 m 후 좌회전, Column 6 avenue", "240 m 후 좌회전, Row 6 street",
        "240 m 후 좌회전, Column 3 avenue", "240 m 후 도착"]
    assert [cue["distance_from_start_m"] for cue in korean] == [0, 240, 480, 720, 960]


def test_an_option_planned_before_cues_existed_serves_none(auth_client, user):
    option = RouteOptionFactory(route__user=user)
    assert option.cues == []
    assert auth_client.get(_option_url(option)).json()["data"]["cues"] == []
    gpx = gpxpy.parse(auth_client.get(_option_url(option) + "/gpx").content.decode())
    assert gpx.routes == [] and len(gpx.tracks[0].segments[0].points) == option.point_count


def test_cue_queries_do_not_grow_with_options(auth_client, user, django_assert_max_num_queries, grid_network):
    for _ in range(5):
        _grid_square_option(grid_network, user)
    with django_assert_max_num_queries(4):
        response = auth_client.get(URL)
    assert response.status_code == 200 and all(
        route["options"][0]["cues"] for route in response.json()["data"]["results"])


# --- GPX: cues as route points ----------------------------------------------------------------------------

def test_gpx_carries_the_cues_as_named_described_route_points(auth_client, grid_network, user):
    option = _grid_square_option(grid_network, user)
    response = auth_client.get(_option_url(option) + "/gpx", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/gpx+xml")
    assert "Accept-Language" in response["Vary"]
    gpx = gpxpy.parse(response.content.decode())
    assert len(gpx.tracks[0].segments[0].points) == option.point_count  # the track is still the whole path
    (route,) = gpx.routes
    cues = cues_render(option.cues, language="en")
    assert [(p.name, p.description, p.type) for p in route.points] == [
        (c["instruction"], c["text"], c["turn"]) for c in cues]
    assert route.points[1].name == "Turn left onto Column 6 avenue"
    assert route.points[1].description == "In 240 m turn left onto Column 6 avenue"
    np.testing.assert_allclose([(p.latitude, p.longitude) for p in route.points],
                               [(c["latitude"], c["longitude"]) for c in cues], atol=1e-7)
    korean = gpxpy.parse(auth_client.get(_option_url(option) + "/gpx").content.decode())
    assert korean.routes[0].points[1].description == "240 m 후 좌회전, Column 6 avenue"


# --- FIT course ------------------------------------------------------------------------------------------

def _decode_fit(content: bytes) -> dict[str, list[dict]]:
    messages: dict[str, list[dict]] = {}
    with fitdecode.FitReader(io.BytesIO(content), check_crc=fitdecode.CrcCheck.ENABLED) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                messages.setdefault(frame.name, []).append({field.name: field.value for field in frame.fields})
    return messages


def test_fit_course_decodes_to_the_same_track_and_course_points(auth_client, grid_network, user):
    option = _grid_square_option(grid_network, user)
    response = auth_client.get(_option_url(option) + "/fit", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.ant.fit"
    assert response["Content-Disposition"] == f'attachment; filename="runnerway-grid-square-{option.rank}.fit"'
    assert "Accept-Language" in response["Vary"]
    fit = _decode_fit(response.content)

    assert fit["file_id"][0]["type"] == "course"
    assert fit["course"][0]["sport"] == "running" and fit["course"][0]["name"] == "Grid square"
    # Same track: one record per path point, at the same position (FIT semicircles: ~1 cm).
    records = fit["record"]
    np.testing.assert_allclose([(r["position_lat"] * SEMICIRCLE_DEG, r["position_long"] * SEMICIRCLE_DEG)
                                for r in records], option.coordinates(), atol=1e-6)
    distances = [r["distance"] for r in records]
    assert distances == sorted(distances) and distances[-1] == pytest.approx(960, rel=0.01)
    # Timestamps at the option's pace: 960 m in 346 s.
    elapsed = (records[-1]["timestamp"] - records[0]["timestamp"]).total_seconds()
    assert elapsed == pytest.approx(346, abs=5)
    # Same course points: one per cue, its position, distance, type and street.
    cues = cues_render(option.cues, language="en")
    points = fit["course_point"]
    assert [p["type"] for p in points] == ["segment_start", "left", "left", "left", "segment_end"]
    assert [p["name"] for p in points] == ["Row 3 street", "Column 6 avenue", "Row 6 street", "Column 3 avenue",
                                           "Finish"]
    np.testing.assert_allclose([(p["position_lat"] * SEMICIRCLE_DEG, p["position_long"] * SEMICIRCLE_DEG)
                                for p in points], [(c["latitude"], c["longitude"]) for c in cues], atol=1e-6)
    assert [p["distance"] for p in points] == pytest.approx([c["distance_from_start_m"] for c in cues], abs=0.01)
    assert fit["lap"][0]["total_distance"] == pytest.approx(distances[-1])
    assert [e["event_type"] for e in fit["event"]] == ["start", "stop_all"]
    # fit-tool's own conformance check of the FIT profile finds nothing to report
    from fit_tool import FitFile, validate_fit_file

    assert validate_fit_file(FitFile.from_bytes(response.content)).findings == []


def test_fit_course_point_names_in_korean_are_cut_on_character_boundaries(auth_client, user):
    option = RouteOptionFactory(route__user=user, route__name="하트 모양 아침 달리기 코스", cues=[
        {"turn": "depart", "distance_m": 0, "distance_from_start_m": 0, "latitude": 37.281, "longitude": 127.041,
         "bearing_deg": 90, "street": "Worldcup-ro", "street_ko": "월드컵북로하늘길", "street_en": ""},
        {"turn": "arrive", "distance_m": 360, "distance_from_start_m": 360, "latitude": 37.281,
         "longitude": 127.041, "bearing_deg": 180, "street": "", "street_ko": "", "street_en": ""}])
    fit = _decode_fit(auth_client.get(_option_url(option) + "/fit").content)
    assert fit["course"][0]["name"] == "하트 모양 "  # 14 of the 15 bytes: the next character would not fit
    assert [p["name"] for p in fit["course_point"]] == ["월드컵북로", "도착"]


def test_fit_of_another_users_option_is_404_in_the_envelope(other_client, auth_client, user):
    option = RouteOptionFactory(route__user=user)
    response = other_client.get(_option_url(option) + "/fit")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert auth_client.get(_option_url(option) + "/fit").status_code == 200


# --- options planned before cues existed ---------------------------------------------------------------------

def test_backfill_gives_old_options_the_cues_planning_would_have(grid_network, user, auth_client):
    from django.core.management import call_command

    planned = _grid_square_option(grid_network, user)
    expected = planned.cues
    old = RouteOptionFactory(route__user=user, route__network=grid_network, polyline=planned.polyline,
                             point_count=planned.point_count, cues=[])
    off_network = RouteOptionFactory(route__user=user, route__network=grid_network, cues=[])  # factory square
    no_network = RouteOptionFactory(route__user=user, polyline=planned.polyline, cues=[])

    out = io.StringIO()
    call_command("backfill_cues", "--dry-run", stdout=out)
    assert "1 options would get cues" in out.getvalue()
    assert RouteOption.objects.get(pk=old.pk).cues == []

    call_command("backfill_cues", stdout=out)
    old.refresh_from_db()
    assert old.cues == expected  # the same nodes, so the very cues planning stored
    assert RouteOption.objects.get(pk=off_network.pk).cues == []
    assert RouteOption.objects.get(pk=no_network.pk).cues == []
    assert [c["turn"] for c in auth_client.get(_option_url(old)).json()["data"]["cues"]] == [
        "depart", "left", "left", "left", "arrive"]
    out = io.StringIO()
    call_command("backfill_cues", stdout=out)  # again: nothing left to do
    assert "0 options got cues; 2 had them; 1 no longer match their network; 1 have no network" in out.getvalue()
