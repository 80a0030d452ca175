"""First-run set-up for `make run`: shapes, the demo road network and job schedules (each step idempotent)."""

from pathlib import Path

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand


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
            from routes.models import RoadNetwork

            if RoadNetwork.objects.exists():
                self.stdout.write("Road network present: skipping the demo import.")
            elif sample_osm.exists():
                call_command("import_osm", str(sample_osm), name="Helsinki (demo)")
            else:
                self.stderr.write(f"Demo OSM extract not found at {sample_osm}; run `make sample`.")
        if "setup_schedules" in commands:
            call_command("setup_schedules")
        if options["demo_users"]:
            from runnerway.demo import DemoSetupError, seed_demo

            try:
                self.stdout.write(seed_demo(users=options["demo_users"]).line())
            except DemoSetupError as exc:
                self.stderr.write(f"Demo data skipped: {exc}")
        self.stdout.write(self.style.SUCCESS("Bootstrap done."))
