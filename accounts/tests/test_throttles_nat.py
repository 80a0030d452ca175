"""Throttles that survive carrier NAT: many runners behind one address are limited one by one (per email/account and
per device, `X-Device-Id`), and the address has only a generous ceiling against floods."""

import time

import pytest
from django.core import mail
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.tests.conftest import request_code
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.throttles import LoginEmailThrottle, SignupDeviceThrottle

pytestmark = pytest.mark.django_db

CELL_TOWER = "203.0.113.200"  # one carrier-grade NAT address


def _phone(index: int, address: str = CELL_TOWER) -> APIClient:
    return APIClient(HTTP_X_DEVICE_ID=f"3f0c1d2e-0000-4000-8000-{index:012d}", REMOTE_ADDR=address)


def _email_request(email: str):
    from types import SimpleNamespace

    return SimpleNamespace(data={"email": email})


def _assert_throttled(response):
    assert response.status_code == 429, (response.status_code, response.content[:200])
    assert response.json()["error"]["code"] == "throttled" and int(response["Retry-After"]) >= 1


def test_fifty_runners_behind_one_address_sign_up_log_in_and_request_codes_within_a_minute():
    started = time.monotonic()
    for index in range(50):
        phone = _phone(index)
        email = f"runner{index}@example.com"
        signup = phone.post("/api/v1/auth/signup", {"email": email, "password": "long-enough-pass-42",
                                                    "name": f"Runner {index}"})
        assert signup.status_code == 201, (index, signup.content[:200])
        login = phone.post("/api/v1/auth/login", {"email": email, "password": "long-enough-pass-42"})
        assert login.status_code == 200, (index, login.content[:200])
        assert phone.post("/api/v1/auth/otp/request", {"email": email}).status_code == 202, index
    assert time.monotonic() - started < 60  # all inside one throttle window


def test_one_account_behind_the_address_is_still_limited():
    user = UserFactory()
    limit = SimpleRateThrottle.THROTTLE_RATES["login_email"]
    allowed = int(limit.split("/")[0])
    # A guesser rotating devices is limited by the account, not by the device.
    for index in range(allowed):
        assert _phone(index).post("/api/v1/auth/login", {"email": user.email, "password": "wrong-guess"}
                                  ).status_code == 401
    _assert_throttled(_phone(999).post("/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}))
    # Neighbours on the same address log in as usual.
    neighbour = UserFactory()
    assert _phone(1000).post("/api/v1/auth/login", {"email": neighbour.email, "password": DEFAULT_PASSWORD}
                             ).status_code == 200


def test_one_email_is_still_limited_for_codes():
    assert _phone(1).post("/api/v1/auth/otp/request", {"email": "inbox@example.com"}).status_code == 202
    _assert_throttled(_phone(2).post("/api/v1/auth/otp/request", {"email": "inbox@example.com"}))
    assert len(mail.outbox) == 1


def test_one_device_is_limited_across_accounts_and_addresses():
    allowed = SignupDeviceThrottle().num_requests
    device = "5a1d-device-of-one-phone"
    for index in range(allowed):
        phone = APIClient(HTTP_X_DEVICE_ID=device, REMOTE_ADDR=f"10.9.0.{index}")
        assert phone.post("/api/v1/auth/signup", {"email": f"many{index}@example.com",
                                                  "password": "long-enough-pass-42", "name": "x"}).status_code == 201
    _assert_throttled(APIClient(HTTP_X_DEVICE_ID=device, REMOTE_ADDR="10.9.1.1").post(
        "/api/v1/auth/signup", {"email": "one-more@example.com", "password": "long-enough-pass-42", "name": "x"}))


def test_a_client_without_a_device_id_counts_as_its_address():
    """Leaving the header out (or sending a malformed one) never buys more than sending one."""
    allowed = SignupDeviceThrottle().num_requests
    for index in range(allowed):
        headers = {} if index % 2 else {"HTTP_X_DEVICE_ID": "bad id!"}
        client = APIClient(REMOTE_ADDR="10.8.0.1", **headers)
        assert client.post("/api/v1/auth/signup", {"email": f"bare{index}@example.com",
                                                   "password": "long-enough-pass-42", "name": "x"}).status_code == 201
    _assert_throttled(APIClient(REMOTE_ADDR="10.8.0.1").post(
        "/api/v1/auth/signup", {"email": "bare-more@example.com", "password": "long-enough-pass-42", "name": "x"}))
    # Another phone on that address that sends its id is not affected.
    assert _phone(7, address="10.8.0.1").post(
        "/api/v1/auth/signup", {"email": "with-id@example.com", "password": "long-enough-pass-42",
                                "name": "x"}).status_code == 201


def test_the_address_ceiling_still_stops_a_flood(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "login": "5/min"})
    for index in range(5):
        assert _phone(index).post("/api/v1/auth/login", {"email": f"nobody{index}@example.com",
                                                         "password": "wrong-guess"}).status_code == 401
    _assert_throttled(_phone(6).post("/api/v1/auth/login", {"email": "nobody6@example.com", "password": "x"}))
    # The refused request did not count against that email: the ceiling is checked first and stops at once.
    assert LoginEmailThrottle().get_cache_key(_email_request("nobody6@example.com"), None) not in cache


def test_the_code_request_mail_and_login_code_flow_work_behind_the_address():
    user = UserFactory()
    phone = _phone(3)
    code = request_code(phone, user.email, mail.outbox)
    assert phone.post("/api/v1/auth/otp/verify", {"email": user.email, "code": code}).status_code == 200


def test_every_rate_is_a_documented_setting():
    from pathlib import Path

    from django.conf import settings

    example = (Path(settings.BASE_DIR) / ".env.example").read_text()
    settings_source = (Path(settings.BASE_DIR) / "runnerway" / "settings.py").read_text()
    for scope in ["login", "login_email", "login_device", "signup_address", "signup_device", "otp_request_address",
                  "otp_request_device", "otp_request_email", "otp_verify", "otp_verify_email_address"]:
        variable = f"THROTTLE_{scope.upper()}"
        assert f'"{scope}": env("{variable}"' in settings_source, scope
        assert f"\n{variable}=" in example, variable
