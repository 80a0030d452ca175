"""Bad input answers 400 in the error envelope and changes nothing: JSON nested too deeply, text with control
characters or non-characters, calendar days outside the API's range."""

import xml.etree.ElementTree as ET

import pytest

from runnerway.api.fields import FORBIDDEN_TEXT, validate_user_text
from runnerway.api.parsers import MAX_JSON_DEPTH, json_depth_exceeds

# Each is refused in every user text field: C0 controls other than tab/LF/CR, and Unicode non-characters.
FORBIDDEN_SAMPLES = ["\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\ufdd0", "\ufdef", "\ufffe", "\uffff",
                     "\U0001fffe", "\U0010ffff"]
ALLOWED_TEXT = "Evening\tloop\n한강 러닝 ✨ — café"


def _error(response, status=400):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    return body["error"]


# --- JSON nesting ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")])
def test_json_nested_too_deeply_is_400_and_changes_nothing(auth_client, user, depth, opening, closing):
    name_before = user.name
    body = '{"name": ' + opening * depth + "1" + closing * depth + "}"
    error = _error(auth_client.patch("/api/v1/users/me", data=body, content_type="application/json"))
    assert error["code"] == "validation_error"
    assert f"nested more than {MAX_JSON_DEPTH} levels" in error["message"]
    user.refresh_from_db()
    assert user.name == name_before


def test_json_within_the_depth_limit_reaches_the_serializer(auth_client):
    body = '{"name": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    error = _error(auth_client.patch("/api/v1/users/me", data=body, content_type="application/json"))
    assert error["fields"] == {"name": ["Not a valid string."]}  # parsed, then refused by the field itself


def test_json_depth_counts_containers_only():
    assert not json_depth_exceeds({"points": [{"seq": 1, "tags": []}]}, 4)
    assert json_depth_exceeds({"points": [{"seq": 1, "tags": [[]]}]}, 4)
    assert not json_depth_exceeds("just a string", 0)
    assert json_depth_exceeds([[[[]]]], 3) and not json_depth_exceeds([[[[]]]], 4)


# --- user text ---------------------------------------------------------------------------------------------------


def test_the_forbidden_set_is_what_xml_and_unicode_refuse():
    allowed_controls = {"\t", "\n", "\r"}
    for code in range(0x20):
        assert bool(FORBIDDEN_TEXT.search(chr(code))) == (chr(code) not in allowed_controls), hex(code)
    non_characters = [chr(c) for c in range(0xFDD0, 0xFDF0)] + [chr(p << 16 | low) for p in range(17)
                                                                  for low in (0xFFFE, 0xFFFF)]
    assert all(FORBIDDEN_TEXT.search(c) for c in non_characters) and len(non_characters) == 66
    neighbours = ALLOWED_TEXT + "\U0001f3c3\ufdcf\ufdf0\ufffd\x7f"  # just outside the ranges: fine
    assert validate_user_text(neighbours) == neighbours


def _signup(client, name):
    return client.post("/api/v1/auth/signup", {"email": "new@example.com", "password": "a-Good-pass-123",
                                               "name": name}, format="json")


@pytest.mark.parametrize("sample", FORBIDDEN_SAMPLES)
def test_signup_name_with_a_forbidden_character_is_refused(api_client, db, sample):
    from accounts.models import User

    error = _error(_signup(api_client, f"Kim{sample}Runner"))
    assert error["code"] == "validation_error" and list(error["fields"]) == ["name"]
    assert f"U+{ord(sample):04X}" in error["fields"]["name"][0]
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize("sample", ["\x07", "\ufffe"])
def test_profile_name_with_a_forbidden_character_is_refused(auth_client, user, sample):
    before = user.name
    error = _error(auth_client.patch("/api/v1/users/me", {"name": f"a{sample}"}, format="json"))
    assert list(error["fields"]) == ["name"]
    user.refresh_from_db()
    assert user.name == before
    assert auth_client.patch("/api/v1/users/me", {"name": "김\t러너"}, format="json").status_code == 200


