"""The cheap per-request plumbing (bench/api_overhead.py measures it): the Redis cache backend that reuses its
client, and the fixed-window per-user throttle."""

import pytest
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from accounts.tests.factories import UserFactory
from conftest import client_for
from runnerway.cache import RedisCache, hit_counter

pytestmark = pytest.mark.django_db


def test_redis_backend_reuses_one_client_and_still_works(redis_cache):
    assert isinstance(redis_cache, RedisCache)
    assert redis_cache._cache.get_client(write=True) is redis_cache._cache.get_client(write=False)
    redis_cache.set("answer", {"km": 4.2}, 30)
    assert redis_cache.get("answer") == {"km": 4.2}
    assert redis_cache.add("answer", "other") is False
    redis_cache.delete("answer")
    assert redis_cache.get("answer") is None


def test_hit_counter_on_redis_counts_and_expires(redis_cache):
    assert [hit_counter("hits", 60) for _ in range(3)] == [1, 2, 3]
    client = redis_cache._cache.get_client(write=True)
    assert 0 < client.ttl(redis_cache.make_and_validate_key("hits")) <= 60
    assert hit_counter("other", 60) == 1


def test_hit_counter_on_local_memory_counts():
    assert [hit_counter("hits", 60) for _ in range(3)] == [1, 2, 3]


class _Clock:
    def __init__(self, monkeypatch, start_s: float):
        self.now_s = start_s
        monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: self.now_s))


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_user_throttle_is_a_fixed_window_per_user(request, monkeypatch, backend):
    if backend == "redis":
        request.getfixturevalue("redis_cache")
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/min"})
    clock = _Clock(monkeypatch, start_s=1_800_000_000 + 15)  # 15 s into a minute
    runner, other = client_for(UserFactory()), client_for(UserFactory())

    assert [runner.get("/api/v1/workouts").status_code for _ in range(3)] == [200, 200, 200]
    refused = runner.get("/api/v1/workouts")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) == 45  # the rest of the window
    assert other.get("/api/v1/workouts").status_code == 200  # each user has their own counter

    clock.now_s += 44
    assert runner.get("/api/v1/workouts").status_code == 429
    clock.now_s += 1  # the next minute: a new window
    assert runner.get("/api/v1/workouts").status_code == 200


def test_user_throttle_leaves_anonymous_requests_to_the_address_throttle(monkeypatch):
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.test import APIRequestFactory

    from runnerway.api.throttling import UserRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": "1/min"})
    request = APIRequestFactory().get("/api/v1/shapes")
    request.user = AnonymousUser()
    assert all(UserRateThrottle().allow_request(request, None) for _ in range(3))
    assert caches["default"]._cache == {}  # nothing counted
