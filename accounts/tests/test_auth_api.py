"""Signup, password login, refresh rotation, logout, and tokens of deleted or disabled users."""

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import ActivityLog, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

SIGNUP = "/api/v1/auth/signup"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"


def _bearer(client, access: str):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_signup_creates_user_and_returns_working_tokens(api_client):
    response = api_client.post(SIGNUP, {"email": "New.Runner@Example.com", "password": "long-enough-pass-42",
                                        "name": "새 러너"})
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert data["user"]["email"] == "new.runner@example.com"
    assert data["user"]["name"] == "새 러너"
    assert data["user"]["email_verified"] is False
    user = User.objects.get(email="new.runner@example.com")
    assert user.check_password("long-enough-pass-42")
    assert user.provider == User.Provider.EMAIL
    me = _bearer(api_client, data["access"]).get(ME)
    assert me.status_code == 200 and me.json()["data"]["id"] == str(user.pk)
    assert ActivityLog.objects.filter(user=user, action="signup").count() == 1


def test_signup_duplicate_email_is_conflict(api_client, user):
    response = api_client.post(SIGNUP, {"email": user.email.upper(), "password": "long-enough-pass-42",
                                        "name": "x"})
    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "error": {"code": "conflict", "message": "An account with this email already exists."},
    }
    assert User.objects.filter(email=user.email).count() == 1


@pytest.mark.parametrize("password", ["short", "12345678901", "password123"])
def test_signup_weak_password_is_refused_with_password_field(api_client, password):
    response = api_client.post(SIGNUP, {"email": "weak@example.com", "password": password, "name": "Weak"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["password"]
    assert not User.objects.filter(email="weak@example.com").exists()


def test_signup_missing_fields_lists_them(api_client):
    response = api_client.post(SIGNUP, {"email": "not-an-email"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"email", "password", "name"}


def test_login_returns_tokens_and_logs_activity(api_client, user):
    response = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD},
                               HTTP_USER_AGENT="RunnerWay/1.0 iOS")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["user"]["id"] == str(user.pk)
    assert RefreshToken(data["refresh"])["user_id"] == str(user.pk)
    log = ActivityLog.objects.get(user=user, action="login")
    assert log.ip == "127.0.0.1"
    assert log.details["user_agent"] == "RunnerWay/1.0 iOS"


def test_login_wrong_password_and_unknown_email_answer_identically(api_client, user):
    wrong_password = api_client.post(LOGIN, {"email": user.email, "password": "not-the-password"})
    unknown_email = api_client.post(LOGIN, {"email": "nobody@example.com", "password": "not-the-password"})
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["error"]["code"] == "authentication_failed"
    assert not ActivityLog.objects.filter(action="login").exists()


def test_login_of_passwordless_account_fails_like_a_wrong_password(api_client):
    kakao_user = User.objects.create_user(email="kakao-only@example.com", password=None)
    response = api_client.post(LOGIN, {"email": kakao_user.email, "password": ""})
    assert response.status_code == 400  # blank password is a validation error, never a login
    response = api_client.post(LOGIN, {"email": kakao_user.email, "password": "anything-at-all"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_login_is_throttled_per_email_with_retry_after(api_client, user):
    from accounts.throttles import LoginEmailThrottle

    limit = LoginEmailThrottle().num_requests
    statuses = {api_client.post(LOGIN, {"email": user.email, "password": "wrong-wrong"},
                                REMOTE_ADDR=f"10.0.1.{index}").status_code for index in range(limit)}
    throttled = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="10.0.2.1")
    other_account = UserFactory()
    same_address = api_client.post(LOGIN, {"email": other_account.email, "password": DEFAULT_PASSWORD},
                                   REMOTE_ADDR="10.0.1.0")
    assert statuses == {401}
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"
    assert 1 <= int(throttled["Retry-After"]) <= 60
    assert same_address.status_code == 200  # the address is not what is limited


def test_refresh_rotates_and_the_old_refresh_is_refused(api_client, user):
    first = str(RefreshToken.for_user(user))
    response = api_client.post(REFRESH, {"refresh": first})
    assert response.status_code == 200
    rotated = response.json()["data"]
    assert rotated["refresh"] != first and rotated["access"]
    assert _bearer(api_client, rotated["access"]).get(ME).status_code == 200

    assert api_client.post(REFRESH, {"refresh": first}).json()["error"]["code"] == "token_invalid"


def test_refresh_with_garbage_or_an_access_token_is_token_invalid(api_client, user):
    access = str(RefreshToken.for_user(user).access_token)
    for token in ["garbage", access]:
        response = api_client.post(REFRESH, {"refresh": token})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_invalid"


def test_logout_blacklists_the_refresh_token(user):
    client = client_for(user)
    refresh = str(RefreshToken.for_user(user))
    response = client.post(LOGOUT, {"refresh": refresh})
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": None, "message": "Logged out."}
    again = client.post(REFRESH, {"refresh": refresh})
    assert again.status_code == 401 and again.json()["error"]["code"] == "token_invalid"
    assert ActivityLog.objects.filter(user=user, action="logout").count() == 1


def test_logout_with_another_users_refresh_is_refused_and_it_still_works(user, other_user, api_client):
    others_refresh = str(RefreshToken.for_user(other_user))
    response = client_for(user).post(LOGOUT, {"refresh": others_refresh})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"
    assert api_client.post(REFRESH, {"refresh": others_refresh}).status_code == 200


def test_logout_needs_authentication(api_client, user):
    response = api_client.post(LOGOUT, {"refresh": str(RefreshToken.for_user(user))})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("disable", ["deactivate", "soft_delete"])
def test_tokens_of_disabled_or_deleted_users_are_token_invalid(api_client, disable):
    from accounts.services import user_soft_delete

    user = UserFactory()
    refresh = RefreshToken.for_user(user)
    access = str(refresh.access_token)
    if disable == "deactivate":
        User.objects.filter(pk=user.pk).update(is_active=False)
    else:
        user_soft_delete(user=user)

    response = _bearer(api_client, access).get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"
    api_client.credentials()
    response = api_client.post(REFRESH, {"refresh": str(refresh)})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


def test_token_of_a_user_removed_from_the_database_is_token_invalid(api_client):
    user = UserFactory()
    refresh = RefreshToken.for_user(user)
    access = str(refresh.access_token)
    User.objects.filter(pk=user.pk).delete()
    assert _bearer(api_client, access).get(ME).json()["error"]["code"] == "token_invalid"
    api_client.credentials()
    response = api_client.post(REFRESH, {"refresh": str(refresh)})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


# --- refresh-token families (OAuth 2.0 Security BCP: rotation with reuse detection) -------------------------------


def _login_pair(api_client, user, device: str) -> dict:
    response = api_client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}, HTTP_X_DEVICE_ID=device)
    assert response.status_code == 200
    return response.json()["data"]


