"""Run the hourly cleanup now (the same code as the schedule)."""

from django.core.management.base import BaseCommand, CommandError

from operations.maintenance import run_cleanup


class Command(BaseCommand):
    help = ("Delete expired OTP codes and tokens, complete stale workouts, drop options of long-deleted routes, "
            "old activity logs and read notifications. --dry-run only counts.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be removed; change nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        report = run_cleanup(dry_run=dry_run)
        for line in report.lines():
            self.stdout.write(line)
        if report.errors:
            raise CommandError(f"{len(report.errors)} cleanup step(s) failed: {', '.join(report.errors)}")
