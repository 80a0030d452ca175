"""Data export benchmark: building the zip for a runner with 500 workouts (1 800 GPS points each, a 30-minute
run at 1 Hz) and 20 routes. Prints the time, the zip's size and how much the build raised the peak RSS.

Runs in a throwaway test database of its own (`.cache/export_bench.sqlite3`, or `test_<name>_export_bench` on
MariaDB). `.venv/bin/python bench/export_bench.py`
"""

import os
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "runnerway.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, setup_test_environment, teardown_databases  # noqa: E402

WORKOUTS = int(os.environ.get("EXPORT_BENCH_WORKOUTS", 500))
POINTS_PER_WORKOUT = 1800
ROUTES = 20


def main() -> int:
    settings_dict = connection.settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        (ROOT / ".cache").mkdir(exist_ok=True)
        settings_dict["TEST"]["NAME"] = str(ROOT / ".cache" / "export_bench.sqlite3")
    else:
        settings_dict["TEST"]["NAME"] = f"test_{settings_dict['NAME']}_export_bench"
    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        return run()
    finally:
        teardown_databases(old_config, verbosity=0)


def run() -> int:
    import tempfile

    from django.conf import settings

    from accounts.tests.factories import UserFactory
    from community.tests.factories import route_with_options
    from data_export import services
    from data_export.models import DataExport
    from routes.tests.factories import START_LAT, START_LON
    from workouts.models import Workout, WorkoutPoint
    from workouts.tests.factories import WorkoutFactory

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="export-bench-")
    user = UserFactory()
    started = time.perf_counter()
    for n in range(WORKOUTS):
        begin = datetime(2025, 1, 1, 6, tzinfo=UTC) + timedelta(days=n)
        workout = WorkoutFactory(completed=True, user=user, started_at=begin)
        WorkoutPoint.objects.bulk_create([
            WorkoutPoint(workout=workout, seq=i, latitude=START_LAT + i * 2.5e-5, longitude=START_LON,
                         accuracy=5.0, altitude=30.0, heart_rate=140 + i % 20,
                         recorded_at=begin + timedelta(seconds=i)) for i in range(POINTS_PER_WORKOUT)],
            batch_size=2000)
    Workout.objects.filter(user=user).update(points_count=POINTS_PER_WORKOUT, last_seq=POINTS_PER_WORKOUT - 1)
    for _ in range(ROUTES):
        route_with_options(user=user, options=3)
    seeded_s = time.perf_counter() - started

    export = DataExport.objects.create(user=user)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    services.export_build(export_id=export.pk)  # its continuations run inline (the test settings' sync queue)
    build_s = time.perf_counter() - started
    peak_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    export.refresh_from_db()
    print(f"data export on {connection.vendor}: {WORKOUTS} workouts x {POINTS_PER_WORKOUT} points, {ROUTES} routes "
          f"(seeded in {seeded_s:.0f} s)")
    print(f"  build {build_s:.1f} s, zip {export.size_bytes / 1e6:.1f} MB, peak RSS growth {peak_growth / 1e6:.0f} MB, "
          f"status {export.status}")
    return 0 if export.status == "ready" else 1


if __name__ == "__main__":
    sys.exit(main())