def test_replaying_a_rotated_refresh_token_revokes_its_whole_family(api_client, user):
    phone = _login_pair(api_client, user, "phone-0001")
    tablet = _login_pair(api_client, user, "tablet-0001")  # another login: another family
    second = api_client.post(REFRESH, {"refresh": phone["refresh"]}).json()["data"]
    third = api_client.post(REFRESH, {"refresh": second["refresh"]}).json()["data"]

    replay = api_client.post(REFRESH, {"refresh": phone["refresh"]})  # the first one again: stolen
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "token_invalid"

    # Its living descendant is revoked too, whoever holds it ...
    descendant = api_client.post(REFRESH, {"refresh": third["refresh"]})
    assert descendant.status_code == 401 and descendant.json()["error"]["code"] == "token_invalid"
    # ... and the other login's family is untouched.
    assert api_client.post(REFRESH, {"refresh": tablet["refresh"]}).status_code == 200


def test_every_rotation_keeps_the_family_and_the_token_version(api_client, user):
    from accounts.tokens import TOKEN_FAMILY_CLAIM, TOKEN_VERSION_CLAIM

    first = _login_pair(api_client, user, "phone-0001")
    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]}).json()["data"]
    family = RefreshToken(first["refresh"], verify=False)[TOKEN_FAMILY_CLAIM]
    assert RefreshToken(rotated["refresh"])[TOKEN_FAMILY_CLAIM] == family
    assert RefreshToken(rotated["refresh"])[TOKEN_VERSION_CLAIM] == 0


def test_a_replayed_token_without_a_family_revokes_the_users_familyless_tokens(api_client, user):
    """Tokens issued before families existed: their replay revokes every one of the user's family-less tokens."""
    legacy = str(RefreshToken.for_user(user))
    successor = api_client.post(REFRESH, {"refresh": legacy}).json()["data"]["refresh"]
    current = _login_pair(api_client, user, "phone-0001")
    assert api_client.post(REFRESH, {"refresh": legacy}).status_code == 401
    assert api_client.post(REFRESH, {"refresh": successor}).status_code == 401
    assert api_client.post(REFRESH, {"refresh": current["refresh"]}).status_code == 200


def test_a_forged_or_expired_token_revokes_nothing(api_client, user):
    from datetime import timedelta

    pair = _login_pair(api_client, user, "phone-0001")
    api_client.post(REFRESH, {"refresh": pair["refresh"]})  # rotated: the original is now blacklisted
    forged = pair["refresh"][:-4] + ("AAAA" if not pair["refresh"].endswith("AAAA") else "BBBB")
    expired = RefreshToken(pair["refresh"], verify=False)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    for token in (forged, str(expired)):
        response = api_client.post(REFRESH, {"refresh": token})
        assert response.status_code == 401 and response.json()["error"]["code"] == "token_invalid"
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    assert BlacklistedToken.objects.count() == 1  # only the rotated original


# --- passwords -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", [" " * 8, " " * 20, "\t" * 10, "\u3000" * 9])
def test_signup_with_a_password_of_only_whitespace_is_refused(api_client, password):
    response = api_client.post(SIGNUP, {"email": "blank@example.com", "password": password, "name": "Blank"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "The password cannot be only spaces or other whitespace." in error["fields"]["password"]
    assert not User.objects.filter(email="blank@example.com").exists()


def test_a_password_with_spaces_around_words_is_fine(api_client):
    response = api_client.post(SIGNUP, {"email": "spaced@example.com", "password": "  run along the river  ",
                                        "name": "Spaced"})
    assert response.status_code == 201
    assert User.objects.get(email="spaced@example.com").check_password("  run along the river  ")
