"""The general per-user rate limit (`REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"]`) as a fixed-window counter.

DRF's UserRateThrottle keeps every request time of the last window in one cache entry: a GET and a SET of a
pickled list (up to `rate` floats) on every authenticated request. This throttle counts instead: one Redis round
trip (INCR + EXPIRE, runnerway.cache.hit_counter) per request.

Semantics: at most `rate` requests per user in each calendar window of the rate's period (e.g. 600 per minute,
windows starting on the minute); a client may therefore send up to twice the rate across a window boundary,
which is fine for a general abuse limit (the sensitive endpoints — login, OTP, route planning — keep DRF's
sliding-window throttles). Refused requests count too (a client hammering on stays refused until the window
ends); Retry-After is the time left in the window.
Anonymous requests are left to AnonRateThrottle (per address), as with DRF's class.

JWT authentication counts the hit in the same Redis round trip that reads the token's user
(`request.counted_user_hit`: one round trip instead of two, measured in bench/api_overhead.py); without it
(another authenticator, a window boundary between the two) this class counts the hit itself. Counted there, a
request also counts when it is refused afterwards (401, 403): a client hammering on refused requests uses up its
own allowance.
"""

from rest_framework.throttling import SimpleRateThrottle

from runnerway.cache import hit_counter


class UserRateThrottle(SimpleRateThrottle):
    scope = "user"
    cache_format = "throttle_fw_%(scope)s_%(ident)s_%(window)d"

    def get_cache_key(self, request, view):
        return None  # unused: allow_request below builds the key of the current window

    def counter(self, user_pk, now: float) -> tuple[str, int]:
        """The cache key counting this user's requests in the window holding `now`, and the window (s)."""
        window = int(now // self.duration)
        return self.cache_format % {"scope": self.scope, "ident": user_pk, "window": window}, self.duration

    def allow_request(self, request, view):
        if self.rate is None or not (request.user and request.user.is_authenticated):
            return True
        now = self.timer()
        key, window_s = self.counter(request.user.pk, now)
        counted = getattr(request, "counted_user_hit", None)  # set by accounts.authentication, same round trip
        count = counted[1] if counted is not None and counted[0] == key else hit_counter(key, window_s)
        self.wait_s = window_s - now % window_s
        return count <= self.num_requests

    def wait(self):
        return self.wait_s
