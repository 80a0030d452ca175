"""`manage.py backfill_cues [--dry-run]`: turn cues for options planned before cues existed (idempotent)."""

from django.core.management.base import BaseCommand

from routes.services import route_options_backfill_cues


class Command(BaseCommand):
    help = ("Compute turn cues for route options that have none, from their stored path and the road network "
            "their route was planned on. Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be filled, write nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        counts = route_options_backfill_cues(dry_run=dry_run)
        verb = "would get" if dry_run else "got"
        self.stdout.write(self.style.SUCCESS(
            f"Cues: {counts['filled']} options {verb} cues; {counts['had_cues']} had them; "
            f"{counts['unmatched']} no longer match their network; {counts['no_network']} have no network."))
