"""The plumbing of the hot read path: compiled reads (runnerway.db), row caches and their one-round-trip read
(runnerway.rowcache, runnerway.cache), and the content-negotiation shortcut (runnerway.api.negotiation)."""

from datetime import timedelta

import pytest
from django.core.cache import caches

from accounts.models import User
from accounts.tests.factories import UserFactory
from runnerway.db import CompiledRead
from runnerway.rowcache import RowCache, read_rows
from runnerway.testing import row_cache_tombstones_expire
from workouts import selectors
from workouts.models import Workout
from workouts.tests.factories import START, WorkoutFactory, make_route_option

pytestmark = pytest.mark.django_db


class TestCompiledRead:
    def test_rows_equal_the_orm_with_its_conversions(self, user):
        route, option = make_route_option(user, [[37.5, 127.0], [37.501, 127.001]])
        workout = WorkoutFactory(user=user, route=route, route_option=option, status="completed",
                                 completed_at=START + timedelta(hours=1), splits=[{"km": 1, "pace": "5:00"}],
                                 weight_assumed=True, calories_kcal=301.5)
        columns = ("id", "user_id", "started_at", "completed_at", "splits", "weight_assumed", "calories_kcal",
                   "route__name", "route__shape")
        read = CompiledRead(lambda pk, user_id: Workout.objects.filter(pk=pk, user_id=user_id)
                            .values_list(*columns), pk=Workout._meta.pk, user_id=Workout._meta.get_field("user"))
        row = read.first(pk=workout.pk, user_id=user.pk)
        assert row == Workout.objects.filter(pk=workout.pk).values_list(*columns).get()
        assert row[2].tzinfo is not None and row[4] == [{"km": 1, "pace": "5:00"}] and row[5] is True
        assert read.first(pk=workout.pk, user_id=UserFactory().pk) is None  # the second parameter binds too

    def test_the_sql_is_compiled_once_per_database(self, user):
        read = CompiledRead(lambda pk: User.objects.filter(pk=pk).values_list("email"), pk=User._meta.pk)
        first = read.compiled()
        assert read.first(pk=user.pk) == (user.email,)
        assert read.compiled() is first

    def test_a_parameter_missing_from_the_query_is_a_clear_error(self):
        read = CompiledRead(lambda pk: User.objects.values_list("email"), pk=User._meta.pk)
        with pytest.raises(ValueError, match="parameter 'pk' occurs 0 times"):
            read.first(pk=UserFactory().pk)


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_read_rows_reads_several_caches_and_counts_in_one_go(request, backend, settings):
    if backend == "redis":
        request.getfixturevalue("redis_cache")
    settings.ROW_TEST_ON, settings.ROW_TEST_OFF = 60, 0
    on, off = (RowCache("on", shaped_by=lambda: [b"1"], timeout_setting="ROW_TEST_ON"),
               RowCache("off", shaped_by=lambda: [b"1"], timeout_setting="ROW_TEST_OFF"))
    on.set("a", {"km": 5})
    off.set("a", {"km": 6})  # a cache that is off stores nothing
    found, count = read_rows([(on, "a"), (on, "b"), (off, "a")], count_hit=("hits", 60))
    assert set(found) == {on.key("a"), on.key("b")} and count == 1
    assert read_rows([(on, "a")], count_hit=("hits", 60))[1] == 2
    assert on.get("a", prefetched=found) == {"km": 5}
    assert on.get("b", prefetched=found) is None  # read already (absent): not read again
    assert off.get("a") is None
    assert on.get("a", prefetched=read_rows([(on, "a")])[0]) == {"km": 5}


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_an_invalidated_row_cannot_be_filled_with_what_was_read_before(request, backend, settings,
                                                                        django_capture_on_commit_callbacks):
    """The race a plain delete leaves open: a reader reads the old row, the writer commits and forgets it, the
    reader writes the old row back. The tombstone refuses that write-back, before and after the commit."""
    from django.db import transaction

    if backend == "redis":
        request.getfixturevalue("redis_cache")
    settings.ROW_TEST_ON = 60
    rows = RowCache("race", shaped_by=lambda: [b"1"], timeout_setting="ROW_TEST_ON")
    rows.set("u1", "active")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows.invalidate(["u1"])
        rows.set("u1", "active")  # a reader that read the row before this write's commit
        assert rows.get("u1") is None
    rows.set("u1", "active")  # ... or whose write-back comes after the commit
    assert rows.get("u1") is None
    caches["default"].delete(rows.key("u1"))  # the tombstone's seconds have passed
    rows.set("u1", "deactivated")
    assert rows.get("u1") == "deactivated"


def test_an_entry_of_other_code_reads_as_a_miss_and_is_not_overwritten(settings):
    """During a rolling deploy both versions share the key, so either one's invalidation reaches the other."""
    settings.ROW_TEST_ON = 60
    old, new = (RowCache("deploy", shaped_by=lambda: [b"old"], timeout_setting="ROW_TEST_ON"),
                RowCache("deploy", shaped_by=lambda: [b"new"], timeout_setting="ROW_TEST_ON"))
    assert old.key("w1") == new.key("w1")
    old.set("w1", {"format": 1})
    new.set("w1", {"format": 2})  # refused: the key holds an entry already
    assert new.get("w1") is None and old.get("w1") == {"format": 1}
    new.invalidate(["w1"])
    assert old.get("w1") is None


