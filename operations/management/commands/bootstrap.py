"""First-run set-up for `make run`: shapes, the demo road network and job schedules (each step idempotent)."""

from datetime import timedelta
from pathlib import Path

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand
from django.utils import timezone

from operations.analytics import analytics_zone, compute_daily_analytics
from operations.demo import DemoSetupError, seed_demo
from routes.models import RoadNetwork
from workouts.models import Workout

# The analytics page charts 30 days.
ANALYTICS_BACKFILL_DAYS = 30


class Command(BaseCommand):
    help = ("Seed shape templates, import the demo road network if none exists, install job schedules and seed "
            "demo runners (every step idempotent).")

    def add_arguments(self, parser):
        parser.add_argument("--sample-osm", type=Path, help="OSM extract to import when no road network exists.")
        parser.add_argument("--demo-users", type=int, default=5, help="Demo runners to seed (0: none).")

    def handle(self, *args, sample_osm: Path | None = None, **options):
        commands = get_commands()
        if "seed_shapes" in commands:
            call_command("seed_shapes")
        if "import_osm" in commands and sample_osm is not None:
            if RoadNetwork.objects.exists():
                self.stdout.write("Road network present: skipping the demo import.")
            elif sample_osm.exists():
                call_command("import_osm", str(sample_osm), name="Helsinki (demo)")
            else:
                self.stderr.write(f"Demo OSM extract not found at {sample_osm}; run `make sample`.")
        if "setup_schedules" in commands:
            call_command("setup_schedules")
        if options["demo_users"]:
            try:
                self.stdout.write(seed_demo(users=options["demo_users"]).line())
            except DemoSetupError as exc:
                self.stderr.write(f"Demo data skipped: {exc}")
        self.fill_analytics()
        self.stdout.write(self.style.SUCCESS("Bootstrap done."))

    def fill_analytics(self) -> None:
        """The analytics of every day since the oldest workout (at most ANALYTICS_BACKFILL_DAYS back), so the
        admin's charts show the seeded runs at once instead of after the next 03:00 run. Idempotent."""
        oldest = Workout.objects.order_by("started_at").values_list("started_at", flat=True).first()
        if oldest is None:
            return
        today = timezone.now().astimezone(analytics_zone()).date()
        day = max(oldest.astimezone(analytics_zone()).date(), today - timedelta(days=ANALYTICS_BACKFILL_DAYS))
        computed = 0
        while day <= today:
            compute_daily_analytics(day=day)
            day += timedelta(days=1)
            computed += 1
        self.stdout.write(f"Analytics computed for {computed} day(s).")
