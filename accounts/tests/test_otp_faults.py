"""Faults on the email login path, with a real `qcluster` and a real SMTP server (issue 7, "Faults").

- A cluster SIGKILLed while the SMTP server holds the mail's DATA un-acknowledged: a fresh cluster delivers the
  mail, once, and its code logs in.
- SMTP down when the code is requested: the API still answers 202, the task fails, the queue retries it, and
  the mail goes out once SMTP is back.

Both run on the configured database (SQLite file or MariaDB), with short Q_TIMEOUT/Q_RETRY (timeout < retry).
"""

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django_q.models import OrmQ, Task

from accounts.models import EmailOTP
from accounts.tests.conftest import code_from_mail_text
from accounts.tests.smtp_sink import MailSink, SmtpServer
from runnerway.testing import running_qcluster

WAIT_S = 40
# The ORM broker hides a dequeued task for Q_RETRY seconds; the worker gives up after Q_TIMEOUT (< retry).
FAST_QUEUE_ENV = {"Q_TIMEOUT": "3", "Q_RETRY": "4", "EMAIL_TIMEOUT": "2"}
EMAIL = "fault.runner@example.com"


@pytest.fixture
def real_queue(transactional_db, monkeypatch):
    """This process enqueues for real (a separate qcluster runs the tasks)."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)


def _wait_for(condition: Callable[[], bool], what: str, log_path: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {WAIT_S} s; qcluster log:\n{log_path.read_text()[-3000:]}")


def _request_code(api_client) -> EmailOTP:
    response = api_client.post("/api/v1/auth/otp/request", {"email": EMAIL})
    assert response.status_code == 202, response.content
    return EmailOTP.objects.get(email=EMAIL)


def _sent(otp: EmailOTP) -> bool:
    otp.refresh_from_db()
    return otp.sent_at is not None


def _assert_code_logs_in(api_client, message) -> str:
    code = code_from_mail_text(message.get_body(preferencelist=("plain",)).get_content())
    verify = api_client.post("/api/v1/auth/otp/verify", {"email": EMAIL, "code": code})
    assert verify.status_code == 200, verify.content
    assert verify.json()["data"]["user"]["email"] == EMAIL
    return code


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_qcluster_killed_while_sending_the_mail_delivers_it_once(api_client, real_queue, tmp_path):
    sink = MailSink(hold_first_delivery=True)
    smtp = SmtpServer(sink)
    smtp.start()
    try:
        first_log = tmp_path / "qcluster-killed.log"
        with running_qcluster(first_log, EMAIL_URL=smtp.url, **FAST_QUEUE_ENV) as doomed:
            otp = _request_code(api_client)
            assert sink.data_started.wait(WAIT_S), first_log.read_text()[-3000:]
            # The worker is inside `message.send()`, waiting for the reply to its final dot: kill everything.
            os.killpg(doomed.pid, signal.SIGKILL)
            doomed.wait(timeout=10)
        sink.release.set()  # the held transaction ends unacknowledged (its client is dead)
        assert sink.held_answered.wait(10)

        otp.refresh_from_db()
        assert otp.sent_at is None and otp.code_encrypted != ""  # the task never finished
        assert sink.messages == [] and len(sink.aborted) == 1

        second_log = tmp_path / "qcluster-fresh.log"
        with running_qcluster(second_log, EMAIL_URL=smtp.url, **FAST_QUEUE_ENV):
            _wait_for(lambda: _sent(otp) and bool(sink.messages), "redelivery of the killed task", second_log)
            # Acknowledged: nothing left in the queue that could send it again.
            _wait_for(lambda: not OrmQ.objects.exists(), "acknowledgement", second_log)
    finally:
        smtp.stop()

    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert message["To"] == EMAIL
    # Retries carry the same Message-ID, so a mailbox can fold a duplicate (see send_otp_email's docstring).
    assert message["Message-ID"] == sink.aborted[0]["Message-ID"]
    assert Task.objects.filter(success=True, func="accounts.tasks.send_otp_email").count() == 1
    code = _assert_code_logs_in(api_client, message)
    assert code not in first_log.read_text() + second_log.read_text()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_smtp_down_the_task_is_retried_until_smtp_returns(api_client, real_queue, tmp_path):
    sink = MailSink()
    smtp = SmtpServer(sink)  # its port is chosen, but nothing listens there yet: connections are refused
    log_path = tmp_path / "qcluster.log"
    try:
        with running_qcluster(log_path, EMAIL_URL=smtp.url, **FAST_QUEUE_ENV):
            otp = _request_code(api_client)  # 202 although no mail can go out now
            _wait_for(lambda: Task.objects.filter(func="accounts.tasks.send_otp_email", success=False).exists(),
                      "a failed attempt", log_path)
            otp.refresh_from_db()
            assert otp.sent_at is None and sink.messages == []
            assert OrmQ.objects.count() == 1  # not acknowledged: the broker hands it out again after Q_RETRY

            smtp.start()
            _wait_for(lambda: _sent(otp) and bool(sink.messages), "delivery after SMTP came back", log_path)
            _wait_for(lambda: not OrmQ.objects.exists(), "acknowledgement", log_path)
    finally:
        smtp.stop()

    assert len(sink.messages) == 1
    task = Task.objects.get(func="accounts.tasks.send_otp_email")
    assert task.success is True and task.attempt_count >= 2
    _assert_code_logs_in(api_client, sink.messages[0])
