"""Server-side check of a Kakao SDK access token, and the profile behind it.

The phone logs in with the Kakao SDK and sends us its access token. allauth's Kakao provider runs the web
OAuth flow and cannot verify such a token, so we ask Kakao ourselves:
1. `GET /v1/user/access_token_info` — the token is alive and was issued to *our* app (`app_id`); a token
   issued to any other Kakao app must not log anyone in here;
2. `GET /v2/user/me` — who it belongs to.
"""

import logging
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from runnerway.api.exceptions import ApiError, ServiceUnavailable

logger = logging.getLogger(__name__)


class KakaoTokenInvalid(ApiError):
    status_code = 401
    default_code = "kakao_token_invalid"
    default_detail = gettext_lazy("Kakao did not accept this access token. Log in with Kakao again.")


class KakaoUnavailable(ServiceUnavailable):
    default_code = "kakao_unavailable"
    default_detail = gettext_lazy("Kakao login is unavailable right now. Try again shortly.")


@dataclass(frozen=True)
class KakaoProfile:
    uid: str
    email: str | None  # None when the user did not share one
    email_verified: bool  # Kakao says the address is valid and verified
    nickname: str
    extra_data: dict = field(default_factory=dict)  # the /v2/user/me answer, kept on the SocialAccount


def _get(path: str, access_token: str) -> dict:
    url = f"{settings.KAKAO_API_URL}{path}"
    try:
        response = requests.get(url, headers={"Authorization": f"Bearer {access_token}"},
                                timeout=settings.OUTBOUND_HTTP_TIMEOUT_S)
    except requests.RequestException as exc:
        logger.warning("kakao unreachable: %s %s", path, exc.__class__.__name__)
        raise KakaoUnavailable() from exc
    # 401 (code -401: expired/invalid) and 400 (code -2: malformed token) are the token's fault.
    if response.status_code in (400, 401):
        raise KakaoTokenInvalid()
    if response.status_code != 200:
        logger.warning("kakao answered %s on %s", response.status_code, path)
        raise KakaoUnavailable()
    try:
        body = response.json()
    except ValueError as exc:
        raise KakaoUnavailable() from exc
    if not isinstance(body, dict):
        raise KakaoUnavailable()
    return body


def kakao_profile_for_token(*, access_token: str) -> KakaoProfile:
    """Verify the SDK token against our app id and return its owner's profile.

    Raises KakaoTokenInvalid (401) for a token Kakao refuses or one issued to another app, and
    KakaoUnavailable (503) when Kakao cannot be reached, times out (OUTBOUND_HTTP_TIMEOUT_S) or fails.
    """
    app_id = str(settings.KAKAO_APP_ID).strip()
    if not app_id:
        logger.error("KAKAO_APP_ID is not set: Kakao login refused")
        raise KakaoUnavailable(_("Kakao login is not configured on this server."))

    token_info = _get("/v1/user/access_token_info", access_token)
    if str(token_info.get("app_id")) != app_id:
        raise KakaoTokenInvalid(_("This Kakao token was issued to another app."))

    me = _get("/v2/user/me", access_token)
    uid = me.get("id")
    if uid is None or str(uid) != str(token_info.get("id", uid)):
        raise KakaoTokenInvalid()
    account = me.get("kakao_account") or {}
    email = (account.get("email") or "").strip().lower() or None
    email_verified = bool(email and account.get("is_email_valid") and account.get("is_email_verified"))
    nickname = ((account.get("profile") or {}).get("nickname") or (me.get("properties") or {}).get("nickname")
                or "")
    return KakaoProfile(uid=str(uid), email=email, email_verified=email_verified, nickname=nickname[:100],
                        extra_data=me)
