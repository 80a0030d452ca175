"""The OpenAPI document: valid, warning-free, enveloped, and served."""

import pytest
from django.core.management import call_command


def test_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn turns every drf-spectacular warning (unresolvable serializer, missing type hint) into failure.
    target = tmp_path / "schema.yml"
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
