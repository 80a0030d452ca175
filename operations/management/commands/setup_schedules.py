"""Install the background job schedules (idempotent)."""

from django.core.management.base import BaseCommand

from operations.jobs import install_schedules


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules listed in operations/jobs.py (safe to run repeatedly)."

    def handle(self, *args, **options):
        for name, outcome in install_schedules():
            self.stdout.write(f"schedule {name}: {outcome}")
