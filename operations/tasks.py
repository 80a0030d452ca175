"""Scheduled jobs (django-q2). Thin: they call the services and raise on failure so the queue retries."""

from datetime import date

from operations import analytics, maintenance
from operations.erasure import account_erase


def run_cleanup() -> dict:
    report = maintenance.run_cleanup()
    if report.errors:
        raise maintenance.CleanupFailed("; ".join(report.lines()))
    return report.counts


def run_daily_analytics(day: str | None = None) -> dict:
    target = date.fromisoformat(day) if day else analytics.yesterday()
    report = analytics.compute_daily_analytics(day=target)
    return {"day": target.isoformat(), "users_with_activity": report.users_with_activity,
            "workouts": report.global_stats.workouts}


def erase_deleted_account(user_id: str) -> int:
    """Remove a deleted account's personal data (operations.erasure.account_erase); rows removed. Safe to run
    twice: a second run finds nothing left."""
    return account_erase(user_id=user_id).total
