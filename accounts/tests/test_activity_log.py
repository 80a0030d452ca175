"""The account services write the activity log themselves: a signup, a login by password, emailed code or
Kakao, a logout and a deletion are logged whoever calls the service (here: no view, no request), and through
the API with the client's address and user agent."""

import pytest
from django.core import mail
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.kakao import KakaoProfile
from accounts.models import ActivityLog, User
from accounts.tests.conftest import code_from_mail_text
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
CLIENT = services.Client(ip="203.0.113.7", user_agent="RunnerWay/2.1 (iOS)")


def _only_log(user_id, action: str) -> ActivityLog:
    logs = list(ActivityLog.objects.filter(action=action))
    assert len(logs) == 1, logs
    assert str(logs[0].user_id) == str(user_id)
    return logs[0]


def _emailed_code(email: str) -> str:
    services.otp_request(email=email)
    return code_from_mail_text(mail.outbox[-1].body)


def _login_by_password() -> tuple[User, str]:
    user = UserFactory()
    return services.user_login(email=user.email, password=DEFAULT_PASSWORD, client=CLIENT), "login"


def _login_by_code() -> tuple[User, str]:
    user = UserFactory()
    code = _emailed_code(user.email)
    return services.otp_verify(email=user.email, code=code, client=CLIENT).user, "otp_login"


def _login_by_kakao() -> tuple[User, str]:
    profile = KakaoProfile(uid="4100001", email="kakao-runner@example.com", email_verified=True, nickname="Kim")
    return services.user_login_with_kakao(profile=profile, client=CLIENT).user, "kakao_login"


def _signup() -> tuple[User, str]:
    return services.user_signup(email="new@example.com", password="a-Good-pass-123", name="New",
                                client=CLIENT), "signup"


def _logout() -> tuple[User, str]:
    user = UserFactory()
    services.refresh_token_revoke(refresh=str(RefreshToken.for_user(user)), user=user, client=CLIENT)
    return user, "logout"


def _delete() -> tuple[User, str]:
    user = UserFactory()
    services.user_soft_delete(user=user, client=CLIENT)
    return user, "delete"


@pytest.mark.parametrize("event", [_login_by_password, _login_by_code, _login_by_kakao, _signup, _logout, _delete],
                         ids=lambda event: event.__name__.strip("_"))
def test_each_way_in_and_out_is_logged_by_the_service(event):
    user, action = event()
    log = _only_log(user.pk, action)
    assert log.ip == CLIENT.ip
    assert log.details["user_agent"] == CLIENT.user_agent
    assert set(ActivityLog.objects.values_list("action", flat=True)) == {action}


def test_a_service_called_outside_a_request_logs_without_an_address():
    user = UserFactory()
    services.user_login(email=user.email, password=DEFAULT_PASSWORD)
    log = _only_log(user.pk, "login")
    assert log.ip is None and log.details == {"user_agent": ""}


def test_a_refused_login_writes_nothing():
    user = UserFactory()
    with pytest.raises(services.ApiError) as refused:
        services.user_login(email=user.email, password="not-the-password-1", client=CLIENT)
    assert refused.value.status_code == 401 and refused.value.error_code == "authentication_failed"
    assert not ActivityLog.objects.exists()


def test_a_login_through_the_api_logs_the_clients_address_and_agent(api_client):
    user = UserFactory()
    code = _emailed_code(user.email)
    response = api_client.post("/api/v1/auth/otp/verify", {"email": user.email, "code": code},
                               HTTP_USER_AGENT="RunnerWay/2.1 (Android)", REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 200, response.content
    log = _only_log(user.pk, "otp_login")
    assert log.ip == "198.51.100.4"
    assert log.details == {"created": False, "secured_account": False, "user_agent": "RunnerWay/2.1 (Android)"}
