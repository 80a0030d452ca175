"""Fixtures every app's tests share (cookiecutter-django style): api_client, user, auth_client."""

import pytest
from rest_framework.test import APIClient

ACCEPT_LANGUAGE_MARKER = "no_accept_language"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", f"{ACCEPT_LANGUAGE_MARKER}: the test's requests send no Accept-Language of their own (the server's "
        "default, Korean, answers) and its code runs in the default language")


@pytest.fixture(autouse=True)
def _english_unless_asked(request, monkeypatch):
    """Tests speak English: every test client request says `Accept-Language: en` unless it sends its own header,
    and code called outside a request runs in English. The product's default is Korean (settings.LANGUAGE_CODE);
    tests of that default are marked `no_accept_language` (runnerway/tests/test_languages.py)."""
    from django.test.client import RequestFactory
    from django.utils import translation

    if request.node.get_closest_marker(ACCEPT_LANGUAGE_MARKER):
        yield
        return
    base_environ = RequestFactory._base_environ

    def english_environ(self, **request_environ):
        environ = base_environ(self, **request_environ)
        environ.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
        return environ

    monkeypatch.setattr(RequestFactory, "_base_environ", english_environ)
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _isolated_cache_and_media(settings, tmp_path):
    """Each test starts with an empty cache (throttles, OTP counters) and its own media folder."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


def client_for(user) -> APIClient:
    """An API client authenticated as `user` with a real access token (the same path a phone takes)."""
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def auth_client(user) -> APIClient:
    return client_for(user)


@pytest.fixture
def other_client(other_user) -> APIClient:
    return client_for(other_user)
