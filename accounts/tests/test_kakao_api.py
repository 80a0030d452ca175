"""Kakao login against a fake Kakao user API on 127.0.0.1 (accounts/tests/conftest.py)."""

import socket

import pytest
from allauth.socialaccount.models import SocialAccount

from accounts.models import ActivityLog, User
from accounts.services import user_soft_delete
from accounts.tests.conftest import KakaoAccount
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KAKAO = "/api/v1/auth/kakao"


def test_valid_token_creates_user_and_social_account(api_client, fake_kakao):
    fake_kakao.tokens["good"] = KakaoAccount(user_id=1001, email="Kakao.Runner@Example.com",
                                             nickname="카카오 러너")
    response = api_client.post(KAKAO, {"access_token": "good"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["created"] is True
    assert data["user"]["email"] == "kakao.runner@example.com"
    assert data["user"]["provider"] == "kakao" and data["user"]["email_verified"] is True
    user = User.objects.get(pk=data["user"]["id"])
    assert user.name == "카카오 러너" and user.provider_id == "1001" and not user.has_usable_password()
    link = SocialAccount.objects.get(provider="kakao", uid="1001")
    assert link.user == user and link.extra_data["id"] == 1001
    assert ActivityLog.objects.get(user=user, action="kakao_login").details["created"] is True
    # Both calls carried the token, and the app check came first.
    assert [path for path, _ in fake_kakao.requests] == ["/v1/user/access_token_info", "/v2/user/me"]
    assert all(auth == "Bearer good" for _, auth in fake_kakao.requests)


def test_same_kakao_account_again_logs_into_the_same_user(api_client, fake_kakao):
    fake_kakao.tokens["t1"] = KakaoAccount(user_id=2002, email="twice@example.com")
    fake_kakao.tokens["t2"] = KakaoAccount(user_id=2002, email="twice@example.com", nickname="새 닉네임")
    first = api_client.post(KAKAO, {"access_token": "t1"}).json()["data"]
    second = api_client.post(KAKAO, {"access_token": "t2"})
    assert second.status_code == 200
    assert second.json()["data"]["created"] is False
    assert second.json()["data"]["user"]["id"] == first["user"]["id"]
    assert User.objects.count() == 1 and SocialAccount.objects.count() == 1
    assert SocialAccount.objects.get().extra_data["kakao_account"]["profile"]["nickname"] == "새 닉네임"


def test_token_of_another_app_logs_no_one_in(api_client, fake_kakao):
    fake_kakao.tokens["foreign"] = KakaoAccount(user_id=3003, app_id=999999, email="foreign@example.com")
    response = api_client.post(KAKAO, {"access_token": "foreign"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "kakao_token_invalid"
    assert not User.objects.exists() and not SocialAccount.objects.exists()
    assert [path for path, _ in fake_kakao.requests] == ["/v1/user/access_token_info"]  # never asked who


def test_expired_token_is_kakao_token_invalid(api_client, fake_kakao):
    fake_kakao.tokens["expired"] = KakaoAccount(user_id=4004, error=(401, {"msg": "expired", "code": -401}))
    response = api_client.post(KAKAO, {"access_token": "expired"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "kakao_token_invalid"
    assert not User.objects.exists()


def test_unknown_token_is_kakao_token_invalid(api_client, fake_kakao):
    response = api_client.post(KAKAO, {"access_token": "never-issued"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "kakao_token_invalid"


def test_kakao_user_without_email_gets_null_email(api_client, fake_kakao):
    fake_kakao.tokens["noemail"] = KakaoAccount(user_id=5005, email=None)
    response = api_client.post(KAKAO, {"access_token": "noemail"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["created"] is True and data["user"]["email"] is None
    assert data["user"]["email_verified"] is False
    # A second email-less Kakao user does not collide on the unique email column.
    fake_kakao.tokens["noemail2"] = KakaoAccount(user_id=5006, email=None)
    assert api_client.post(KAKAO, {"access_token": "noemail2"}).status_code == 200
    assert User.objects.filter(email__isnull=True).count() == 2


def test_existing_user_with_same_verified_email_is_linked_not_duplicated(api_client, fake_kakao):
    user = UserFactory(email="linked@example.com", email_verified=True)
    fake_kakao.tokens["link"] = KakaoAccount(user_id=6006, email="LINKED@example.com")
    response = api_client.post(KAKAO, {"access_token": "link"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["created"] is False and data["user"]["id"] == str(user.pk)
    assert User.objects.count() == 1
    assert SocialAccount.objects.get(uid="6006").user == user


def test_unverified_kakao_email_is_not_used_to_link(api_client, fake_kakao):
    user = UserFactory(email="victim@example.com", email_verified=True)
    fake_kakao.tokens["claim"] = KakaoAccount(user_id=7007, email="victim@example.com", email_verified=False)
    response = api_client.post(KAKAO, {"access_token": "claim"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["created"] is True and data["user"]["id"] != str(user.pk)
    assert data["user"]["email"] is None  # an unverified address is not stored either
    assert not SocialAccount.objects.filter(user=user).exists()


def test_deleted_kakao_user_starts_a_new_account(api_client, fake_kakao):
    fake_kakao.tokens["back"] = KakaoAccount(user_id=9009, email="back@example.com")
    first = api_client.post(KAKAO, {"access_token": "back"}).json()["data"]
    user_soft_delete(user=User.objects.get(pk=first["user"]["id"]))
    again = api_client.post(KAKAO, {"access_token": "back"})
    assert again.status_code == 200
    assert again.json()["data"]["created"] is True
    assert again.json()["data"]["user"]["id"] != first["user"]["id"]


def test_kakao_server_error_is_503_kakao_unavailable(api_client, fake_kakao):
    fake_kakao.tokens["boom"] = KakaoAccount(user_id=1, error=(502, {"msg": "bad gateway"}))
    response = api_client.post(KAKAO, {"access_token": "boom"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "kakao_unavailable"


def test_kakao_down_is_503_kakao_unavailable(api_client, settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.KAKAO_API_URL = f"http://127.0.0.1:{port}"
    settings.KAKAO_APP_ID = "424242"
    response = api_client.post(KAKAO, {"access_token": "whatever"})
    assert response.status_code == 503
    assert response.json() == {"success": False, "error": {
        "code": "kakao_unavailable", "message": "Kakao login is unavailable right now. Try again shortly."}}
    assert not User.objects.exists()


def test_kakao_timeout_is_503(api_client, settings):
    # A listening socket that never answers: the request must give up after OUTBOUND_HTTP_TIMEOUT_S.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings.KAKAO_API_URL = f"http://127.0.0.1:{silent.getsockname()[1]}"
        settings.KAKAO_APP_ID = "424242"
        settings.OUTBOUND_HTTP_TIMEOUT_S = 0.3
        response = api_client.post(KAKAO, {"access_token": "slow"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "kakao_unavailable"


def test_missing_app_id_configuration_refuses_kakao_login(api_client, fake_kakao, settings):
    settings.KAKAO_APP_ID = ""
    fake_kakao.tokens["good"] = KakaoAccount(user_id=1001)
    response = api_client.post(KAKAO, {"access_token": "good"})
    assert response.status_code == 503
    assert not fake_kakao.requests  # nothing was asked of Kakao


def test_missing_access_token_is_a_validation_error(api_client, fake_kakao):
    response = api_client.post(KAKAO, {})
    assert response.status_code == 400
    assert "access_token" in response.json()["error"]["fields"]
