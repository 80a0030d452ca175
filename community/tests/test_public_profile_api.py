"""Public profiles: the user row (accounts), lifetime totals (workouts) and follows, composed in community."""

import uuid

import pytest

from accounts.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


def test_public_profile_shows_only_public_fields(other_client, user):
    user.name = "공개 이름"
    user.save()
    response = other_client.get(f"/api/v1/users/{user.pk}")
    assert response.status_code == 200
    assert response.json()["data"] == {"id": str(user.pk), "name": "공개 이름", "avatar": None,
                                       "total_distance": 0.0, "total_workouts": 0, "follower_count": 0,
                                       "following_count": 0, "following": False}


def test_public_profile_counts_follows_and_says_whether_i_follow(user, other_user, other_client, auth_client,
                                                                 django_assert_max_num_queries):
    third = client_for(UserFactory())
    assert other_client.post(f"/api/v1/users/{user.pk}/follow").status_code == 200
    assert third.post(f"/api/v1/users/{user.pk}/follow").status_code == 200
    assert auth_client.post(f"/api/v1/users/{other_user.pk}/follow").status_code == 200
    seen_by_follower = other_client.get(f"/api/v1/users/{user.pk}").json()["data"]
    assert (seen_by_follower["follower_count"], seen_by_follower["following_count"],
            seen_by_follower["following"]) == (2, 1, True)
    assert auth_client.get(f"/api/v1/users/{user.pk}").json()["data"]["following"] is False  # my own profile
    assert other_client.delete(f"/api/v1/users/{user.pk}/follow").status_code == 200
    after = other_client.get(f"/api/v1/users/{user.pk}").json()["data"]
    assert (after["follower_count"], after["following"]) == (1, False)
    other_client.get(f"/api/v1/users/{user.pk}")  # the token's user is cached from now on
    with django_assert_max_num_queries(3):  # the user, the totals, the follow summary
        assert other_client.get(f"/api/v1/users/{user.pk}").status_code == 200


def test_public_profile_of_deleted_disabled_or_unknown_user_is_404(other_client):
    from accounts.services import user_soft_delete

    deleted = UserFactory()
    user_soft_delete(user=deleted)
    disabled = UserFactory(is_active=False)
    for user_id in [deleted.pk, disabled.pk, uuid.uuid4(), "not-a-uuid"]:
        response = other_client.get(f"/api/v1/users/{user_id}")
        assert response.status_code == 404, user_id
        assert response.json()["error"]["code"] == "not_found"


def test_public_profile_needs_a_token(api_client, user):
    assert api_client.get(f"/api/v1/users/{user.pk}").status_code == 401


def test_public_profile_totals_come_from_the_users_stats(other_client, user):
    from workouts.models import UserStats

    UserStats.objects.create(user=user, total_distance_m=12345.6, total_workouts=3)
    response = other_client.get(f"/api/v1/users/{user.pk}")
    assert response.status_code == 200
    assert (response.json()["data"]["total_distance"], response.json()["data"]["total_workouts"]) == (12.35, 3)
