"""The token's user read through the shared cache, and verified access tokens remembered per process.

Whatever changes a user row (a save, the admin's bulk deactivate, a soft delete) must be seen by the very next
request: a cached row may never let a deactivated or deleted account in, nor show an old profile.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.tokens import AccessToken

from accounts import authentication
from accounts.models import User
from accounts.selectors import token_user_cache, user_for_token
from accounts.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


def _user_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if User._meta.db_table in q["sql"]]


def test_a_warm_request_reads_the_user_from_the_cache(user, auth_client):
    assert auth_client.get("/api/v1/users/me").status_code == 200  # fills the cache
    assert token_user_cache.get(user.pk) is not None
    with CaptureQueriesContext(connection) as queries:
        me = auth_client.get("/api/v1/users/me")
    assert me.status_code == 200 and me.json()["data"]["email"] == user.email
    assert _user_queries(queries.captured_queries) == []


def test_the_cached_user_equals_the_row(user):
    user.weight_kg = "61.5"
    user.save()
    user_for_token(user_id=user.pk)  # from the database, into the cache
    assert token_user_cache.get(user.pk) is not None
    cached = user_for_token(user_id=user.pk)
    fresh = User.objects.get(pk=user.pk)
    for field in User._meta.concrete_fields:
        assert getattr(cached, field.attname) == getattr(fresh, field.attname), field.attname
    assert cached._state.adding is False and cached._state.db == "default"


def test_the_password_hash_is_not_cached(user):
    user_for_token(user_id=user.pk)
    row = token_user_cache.get(user.pk)
    assert "password" not in row and user.password not in row.values()
    cached = user_for_token(user_id=user.pk)
    assert "password" in cached.get_deferred_fields()
    assert cached.check_password("correct-horse-battery-9")  # loaded from the database when asked for


def test_profile_changes_show_on_the_next_request(auth_client):
    assert auth_client.get("/api/v1/users/me").status_code == 200
    assert auth_client.patch("/api/v1/users/me", {"name": "Renamed", "weight_kg": 58.5},
                             format="json").status_code == 200
    me = auth_client.get("/api/v1/users/me").json()["data"]
    assert me["name"] == "Renamed" and me["weight_kg"] == 58.5


def test_deactivated_by_the_admins_bulk_action_is_refused_at_once(client, user, auth_client):
    assert auth_client.get("/api/v1/workouts").status_code == 200  # the row is cached now
    assert token_user_cache.get(user.pk) is not None
    staff = User.objects.create_superuser(email="staff@example.com", password="staff-pass-123")
    client.force_login(staff)
    client.post(reverse("admin:accounts_user_changelist"),
                {"action": "deactivate_users", "_selected_action": [user.pk]})
    refused = auth_client.get("/api/v1/workouts")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_invalid"


def test_deactivated_by_an_invalidated_queryset_update_or_a_save_is_refused_at_once(user, other_user, auth_client,
                                                                                   other_client):
    assert auth_client.get("/api/v1/workouts").status_code == 200
    assert other_client.get("/api/v1/workouts").status_code == 200
    assert token_user_cache.get(user.pk) is not None and token_user_cache.get(other_user.pk) is not None
    User.objects.filter(pk=user.pk).update(is_active=False)  # no signal: the writer forgets the row itself
    assert token_user_cache.get(user.pk) is not None
    token_user_cache.invalidate([user.pk])
    other_user.is_active = False
    other_user.save(update_fields=["is_active"])
    assert auth_client.get("/api/v1/workouts").status_code == 401
    assert other_client.get("/api/v1/workouts").status_code == 401


def test_soft_deleted_is_refused_with_every_token(user):
    phone, tablet = client_for(user), client_for(user)
    assert tablet.get("/api/v1/workouts").status_code == 200
    assert token_user_cache.get(user.pk) is not None
    assert phone.delete("/api/v1/users/me").status_code == 204
    assert tablet.get("/api/v1/workouts").status_code == 401


def test_a_row_read_inside_the_writing_transaction_is_not_cached(user, django_capture_on_commit_callbacks):
    """A reader that read the old row while the write's transaction was open cannot keep it cached after the
    commit, nor cache it right after."""
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        user.name = "Inside"
        user.save()
        user_for_token(user_id=user.pk)  # a concurrent reader would cache the old row here (before the commit)
    assert token_user_cache.get(user.pk) is None  # the commit replaced it with the guard
    user_for_token(user_id=user.pk)  # right after the commit: the guard refuses the fill
    assert token_user_cache.get(user.pk) is None
    cache.delete(token_user_cache.key(user.pk))  # FILL_GUARD_S later
    assert user_for_token(user_id=user.pk).name == "Inside"
    assert token_user_cache.get(user.pk) is not None


def test_off_switch_reads_the_database_every_time(user, auth_client, settings):
    settings.TOKEN_USER_CACHE_TIMEOUT = 0
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert auth_client.get("/api/v1/users/me").status_code == 200
        assert len(_user_queries(queries.captured_queries)) == 1
    assert not isinstance(cache.get(token_user_cache.key(user.pk)), tuple)  # no row stored


def test_a_row_cached_by_code_of_another_version_is_a_miss(user, auth_client):
    # entries carry the cache's version: a row cached by another deploy's code is never used here
    cache.set(token_user_cache.key(user.pk), (token_user_cache.version + 1, {"id": user.pk, "email": "old"}), 300)
    assert token_user_cache.get(user.pk) is None
    assert auth_client.get("/api/v1/users/me").json()["data"]["email"] == user.email


class TestVerifiedTokens:
    def test_a_verified_token_is_not_decoded_again(self, user, monkeypatch):
        authentication._verified_tokens.clear()
        client = client_for(user)
        assert client.get("/api/v1/users/me").status_code == 200
        decoded = []
        original = AccessToken.__init__
        monkeypatch.setattr(AccessToken, "__init__", lambda self, *a, **k: decoded.append(1) or original(self, *a, **k))
        assert client.get("/api/v1/users/me").status_code == 200
        assert decoded == []

    def test_an_expired_token_is_refused_though_it_was_verified(self, user, monkeypatch):
        authentication._verified_tokens.clear()
        client = client_for(user)
        assert client.get("/api/v1/users/me").status_code == 200
        later = timedelta(minutes=16)  # the access lifetime is 15 minutes; move both clocks past it
        real_time, real_now = authentication.time.time, tokens.aware_utcnow
        monkeypatch.setattr(authentication.time, "time", lambda: real_time() + later.total_seconds())
        monkeypatch.setattr(tokens, "aware_utcnow", lambda: real_now() + later)
        refused = client.get("/api/v1/users/me")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_invalid"

    def test_a_tampered_token_is_refused(self, user):
        token = str(AccessToken.for_user(user))
        header, payload, signature = token.split(".")
        forged = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
        assert client_for(user).get("/api/v1/users/me").status_code == 200
        response = client_for(user)
        response.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
        assert response.get("/api/v1/users/me").status_code == 401

    def test_the_memory_is_bounded(self, monkeypatch):
        authentication._verified_tokens.clear()
        monkeypatch.setattr(authentication, "_VERIFIED_TOKENS_MAX", 3)
        users = [UserFactory() for _ in range(5)]
        for runner in users:
            assert client_for(runner).get("/api/v1/users/me").status_code == 200
        assert 1 <= len(authentication._verified_tokens) <= 3


def test_a_column_missing_from_an_older_entry_loads_from_the_database(user, django_assert_num_queries):
    """A column added to User after the entry was written: the entry still serves, the column loads deferred."""
    user_for_token(user_id=user.pk)
    row = dict(token_user_cache.get(user.pk))
    del row["name"]
    cache.set(token_user_cache.key(user.pk), (token_user_cache.version, row), 300)
    with django_assert_num_queries(0):
        cached = user_for_token(user_id=user.pk)
    assert "name" in cached.get_deferred_fields()
    with django_assert_num_queries(1):
        assert cached.name == user.name
