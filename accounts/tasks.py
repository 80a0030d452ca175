"""Background work of the accounts app (django-q2). Tasks take IDs and are safe to run twice."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import ActivityLog, User


def client_ip(request) -> str | None:
    """The client address, honouring X-Forwarded-For only as far as NUM_PROXIES trusted proxies say."""
    from rest_framework.throttling import BaseThrottle

    ident = BaseThrottle().get_ident(request)
    return ident or None


def send_otp_email(otp_id: str) -> bool:
    """Mail one login code (accounts.services.otp_send_email). SMTP errors propagate so the queue retries.

    Delivery guarantee: at least once, and once in every case but one. The ORM broker acknowledges the task only
    after it returns, and `sent_at` is written only after the SMTP server accepted the message (its `250` to
    the final dot), so:
    - SMTP down or failing: the task raises, stays queued and is run again after Q_RETRY (up to max_attempts);
    - the worker or cluster killed before the server's `250`: the server has not accepted the message (a
      transaction without its reply is not delivered), and the redelivered task sends it: once;
    - killed in the short window after the `250` and before `sent_at` is saved: the redelivery mails the SAME
      code again, with the same Message-ID (`<otp.{id}@...>`), which mailboxes may fold into one.
    A "sending" claim would not close that window, only trade the duplicate for a lost mail (a claim left by a
    dead worker cannot tell whether the server accepted); a duplicate of a valid code is the lesser harm.
    Tests: accounts/tests/test_otp_faults.py.
    """
    from accounts.services import otp_send_email  # in the function: accounts.services imports this module

    return otp_send_email(otp_id=otp_id)


def send_account_secured_email(user_id: str, token_version: int) -> bool:
    """Tell an owner their unverified account was secured (accounts.services.user_send_secured_email)."""
    from accounts.services import user_send_secured_email  # in the function: accounts.services imports this module

    return user_send_secured_email(user_id=user_id, token_version=token_version)


def record_activity(user_id: str, action: str, details: dict, ip: str | None, event_id: str,
                    occurred_at: str | None = None) -> bool:
    """Write one activity log row; True when written.

    `event_id` (unique) makes a redelivered task a no-op; `occurred_at` (ISO 8601) is when the request
    happened, so a queue delay does not shift the log's time.
    """
    if ActivityLog.objects.filter(event_id=event_id).exists():
        return False
    if not User.objects.filter(pk=user_id).exists():
        return False  # the user row is gone (hard delete): nothing to attach the event to
    created_at = datetime.fromisoformat(occurred_at) if occurred_at else timezone.now()
    try:
        with transaction.atomic():
            ActivityLog.objects.create(user_id=user_id, action=action, details=details, ip=ip,
                                       event_id=event_id, created_at=created_at)
    except IntegrityError:  # the same event written by a concurrent delivery
        return False
    return True


def erase_deleted_account(user_id: str) -> None:
    """The erase job's name when it lived here, for tasks queued under it before a deploy (and community's older
    alias): it queues the job under its name now, `operations.tasks.erase_deleted_account`. By that dotted name,
    not an import: the erase touches every app and lives above them (operations), and accounts imports no app
    above it. A task lost in between is no erasure lost: the hourly cleanup queues the job again for every
    deleted account not yet erased (operations.maintenance.cleanup_deleted_accounts_erase)."""
    async_task("operations.tasks.erase_deleted_account", user_id)
