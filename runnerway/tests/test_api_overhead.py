"""The cheap per-request plumbing (bench/api_overhead.py measures it): the Redis cache backend that reuses its
client."""

import fakeredis
import pytest
from django.core.cache import caches

from runnerway.cache import RedisCache, hit_counter

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache(settings):
    """The default cache is runnerway.cache.RedisCache over an in-process fake Redis server."""
    settings.CACHES = {"default": {"BACKEND": "runnerway.cache.RedisCache", "LOCATION": "redis://fake:6379/0",
                                   "OPTIONS": {"connection_class": fakeredis.FakeRedisConnection,
                                               "server": fakeredis.FakeServer()}}}
    yield caches["default"]
    caches["default"].clear()


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
