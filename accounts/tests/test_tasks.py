"""The queued work: the OTP mail task (retry on SMTP failure, no second mail) and the activity log task."""

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import otp as otp_codes
from accounts import services, tasks
from accounts.models import ActivityLog, EmailOTP
from accounts.tests.conftest import code_from_mail_text
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_refusing(settings):
    """Mail goes over SMTP to a 127.0.0.1 port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    return settings


def test_otp_task_is_queued_with_the_id_only_and_not_acknowledged_on_failure(monkeypatch):
    queued = []
    monkeypatch.setattr(services, "async_task", lambda *args, **kwargs: queued.append((args, kwargs)))
    otp = services.otp_request(email="queue@example.com")
    assert queued == [(("accounts.tasks.send_otp_email", str(otp.pk)), {"group": "otp_email",
                                                                          "ack_failure": False})]
    # The code reached the row only encrypted and hashed.
    code = otp_codes.otp_decrypt_for_transport(otp.code_encrypted)
    assert code not in otp.code_encrypted
    assert otp_codes.otp_code_matches(email="queue@example.com", code=code, code_hash=otp.code_hash)


def test_smtp_failure_raises_so_the_queue_retries_then_a_retry_sends_once(smtp_refusing, settings,
                                                                           monkeypatch):
    monkeypatch.setattr(services, "async_task", lambda *args, **kwargs: None)  # the test plays the worker
    otp = services.otp_request(email="retry@example.com")

    with pytest.raises(OSError):  # ConnectionRefusedError: the worker sees the task fail
        tasks.send_otp_email(str(otp.pk))
    assert EmailOTP.objects.get(pk=otp.pk).sent_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.send_otp_email(str(otp.pk)) is True
    assert len(mail.outbox) == 1
    otp.refresh_from_db()
    assert otp.sent_at is not None and otp.code_encrypted == ""
    code = code_from_mail_text(mail.outbox[0].body)
    assert otp_codes.otp_code_matches(email="retry@example.com", code=code, code_hash=otp.code_hash)

    # Redelivered after success (at-least-once queue): no second mail.
    assert tasks.send_otp_email(str(otp.pk)) is False
    assert len(mail.outbox) == 1


def test_mail_task_skips_expired_superseded_and_missing_codes(monkeypatch):
    monkeypatch.setattr(services, "async_task", lambda *args, **kwargs: None)  # keep them queued
    now = timezone.now()
    expired = services.otp_request(email="old@example.com", now=now - timedelta(minutes=6))
    superseded = services.otp_request(email="two@example.com", now=now - timedelta(minutes=2))
    newest = services.otp_request(email="two@example.com", now=now)

    assert services.otp_send_email(otp_id=str(expired.pk), now=now) is False
    assert services.otp_send_email(otp_id=str(superseded.pk), now=now) is False
    assert services.otp_send_email(otp_id="00000000-0000-0000-0000-000000000000", now=now) is False
    assert not mail.outbox
    assert EmailOTP.objects.get(pk=expired.pk).code_encrypted == ""  # nothing left to decrypt
    assert services.otp_send_email(otp_id=str(newest.pk), now=now) is True
    assert len(mail.outbox) == 1


def test_otp_hash_is_bound_to_email_and_key(settings):
    code_hash = otp_codes.otp_hash_code(email="a@example.com", code="123456")
    assert otp_codes.otp_code_matches(email="a@example.com", code="123456", code_hash=code_hash)
    assert not otp_codes.otp_code_matches(email="b@example.com", code="123456", code_hash=code_hash)
    token = otp_codes.otp_encrypt_for_transport("123456")
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789-abcdefghijklmnop"
    assert not otp_codes.otp_code_matches(email="a@example.com", code="123456", code_hash=code_hash)
    with pytest.raises(ValueError):
        otp_codes.otp_decrypt_for_transport(token)


def test_generated_codes_are_six_digits_and_vary():
    codes = {otp_codes.otp_generate_code() for _ in range(200)}
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(codes) > 150  # 200 draws from a million: repeats are rare


def test_record_activity_is_idempotent_and_keeps_the_request_time():
    user = UserFactory()
    occurred_at = timezone.now() - timedelta(minutes=3)
    args = (str(user.pk), "login", {"user_agent": "x"}, "10.0.0.1", "6f1c1f0e-1d5a-4c4e-9d0f-0b9c1b0f2a11",
            occurred_at.isoformat())
    assert tasks.record_activity(*args) is True
    assert tasks.record_activity(*args) is False  # redelivered
    log = ActivityLog.objects.get(user=user)
    assert log.action == "login" and log.ip == "10.0.0.1" and log.created_at == occurred_at
    assert str(log.event_id) == args[4]


def test_record_activity_for_a_vanished_user_writes_nothing():
    assert tasks.record_activity("00000000-0000-0000-0000-000000000000", "login", {}, None,
                                 "6f1c1f0e-1d5a-4c4e-9d0f-0b9c1b0f2a12") is False
    assert not ActivityLog.objects.exists()