@pytest.mark.parametrize("sample", ["\x00", "\x1b", "\U0010ffff"])
def test_route_name_and_drawing_with_a_forbidden_character_are_refused(auth_client, user, sample):
    from routes.models import Route

    plan = {"type": "running", "mode": "custom", "start_latitude": 37.28, "start_longitude": 127.04,
            "condition": "distance", "target_distance": 3}
    error = _error(auth_client.post("/api/v1/routes", {**plan, "name": f"Heart{sample}",
                                                       "svg_path": "M 0 0 L 10 0 L 10 10 Z"}, format="json"))
    assert "name" in error["fields"]
    error = _error(auth_client.post("/api/v1/routes", {**plan, "svg_path": f"M 0 0 L 10 0{sample} L 10 10 Z"},
                                    format="json"))
    assert "svg_path" in error["fields"]
    assert not Route.objects.filter(user=user).exists()


def test_post_and_comment_content_with_a_forbidden_character_is_refused(auth_client, user):
    from community.models import Comment, Post

    error = _error(auth_client.post("/api/v1/community/posts", {"content": "ru\x0cn", "visibility": "public"},
                                    format="json"))
    assert list(error["fields"]) == ["content"]
    assert not Post.objects.exists()

    created = auth_client.post("/api/v1/community/posts", {"content": ALLOWED_TEXT, "visibility": "public"},
                               format="json")
    assert created.status_code == 201
    post_id = created.json()["data"]["id"]
    assert Post.objects.get(pk=post_id).content == ALLOWED_TEXT

    error = _error(auth_client.patch(f"/api/v1/community/posts/{post_id}", {"content": "x\ufdd5"}, format="json"))
    assert list(error["fields"]) == ["content"]
    assert Post.objects.get(pk=post_id).content == ALLOWED_TEXT

    error = _error(auth_client.post(f"/api/v1/community/posts/{post_id}/comments", {"content": "ni\x1ece"},
                                    format="json"))
    assert list(error["fields"]) == ["content"]
    assert not Comment.objects.exists()


def test_route_names_people_may_write_come_out_as_well_formed_gpx_and_svg(auth_client, user):
    from routes.tests.factories import RouteFactory, RouteOptionFactory

    option = RouteOptionFactory(route=RouteFactory(user=user, name="Square"))
    route_url = f"/api/v1/routes/{option.route_id}"
    assert _error(auth_client.patch(route_url, {"name": "Squ\x0bare"}, format="json"))["fields"].keys() == {"name"}
    assert auth_client.patch(route_url, {"name": ALLOWED_TEXT}, format="json").status_code == 200

    gpx = auth_client.get(f"{route_url}/options/{option.pk}/gpx")
    assert gpx.status_code == 200
    document = ET.fromstring(gpx.content)  # noqa: S314 - our own export
    names = [element.text for element in document.iter("{http://www.topografix.com/GPX/1/1}name")]
    assert names and all(name == ALLOWED_TEXT for name in names)
    svg = auth_client.get(f"{route_url}/options/{option.pk}/preview.svg")
    assert svg.status_code == 200
    assert ET.fromstring(svg.content).tag == "{http://www.w3.org/2000/svg}svg"  # noqa: S314 - well-formed


# --- calendar days -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31", "from=1969-12-31", "to=2101-01-01",
                                   "from=0001-01-01&to=9999-12-31"])
def test_workout_list_days_out_of_range_are_400(auth_client, query):
    error = _error(auth_client.get(f"/api/v1/workouts?{query}"))
    assert error["code"] == "validation_error"
    assert "Must be between 1970-01-01 and 2100-12-31." in str(error["fields"])


def test_workout_list_days_at_the_bounds_filter(auth_client, user):
    from workouts.tests.factories import WorkoutFactory

    WorkoutFactory(user=user)
    response = auth_client.get("/api/v1/workouts?from=1970-01-01&to=2100-12-31")
    assert response.status_code == 200
    assert len(response.json()["data"]["results"]) == 1
    assert auth_client.get("/api/v1/workouts?from=2100-12-31").json()["data"]["results"] == []
