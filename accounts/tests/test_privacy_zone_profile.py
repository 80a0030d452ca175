"""The privacy zone size in the profile (GET/PATCH /users/me `privacy_zone`) and its per-user secret."""

import pytest
from django.apps import apps

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import client_for


@pytest.mark.django_db
class TestPrivacyZoneInTheProfile:
    def test_default_is_200_and_each_size_can_be_chosen(self, user):
        client = client_for(user)
        assert client.get("/api/v1/users/me").json()["data"]["privacy_zone"] == 200
        for size in (0, 400, 800, 200):
            response = client.patch("/api/v1/users/me", {"privacy_zone": size}, format="json")
            assert response.status_code == 200 and response.json()["data"]["privacy_zone"] == size
            user.refresh_from_db()
            assert user.privacy_zone_m == size

    @pytest.mark.parametrize("bad", [100, 1000, -200, "far", None])
    def test_other_sizes_are_refused_and_change_nothing(self, user, bad):
        client = client_for(user)
        response = client.patch("/api/v1/users/me", {"privacy_zone": bad, "name": "New"}, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["success"] is False and body["error"]["code"] == "validation_error"
        assert "privacy_zone" in body["error"]["fields"]
        user.refresh_from_db()
        assert (user.privacy_zone_m, user.name) == (200, user.name) and user.name != "New"

    def test_the_secret_is_never_answered_nor_writable(self, user):
        client = client_for(user)
        secret = user.privacy_zone_secret
        assert secret not in client.get("/api/v1/users/me").content.decode()
        response = client.patch("/api/v1/users/me", {"privacy_zone_secret": "0" * 32}, format="json")
        assert response.status_code == 400
        user.refresh_from_db()
        assert user.privacy_zone_secret == secret

    def test_every_user_gets_their_own_secret_also_from_the_migration(self):
        users = UserFactory.create_batch(3)
        assert len({u.privacy_zone_secret for u in users}) == 3 and all(len(u.privacy_zone_secret) == 32
                                                                        for u in users)
        migration = __import__("accounts.migrations.0004_user_privacy_zone", fromlist=["fill_secrets"])
        User.objects.update(privacy_zone_secret="")
        migration.fill_secrets(apps, None)
        secrets = list(User.objects.values_list("privacy_zone_secret", flat=True))
        assert len(set(secrets)) == 3 and all(len(secret) == 32 for secret in secrets)
