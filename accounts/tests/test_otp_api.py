"""Email login codes through the API (tasks run in-process: the mail lands in django.core.mail.outbox)."""

import logging
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from accounts.models import ActivityLog, EmailOTP, User
from accounts.otp import OTP_FAILURE_WINDOW
from accounts.services import user_soft_delete
from accounts.tests.conftest import code_from_mail_text, request_code
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OTP_MAX_FAILURES = django_settings.OTP_MAX_FAILURES_PER_ADDRESS

REQUEST = "/api/v1/auth/otp/request"
VERIFY = "/api/v1/auth/otp/verify"


class Clock:
    """Moves both Django's `timezone.now()` and DRF's throttle timer."""

    def __init__(self, monkeypatch):
        self.start = timezone.now()
        self.offset = timedelta()
        monkeypatch.setattr(timezone, "now", lambda: self.start + self.offset)
        monkeypatch.setattr(SimpleRateThrottle, "timer",
                            staticmethod(lambda: (self.start + self.offset).timestamp()))

    def advance(self, **delta):
        self.offset += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_request_answers_202_and_mails_the_code_in_the_language_asked(api_client):
    response = api_client.post(REQUEST, {"email": "Runner@Example.com"}, HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9")
    assert response.status_code == 202
    body = response.json()
    assert body["success"] is True and body["data"] == {"expires_in": 300}
    assert body["message"] == "메일을 받을 수 있는 주소라면 코드가 곧 도착합니다."

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["runner@example.com"]
    assert message.subject == "[RunnerWay] 로그인 코드"
    code = code_from_mail_text(message.body)
    assert f"코드: {code}" in message.body and "5분 동안 한 번만" in message.body
    assert "minutes" not in message.body  # one language per mail
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and code in html and 'lang="ko"' in html
    assert code not in response.content.decode()

    otp = EmailOTP.objects.get(email="runner@example.com")
    assert otp.sent_at is not None
    assert otp.code_encrypted == ""  # dropped once the mail left
    assert code not in otp.code_hash and len(otp.code_hash) == 64
    assert otp.expires_at - otp.created_at == timedelta(minutes=5)


def test_request_answers_the_same_for_known_and_unknown_emails(api_client, user):
    known = api_client.post(REQUEST, {"email": user.email})
    unknown = api_client.post(REQUEST, {"email": "stranger@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(mail.outbox) == 2
    assert not User.objects.filter(email="stranger@example.com").exists()  # created only on verify


def test_request_refuses_an_invalid_email(api_client):
    response = api_client.post(REQUEST, {"email": "not an email"})
    assert response.status_code == 400
    assert "email" in response.json()["error"]["fields"]
    assert not mail.outbox and not EmailOTP.objects.exists()


def test_verify_creates_a_verified_account_on_first_use(api_client):
    code = request_code(api_client, "first@example.com", mail.outbox)
    response = api_client.post(VERIFY, {"email": "FIRST@example.com", "code": code})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["created"] is True
    assert data["user"]["email"] == "first@example.com" and data["user"]["email_verified"] is True
    user = User.objects.get(email="first@example.com")
    assert user.email_verified and not user.has_usable_password()
    assert ActivityLog.objects.get(user=user, action="otp_login").details["created"] is True
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {data['access']}")
    assert api_client.get("/api/v1/users/me").json()["data"]["id"] == str(user.pk)


def test_verify_logs_in_an_existing_account_and_marks_its_email_verified(api_client):
    user = UserFactory(email_verified=False)
    code = request_code(api_client, user.email, mail.outbox)
    response = api_client.post(VERIFY, {"email": user.email, "code": code})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["created"] is False and data["user"]["id"] == str(user.pk)
    user.refresh_from_db()
    assert user.email_verified is True
    assert User.objects.filter(email=user.email).count() == 1


def test_a_code_works_once(api_client):
    code = request_code(api_client, "once@example.com", mail.outbox)
    assert api_client.post(VERIFY, {"email": "once@example.com", "code": code}).status_code == 200
    again = api_client.post(VERIFY, {"email": "once@example.com", "code": code})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "otp_invalid"


def test_wrong_code_is_otp_invalid_and_counted(api_client):
    code = request_code(api_client, "typo@example.com", mail.outbox)
    response = api_client.post(VERIFY, {"email": "typo@example.com", "code": _wrong(code)})
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["error"]["code"] == "otp_invalid"
    assert EmailOTP.objects.get(email="typo@example.com").failed_attempts == 1
    assert not User.objects.filter(email="typo@example.com").exists()
    # A typo does not spoil the code.
    assert api_client.post(VERIFY, {"email": "typo@example.com", "code": code}).status_code == 200


def test_code_for_an_email_that_never_asked_is_otp_invalid(api_client):
    response = api_client.post(VERIFY, {"email": "never@example.com", "code": "123456"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "otp_invalid"


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", ""])
def test_malformed_code_is_a_validation_error_and_not_counted(api_client, code):
    request_code(api_client, "format@example.com", mail.outbox)
    response = api_client.post(VERIFY, {"email": "format@example.com", "code": code})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "code" in response.json()["error"]["fields"]
    assert EmailOTP.objects.get(email="format@example.com").failed_attempts == 0


def test_only_the_newest_code_counts(api_client, clock):
    first = request_code(api_client, "two@example.com", mail.outbox)
    clock.advance(seconds=61)
    second = request_code(api_client, "two@example.com", mail.outbox)
    if first != second:
        old = api_client.post(VERIFY, {"email": "two@example.com", "code": first})
        assert old.json()["error"]["code"] == "otp_invalid"
    assert api_client.post(VERIFY, {"email": "two@example.com", "code": second}).status_code == 200


def test_expired_code_is_otp_expired(api_client, clock):
    code = request_code(api_client, "late@example.com", mail.outbox)
    clock.advance(minutes=4, seconds=59)
    # Still valid one second before the end (checked without using the code up: a wrong try).
    assert api_client.post(VERIFY, {"email": "late@example.com", "code": _wrong(code)}).json()["error"][
        "code"] == "otp_invalid"
    clock.advance(seconds=1)
    response = api_client.post(VERIFY, {"email": "late@example.com", "code": code})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "otp_expired"
    assert not User.objects.filter(email="late@example.com").exists()


def test_five_wrong_codes_burn_the_code(api_client):
    code = request_code(api_client, "guess@example.com", mail.outbox)
    wrong = {"email": "guess@example.com", "code": _wrong(code)}
    answers = [api_client.post(VERIFY, wrong).json()["error"]["code"] for _ in range(OTP_MAX_FAILURES)]
    assert answers == ["otp_invalid"] * (OTP_MAX_FAILURES - 1) + ["otp_attempts_exceeded"]
    right = api_client.post(VERIFY, {"email": "guess@example.com", "code": code})
    assert right.status_code == 400
    assert right.json()["error"]["code"] == "otp_attempts_exceeded"
    assert not User.objects.filter(email="guess@example.com").exists()


def test_a_new_code_does_not_reset_the_failure_count(api_client, clock):
    code = request_code(api_client, "reset@example.com", mail.outbox)
    for _ in range(OTP_MAX_FAILURES - 1):
        api_client.post(VERIFY, {"email": "reset@example.com", "code": _wrong(code)})
    clock.advance(seconds=61)
    new_code = request_code(api_client, "reset@example.com", mail.outbox)
    # One failure left for this email, not five.
    last = api_client.post(VERIFY, {"email": "reset@example.com", "code": _wrong(new_code)})
    assert last.json()["error"]["code"] == "otp_attempts_exceeded"
    clock.advance(seconds=61)
    newer_code = request_code(api_client, "reset@example.com", mail.outbox)
    burned = api_client.post(VERIFY, {"email": "reset@example.com", "code": newer_code})
    assert burned.json()["error"]["code"] == "otp_attempts_exceeded"

    # Once the failures are older than the window, a fresh code works again.
    clock.advance(seconds=OTP_FAILURE_WINDOW.total_seconds())
    fresh = request_code(api_client, "reset@example.com", mail.outbox)
    assert api_client.post(VERIFY, {"email": "reset@example.com", "code": fresh}).status_code == 200


def test_failures_of_one_email_do_not_touch_another(api_client):
    code_a = request_code(api_client, "a@example.com", mail.outbox)
    code_b = request_code(api_client, "b@example.com", mail.outbox)
    for _ in range(OTP_MAX_FAILURES):
        api_client.post(VERIFY, {"email": "a@example.com", "code": _wrong(code_a)})
    assert api_client.post(VERIFY, {"email": "b@example.com", "code": code_b}).status_code == 200


def test_a_successful_login_clears_earlier_failures(api_client, clock):
    code = request_code(api_client, "ok@example.com", mail.outbox)
    for _ in range(OTP_MAX_FAILURES - 1):
        api_client.post(VERIFY, {"email": "ok@example.com", "code": _wrong(code)})
    assert api_client.post(VERIFY, {"email": "ok@example.com", "code": code}).status_code == 200
    clock.advance(seconds=61)
    next_code = request_code(api_client, "ok@example.com", mail.outbox)
    answer = api_client.post(VERIFY, {"email": "ok@example.com", "code": _wrong(next_code)})
    assert answer.json()["error"]["code"] == "otp_invalid"  # a fresh allowance, not the 5th strike


def test_one_request_per_email_per_minute_with_retry_after(api_client, clock):
    assert api_client.post(REQUEST, {"email": "spam@example.com"}).status_code == 202
    clock.advance(seconds=20)
    again = api_client.post(REQUEST, {"email": "SPAM@example.com"}, REMOTE_ADDR="10.1.1.1")
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "throttled"
    assert 39 <= int(again["Retry-After"]) <= 41
    assert len(mail.outbox) == 1
    assert api_client.post(REQUEST, {"email": "other@example.com"}).status_code == 202
    clock.advance(seconds=41)
    assert api_client.post(REQUEST, {"email": "spam@example.com"}).status_code == 202
    assert len(mail.outbox) == 3


def test_ten_requests_per_address_per_hour_with_retry_after(api_client, clock):
    for index in range(10):
        response = api_client.post(REQUEST, {"email": f"inbox{index}@example.com"})
        assert response.status_code == 202
        clock.advance(minutes=1)
    eleventh = api_client.post(REQUEST, {"email": "inbox10@example.com"})
    assert eleventh.status_code == 429
    assert eleventh.json()["error"]["code"] == "throttled"
    # The oldest of the ten was 10 minutes ago: its slot frees in 50 minutes.
    assert 2990 <= int(eleventh["Retry-After"]) <= 3010
    assert len(mail.outbox) == 10
    elsewhere = api_client.post(REQUEST, {"email": "inbox10@example.com"}, REMOTE_ADDR="10.2.2.2")
    assert elsewhere.status_code == 202


def test_verify_is_throttled_per_address(api_client):
    limit, _ = ScopedRateThrottle().parse_rate(ScopedRateThrottle.THROTTLE_RATES["otp_verify"])
    for index in range(limit):
        assert api_client.post(VERIFY, {"email": f"x{index}@example.com", "code": "000000"}).status_code == 400
    throttled = api_client.post(VERIFY, {"email": "x@example.com", "code": "000000"})
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) >= 1
    assert api_client.post(VERIFY, {"email": "x@example.com", "code": "000000"},
                           REMOTE_ADDR="10.3.3.3").status_code == 400


def test_deleted_accounts_email_gets_a_new_account(api_client):
    old = UserFactory(email="again@example.com")
    user_soft_delete(user=old)
    code = request_code(api_client, "again@example.com", mail.outbox)
    response = api_client.post(VERIFY, {"email": "again@example.com", "code": code})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["created"] is True and data["user"]["id"] != str(old.pk)


def test_disabled_account_cannot_log_in_with_a_code(api_client):
    user = UserFactory(is_active=False)
    code = request_code(api_client, user.email, mail.outbox)
    response = api_client.post(VERIFY, {"email": user.email, "code": code})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_codes_never_reach_the_logs(api_client, caplog):
    caplog.set_level(logging.DEBUG)
    code = request_code(api_client, "quiet@example.com", mail.outbox)
    api_client.post(VERIFY, {"email": "quiet@example.com", "code": _wrong(code)})
    api_client.post(VERIFY, {"email": "quiet@example.com", "code": code})
    assert caplog.records, "expected some log output to check"
    assert code not in caplog.text


# --- wrong codes counted per email and client address: one stranger cannot lock the owner out -------------------

STRANGER = "203.0.113.66"
OWNER = "198.51.100.7"


def test_a_strangers_wrong_codes_do_not_lock_the_owner_out_on_another_address(api_client):
    owner = UserFactory(email="target@example.com")
    code = request_code(api_client, owner.email, mail.outbox)
    answers = [api_client.post(VERIFY, {"email": owner.email, "code": _wrong(code)}, REMOTE_ADDR=STRANGER)
               .json()["error"]["code"] for _ in range(OTP_MAX_FAILURES + 2)]
    assert answers == (["otp_invalid"] * (OTP_MAX_FAILURES - 1)
                       + ["otp_attempts_exceeded"] * 3)
    # The stranger is locked out, even with the right code ...
    assert api_client.post(VERIFY, {"email": owner.email, "code": code}, REMOTE_ADDR=STRANGER).json()["error"][
        "code"] == "otp_attempts_exceeded"
    # ... the owner on another address is not.
    response = api_client.post(VERIFY, {"email": owner.email, "code": code}, REMOTE_ADDR=OWNER)
    assert response.status_code == 200 and response.json()["data"]["user"]["id"] == str(owner.pk)


def test_wrong_codes_from_many_addresses_are_bounded_per_email(api_client, settings):
    settings.OTP_MAX_FAILURES_PER_EMAIL = 8
    code = request_code(api_client, "spread@example.com", mail.outbox)
    answers = []
    for index in range(settings.OTP_MAX_FAILURES_PER_EMAIL):
        answers.append(api_client.post(VERIFY, {"email": "spread@example.com", "code": _wrong(code)},
                                       REMOTE_ADDR=f"192.0.2.{index}").json()["error"]["code"])
    assert answers == ["otp_invalid"] * 7 + ["otp_attempts_exceeded"]
    # The bound holds everywhere, the right code included: a guesser spread over many addresses gets no more.
    late = api_client.post(VERIFY, {"email": "spread@example.com", "code": code}, REMOTE_ADDR=OWNER)
    assert late.json()["error"]["code"] == "otp_attempts_exceeded"
    assert not User.objects.filter(email="spread@example.com").exists()


def test_each_wrong_code_is_recorded_with_its_address(api_client):
    from accounts.models import EmailOTPFailure

    code = request_code(api_client, "record@example.com", mail.outbox)
    api_client.post(VERIFY, {"email": "record@example.com", "code": _wrong(code)}, REMOTE_ADDR=STRANGER)
    api_client.post(VERIFY, {"email": "record@example.com", "code": _wrong(code)}, REMOTE_ADDR=OWNER)
    assert sorted(EmailOTPFailure.objects.values_list("client_address", flat=True)) == [OWNER, STRANGER]
    assert EmailOTP.objects.get(email="record@example.com").failed_attempts == 2
