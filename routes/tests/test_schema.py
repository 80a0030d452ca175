"""The routes part of the OpenAPI document: fidelity formula, error codes, files, public shape catalog."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_route_endpoints_document_the_fidelity_formula_and_422(schema):
    create = schema["paths"]["/api/v1/routes"]["post"]
    assert "buffer_f1" in create["description"] and "0.55*F1" in create["description"]
    assert "route_not_found" in create["responses"]["422"]["description"]
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["properties"]["data"] == {
        "$ref": "#/components/schemas/Route"}
    option = schema["paths"]["/api/v1/routes/{route_id}/options/{option_id}"]["get"]
    assert "Fréchet" in option["description"]


def test_file_endpoints_document_their_media_types(schema):
    gpx = schema["paths"]["/api/v1/routes/{route_id}/options/{option_id}/gpx"]["get"]
    assert "application/gpx+xml" in gpx["responses"]["200"]["content"]
    svg = schema["paths"]["/api/v1/routes/{route_id}/options/{option_id}/preview.svg"]["get"]
    assert "image/svg+xml" in svg["responses"]["200"]["content"]
    assert svg["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"}


def test_shape_catalog_is_public_and_routes_are_not(schema):
    assert not schema["paths"]["/api/v1/shapes"]["get"].get("security")
    assert "401" not in schema["paths"]["/api/v1/shapes"]["get"]["responses"]
    assert "401" in schema["paths"]["/api/v1/routes"]["get"]["responses"]


def test_recognisability_fields_and_formula_are_documented(schema):
    create = schema["paths"]["/api/v1/routes"]["post"]
    assert "iou_rival" in create["description"] and "recognisability = 100" in create["description"]
    option = schema["components"]["schemas"]["RouteOption"]["properties"]
    for field in ("recognisability", "recognisable", "approach_distance", "placement", "source"):
        assert option[field].get("description") or option[field].get("$ref") or option[field].get("allOf"), field
    fidelity = schema["components"]["schemas"]["FidelityParts"]["properties"]
    assert {"iou", "rival_iou", "rival_shape_id", "recognisability", "trace_score"} <= set(fidelity)
    placement = schema["components"]["schemas"]["FigurePlacement"]["properties"]
    assert {"center_latitude", "center_longitude", "rotation_deg", "perimeter", "figure_range"} <= set(placement)
    assert "suggested_distance" in schema["components"]["schemas"]["Route"]["properties"]


def test_placement_endpoint_is_documented_with_examples_and_errors(schema):
    place = schema["paths"]["/api/v1/routes/{route_id}/options"]["post"]
    assert place["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RouteOptionPlaceRequest"}
    assert len(place["requestBody"]["content"]["application/json"]["examples"]) == 3
    sizes = schema["components"]["schemas"]["RouteOptionPlaceRequest"]["properties"]
    assert {"scale", "perimeter", "target_distance"} <= set(sizes)
    assert place["responses"]["201"]["content"]["application/json"]["schema"]["properties"]["data"] == {
        "$ref": "#/components/schemas/RouteOption"}
    for status in ("400", "401", "404", "409", "422", "429"):
        assert status in place["responses"], status
    assert "route_not_found" in place["responses"]["422"]["description"]
    body = schema["components"]["schemas"]["RouteOptionPlaceRequest"]["properties"]
    assert {"center_latitude", "center_longitude", "rotation_deg", "scale", "target_distance"} <= set(body)
    assert body["scale"]["description"]
