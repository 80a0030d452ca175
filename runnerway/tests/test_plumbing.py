"""The shared API plumbing: envelopes on every response, JSON errors, pagination caps, schema."""

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from runnerway.api.exceptions import flatten_fields

pytestmark = pytest.mark.django_db


def test_unknown_api_url_answers_json_404_envelope(api_client):
    response = api_client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"success": False,
                               "error": {"code": "not_found", "message": "No API endpoint at this address."}}


def test_unknown_api_url_with_post_is_also_json(api_client):
    response = api_client.post("/api/nothing/here", {"a": 1})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_method_not_allowed_is_enveloped(api_client):
    response = api_client.delete("/api/v1/health")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_unsupported_media_type_is_enveloped(auth_client):
    response = auth_client.patch("/api/v1/users/me", data="name=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_malformed_json_is_a_validation_error(auth_client):
    response = auth_client.patch("/api/v1/users/me", data="{not json", content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "validation_error"


def test_missing_token_is_not_authenticated(api_client):
    response = api_client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_garbage_token_is_token_invalid(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    response = api_client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


def test_trailing_slash_is_served_the_same(auth_client, user):
    response = auth_client.get("/api/v1/users/me/")
    assert response.status_code == 200
    assert response.json()["data"]["id"] == str(user.pk)


def test_success_envelope(auth_client, user):
    body = auth_client.get("/api/v1/users/me").json()
    assert body["success"] is True
    assert body["data"]["email"] == user.email


def test_health_reports_database_and_queue(api_client):
    response = api_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["data"] == {"status": "ok", "database": "ok", "queue": "ok"}


def test_health_is_503_when_database_is_down(api_client, monkeypatch):
    from django.db import OperationalError

    def broken_cursor(*args, **kwargs):
        raise OperationalError("server has gone away")

    monkeypatch.setattr("runnerway.health.connection.cursor", broken_cursor)
    response = api_client.get("/api/v1/health")
    assert response.status_code == 503
    body = response.json()
    assert body["success"] is False
    assert body["data"]["database"] == "down"


def test_flatten_fields_uses_dotted_paths():
    detail = {"points": [{}, {}, {}, {"latitude": ["Too big."]}], "name": ["Required."]}
    assert flatten_fields(detail) == {"points.3.latitude": ["Too big."], "name": ["Required."]}


class _Boom(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        raise RuntimeError("kaboom")


class _Throttled(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        from rest_framework.exceptions import Throttled

        raise Throttled(wait=12.2)


class _Ok(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        response = Response({"x": 1})
        response.envelope_message = "hello"
        return response


urlpatterns = [path("api/boom", _Boom.as_view()), path("api/throttled", _Throttled.as_view()),
               path("api/ok", _Ok.as_view())]


@override_settings(ROOT_URLCONF=__name__)
def test_server_error_is_enveloped_json(api_client):
    response = api_client.get("/api/boom")
    assert response.status_code == 500
    assert response.json() == {"success": False,
                               "error": {"code": "server_error", "message": "An unexpected error occurred."}}


@override_settings(ROOT_URLCONF=__name__)
def test_throttled_carries_retry_after(api_client):
    response = api_client.get("/api/throttled")
    assert response.status_code == 429
    assert response["Retry-After"] == "13"
    assert response.json()["error"]["code"] == "throttled"


@override_settings(ROOT_URLCONF=__name__)
def test_envelope_message(api_client):
    assert api_client.get("/api/ok").json() == {"success": True, "data": {"x": 1}, "message": "hello"}


def test_handler500_answers_json_under_api(rf):
    from runnerway.views import server_error

    response = server_error(rf.get("/api/v1/anything"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert b'"code": "server_error"' in response.content or b'"code":"server_error"' in response.content


def test_oversized_body_is_413_and_changes_nothing(auth_client, user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = '{"name": "' + "x" * 4096 + '"}'
    response = auth_client.patch("/api/v1/users/me", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    user.refresh_from_db()
    assert user.name != "x" * 4096


def test_every_environment_variable_of_the_settings_is_documented():
    import re
    from pathlib import Path

    from django.conf import settings

    source = (Path(settings.BASE_DIR) / "runnerway" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.[a-z_]+)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (Path(settings.BASE_DIR) / ".env.example").read_text(), re.M))
    assert read, "the settings read no variables? the pattern is broken"
    assert read - documented == set()


WARMED: list[str] = []


def record_warm_up() -> None:
    WARMED.append("warmed")


def test_a_wsgi_worker_runs_each_warm_up_of_the_settings_as_it_boots(settings):
    import importlib
    import sys

    settings.WARM_UP = ["runnerway.tests.test_plumbing.record_warm_up"] * 2
    WARMED.clear()
    if "runnerway.wsgi" in sys.modules:
        importlib.reload(sys.modules["runnerway.wsgi"])
    else:
        importlib.import_module("runnerway.wsgi")
    assert WARMED == ["warmed", "warmed"]


def test_the_planner_warm_up_is_listed_and_imports():
    from django.conf import settings
    from django.utils.module_loading import import_string

    from routes.services import warm_planner

    assert settings.WARM_UP == ["routes.services.warm_planner"]
    assert all(import_string(path) is warm_planner for path in settings.WARM_UP)


def _left_for_the_collector(path: str, **headers) -> tuple[int, list]:
    """What one request through Django's handler leaves in reference cycles, which only the collector frees (the
    test client's own handler: a plain WSGIHandler would close the test's database connection)."""
    import gc

    from django.test.client import ClientHandler, RequestFactory

    environ = RequestFactory().get(path, headers=headers).environ
    gc.collect()
    gc.disable()
    try:
        response = ClientHandler()(environ)
        status = response.status_code
        b"".join(response)
        response.close()
        del response
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    return status, left


@pytest.mark.parametrize("found", [True, False])
def test_a_drf_view_its_request_and_response_are_freed_without_the_collector(user, found):
    from rest_framework.request import Request
    from rest_framework.views import APIView
    from rest_framework_simplejwt.tokens import RefreshToken

    from workouts.tests.factories import WorkoutFactory

    workout_id = WorkoutFactory(user=user, status="completed").pk if found else "00000000-0000-4000-8000-000000000000"
    token = RefreshToken.for_user(user).access_token
    status, left = _left_for_the_collector(f"/api/v1/workouts/{workout_id}", authorization=f"Bearer {token}")
    assert status == (200 if found else 404)
    assert not [o for o in left if isinstance(o, APIView | Request | Response)]
