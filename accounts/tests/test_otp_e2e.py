"""The email login flow end to end: API → django-q2 queue → a real `qcluster` process → a real SMTP server.

Nothing is faked: the request enqueues the task in the test database, a separate `manage.py qcluster`
process (settings `runnerway.settings_e2e`) picks it up and sends the mail over SMTP to an aiosmtpd server on
127.0.0.1, and the test reads the code out of the delivered message to log in.
"""

import time
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import EmailOTP, User
from accounts.tests.conftest import code_from_mail_text
from accounts.tests.smtp_sink import MailSink, SmtpServer
from runnerway.testing import running_qcluster

BASE_DIR = Path(settings.BASE_DIR)
MAIL_WAIT_S = 30


@pytest.fixture
def smtp_server():
    server = SmtpServer(MailSink())
    server.start()
    yield server, server.sink
    server.stop()


@pytest.fixture
def qcluster(transactional_db, smtp_server, tmp_path, monkeypatch):
    """A real `manage.py qcluster` on the test database, mailing through `smtp_server`; always stopped."""
    from django_q.conf import Conf

    server, _ = smtp_server
    # This process must enqueue for real instead of running tasks in-process.
    monkeypatch.setattr(Conf, "SYNC", False)
    log_path = tmp_path / "qcluster.log"
    with running_qcluster(log_path, EMAIL_URL=server.url) as process:
        yield process, log_path


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
