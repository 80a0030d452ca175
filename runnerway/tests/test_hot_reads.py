"""The plumbing of the hot read path: the cache-aside helper (runnerway.cache.CacheAside), the Redis calls of a
warm detail GET, and the content-negotiation shortcut (runnerway.api.negotiation)."""

from datetime import timedelta

import pytest
from django.core.cache import caches

from runnerway.cache import FILL_GUARD, CacheAside
from workouts import selectors
from workouts.tests.factories import START, WorkoutFactory, make_route_option

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_a_fill_only_adds_and_a_write_deletes(request, backend, settings):
    if backend == "redis":
        request.getfixturevalue("redis_cache")
    settings.ROW_TEST_ON, settings.ROW_TEST_OFF = 60, 0
    on = CacheAside("on", version=1, timeout_setting="ROW_TEST_ON")
    off = CacheAside("off", version=1, timeout_setting="ROW_TEST_OFF")
    on.add("a", {"km": 5})
    on.add("a", {"km": 6})  # a second fill never overwrites
    off.add("a", {"km": 7})  # a cache that is off stores nothing
    assert on.get("a") == {"km": 5} and on.get("b") is None and off.get("a") is None
    assert caches["default"].get(off.key("a")) is None
    on.invalidate(["a"])
    assert caches["default"].get(on.key("a")) is None


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_a_row_read_before_the_commit_cannot_be_written_back(request, backend, settings,
                                                             django_capture_on_commit_callbacks):
    """The race a plain delete leaves open: a reader reads the old row, the writer commits and deletes it, the
    reader writes the old row back. Inside the transaction the entry is deleted; at the commit a guard refuses
    the late write-back for FILL_GUARD_S."""
    from django.db import transaction

    if backend == "redis":
        request.getfixturevalue("redis_cache")
    settings.ROW_TEST_ON = 60
    rows = CacheAside("race", version=1, timeout_setting="ROW_TEST_ON")
    rows.add("u1", "active")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows.invalidate(["u1"])
        assert caches["default"].get(rows.key("u1")) is None  # deleted before the commit
        rows.add("u1", "active")  # a reader that read the row before this write's commit
    assert caches["default"].get(rows.key("u1")) == FILL_GUARD  # the guard replaced it at the commit
    rows.add("u1", "active")  # ... or whose write-back comes after the commit
    assert rows.get("u1") is None
    caches["default"].delete(rows.key("u1"))  # FILL_GUARD_S have passed
    rows.add("u1", "deactivated")
    assert rows.get("u1") == "deactivated"


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_get_many_and_hit_reads_several_keys_and_counts_in_one_go(request, backend, settings):
    from runnerway.cache import get_many_and_hit

    if backend == "redis":
        request.getfixturevalue("redis_cache")
    settings.ROW_TEST_ON = 60
    rows = CacheAside("many", version=1, timeout_setting="ROW_TEST_ON")
    rows.add("a", {"km": 5})
    found, count = get_many_and_hit([rows.key("a"), rows.key("b")], "hits", 60)
    assert set(found) == {rows.key("a"), rows.key("b")} and count == 1
    assert get_many_and_hit([], "hits", 60) == ({}, 2)
    assert rows.get("a", prefetched=found) == {"km": 5}
    assert rows.get("b", prefetched=found) is None  # read already (absent): not read again
    caches["default"].delete(rows.key("a"))
    assert rows.get("a", prefetched=found) == {"km": 5}  # what this request read


def _flaky(monkeypatch, method: str, failures: list) -> list:
    """Make the fake Redis connection's `method` raise the queued `failures` first, on the hot read's commands
    only (not those a new connection sends as it connects); those calls."""
    import fakeredis

    calls, original = [], getattr(fakeredis.FakeRedisConnection, method)

    def flaky(self, *args, **kwargs):
        if method == "send_packed_command" and b"INCR" not in b"".join(args[0]):
            return original(self, *args, **kwargs)
        calls.append(method)
        if failures:
            raise failures.pop(0)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(fakeredis.FakeRedisConnection, method, flaky)
    return calls


def test_a_dropped_redis_connection_is_replaced_once_and_a_timeout_is_not_retried(redis_cache, monkeypatch):
    from redis.exceptions import ConnectionError, TimeoutError

    from runnerway.cache import get_many_and_hit

    failures = [ConnectionError("Connection closed by server.")]
    sends = _flaky(monkeypatch, "send_packed_command", failures)
    assert get_many_and_hit([], "hits", 60) == ({}, 1) and len(sends) == 2  # on a new connection
    failures += [ConnectionError("down"), ConnectionError("still down")]
    with pytest.raises(ConnectionError):
        get_many_and_hit([], "hits", 60)
    failures.append(TimeoutError("Timeout reading from socket"))
    sends.clear()
    with pytest.raises(TimeoutError):
        get_many_and_hit([], "hits", 60)
    assert len(sends) == 1
    assert get_many_and_hit([], "hits", 60) == ({}, 2)  # the refused attempts counted nothing


