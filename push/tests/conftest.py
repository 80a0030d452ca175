"""A fake Firebase Cloud Messaging server on 127.0.0.1: the OAuth token endpoint and messages:send."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT_ID = "runnerway-test"


class FakeFcm:
    def __init__(self):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode()
        self.public_key = key.public_key()
        self.sent: list[dict] = []  # every messages:send request: {"auth": ..., "body": ...}
        self.token_requests = 0
        self.script: list[tuple[int, dict]] = []  # responses to hand out first, then 200s
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict):
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/token":
                    form = parse_qs(raw.decode())
                    claims = jwt.decode(form["assertion"][0], fake.public_key, algorithms=["RS256"],
                                        options={"verify_aud": False})
                    assert claims["aud"] == "https://oauth2.googleapis.com/token", claims  # what Google checks
                    assert "firebase.messaging" in claims["scope"]
                    with fake.lock:
                        fake.token_requests += 1
                    return self._answer(200, {"access_token": "fake-access-token", "expires_in": 3600,
                                              "token_type": "Bearer"})
                if self.path == f"/v1/projects/{PROJECT_ID}/messages:send":
                    with fake.lock:
                        fake.sent.append({"auth": self.headers.get("Authorization"), "body": json.loads(raw)})
                        status, body = fake.script.pop(0) if fake.script else (
                            200, {"name": f"projects/{PROJECT_ID}/messages/{len(fake.sent)}"})
                    return self._answer(status, body)
                return self._answer(404, {"error": {"code": 404, "status": "NOT_FOUND"}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def credentials_json(self) -> dict:
        return {"type": "service_account", "project_id": PROJECT_ID, "private_key_id": "test-key",
                "private_key": self.private_pem, "client_email": f"push@{PROJECT_ID}.iam.gserviceaccount.com",
                "client_id": "1", "token_uri": f"{self.base_url}/token"}

    @staticmethod
    def unregistered() -> tuple[int, dict]:
        return 404, {"error": {"code": 404, "status": "NOT_FOUND", "message": "Requested entity was not found.",
                               "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                            "errorCode": "UNREGISTERED"}]}}

    @staticmethod
    def unavailable() -> tuple[int, dict]:
        return 500, {"error": {"code": 500, "status": "INTERNAL", "message": "Internal error."}}


@pytest.fixture
def fake_fcm(settings, tmp_path, monkeypatch):
    fake = FakeFcm()
    fake.thread.start()
    credentials = tmp_path / "service-account.json"
    credentials.write_text(json.dumps(fake.credentials_json()))
    settings.FCM_PROJECT_ID = PROJECT_ID
    settings.FCM_CREDENTIALS_FILE = str(credentials)
    settings.FCM_ENDPOINT = fake.base_url
    settings.FCM_TIMEOUT = 5.0
    monkeypatch.setattr("push.fcm.BACKOFF_S", 0.01)  # the retries' waits, shortened for the tests
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
