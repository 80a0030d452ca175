"""Shape catalog: seed_shapes, the cached list/detail endpoints and the SVG preview."""

import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from routes.models import RouteShape
from routes.planner.shapes import SHAPE_TEMPLATES
from routes.services import shapes_set_active

pytestmark = pytest.mark.django_db


def _rows():
    return list(RouteShape.objects.order_by("shape_id").values_list(
        "id", "shape_id", "name", "category", "svg_template", "is_active", "sort_order"))


def test_seed_shapes_is_idempotent():
    call_command("seed_shapes")
    first = _rows()
    call_command("seed_shapes")
    assert _rows() == first
    assert len(first) == len(SHAPE_TEMPLATES) >= 12
    assert {row[3] for row in first} == {"basic", "special", "fun"}


def test_seed_keeps_staff_deactivation_and_refreshes_content(shapes):
    heart = shapes["heart"]
    RouteShape.objects.filter(pk=heart.pk).update(is_active=False, name="Edited by hand")
    call_command("seed_shapes")
    heart.refresh_from_db()
    assert heart.is_active is False
    assert heart.name == "Heart"


def test_shape_list_is_public_and_follows_the_contract(api_client, shapes):
    response = api_client.get("/api/v1/shapes")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    items = body["data"]
    assert [item["shape_id"] for item in items] == [t.shape_id for t in SHAPE_TEMPLATES]
    heart = next(item for item in items if item["shape_id"] == "heart")
    assert heart["id"] == str(shapes["heart"].id)
    assert heart["category"] == "special"
    assert heart["estimated_distance"] == 4.0
    assert heart["svg_template"].startswith("M ")
    assert heart["preview_svg_url"] == "http://testserver/api/v1/shapes/heart/preview.svg"
    assert {"name", "icon_name", "name_ko", "closed"} <= set(heart)


def test_shape_list_filters_by_category_and_rejects_unknown(api_client, shapes):
    response = api_client.get("/api/v1/shapes?category=fun")
    assert response.status_code == 200
    fun = {item["shape_id"] for item in response.json()["data"]}
    assert fun == {t.shape_id for t in SHAPE_TEMPLATES if t.category == "fun"}
    bad = api_client.get("/api/v1/shapes?category=weird")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "validation_error"
    assert "category" in bad.json()["error"]["fields"]


def test_shape_list_is_cached_and_invalidated_on_save(api_client, shapes, django_capture_on_commit_callbacks):
    api_client.get("/api/v1/shapes")
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get("/api/v1/shapes").status_code == 200
    assert len(queries) == 0  # served from the cache

    with django_capture_on_commit_callbacks(execute=True):
        star = RouteShape.objects.get(shape_id="star")
        star.name = "Shiny star"
        star.save()
    names = {item["shape_id"]: item["name"] for item in api_client.get("/api/v1/shapes").json()["data"]}
    assert names["star"] == "Shiny star"

    with django_capture_on_commit_callbacks(execute=True):
        shapes_set_active(shape_ids=[star.pk], is_active=False)  # a bulk update: no signal, explicit drop
    ids = {item["shape_id"] for item in api_client.get("/api/v1/shapes").json()["data"]}
    assert "star" not in ids
    assert api_client.get("/api/v1/shapes/star").status_code == 404


def test_shape_detail_and_404(api_client, shapes):
    response = api_client.get("/api/v1/shapes/heart")
    assert response.status_code == 200
    assert response.json()["data"]["shape_id"] == "heart"
    missing = api_client.get("/api/v1/shapes/unicorn")
    assert missing.status_code == 404
    assert missing.json() == {"success": False, "error": {"code": "not_found", "message": "No such shape."}}


def test_shape_preview_is_well_formed_svg(api_client, shapes):
    response = api_client.get("/api/v1/shapes/heart/preview.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    path = root.find(".//{http://www.w3.org/2000/svg}path")
    assert path.get("d") == shapes["heart"].svg_template
    # A client asking for the image type explicitly is served too; a missing shape is the JSON 404.
    assert api_client.get("/api/v1/shapes/heart/preview.svg", HTTP_ACCEPT="image/svg+xml").status_code == 200
    missing = api_client.get("/api/v1/shapes/nope/preview.svg", HTTP_ACCEPT="image/svg+xml")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
