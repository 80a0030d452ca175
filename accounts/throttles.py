"""Rate limits of the login endpoints. Counters live in settings.CACHES (Redis in production: shared by all
workers). Every rate is a setting (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], env THROTTLE_*).

Korean carriers put many subscribers behind one address (carrier-grade NAT), so the strict limits are keyed on
what belongs to one person: the target email or account, and the device (`X-Device-Id`). Per client address
there are only generous ceilings that stop floods, never a busy cell tower.

- per client address (flood ceilings): `signup_address`, `login` (password and Kakao login), `otp_request_address`,
  `otp_verify`;
- per device: `signup_device`, `login_device`, `otp_request_device`. The device is the `X-Device-Id` header; a
  client that sends none (or a malformed one) counts as its address, so leaving the header out never buys more;
- per email: `login_email` (password guesses against one account, whatever address sends them),
  `otp_request_email` (the mailbox owner's protection from spam), and `otp_verify_email_address` (code checks for
  one email from one address: a stranger flooding checks for someone's email throttles only themselves; guesses
  are bounded apart from this, by accounts.services.otp_verify).

Views check them in that order and stop at the first refusal (PublicAuthView.check_throttles), so a request
refused by a ceiling does not use up an email's or a device's allowance.
"""

import hashlib
import re

from rest_framework.throttling import SimpleRateThrottle

DEVICE_ID_HEADER = "X-Device-Id"
# An app-chosen installation id (a UUID, Android's or iOS's vendor id): 8-128 token characters.
_DEVICE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def _digest(value: str) -> str:
    # Hashed: cache keys (and Redis dumps) need not hold email addresses or device ids.
    return hashlib.sha256(value.encode()).hexdigest()


def request_email(request) -> str | None:
    email = request.data.get("email") if hasattr(request.data, "get") else None
    if not isinstance(email, str) or not email.strip():
        return None  # the serializer will refuse the request
    return email.strip().lower()


def request_device_id(request) -> str | None:
    """The `X-Device-Id` header when it is well formed, else None."""
    device_id = request.headers.get(DEVICE_ID_HEADER, "")
    return device_id if _DEVICE_ID.match(device_id) else None


class AddressThrottle(SimpleRateThrottle):
    """Requests per client address (X-Forwarded-For honoured as far as NUM_PROXIES trusted proxies say)."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignupAddressThrottle(AddressThrottle):
    scope = "signup_address"


class LoginAddressThrottle(AddressThrottle):
    scope = "login"


class OTPRequestAddressThrottle(AddressThrottle):
    """Code requests per client address: one address cannot mail-bomb many inboxes."""

    scope = "otp_request_address"


class OTPVerifyAddressThrottle(AddressThrottle):
    scope = "otp_verify"


class DeviceThrottle(SimpleRateThrottle):
    """Requests per device (`X-Device-Id`), or per address for a client that sends no valid one."""

    def get_cache_key(self, request, view):
        device_id = request_device_id(request)
        ident = f"device:{_digest(device_id)}" if device_id else f"address:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class SignupDeviceThrottle(DeviceThrottle):
    """Accounts created from one device: the strict signup limit (each signup names a new email)."""

    scope = "signup_device"


class LoginDeviceThrottle(DeviceThrottle):
    """Password and Kakao logins from one device."""

    scope = "login_device"


class OTPRequestDeviceThrottle(DeviceThrottle):
    scope = "otp_request_device"


class EmailThrottle(SimpleRateThrottle):
    """Requests naming one email (the request body's `email`), whatever address or device sends them."""

    def get_cache_key(self, request, view):
        email = request_email(request)
        if email is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": _digest(email)}


class OTPRequestEmailThrottle(EmailThrottle):
    """Code requests per email (one a minute by default), whoever asks."""

    scope = "otp_request_email"


class LoginEmailThrottle(EmailThrottle):
    """Password logins per target email: guessing one account's password from many addresses is throttled too.
    (A throttled owner can still log in with an emailed code or Kakao.)"""

    scope = "login_email"


class OTPVerifyEmailAddressThrottle(EmailThrottle):
    """Code checks per email from one client address."""

    scope = "otp_verify_email_address"

    def get_cache_key(self, request, view):
        email = request_email(request)
        if email is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": _digest(f"{email}\n{self.get_ident(request)}")}