def test_one_redis_round_trip_for_user_detail_and_rate_count(redis_cache, user, auth_client, monkeypatch):
    """A warm authenticated detail GET costs one pipeline on Redis and no query."""
    from runnerway.cache import RedisCacheClient

    workout = WorkoutFactory(user=user, status="completed", completed_at=START + timedelta(hours=1))
    row_cache_tombstones_expire()
    assert auth_client.get(f"/api/v1/workouts/{workout.pk}").status_code == 200  # fills both caches
    calls = []
    for name in ("get", "get_many", "incr_expiring", "get_many_and_incr_expiring"):
        original = getattr(RedisCacheClient, name)
        monkeypatch.setattr(RedisCacheClient, name,
                            lambda self, *a, _name=name, _original=original, **k: calls.append(_name)
                            or _original(self, *a, **k))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        detail = auth_client.get(f"/api/v1/workouts/{workout.pk}")
    assert detail.status_code == 200 and detail.json()["data"]["id"] == str(workout.pk)
    assert calls == ["get_many_and_incr_expiring"] and len(queries) == 0
    assert any(key.decode().endswith(selectors.workout_detail_cache.key(workout.pk))
               for key in redis_cache._cache.get_client().keys("*"))


class TestContentNegotiation:
    @pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
    def test_what_the_apps_send_gets_json(self, auth_client, accept):
        headers = {} if accept is None else {"HTTP_ACCEPT": accept}
        response = auth_client.get("/api/v1/workouts", **headers)
        assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
        assert response.json()["success"] is True

    def test_anything_else_is_negotiated_by_drf(self, auth_client):
        for accept in ("text/html", ""):  # an empty header too, as DRF answers it
            refused = auth_client.get("/api/v1/workouts", HTTP_ACCEPT=accept)
            assert refused.status_code == 406 and refused.json()["error"]["code"] == "not_acceptable", accept
        indented = auth_client.get("/api/v1/workouts", HTTP_ACCEPT="application/json; indent=2")
        assert indented.status_code == 200 and b'\n  "success"' in indented.content

    def test_a_file_view_still_answers_its_type(self, user, auth_client):
        route, option = make_route_option(user, [[37.5, 127.0], [37.501, 127.001]])
        gpx = auth_client.get(f"/api/v1/routes/{route.pk}/options/{option.pk}/gpx", HTTP_ACCEPT="*/*")
        assert gpx.status_code == 200 and gpx["Content-Type"].startswith("application/gpx+xml")


class TestEncodedJSON:
    DATA = {"name": "서울 하트 런", "note": "line\u2028break", "km": 5.25, "splits": [{"km": 1}], "none": None}

    def _render(self, data, accepted="application/json", message=None):
        from rest_framework.response import Response

        from runnerway.api.renderers import EnvelopeJSONRenderer

        response = Response(data)
        response.envelope_message = message
        return EnvelopeJSONRenderer().render(data, accepted, {"response": response})

    @pytest.mark.parametrize("message", [None, "Saved."])
    def test_the_envelope_around_encoded_data_is_the_same_bytes(self, message):
        from runnerway.api.renderers import EnvelopeJSONRenderer

        encoded = EnvelopeJSONRenderer.encode(self.DATA)
        assert self._render(encoded, message=message) == self._render(self.DATA, message=message)
        assert b"\\u2028" in encoded and "서울".encode() in encoded

    def test_an_indented_body_is_rendered_from_the_decoded_data(self):
        from runnerway.api.renderers import EnvelopeJSONRenderer

        indented = "application/json; indent=2"
        encoded = EnvelopeJSONRenderer.encode(self.DATA)
        assert self._render(encoded, indented) == self._render(self.DATA, indented)
        assert b'\n  "success": true' in self._render(encoded, indented)

    def test_a_cached_workout_detail_honours_indent(self, user, auth_client):
        workout = WorkoutFactory(user=user, status="completed", completed_at=START + timedelta(hours=1))
        compact = auth_client.get(f"/api/v1/workouts/{workout.pk}")
        indented = auth_client.get(f"/api/v1/workouts/{workout.pk}", HTTP_ACCEPT="application/json; indent=2")
        assert indented.status_code == 200 and b'\n  "data": {' in indented.content
        assert indented.json() == compact.json()


def test_row_caches_without_a_shared_cache_are_a_system_check_warning(settings, request):
    from runnerway.checks import row_caches_need_a_shared_cache

    settings.TOKEN_USER_CACHE_TIMEOUT, settings.WORKOUT_DETAIL_CACHE_TIMEOUT = 300, 0  # local memory here
    [warning] = row_caches_need_a_shared_cache(None)
    assert warning.id == "runnerway.W001" and "TOKEN_USER_CACHE_TIMEOUT" in warning.msg
    settings.TOKEN_USER_CACHE_TIMEOUT = 0
    assert row_caches_need_a_shared_cache(None) == []
    settings.TOKEN_USER_CACHE_TIMEOUT = 300
    request.getfixturevalue("redis_cache")
    assert row_caches_need_a_shared_cache(None) == []


def test_redis_down_is_a_503_to_retry_never_a_401_that_logs_the_runner_out(redis_cache, auth_client):
    server = redis_cache._cache._pool_options["server"]
    server.connected = False
    response = auth_client.get("/api/v1/workouts")
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "service_unavailable" and response["Retry-After"] == "5"
    server.connected = True
    assert auth_client.get("/api/v1/workouts").status_code == 200
