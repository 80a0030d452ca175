"""Fixtures the cross-app tests here borrow from the apps (a synthetic street grid imported for real, the shape
catalog, a fake Kakao API), and the Redis cache backend over a fake server."""

import fakeredis
import pytest
from django.core.cache import caches

from accounts.tests.conftest import fake_kakao  # noqa: F401
from routes.tests.conftest import grid_network, grid_osm_file, helsinki_network, network_dir, shapes  # noqa: F401


@pytest.fixture
def redis_cache(settings):
    """The default cache is runnerway.cache.RedisCache over an in-process fake Redis server."""
    settings.CACHES = {"default": {"BACKEND": "runnerway.cache.RedisCache", "LOCATION": "redis://fake:6379/0",
                                   "OPTIONS": {"connection_class": fakeredis.FakeRedisConnection,
                                               "server": fakeredis.FakeServer()}}}
    yield caches["default"]
    caches["default"].clear()
