"""Device registration and push preferences (API)."""

import pytest

from conftest import client_for
from push.models import Device, PushSettings
from push.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db
TOKEN = "dGVzdC1mY20tdG9rZW4:APA91b" + "A" * 140


@pytest.mark.no_accept_language
def test_register_a_phone_then_the_same_token_again_updates_it(auth_client, user):
    created = auth_client.post("/api/v1/devices", {"token": TOKEN, "platform": "android", "app_version": "1.4.0"},
                               format="json")
    assert created.status_code == 201, created.json()
    body = created.json()["data"]
    assert body["platform"] == "android" and body["language"] == "ko"  # Korean unless English is asked
    assert "token" not in body
    again = auth_client.post("/api/v1/devices", {"token": TOKEN, "platform": "android", "app_version": "1.5.0",
                                                 "language": "en"}, format="json")
    assert again.status_code == 200
    device = Device.objects.get(token=TOKEN)
    assert (device.user, device.app_version, device.language) == (user, "1.5.0", "en")
    assert Device.objects.count() == 1


def test_a_token_registered_by_another_account_moves_to_the_new_one(auth_client, user, other_user):
    DeviceFactory(user=other_user, token=TOKEN)
    response = auth_client.post("/api/v1/devices", {"token": TOKEN, "platform": "ios"}, format="json",
                                HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    device = Device.objects.get(token=TOKEN)
    assert device.user == user and device.platform == "ios" and device.language == "en"
    assert not Device.objects.filter(user=other_user).exists()


@pytest.mark.parametrize("body", [
    {"token": TOKEN, "platform": "blackberry"},
    {"platform": "android"},
    {"token": "has space", "platform": "android"},
    {"token": "x" * 256, "platform": "android"},
])
def test_a_bad_registration_is_a_400_and_stores_nothing(auth_client, body):
    response = auth_client.post("/api/v1/devices", body, format="json")
    assert response.status_code == 400
    assert response.json()["success"] is False and response.json()["error"]["code"] == "validation_error"
    assert not Device.objects.exists()


def test_remove_my_phone_on_logout_but_not_someone_elses(auth_client, user, other_user):
    mine, theirs = DeviceFactory(user=user), DeviceFactory(user=other_user)
    assert auth_client.delete(f"/api/v1/devices/{theirs.pk}").status_code == 404
    assert auth_client.delete(f"/api/v1/devices/{mine.pk}").status_code == 204
    assert list(Device.objects.all()) == [theirs]
    listed = client_for(other_user).get("/api/v1/devices").json()["data"]
    assert [d["id"] for d in listed] == [str(theirs.pk)]


def test_devices_need_a_login(api_client):
    assert api_client.post("/api/v1/devices", {"token": TOKEN, "platform": "android"}, format="json"
                           ).status_code == 401


def test_a_deleted_accounts_phones_go_with_it(user):
    from accounts.services import user_soft_delete

    DeviceFactory(user=user)
    DeviceFactory(user=user)
    user_soft_delete(user=user)
    assert not Device.objects.filter(user=user).exists()


def test_push_settings_default_to_everything_and_change(auth_client, user):
    defaults = auth_client.get("/api/v1/users/me/push-settings").json()["data"]
    assert defaults == {"enabled_types": ["like", "comment", "follow", "goal_achieved", "personal_record"],
                        "quiet_hours_start": None, "quiet_hours_end": None}
    assert not PushSettings.objects.exists()  # defaults are not stored until changed
    changed = auth_client.patch("/api/v1/users/me/push-settings",
                                {"enabled_types": ["follow", "comment", "comment"], "quiet_hours_start": "22:00",
                                 "quiet_hours_end": "07:00"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["data"] == {"enabled_types": ["comment", "follow"], "quiet_hours_start": "22:00",
                                      "quiet_hours_end": "07:00"}
    stored = PushSettings.objects.get(user=user)
    assert stored.enabled_types == ["comment", "follow"] and stored.quiet_hours_end.hour == 7


@pytest.mark.parametrize("body", [
    {"enabled_types": ["like", "poke"]},
    {"quiet_hours_start": "22:00"},
    {"quiet_hours_start": "25:00", "quiet_hours_end": "07:00"},
])
def test_bad_push_settings_are_a_400_and_change_nothing(auth_client, user, body):
    response = auth_client.patch("/api/v1/users/me/push-settings", body, format="json")
    assert response.status_code == 400
    assert not PushSettings.objects.filter(user=user).exists()
