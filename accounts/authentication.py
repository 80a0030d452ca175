"""JWT authentication that refuses soft-deleted and inactive users with a clean 401.

The token's user is looked up on every request (accounts.selectors.user_for_token: the shared cache, else one
SELECT), so a deleted or deactivated account is refused at once rather than when its access token expires.

Each Redis round trip costs a request more than the rest of a cached read, so the first one reads all a request
needs from the cache at once (runnerway.cache.get_many_and_hit): the user's row, what the view declares it will
read (`cache_read_ahead(**url_kwargs)` -> [(CacheAside, pk)]; `request.cache_prefetched`) and the per-user rate
count (runnerway.api.throttling.UserRateThrottle, when the view has it; `request.counted_user_hit`).
"""

import time

from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts.selectors import token_user_cache, user_for_token
from accounts.tokens import token_version_of
from runnerway.api.throttling import UserRateThrottle
from runnerway.cache import get_many_and_hit

# Access tokens whose signature and claims were verified, by their text: {token: (expires at (epoch s), token)}.
# Verifying is deterministic for a given text and key (the key is a setting: a change restarts the process, and
# accounts.receivers empties this when a test changes it),
# so a repeat only needs its expiry checked again; a phone sends the same token for up to 15 minutes.
# Per process, emptied when full. Revocation is not the token's business here: the user lookup refuses
# deleted and deactivated accounts, and tokens of an older token version (accounts.tokens), on every request.
_verified_tokens: dict[bytes, tuple[float, object]] = {}
_VERIFIED_TOKENS_MAX = 4096


class JWTAuthentication(SimpleJWTAuthentication):
    def authenticate(self, request):
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        validated_token = self.get_validated_token(raw_token)
        return self.get_user(validated_token, request=request), validated_token

    def get_validated_token(self, raw_token: bytes):
        verified = _verified_tokens.get(raw_token)
        if verified is not None and time.time() < verified[0]:
            return verified[1]
        token = super().get_validated_token(raw_token)
        # Only plain access tokens: a revocable or blacklistable kind must be looked up every time.
        if type(token) is AccessToken and not api_settings.CHECK_REVOKE_TOKEN:
            if len(_verified_tokens) >= _VERIFIED_TOKENS_MAX:
                _verified_tokens.clear()
            _verified_tokens[raw_token] = (float(token["exp"]), token)
        return token

    def get_user(self, validated_token, request=None):
        try:
            user = self._user_of(validated_token, request)
        except (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError):
            raise  # the database or the cache is down: a 503 the client retries, not a 401 that logs the runner out
        except Exception as exc:  # unknown user, malformed claim: all mean "log in again"
            raise InvalidToken("The token's user is not available.") from exc
        if user is None or not user.can_authenticate:  # soft-deleted or deactivated
            raise InvalidToken("The token's user is not available.")
        # The version is a column of the user row read above (and cached with it; every write forgets the cache).
        if token_version_of(validated_token) != user.token_version:  # revoked by user_secure
            raise InvalidToken("The token was revoked.")
        return user

    def _user_of(self, validated_token, request):
        pk_field = get_user_model()._meta.pk
        if pk_field.name != api_settings.USER_ID_FIELD or api_settings.CHECK_REVOKE_TOKEN:
            return super().get_user(validated_token)  # not this project's settings: simplejwt's own lookup
        user_pk = pk_field.to_python(validated_token[api_settings.USER_ID_CLAIM])
        view = (getattr(request, "parser_context", None) or {}).get("view")
        throttle = _user_throttle_of(view)
        if throttle is None or not token_user_cache.enabled:
            return user_for_token(user_id=user_pk)
        rows = [(token_user_cache, user_pk)]
        read_ahead = getattr(view, "cache_read_ahead", None)
        if read_ahead is not None:
            rows += read_ahead(**request.parser_context.get("kwargs", {}))
        counter_key, window_s = throttle.counter(user_pk, throttle.timer())
        prefetched, count = get_many_and_hit([cache.key(pk) for cache, pk in rows if cache.enabled],
                                             counter_key, window_s)
        request.cache_prefetched = prefetched
        request.counted_user_hit = (counter_key, count)
        return user_for_token(user_id=user_pk, prefetched=prefetched)


def _user_throttle_of(view) -> UserRateThrottle | None:
    """The view's per-user throttle, when it has one with a rate (it reads the hit counted here)."""
    for throttle_class in getattr(view, "throttle_classes", ()):
        if issubclass(throttle_class, UserRateThrottle):
            throttle = throttle_class()
            return throttle if throttle.rate is not None else None
    return None
