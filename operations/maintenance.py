"""The hourly cleanup job: every step deletes (or closes) what is past its retention, and reports counts.

Each step is idempotent (a second run finds nothing more to do) and runs in its own transaction so one
failing step does not roll back the others' work; a failure still raises at the end so django-q2 retries.
Retention periods are settings (documented in .env.example).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import ActivityLog, EmailOTP
from community.models import Notification
from operations.erasure import accounts_pending_erase
from routes.models import RouteOption
from workouts import selectors as workout_selectors
from workouts import services as workout_services


@dataclass
class CleanupReport:
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        verb = "would remove" if self.dry_run else "removed"
        out = [f"{name}: {verb} {count}" for name, count in self.counts.items()]
        out += [f"{name}: FAILED ({error})" for name, error in self.errors.items()]
        return out


def _delete(queryset, dry_run: bool) -> int:
    if dry_run:
        return queryset.count()
    deleted, _ = queryset.delete()
    return deleted


def cleanup_otp_codes(now: datetime, dry_run: bool) -> int:
    """OTP codes that expired or were used, kept a day for the failure window and support questions."""
    horizon = now - timedelta(days=1)
    stale = EmailOTP.objects.filter(Q(expires_at__lt=horizon) | Q(used_at__lt=horizon))
    return _delete(stale, dry_run)


def cleanup_expired_tokens(now: datetime, dry_run: bool) -> int:
    """Outstanding/blacklisted refresh tokens past their expiry (what simplejwt's flushexpiredtokens does)."""
    return _delete(OutstandingToken.objects.filter(expires_at__lt=now), dry_run)


def cleanup_stale_workouts(now: datetime, dry_run: bool) -> int:
    """Workouts left active with no sign of life for 6 hours are completed at their last fix."""
    stale_ids = workout_selectors.stale_workout_ids(now=now)
    if dry_run:
        return len(stale_ids)
    return sum(workout_services.workout_complete_if_stale(workout_id=workout_id, now=now) is not None
               for workout_id in stale_ids)


def cleanup_deleted_route_options(now: datetime, dry_run: bool) -> int:
    """Route options (the bulky paths) of routes deleted more than ROUTE_OPTION_RETENTION_DAYS ago.

    Options still referenced by a workout are kept: the workout's route completion and shape accuracy
    were measured against them.
    """
    horizon = now - timedelta(days=settings.ROUTE_OPTION_RETENTION_DAYS)
    options = RouteOption.objects.filter(route__deleted_at__lt=horizon).exclude(workouts__isnull=False)
    return _delete(options, dry_run)


def cleanup_activity_logs(now: datetime, dry_run: bool) -> int:
    horizon = now - timedelta(days=settings.ACTIVITY_LOG_RETENTION_DAYS)
    return _delete(ActivityLog.objects.filter(created_at__lt=horizon), dry_run)


def cleanup_read_notifications(now: datetime, dry_run: bool) -> int:
    horizon = now - timedelta(days=settings.READ_NOTIFICATION_RETENTION_DAYS)
    return _delete(Notification.objects.filter(read_at__lt=horizon), dry_run)


# Accounts queued per hourly run: each job is seconds; a backlog (an outage) drains over a few hours.
ERASE_SWEEP_LIMIT = 200


def cleanup_deleted_accounts_erase(now: datetime, dry_run: bool) -> int:
    """Deleted accounts whose erase job has not finished (it failed, the worker was down, or they were deleted
    before the job existed): the job (operations.tasks.erase_deleted_account) is queued again, after this step
    commits. Counts the accounts queued."""
    pending = [str(pk) for pk in accounts_pending_erase().order_by("deleted_at")
               .values_list("pk", flat=True)[:ERASE_SWEEP_LIMIT]]
    if not dry_run:
        for user_id in pending:
            transaction.on_commit(lambda user_id=user_id: async_task("operations.tasks.erase_deleted_account", user_id))
    return len(pending)


CLEANUP_STEPS: dict[str, Callable[[datetime, bool], int]] = {
    "otp_codes": cleanup_otp_codes,
    "expired_tokens": cleanup_expired_tokens,
    "stale_workouts": cleanup_stale_workouts,
    "deleted_route_options": cleanup_deleted_route_options,
    "activity_logs": cleanup_activity_logs,
    "read_notifications": cleanup_read_notifications,
    "deleted_accounts_erase": cleanup_deleted_accounts_erase,
}


class CleanupFailed(Exception):
    """Raised after all steps ran when at least one failed, so the queue retries the job."""


def run_cleanup(*, now: datetime | None = None, dry_run: bool = False) -> CleanupReport:
    now = now or timezone.now()
    report = CleanupReport(dry_run=dry_run)
    for name, step in CLEANUP_STEPS.items():
        try:
            with transaction.atomic():
                report.counts[name] = step(now, dry_run)
        except Exception as exc:  # keep going: the other steps' work is independent
            report.errors[name] = f"{exc.__class__.__name__}: {exc}"
    return report
