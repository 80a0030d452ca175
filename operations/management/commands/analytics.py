"""Compute the daily analytics for a day now (the same code as the 03:00 schedule)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from operations.analytics import compute_daily_analytics, yesterday


class Command(BaseCommand):
    help = "Compute per-user daily aggregates and service figures for --date (default: yesterday, Asia/Seoul)."

    def add_arguments(self, parser):
        parser.add_argument("--date", dest="day", help="The day to compute, YYYY-MM-DD.")

    def handle(self, *args, day: str | None = None, **options):
        try:
            target = date.fromisoformat(day) if day else yesterday()
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, got {day!r}") from exc
        report = compute_daily_analytics(day=target)
        stats = report.global_stats
        self.stdout.write(f"{target}: {report.users_with_activity} active users, {stats.workouts} workouts, "
                          f"{stats.distance_m / 1000:.1f} km, {stats.routes_planned} routes planned, "
                          f"weekly active {stats.weekly_active_users}")
