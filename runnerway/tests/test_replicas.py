"""The primary/replica router (runnerway/replicas.py): which reads go where, read-your-writes pins, fallback.

The real replication (two MariaDB servers, gunicorn, lag) is exercised by bench/faults/replica.py in CI; here the
decisions are checked in-process with a real second connection (an SQLite file, or one that cannot be opened).
"""

import pytest
from django.db.utils import ConnectionHandler
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from community.models import Post
from conftest import client_for
from runnerway import replicas


class FeedLikeView(replicas.ReplicaReadsMixin, APIView):
    """Records where a read of Post would go while the view runs."""

    seen: list = []

    def get(self, request):
        FeedLikeView.seen.append(replicas.PrimaryReplicaRouter().db_for_read(Post))
        return Response({})

    def post(self, request):
        FeedLikeView.seen.append(replicas.PrimaryReplicaRouter().db_for_read(Post))
        return Response({})


@pytest.fixture
def with_replica(monkeypatch, tmp_path, settings):
    """A `replica` alias beside `default`: an SQLite file that connects (the replica is up)."""
    settings.REPLICA_PIN_SECONDS = 5
    handler = ConnectionHandler({
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "primary.sqlite3")},
        "replica": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "replica.sqlite3")},
    })
    monkeypatch.setattr(replicas, "connections", handler)
    monkeypatch.setattr(replicas, "_replica_down_until", 0.0)
    FeedLikeView.seen = []
    yield handler
    handler.close_all()


def call(method: str, user):
    request = getattr(APIRequestFactory(), method)("/feed-like")
    force_authenticate(request, user=user)
    return FeedLikeView.as_view()(request)


def test_without_a_replica_every_read_goes_to_the_primary(user):
    FeedLikeView.seen = []
    call("get", user)
    assert FeedLikeView.seen == [None]  # None: Django's default alias


def test_an_opted_in_get_reads_the_replica_and_only_while_it_runs(with_replica, user):
    call("get", user)
    assert FeedLikeView.seen == ["replica"]
    assert replicas.PrimaryReplicaRouter().db_for_read(Post) is None  # undone with the response
    call("post", user)
    assert FeedLikeView.seen == ["replica", None]  # a write request reads the primary


def test_writes_and_migrations_stay_on_the_primary():
    router = replicas.PrimaryReplicaRouter()
    assert router.db_for_write(Post) == "default"
    assert router.allow_migrate("default", "community") is True
    assert router.allow_migrate("replica", "community") is False


def test_a_user_who_just_wrote_reads_the_primary(with_replica, user, other_user):
    replicas.pin_to_primary(user.pk)
    call("get", user)
    call("get", other_user)
    assert FeedLikeView.seen == [None, "replica"]


def test_a_successful_write_pins_the_writer_and_a_refused_one_does_not(with_replica, user, other_user, db):
    created = client_for(user).post("/api/v1/community/posts", {"content": "hello"}, format="json")
    assert created.status_code == 201
    assert replicas.pinned_to_primary(user.pk)
    refused = client_for(other_user).post("/api/v1/community/posts", {"visibility": "nobody"}, format="json")
    assert refused.status_code == 400
    assert not replicas.pinned_to_primary(other_user.pk)


def test_an_unreachable_replica_falls_back_to_the_primary_and_is_skipped_for_a_while(
        monkeypatch, tmp_path, settings, user):
    settings.REPLICA_RETRY_SECONDS = 10
    handler = ConnectionHandler({
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "primary.sqlite3")},
        "replica": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "missing" / "dir" / "r.db")},
    })
    monkeypatch.setattr(replicas, "connections", handler)
    monkeypatch.setattr(replicas, "_replica_down_until", 0.0)
    FeedLikeView.seen = []
    call("get", user)
    assert FeedLikeView.seen == [None]
    assert replicas._replica_down_until > 0
    attempts = []
    monkeypatch.setattr(handler["replica"], "ensure_connection", lambda: attempts.append(1))
    assert replicas.replica_usable() is False
    assert attempts == []  # within the retry window the replica is not even tried
    monkeypatch.setattr(replicas, "_replica_down_until", 0.0)
    assert replicas.replica_usable() is True  # the window over, it is tried again (and now "connects")
    assert attempts == [1]
