"""Firebase Cloud Messaging HTTP v1 client (which reaches iOS through APNs too).

Authorises with a service account (`FCM_CREDENTIALS_FILE`, OAuth 2.0 JWT bearer flow by google-auth, the token
reused until it expires) and posts one message per device to
`{FCM_ENDPOINT}/v1/projects/{FCM_PROJECT_ID}/messages:send`. The endpoint and the credentials' `token_uri` are
settings, so tests point both at a fake server on 127.0.0.1.

Without `FCM_PROJECT_ID` (the embedded mode) `ConsolePush` prints each push to the worker's terminal instead.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass

import requests
from django.conf import settings

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# FCM's own error codes that mean the token will never work again: the app was uninstalled, or the token
# belongs to another Firebase project.
DEAD_TOKEN_CODES = {"UNREGISTERED", "SENDER_ID_MISMATCH"}
RETRY_STATUSES = {429, 500, 502, 503, 504}
ATTEMPTS = 3  # then the task raises and the queue retries it later (Q_RETRY)
BACKOFF_S = 0.5  # doubled after each failed attempt; FCM's Retry-After wins when it is longer (capped)
MAX_RETRY_AFTER_S = 5.0


@dataclass(frozen=True)
class PushMessage:
    token: str
    title: str
    body: str
    data: dict[str, str]
    collapse_id: str  # a redelivered push replaces the first on the phone instead of showing twice


@dataclass(frozen=True)
class SendResult:
    outcome: str  # "sent" | "dead_token" | "failed" (permanent) | "retry" (try again later)
    detail: str = ""


class TemporaryPushError(Exception):
    """FCM was unreachable or answered 429/5xx on every attempt: the task raises this so the queue retries."""


class FcmClient:
    def __init__(self, *, project_id: str, credentials_file: str, endpoint: str, timeout_s: float):
        self.url = f"{endpoint.rstrip('/')}/v1/projects/{project_id}/messages:send"
        self.credentials_file = credentials_file
        self.timeout_s = timeout_s
        self._credentials = None
        self._lock = threading.Lock()
        self._session = requests.Session()

    def _access_token(self) -> str:
        from google.auth.transport.requests import Request
        from google.oauth2 import service_account

        with self._lock:
            if self._credentials is None:
                self._credentials = service_account.Credentials.from_service_account_file(
                    self.credentials_file, scopes=[FCM_SCOPE])
            if not self._credentials.valid:
                self._credentials.refresh(Request(session=self._session))
            return self._credentials.token

    def send(self, message: PushMessage) -> SendResult:
        body = {"message": {
            "token": message.token,
            "notification": {"title": message.title, "body": message.body},
            "data": message.data,
            "android": {"collapse_key": message.collapse_id},
            "apns": {"headers": {"apns-collapse-id": message.collapse_id[:64]}},
        }}
        delay_s = BACKOFF_S
        detail = ""
        for attempt in range(ATTEMPTS):
            try:
                response = self._session.post(self.url, json=body, timeout=self.timeout_s,
                                              headers={"Authorization": f"Bearer {self._access_token()}"})
            except (requests.ConnectionError, requests.Timeout) as exc:
                detail = f"{exc.__class__.__name__}"
            else:
                if response.status_code == 200:
                    return SendResult("sent", response.json().get("name", ""))
                code = _fcm_error_code(response)
                if code in DEAD_TOKEN_CODES:
                    return SendResult("dead_token", code)
                detail = f"{response.status_code} {code}".strip()
                if response.status_code not in RETRY_STATUSES:
                    return SendResult("failed", detail)
                retry_after = _retry_after_s(response)
                if retry_after is not None:
                    delay_s = max(delay_s, min(retry_after, MAX_RETRY_AFTER_S))
            if attempt < ATTEMPTS - 1:
                time.sleep(delay_s)
                delay_s *= 2
        return SendResult("retry", detail)


class ConsolePush:
    """The embedded mode: pushes are printed where the job worker runs, as mail is."""

    def send(self, message: PushMessage) -> SendResult:
        print(f"\n=== PUSH to …{message.token[-8:]}: {message.title} — {message.body} {message.data}\n",
              file=sys.stdout, flush=True)
        return SendResult("sent", "console")


_client: FcmClient | ConsolePush | None = None
_client_settings: tuple | None = None


def push_client() -> FcmClient | ConsolePush:
    """One client per process (its OAuth token is reused), rebuilt when the settings change (tests)."""
    global _client, _client_settings
    current = (settings.FCM_PROJECT_ID, settings.FCM_CREDENTIALS_FILE, settings.FCM_ENDPOINT,
               settings.FCM_TIMEOUT)
    if _client is None or current != _client_settings:
        if settings.FCM_PROJECT_ID:
            _client = FcmClient(project_id=settings.FCM_PROJECT_ID, credentials_file=settings.FCM_CREDENTIALS_FILE,
                                endpoint=settings.FCM_ENDPOINT, timeout_s=settings.FCM_TIMEOUT)
        else:
            _client = ConsolePush()
        _client_settings = current
    return _client


def _fcm_error_code(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
    except ValueError:
        return ""
    for detail in error.get("details", []):
        if detail.get("errorCode"):
            return detail["errorCode"]
    return error.get("status", "")


def _retry_after_s(response: requests.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None
