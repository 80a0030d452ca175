"""Rate limits of the login endpoints. Counters live in settings.CACHES (Redis in production: shared by all
workers).

Rates are in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]: `login` (signup, password login, Kakao) and
`otp_verify` per client address via ScopedRateThrottle; per target email (whatever address asks, so spreading
attempts over many addresses does not help): `otp_request_email`, `login_email` and `otp_verify_email`; and
`otp_request_address` for OTP requests.
"""

import hashlib

from rest_framework.throttling import SimpleRateThrottle


class OTPRequestEmailThrottle(SimpleRateThrottle):
    """One code request per email per minute, whoever asks (the mailbox owner's protection from spam)."""

    scope = "otp_request_email"

    def get_cache_key(self, request, view):
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None  # the serializer will refuse the request
        # Hashed: cache keys (and Redis dumps) need not hold email addresses.
        ident = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginEmailThrottle(OTPRequestEmailThrottle):
    """Password logins per target email: guessing one account's password from many addresses is throttled too.
    (A throttled owner can still log in with an emailed code or Kakao.)"""

    scope = "login_email"


class OTPVerifyEmailThrottle(OTPRequestEmailThrottle):
    """Code checks per email, besides the 5-wrong-codes burn of accounts.otp."""

    scope = "otp_verify_email"


class OTPRequestAddressThrottle(SimpleRateThrottle):
    """Code requests per client address (10 an hour): one address cannot mail-bomb many inboxes."""

    scope = "otp_request_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