def test_a_connection_with_replies_left_unread_is_never_reused(redis_cache, monkeypatch):
    """A failure between the replies leaves the rest on the socket: the next request must not read them."""
    from redis.exceptions import ResponseError

    from runnerway.cache import get_many_and_hit

    redis_cache.set("a", "first")
    _flaky(monkeypatch, "read_response", [ResponseError("WRONGTYPE")])
    with pytest.raises(ResponseError):
        get_many_and_hit(["a"], "hits", 60)
    redis_cache.set("a", "second")
    assert get_many_and_hit(["a"], "hits", 60) == ({"a": "second"}, 2)


def _checkouts(redis_cache, monkeypatch) -> tuple[object, list]:
    """The hot read's pool, and the connections taken from it from now on."""
    from runnerway.cache import get_many_and_hit

    get_many_and_hit([], "warm", 60)  # the pool exists
    pool = redis_cache._cache.get_client(write=True).connection_pool
    taken, original = [], pool.get_connection
    monkeypatch.setattr(pool, "get_connection", lambda: taken.append(original()) or taken[-1])
    return pool, taken


def test_the_hot_read_keeps_one_connection_checked_out(redis_cache, monkeypatch):
    from runnerway.cache import get_many_and_hit

    pool, taken = _checkouts(redis_cache, monkeypatch)
    redis_cache._cache._held.clear()  # as in a new process
    counts = [get_many_and_hit([], "hits", 60)[1] for _ in range(3)]
    assert counts == [1, 2, 3] and len(taken) == 1
    assert taken[0] in pool._in_use_connections  # counted by the pool, and closed by its disconnect()


def test_a_caller_that_finds_the_held_connection_busy_takes_one_from_the_pool(redis_cache, monkeypatch):
    import threading

    pool, taken = _checkouts(redis_cache, monkeypatch)
    held = redis_cache._cache._held[pool]
    counts = []
    assert held._lock.acquire(blocking=False)  # another caller is in the middle of its round trip
    try:
        caller = threading.Thread(target=lambda: counts.append(held.send_and_read([("INCR", "hits")])[0]))
        caller.start()
        caller.join(timeout=10)
        waited = caller.is_alive()
    finally:
        held._lock.release()
    assert not waited and counts == [1]  # answered without waiting for the lock
    assert len(taken) == 1 and taken[0] is not held._connection
    assert taken[0] in pool._available_connections  # given back


def test_a_forked_process_checks_out_its_own_connection(redis_cache, monkeypatch):
    import os

    from runnerway.cache import get_many_and_hit

    pool, taken = _checkouts(redis_cache, monkeypatch)
    held = redis_cache._cache._held[pool]
    parents = held._connection
    with monkeypatch.context() as child:
        child.setattr(os, "getpid", lambda: -1)  # what the child sees
        assert get_many_and_hit([], "hits", 60)[1] == 1
    assert len(taken) == 1 and taken[0] is not parents and held._connection is taken[0]
    assert parents._sock is not None  # the parent's socket is left alone
    redis_cache._cache._held.clear()
    pool.reset()  # the pool saw the child's pid: back to this process's


def test_an_entry_of_another_version_reads_as_a_miss_and_is_not_overwritten(settings):
    """During a rolling deploy both versions share the key, so either one's delete reaches the other."""
    settings.ROW_TEST_ON = 60
    old = CacheAside("deploy", version=1, timeout_setting="ROW_TEST_ON")
    new = CacheAside("deploy", version=2, timeout_setting="ROW_TEST_ON")
    assert old.key("w1") == new.key("w1")
    old.add("w1", {"format": 1})
    new.add("w1", {"format": 2})  # refused: the key holds an entry already
    assert new.get("w1") is None and old.get("w1") == {"format": 1}
    new.invalidate(["w1"])
    assert old.get("w1") is None


def test_a_warm_detail_get_is_one_redis_round_trip_and_no_query(redis_cache, user, auth_client, monkeypatch):
    """The token's user, the completed workout's output and the throttle's counter, in one Redis round trip."""
    from runnerway.cache import RedisCacheClient

    workout = WorkoutFactory(user=user, status="completed", completed_at=START + timedelta(hours=1))
    assert auth_client.get(f"/api/v1/workouts/{workout.pk}").status_code == 200  # fills both caches
    calls = []
    for name in ("get", "get_many", "add", "set", "incr_expiring", "get_many_and_incr_expiring"):
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

    def test_a_format_override_when_configured_is_still_honoured(self, auth_client, settings):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "URL_FORMAT_OVERRIDE": "format"}
        assert auth_client.get("/api/v1/workouts?format=json").status_code == 200
        assert auth_client.get("/api/v1/workouts?format=gpx").status_code == 404  # DRF: no renderer of that format

    def test_a_file_view_still_answers_its_type(self, user, auth_client):
        route, option = make_route_option(user, [[37.5, 127.0], [37.501, 127.001]])
        gpx = auth_client.get(f"/api/v1/routes/{route.pk}/options/{option.pk}/gpx", HTTP_ACCEPT="*/*")
        assert gpx.status_code == 200 and gpx["Content-Type"].startswith("application/gpx+xml")


def test_a_cached_workout_detail_honours_indent(user, auth_client):
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
