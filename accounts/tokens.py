"""The JWTs this server issues: simplejwt's refresh/access pair with two claims of our own.

- `ver`: the user's `token_version` when the pair was issued. Authentication and refresh refuse a token whose
  version is not the user's current one, so raising it (accounts.services.user_secure) ends every session at
  once. Tokens without the claim (issued before it existed) count as version 0.
- `fam`: the refresh-token family, a random id kept by every rotation (simplejwt copies claims to the rotated
  token and to its access tokens). Replaying a rotated token revokes its whole family (OAuth 2.0 Security BCP,
  refresh token rotation): either the client or a thief holds a stolen token, and we cannot tell which.
"""

import uuid

from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

TOKEN_VERSION_CLAIM = "ver"  # noqa: S105 - a claim name, not a secret
TOKEN_FAMILY_CLAIM = "fam"  # noqa: S105 - a claim name, not a secret


def refresh_token_issue(*, user) -> RefreshToken:
    """A new refresh token (a new family) for `user`, recorded as outstanding; `.access_token` derives its pair."""
    refresh = RefreshToken()
    refresh[api_settings.USER_ID_CLAIM] = str(getattr(user, api_settings.USER_ID_FIELD))
    refresh[TOKEN_VERSION_CLAIM] = user.token_version
    refresh[TOKEN_FAMILY_CLAIM] = uuid.uuid4().hex
    # What simplejwt's RefreshToken.for_user records, written after our claims so the stored text is the token's.
    OutstandingToken.objects.create(user=user, jti=refresh[api_settings.JTI_CLAIM], token=str(refresh),
                                    created_at=refresh.current_time,
                                    expires_at=datetime_from_epoch(refresh["exp"]))
    return refresh


def token_version_of(payload) -> int:
    return payload.get(TOKEN_VERSION_CLAIM, 0)


def _live_refresh_tokens(user_id):
    return (OutstandingToken.objects.filter(user_id=user_id, expires_at__gt=timezone.now())
            .exclude(blacklistedtoken__isnull=False))


def refresh_tokens_blacklist_all(*, user_id) -> int:
    """Blacklist every live refresh token of the user; the number blacklisted."""
    tokens = list(_live_refresh_tokens(user_id))
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in tokens],
                                         ignore_conflicts=True)
    return len(tokens)


def refresh_token_family_revoke(*, user_id, family: str | None) -> int:
    """Blacklist the user's live refresh tokens of `family` (None: the tokens issued without a family, before
    families existed); the number blacklisted. A user holds a few live tokens (one per signed-in device)."""
    members = [token for token in _live_refresh_tokens(user_id) if _family_of(token.token) == family]
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in members],
                                         ignore_conflicts=True)
    return len(members)


def _family_of(stored_token: str) -> str | None:
    try:  # our own stored text: no signature check needed to read it
        return token_backend.decode(stored_token, verify=False).get(TOKEN_FAMILY_CLAIM)
    except TokenBackendError:
        return None  # not a JWT (never issued by this server): treated as family-less
