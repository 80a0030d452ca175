"""Workouts benchmark: GPS batch ingestion with live totals, completion of a 10 000-point workout, and the
number of queries each workouts endpoint runs. Prints a table.

Runs on the configured database (`DATABASE_URL`; SQLite by default) in a throwaway test database of its own
(`.cache/workouts_bench.sqlite3`, or `test_<name>_workouts_bench` on MariaDB), through the full HTTP stack
(DRF test client with a real JWT: authentication, validation, service, envelope). Targets (DESIGN.md): a
500-point batch stored with live totals ≤ 150 ms p50; completion of 10 000 points ≤ 300 ms.

    .venv/bin/python bench/workouts_bench.py
    DATABASE_URL=mysql://root@127.0.0.1:3306/runnerway .venv/bin/python bench/workouts_bench.py
"""

import logging
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "runnerway.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
)

BATCH_SIZE = 500
BATCHES = 20  # 10 000 points: a ~2 h 45 min run at 1 Hz
COMPLETION_POINTS = 10_000
COMPLETION_RUNS = 5


class QueryCounter:
    """Counts queries through `connection.execute_wrapper` (CaptureQueriesContext would time the debug
    cursor too: on SQLite it re-quotes every parameter of a 500-row INSERT with extra queries)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)

    def __len__(self):
        return self.count


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    from datetime import datetime

    settings_dict = connection.settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        (ROOT / ".cache").mkdir(exist_ok=True)
        settings_dict["TEST"]["NAME"] = str(ROOT / ".cache" / "workouts_bench.sqlite3")
    else:
        settings_dict["TEST"]["NAME"] = f"test_{settings_dict['NAME']}_workouts_bench"
    setup_test_environment()  # the test client's host, locmem email
    # Production enqueues the other apps' follow-up jobs (goals after a completion) instead of running them in
    # the request as the test settings do: measure that.
    from django_q.conf import Conf

    Conf.SYNC = False
    logging.getLogger("django-q").setLevel(logging.WARNING)
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        return run(datetime)
    finally:
        teardown_databases(old_config, verbosity=0)


def run(datetime) -> int:
    from accounts.tests.factories import UserFactory
    from conftest import client_for
    from workouts.models import Workout, WorkoutPoint
    from workouts.serializers import WorkoutPointsBatchSerializer
    from workouts.services import point_rejection_reason  # noqa: F401 - imported for warm-up
    from workouts.tests.factories import START, loop_points

    vendor = connection.vendor
    user = UserFactory()
    client = client_for(user)
    rows: list[tuple[str, str, str]] = []

    # --- ingestion: 20 batches of 500 through the API, each answering live totals over all stored points --
    workout = client.post("/api/v1/workouts", {"type": "running", "start_latitude": 37.5444,
                                               "start_longitude": 127.0374,
                                               "started_at": START.isoformat()}, format="json").json()["data"]
    url = f"/api/v1/workouts/{workout['id']}"
    points = loop_points(count=BATCH_SIZE * BATCHES, radius_m=400.0)
    warmup = Workout.objects.create(user=user, started_at=START)
    client.post(f"/api/v1/workouts/{warmup.pk}/points", {"points": points[:BATCH_SIZE]}, format="json")
    batch_ms: list[float] = []
    batch_cpu_ms: list[float] = []
    batch_queries = 0
    for index in range(BATCHES):
        batch = points[index * BATCH_SIZE:(index + 1) * BATCH_SIZE]
        with QueryCounter() as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.post(f"{url}/points", {"points": batch}, format="json")
            batch_ms.append((time.perf_counter() - started) * 1000)
            batch_cpu_ms.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, response.content
        batch_queries = len(queries)
    validation_ms = []
    for index in range(BATCHES):
        started = time.perf_counter()
        WorkoutPointsBatchSerializer(data={"points": points[index * BATCH_SIZE:(index + 1) * BATCH_SIZE]}).is_valid(
            raise_exception=True)
        validation_ms.append((time.perf_counter() - started) * 1000)
    retry_started = time.perf_counter()
    retry = client.post(f"{url}/points", {"points": points[:BATCH_SIZE]}, format="json").json()["data"]
    retry_ms = (time.perf_counter() - retry_started) * 1000
    assert retry["duplicates"] == BATCH_SIZE
    rows.append(("POST points, 500-point batch + live totals, p50 (20 batches → 10 000 points)",
                 f"{statistics.median(batch_ms):.1f} ms", "≤ 150 ms"))
    rows.append(("  p95 / first batch / last batch (totals over 10 000 stored points)",
                 f"{percentile(batch_ms, 0.95):.1f} / {batch_ms[0]:.1f} / {batch_ms[-1]:.1f} ms", ""))
    rows.append(("  CPU time of this process (Django + engine; SQLite's work too), p50",
                 f"{statistics.median(batch_cpu_ms):.1f} ms", ""))
    rows.append(("  of which validating the 500 points (DRF serializer), p50",
                 f"{statistics.median(validation_ms):.1f} ms", ""))
    rows.append(("  a retried batch (500 duplicates)", f"{retry_ms:.1f} ms", ""))

    # --- completion of a 10 000-point workout ------------------------------------------------------------------
    completion_ms: list[float] = []
    completion_queries = 0
    track = loop_points(count=COMPLETION_POINTS, radius_m=400.0)
    for run_index in range(COMPLETION_RUNS + 1):
        start = START + timedelta(days=run_index + 1)
        target = Workout.objects.create(user=user, started_at=start, points_count=COMPLETION_POINTS)
        WorkoutPoint.objects.bulk_create([
            WorkoutPoint(workout=target, seq=p["seq"], latitude=p["latitude"], longitude=p["longitude"],
                         altitude=p["altitude"], accuracy=p["accuracy"], speed=p["speed"],
                         heart_rate=p["heart_rate"],
                         recorded_at=start + (datetime.fromisoformat(p["recorded_at"]) - START))
            for p in track
        ], batch_size=1000)
        with QueryCounter() as queries:
            started = time.perf_counter()
            response = client.post(f"/api/v1/workouts/{target.pk}/complete",
                                   {"completed_at": (start + timedelta(seconds=COMPLETION_POINTS)).isoformat()},
                                   format="json")
            elapsed_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content
        if run_index:  # the first run warms caches and imports
            completion_ms.append(elapsed_ms)
            completion_queries = len(queries)
    data = response.json()["data"]
    rows.append(("POST complete, 10 000 points (metrics, splits, records), p50",
                 f"{statistics.median(completion_ms):.1f} ms", "≤ 300 ms"))
    rows.append(("  (that workout: distance / moving time / splits)",
                 f"{data['distance']} km / {data['duration']} s / {len(data['splits'])}", ""))

    # --- queries per request -------------------------------------------------------------------------------
    def queries_of(method: str, path: str, body=None) -> int:
        with QueryCounter() as queries:
            response = getattr(client, method)(path, body or {}, format="json")
        assert response.status_code < 400, (path, response.content)
        return len(queries)

    counts = [
        ("POST /workouts/{id}/points (500)", batch_queries),
        ("POST /workouts/{id}/complete", completion_queries),
        ("GET /workouts (page of 20)", queries_of("get", "/api/v1/workouts")),
        ("GET /workouts/{id}", queries_of("get", url)),
        ("GET /workouts/{id}/track", queries_of("get", f"{url}/track")),
        ("GET /workouts/{id}/gpx", queries_of("get", f"{url}/gpx")),
        ("GET /users/me/stats?period=all", queries_of("get", "/api/v1/users/me/stats")),
        ("GET /users/me/stats?period=month", queries_of("get", "/api/v1/users/me/stats?period=month")),
    ]
    for name, count in counts:
        rows.append((f"queries: {name}", str(count), ""))

    width = max(len(name) for name, _, _ in rows)
    load_1m = os.getloadavg()[0]
    print(f"workouts bench on {vendor} ({connection.settings_dict['NAME']}), load average {load_1m:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"{'measure'.ljust(width)}  {'value':>30}  target")
    for name, value, target in rows:
        print(f"{name.ljust(width)}  {value:>30}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
