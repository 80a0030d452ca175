"""The email login flow end to end: API → django-q2 queue → a real `qcluster` process → a real SMTP server.

Nothing is faked: the request enqueues the task in the test database, a separate `manage.py qcluster`
process (settings `runnerway.settings_e2e`) picks it up and sends the mail over SMTP to an aiosmtpd server on
127.0.0.1, and the test reads the code out of the delivered message to log in.
"""

import contextlib
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from accounts.models import EmailOTP, User
from accounts.tests.conftest import code_from_mail_text

BASE_DIR = Path(settings.BASE_DIR)
MAIL_WAIT_S = 30


class MailSink:
    """aiosmtpd handler keeping every delivered message."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _test_database_url() -> str:
    """DATABASE_URL of the database this test runs on (the test database, not the configured one)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if connection.vendor == "mysql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "127.0.0.1"
        port = db["PORT"] or 3306
        return f"mysql://{credentials}@{host}:{port}/{db['NAME']}"
    raise AssertionError(f"no DATABASE_URL recipe for {connection.vendor}")


@pytest.fixture
def smtp_server():
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, sink
    controller.stop()


@pytest.fixture
def qcluster(transactional_db, smtp_server, tmp_path, monkeypatch):
    """A real `manage.py qcluster` on the test database, mailing through `smtp_server`; always killed."""
    from django_q.conf import Conf

    controller, _ = smtp_server
    # This process must enqueue for real instead of running tasks in-process.
    monkeypatch.setattr(Conf, "SYNC", False)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "runnerway.settings_e2e",
        "DATABASE_URL": _test_database_url(),
        "EMAIL_URL": f"smtp://{controller.hostname}:{controller.port}",
        "SECRET_KEY": settings.SECRET_KEY,
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "qcluster.log"
    with open(log_path, "wb") as log:
        # Its own session: the cluster forks workers, and the whole group is stopped at the end.
        process = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=BASE_DIR, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process, log_path
    finally:
        _stop_cluster(process)


def _stop_cluster(process: subprocess.Popen) -> None:
    """SIGTERM the cluster (it stops its own workers); SIGKILL its whole process group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # any worker left behind
    process.wait(timeout=5)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_otp_login_through_a_real_qcluster_and_smtp_server(api_client, qcluster, smtp_server):
    process, log_path = qcluster
    _, sink = smtp_server

    response = api_client.post("/api/v1/auth/otp/request", {"email": "e2e.runner@example.com"})
    assert response.status_code == 202
    assert response.json()["data"] == {"expires_in": 300}
    otp = EmailOTP.objects.get(email="e2e.runner@example.com")

    deadline = time.monotonic() + MAIL_WAIT_S
    while time.monotonic() < deadline:
        otp.refresh_from_db()
        if sink.messages and otp.sent_at is not None:
            break
        assert process.poll() is None, f"qcluster exited early:\n{log_path.read_text()[-3000:]}"
        time.sleep(0.2)
    else:
        pytest.fail(f"no mail within {MAIL_WAIT_S} s; qcluster log:\n{log_path.read_text()[-3000:]}")

    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert message["To"] == "e2e.runner@example.com"
    assert "login code" in message["Subject"]
    code = code_from_mail_text(message.get_body(preferencelist=("plain",)).get_content())
    assert code in message.get_body(preferencelist=("html",)).get_content()
    assert otp.code_encrypted == ""  # the worker dropped the encrypted copy after sending

    verify = api_client.post("/api/v1/auth/otp/verify", {"email": "e2e.runner@example.com", "code": code})
    assert verify.status_code == 200, verify.content
    data = verify.json()["data"]
    assert data["created"] is True
    assert User.objects.get(pk=data["user"]["id"]).email_verified is True
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {data['access']}")
    assert api_client.get("/api/v1/users/me").json()["data"]["email"] == "e2e.runner@example.com"
    assert code not in log_path.read_text()  # the worker's log never shows the code
