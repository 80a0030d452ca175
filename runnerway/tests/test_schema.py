"""The OpenAPI document: valid, warning-free, enveloped, and served."""

import json

import pytest
from django.core.management import call_command
from django.utils import timezone, translation


@pytest.mark.no_accept_language
@pytest.mark.parametrize("language", ["en", "ko"])
def test_schema_validates_without_warnings(tmp_path, language):
    # --fail-on-warn turns every drf-spectacular warning (unresolvable serializer, missing type hint) into failure.
    # In both languages: choice labels are translated, and two choice sets that read alike in English but not in
    # Korean would collide as enums (`manage.py check` in production runs in Korean).
    target = tmp_path / "schema.yml"
    with translation.override(language):
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert target.stat().st_size > 1000


@pytest.mark.django_db
def test_schema_wraps_success_in_envelope_and_documents_errors(api_client):
    response = api_client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    ok_schema = login["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok_schema["properties"]["success"]["enum"] == [True]
    assert ok_schema["properties"]["data"] == {"$ref": "#/components/schemas/AuthResult"}
    for status in ("400", "405", "429"):
        assert login["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorEnvelope"}
    assert "jwtAuth" in schema["components"]["securitySchemes"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs", "/api/redoc"])
def test_docs_pages_are_served(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 200
    assert b"<html" in response.content.lower()


# --- What the schema says is what the server does (issue 13) ---------------------------------------------------

OPERATION_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(api_client, db):
    response = api_client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in OPERATION_METHODS:
                yield path, method, operation


def test_json_bodies_are_json_only_and_the_uploads_multipart_only(schema):
    media_types = {(method, path): set(operation["requestBody"]["content"])
                   for path, method, operation in _operations(schema) if "requestBody" in operation}
    uploads = {("put", "/api/v1/users/me/avatar"), ("post", "/api/v1/workouts/import")}
    assert {key: media_types[key] for key in uploads} == {key: {"multipart/form-data"} for key in uploads}
    others = {key: types for key, types in media_types.items() if key not in uploads}
    assert len(others) > 15
    assert all(types == {"application/json"} for types in others.values()), others


def test_a_points_batch_sent_as_multipart_is_415_unsupported_media_type(auth_client, user):
    from workouts.models import WorkoutPoint

    started = auth_client.post("/api/v1/workouts", {"start_latitude": 60.1716, "start_longitude": 24.9443},
                               format="json")
    assert started.status_code == 201
    workout_id = started.json()["data"]["id"]
    point = {"seq": 1, "recorded_at": timezone.now().isoformat(), "latitude": 60.1717, "longitude": 24.9444}
    response = auth_client.post(f"/api/v1/workouts/{workout_id}/points", {"points": json.dumps([point])},
                                format="multipart")
    assert response.status_code == 415
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "unsupported_media_type"
    assert "multipart/form-data" in body["error"]["message"]
    assert not WorkoutPoint.objects.filter(workout_id=workout_id).exists()
    # the same batch as JSON is read
    as_json = auth_client.post(f"/api/v1/workouts/{workout_id}/points", {"points": [point]}, format="json")
    assert as_json.status_code == 200 and as_json.json()["data"]["accepted"] == 1


def test_a_json_endpoint_refuses_form_data_too(auth_client):
    response = auth_client.post("/api/v1/goals", "goal_type=weekly", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_no_format_parameter_in_the_schema_and_format_json_changes_nothing(schema, auth_client, user):
    names = {parameter["name"] for _, _, operation in _operations(schema)
             for parameter in operation.get("parameters", [])}
    assert "format" not in names
    assert not any("?format=" in path for path in schema["paths"])
    missing = auth_client.get("/api/v1/shapes/heart/preview.svg?format=json")  # no shapes seeded
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_format_json_on_a_file_endpoint_still_answers_the_file(api_client, shapes):
    response = api_client.get("/api/v1/shapes/heart/preview.svg?format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response.content.lstrip().startswith(b"<")


def test_file_responses_are_documented_with_their_media_types(schema):
    files = {
        ("/api/v1/routes/{route_id}/options/{option_id}/gpx", "application/gpx+xml"): "string",
        ("/api/v1/routes/{route_id}/options/{option_id}/fit", "application/vnd.ant.fit"): "binary",
        ("/api/v1/routes/{route_id}/options/{option_id}/preview.svg", "image/svg+xml"): "string",
        ("/api/v1/workouts/{workout_id}/gpx", "application/gpx+xml"): "string",
        ("/api/v1/shapes/{shape_id}/preview.svg", "image/svg+xml"): "string",
        ("/api/v1/community/posts/{post_id}/route.gpx", "application/gpx+xml"): "string",
        ("/api/v1/users/me/export/download", "application/zip"): "binary",
    }
    for (path, media_type), kind in files.items():
        content = schema["paths"][path]["get"]["responses"]["200"]["content"]
        assert list(content) == [media_type], path
        file_schema = content[media_type]["schema"]
        assert file_schema["type"] == "string"
        assert (file_schema.get("format") == "binary") == (kind == "binary"), path


def test_every_response_has_a_description_and_every_operation_an_undotted_id(schema):
    for path, method, operation in _operations(schema):
        assert "." not in operation["operationId"], operation["operationId"]
        for status_code, response in operation["responses"].items():
            assert response.get("description", "").strip(), (method, path, status_code)


def test_errors_that_can_happen_everywhere_are_documented(schema):
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        assert {"405", "406", "503"} <= set(responses), (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(responses), (method, path)
        for status_code in ("429", "503"):
            if status_code in responses:
                assert responses[status_code]["headers"]["Retry-After"]["schema"]["type"] == "integer"
    health = schema["paths"]["/api/v1/health"]["get"]["responses"]
    assert "429" not in health  # health is never throttled (load balancers poll it)
    assert "429" in schema["paths"]["/api/v1/auth/login"]["post"]["responses"]


def test_health_503_documents_its_data_beside_the_error(schema, api_client, monkeypatch):
    unavailable = schema["paths"]["/api/v1/health"]["get"]["responses"]["503"]["content"]["application/json"]
    parts = unavailable["schema"]["allOf"]
    assert parts[0] == {"$ref": "#/components/schemas/ErrorEnvelope"}
    assert parts[1]["properties"]["data"] == {"$ref": "#/components/schemas/Health"}
    assert parts[1]["required"] == ["data"]


def test_logout_documents_its_real_body(schema, auth_client, user):
    from rest_framework_simplejwt.tokens import RefreshToken

    documented = schema["paths"]["/api/v1/auth/logout"]["post"]["responses"]["200"]
    body_schema = documented["content"]["application/json"]["schema"]
    assert body_schema["properties"]["data"]["enum"] == [None]
    response = auth_client.post("/api/v1/auth/logout", {"refresh": str(RefreshToken.for_user(user))}, format="json")
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": None, "message": "Logged out."}


def test_public_operations_say_security_empty(schema):
    security = {(method, path): operation["security"] for path, method, operation in _operations(schema)}
    public = [("get", "/api/v1/shapes"), ("get", "/api/v1/shapes/{shape_id}"),
              ("get", "/api/v1/shapes/{shape_id}/preview.svg"), ("get", "/api/v1/health"),
              ("get", "/api/v1/users/me/export/download"), ("post", "/api/v1/auth/signup"),
              ("post", "/api/v1/auth/login")]
    for key in public:
        assert security[key] == [], key
    for method, path in public[:4]:  # (login documents its own 401: a wrong password)
        assert "401" not in schema["paths"][path][method]["responses"], path
    assert security[("get", "/api/v1/routes")] == [{"jwtAuth": []}]


def test_servers_and_license(schema):
    assert schema["servers"] == [{"url": "http://testserver", "description": "This server"}]
    assert schema["info"]["license"]["name"]


def test_coordinates_start_and_bbox_are_fixed_length_arrays(schema):
    components = schema["components"]["schemas"]
    # one path object wherever a path appears (runnerway.api.units.PathSerializer); a missing path is null
    assert [name for name, component in components.items()
            if {"polyline", "coordinates", "bbox"} <= set(component.get("properties", {}))] == ["Path"]
    path = components["Path"]["properties"]
    assert path["coordinates"]["items"]["minItems"] == path["coordinates"]["items"]["maxItems"] == 2
    assert path["bbox"]["minItems"] == path["bbox"]["maxItems"] == 4 and not path["bbox"].get("nullable")
    start = components["RouteOption"]["properties"]["start"]
    assert start["minItems"] == start["maxItems"] == 2


def _enum_of(schema, property_schema):
    """The values of a (possibly nullable, possibly referenced) enum property."""
    values = set(property_schema.get("enum", []))
    for member in property_schema.get("allOf", []) + property_schema.get("oneOf", []):
        if "$ref" in member:
            values |= set(schema["components"]["schemas"][member["$ref"].rsplit("/", 1)[-1]]["enum"])
    if "$ref" in property_schema:
        values |= set(schema["components"]["schemas"][property_schema["$ref"].rsplit("/", 1)[-1]]["enum"])
    return values


def test_closed_sets_are_enums(schema):
    components = schema["components"]["schemas"]
    assert _enum_of(schema, components["Route"]["properties"]["safety_signal"]) == {"lit", "road_class", None}
    assert _enum_of(schema, components["Workout"]["properties"]["calories_source"]) == {"device", "estimated", None}
    assert _enum_of(schema, components["Workout"]["properties"]["type"]) == {"running", "walking"}
    assert _enum_of(schema, components["WorkoutSummary"]["properties"]["type"]) == {"running", "walking"}
    assert _enum_of(schema, components["RouteSummary"]["properties"]["type"]) == {"running", "walking"}
    assert _enum_of(schema, components["WorkoutImport"]["properties"]["source"]) == {"gpx", "fit"}
    assert _enum_of(schema, components["WorkoutImport"]["properties"]["error_code"]) == {
        "unsupported_file", "too_many_points", "import_timeout", "conflict", "import_failed", None}
    assert _enum_of(schema, components["GoalCreateRequest"]["properties"]["target_type"]) == {
        "distance", "workouts", "calories", "duration"}
    assert _enum_of(schema, components["LikeNotification"]["properties"]["target_type"]) == {
        "post", "comment", "user", "goal", "workout"}


def test_notification_is_one_of_its_types_by_discriminator(schema):
    notification = schema["components"]["schemas"]["Notification"]
    assert notification["discriminator"]["propertyName"] == "type"
    mapping = notification["discriminator"]["mapping"]
    assert set(mapping) == {"like", "comment", "follow", "goal_achieved", "personal_record"}
    assert [member["$ref"] for member in notification["oneOf"]] == list(mapping.values())
    components = schema["components"]["schemas"]
    record = components["PersonalRecordNotification"]["properties"]["data"]["$ref"].rsplit("/", 1)[-1]
    assert _enum_of(schema, components[record]["properties"]["record"]) == {
        "fastest_1k_s", "fastest_5k_s", "fastest_10k_s", "longest_distance"}
    comment = components["CommentNotification"]["properties"]["data"]["$ref"].rsplit("/", 1)[-1]
    assert set(components[comment]["required"]) == {"post_id", "comment_id", "excerpt"}


def test_target_value_is_a_number_in_and_out_and_gender_clears_with_null(schema, auth_client, user):
    components = schema["components"]["schemas"]
    for name in ("GoalCreateRequest", "PatchedGoalUpdateRequest", "Goal"):
        assert components[name]["properties"]["target_value"]["type"] == "number", name
    gender = components["PatchedProfileUpdateRequest"]["properties"]["gender"]
    assert gender["nullable"] is True and None in _enum_of(schema, gender)

    created = auth_client.post("/api/v1/goals", {"goal_type": "weekly", "target_type": "distance",
                                                 "target_value": 15.5, "start_date": "2026-06-01",
                                                 "end_date": "2026-06-07"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["data"]["target_value"] == 15.5
    auth_client.patch("/api/v1/users/me", {"gender": "female"}, format="json")
    cleared = auth_client.patch("/api/v1/users/me", {"gender": None}, format="json")
    assert cleared.status_code == 200
    assert cleared.json()["data"]["gender"] == ""
    user.refresh_from_db()
    assert user.gender == ""
    wrong = auth_client.patch("/api/v1/users/me", {"gender": "robot"}, format="json")
    assert wrong.status_code == 400 and "gender" in wrong.json()["error"]["fields"]


def test_nullable_references_carry_a_type(schema):
    def walk(node, where):
        if isinstance(node, dict):
            if node.get("nullable"):
                assert "type" in node, where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(schema, "#")
    post = schema["components"]["schemas"]["Post"]["properties"]["workout"]
    assert post == {"allOf": [{"$ref": "#/components/schemas/WorkoutSummary"}], "nullable": True,
                    "readOnly": True, "type": "object"}


def test_every_json_request_body_has_an_example_that_its_serializer_accepts(schema):
    from runnerway.api.examples import REQUEST_EXAMPLES

    bodies = [(method, path, operation["requestBody"]["content"]["application/json"])
              for path, method, operation in _operations(schema)
              if "application/json" in operation.get("requestBody", {}).get("content", {})]
    for method, path, media in bodies:
        assert media.get("examples"), (method, path)
        for example in media["examples"].values():
            assert isinstance(example["value"], dict), (method, path)
    used = {media["schema"]["$ref"].rsplit("/", 1)[-1] for _, _, media in bodies}
    assert set(REQUEST_EXAMPLES) <= used  # no example for a body that no longer exists


@pytest.mark.django_db
def test_the_route_example_plans_on_the_demo_network(schema, auth_client, helsinki_network, shapes, settings):
    # What is planned, not how fast: the budget is wall time (at load 12 one run failed with 6 s)
    settings.ROUTE_PLAN_TIME_BUDGET_S = 20.0
    (example,) = schema["paths"]["/api/v1/routes"]["post"]["requestBody"]["content"]["application/json"][
        "examples"].values()
    body = example["value"]
    assert body["shape_id"] == "heart" and body["target_distance"] == 3.0
    response = auth_client.post("/api/v1/routes", body, format="json")  # what "Try it out" sends
    assert response.status_code == 201, response.content
    options = response.json()["data"]["options"]
    assert options and all(2.7 <= option["distance"] <= 3.3 for option in options)


def test_the_fidelity_formula_is_a_code_block(schema):
    description = schema["paths"]["/api/v1/routes"]["post"]["description"]
    block = description.split("```text\n", 1)[1].split("```", 1)[0]
    assert "sqrt(trace_score * recognisability)" in block
    assert "0.55*F1" in block
    prose = description.replace(block, "")
    assert "trace_score * recognisability" not in prose  # no `*` left where Markdown reads emphasis


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs", "/api/redoc"])
def test_docs_pages_ask_nothing_of_other_sites(api_client, url):
    import re

    response = api_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://(?!testserver)", html), re.findall(r"https?://[^\s\"']+", html)
    assert "fonts.googleapis" not in html
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy and "connect-src 'self'" in policy
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert assets and all("drf_spectacular_sidecar" in asset for asset in assets), assets


@pytest.mark.django_db
def test_redoc_uses_the_system_fonts(api_client):
    html = api_client.get("/api/redoc").content.decode()
    assert "system-ui" in html
    assert "Montserrat" not in html and "Roboto:" not in html


@pytest.mark.django_db
def test_swagger_ui_has_no_online_validator(api_client):
    script = api_client.get("/api/docs").content.decode()
    assert '"validatorUrl": null' in script or "validatorUrl: null" in script


def test_an_accept_header_no_renderer_matches_is_the_documented_406(auth_client, schema):
    response = auth_client.get("/api/v1/routes", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_acceptable"
    assert "406" in schema["paths"]["/api/v1/routes"]["get"]["responses"]
