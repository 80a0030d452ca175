"""Account pre-hijacking: someone signs up with another person's email and a password of their own (signup does not
verify the email). When the owner later proves the email (an emailed code, or Kakao saying the email is verified),
every other way in ends: the password, every refresh and access token issued before, other Kakao links."""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import User
from accounts.selectors import token_user_cache
from accounts.tests.conftest import KakaoAccount, request_code
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

VICTIM = "victim@example.com"
ATTACKER_PASSWORD = "attacker-chose-this-42"


def _attacker_signs_up() -> dict:
    response = APIClient().post("/api/v1/auth/signup", {"email": VICTIM, "password": ATTACKER_PASSWORD,
                                                        "name": "Not the owner"})
    assert response.status_code == 201
    assert response.json()["data"]["user"]["email_verified"] is False
    return response.json()["data"]


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def _assert_attacker_is_out(attacker: dict, extra_refresh: str | None = None):
    login = APIClient().post("/api/v1/auth/login", {"email": VICTIM, "password": ATTACKER_PASSWORD})
    assert login.status_code == 401 and login.json()["error"]["code"] == "authentication_failed"
    me = _bearer(attacker["access"]).get("/api/v1/users/me")
    assert me.status_code == 401 and me.json()["error"]["code"] == "token_invalid"
    assert _bearer(attacker["access"]).get("/api/v1/workouts").status_code == 401
    for refresh in filter(None, [attacker["refresh"], extra_refresh]):
        again = APIClient().post("/api/v1/auth/refresh", {"refresh": refresh})
        assert again.status_code == 401 and again.json()["error"]["code"] == "token_invalid"


def test_a_code_login_secures_the_unverified_account_and_ends_the_attackers_access(api_client):
    attacker = _attacker_signs_up()
    # The attacker has used the account: a second session by password, and the access token's row is cached.
    second = APIClient().post("/api/v1/auth/login", {"email": VICTIM, "password": ATTACKER_PASSWORD})
    assert second.status_code == 200
    assert _bearer(attacker["access"]).get("/api/v1/users/me").status_code == 200
    assert token_user_cache.get(User.objects.get(email=VICTIM).pk) is not None

    code = request_code(api_client, VICTIM, mail.outbox)
    response = api_client.post("/api/v1/auth/otp/verify", {"email": VICTIM, "code": code})

    assert response.status_code == 200
    body = response.json()
    assert body["data"]["secured_account"] is True and body["data"]["created"] is False
    assert "password no longer works" in body["message"]
    user = User.objects.get(email=VICTIM)
    assert user.email_verified is True and not user.has_usable_password() and user.token_version == 1
    _assert_attacker_is_out(attacker, extra_refresh=second.json()["data"]["refresh"])
    # The owner's new session works, also on a second request (through the cache).
    owner = _bearer(body["data"]["access"])
    assert owner.get("/api/v1/users/me").status_code == 200
    assert owner.get("/api/v1/users/me").json()["data"]["email_verified"] is True
    assert APIClient().post("/api/v1/auth/refresh", {"refresh": body["data"]["refresh"]}).status_code == 200
    # ... and a mail told the owner.
    secured_mail = mail.outbox[-1]
    assert secured_mail.to == [VICTIM] and "secured" in secured_mail.subject
    assert "no longer works" in secured_mail.body and "signed out" in secured_mail.body


def test_a_verified_accounts_code_login_changes_nothing_else(api_client):
    user = UserFactory(email="owner@example.com")  # verified
    other_session = client_for(user)
    code = request_code(api_client, user.email, mail.outbox)
    response = api_client.post("/api/v1/auth/otp/verify", {"email": user.email, "code": code})
    assert response.status_code == 200
    assert response.json()["data"]["secured_account"] is False
    assert "message" not in response.json() or "password" not in (response.json()["message"] or "")
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD) and user.token_version == 0
    assert other_session.get("/api/v1/users/me").status_code == 200
    assert len(mail.outbox) == 1  # the code only


def test_a_wrong_code_secures_nothing(api_client):
    attacker = _attacker_signs_up()
    code = request_code(api_client, VICTIM, mail.outbox)
    wrong = "000000" if code != "000000" else "111111"
    assert api_client.post("/api/v1/auth/otp/verify", {"email": VICTIM, "code": wrong}).status_code == 400
    assert APIClient().post("/api/v1/auth/login", {"email": VICTIM, "password": ATTACKER_PASSWORD}).status_code == 200
    assert _bearer(attacker["access"]).get("/api/v1/users/me").status_code == 200


def test_kakao_with_the_verified_email_secures_and_links_the_unverified_account(api_client, fake_kakao):
    attacker = _attacker_signs_up()
    squatted = User.objects.get(email=VICTIM)
    fake_kakao.tokens["owner"] = KakaoAccount(user_id=8008, email=VICTIM)

    response = api_client.post("/api/v1/auth/kakao", {"access_token": "owner"})

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["secured_account"] is True and data["created"] is False and data["user"]["id"] == str(squatted.pk)
    assert SocialAccount.objects.get(uid="8008").user_id == squatted.pk
    _assert_attacker_is_out(attacker)
    assert _bearer(data["access"]).get("/api/v1/users/me").status_code == 200
    assert mail.outbox[-1].to == [VICTIM]
    # Kakao again: a plain login of the linked account now.
    again = api_client.post("/api/v1/auth/kakao", {"access_token": "owner"}).json()["data"]
    assert again["secured_account"] is False and again["user"]["id"] == str(squatted.pk)


def test_kakao_with_an_unverified_email_does_not_touch_the_account(api_client, fake_kakao):
    attacker = _attacker_signs_up()
    fake_kakao.tokens["maybe"] = KakaoAccount(user_id=9, email=VICTIM, email_verified=False)
    data = api_client.post("/api/v1/auth/kakao", {"access_token": "maybe"}).json()["data"]
    assert data["created"] is True and data["user"]["email"] is None and data["secured_account"] is False
    assert APIClient().post("/api/v1/auth/login", {"email": VICTIM, "password": ATTACKER_PASSWORD}).status_code == 200
    assert _bearer(attacker["access"]).get("/api/v1/users/me").status_code == 200


def test_an_unverified_password_account_may_log_in_until_its_email_is_proven(api_client):
    """The documented choice: signup answers tokens at once, so refusing later password logins would protect
    nothing; until the email is proven, the account holds only what its signer put in it."""
    _attacker_signs_up()
    login = api_client.post("/api/v1/auth/login", {"email": VICTIM, "password": ATTACKER_PASSWORD})
    assert login.status_code == 200 and login.json()["data"]["user"]["email_verified"] is False


def test_the_verified_access_token_memo_does_not_keep_a_revoked_token_alive(api_client, settings):
    from accounts import authentication

    attacker = _attacker_signs_up()
    assert _bearer(attacker["access"]).get("/api/v1/users/me").status_code == 200
    assert attacker["access"].encode() in authentication._verified_tokens  # remembered as verified
    code = request_code(api_client, VICTIM, mail.outbox)
    assert api_client.post("/api/v1/auth/otp/verify", {"email": VICTIM, "code": code}).status_code == 200
    assert _bearer(attacker["access"]).get("/api/v1/users/me").status_code == 401
