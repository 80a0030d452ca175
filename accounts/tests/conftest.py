"""Fixtures of the accounts tests: a fake Kakao API on 127.0.0.1, and reading codes out of mails."""

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

KAKAO_APP_ID = "424242"
CODE_IN_MAIL = re.compile(r"(?:코드|Code): (\d{6})")


def code_from_mail_text(text: str) -> str:
    """The login code in a mail's plain-text body (both language sections carry the same code)."""
    codes = set(CODE_IN_MAIL.findall(text))
    assert len(codes) == 1, f"expected exactly one code in the mail, found {codes}"
    return codes.pop()


def request_code(api_client, email: str, mailbox) -> str:
    """Ask for a code through the API (sync tasks) and return it from the newest mail."""
    response = api_client.post("/api/v1/auth/otp/request", {"email": email})
    assert response.status_code == 202, response.content
    assert mailbox[-1].to == [email]
    return code_from_mail_text(mailbox[-1].body)


@dataclass
class KakaoAccount:
    """What the fake Kakao knows about one access token."""

    user_id: int
    app_id: int = int(KAKAO_APP_ID)
    email: str | None = None
    email_verified: bool = True
    nickname: str = "달리는 사람"
    # A Kakao error to answer instead: (HTTP status, body), e.g. (401, {"code": -401, ...}).
    error: tuple[int, dict] | None = None


@dataclass
class FakeKakao:
    url: str
    tokens: dict[str, KakaoAccount] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Authorization header)


def _kakao_handler(fake: FakeKakao):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

        def _send(self, status: int, body: dict):
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):
            authorization = self.headers.get("Authorization", "")
            fake.requests.append((self.path, authorization))
            token = authorization.removeprefix("Bearer ")
            account = fake.tokens.get(token) if authorization.startswith("Bearer ") else None
            if account is None:
                return self._send(401, {"msg": "this access token does not exist", "code": -401})
            if account.error is not None:
                return self._send(*account.error)
            if self.path == "/v1/user/access_token_info":
                return self._send(200, {"id": account.user_id, "expires_in": 7199, "app_id": account.app_id})
            if self.path == "/v2/user/me":
                kakao_account = {"profile": {"nickname": account.nickname}}
                if account.email is not None:
                    kakao_account.update(has_email=True, email=account.email, is_email_valid=True,
                                         is_email_verified=account.email_verified)
                return self._send(200, {"id": account.user_id, "connected_at": "2026-01-01T00:00:00Z",
                                        "kakao_account": kakao_account})
            return self._send(404, {"msg": "not found", "code": -1})

    return Handler


@pytest.fixture
def fake_kakao(settings):
    """A Kakao user API on a free 127.0.0.1 port; settings point at it. Register tokens in `.tokens`."""
    fake = FakeKakao(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _kakao_handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.KAKAO_API_URL = fake.url
    settings.KAKAO_APP_ID = KAKAO_APP_ID
    settings.OUTBOUND_HTTP_TIMEOUT_S = 2.0
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
