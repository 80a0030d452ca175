"""In-process cost of an authenticated `GET /workouts/{id}` against the bare JsonResponse of `make loadtest`.

Calls the WSGI application in a loop (no HTTP server, no load generator): what one gunicorn worker spends per
request, with production-like settings (DEBUG off, MariaDB with persistent connections, Redis cache, throttles
on but raised). Needs the `runnerway_load` database seeded by `make loadtest` (or any database with a user).

    .venv/bin/python bench/api_overhead.py [--requests 2000] [--rounds 10] [--profile detail|bare] [--queries]

PROFILE_SORT / PROFILE_LINES shape the profile's listing; PROFILE_DUMP=<file> also writes it for pstats.

Prints ms per request for both views and their ratio (the in-process bound of the load test's ratio), and the
time the cyclic garbage collector took per request (objects a request leaves in reference cycles wait for it).
"""

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.stack import server_env

DATABASE_URL = os.environ.get("LOADTEST_DATABASE_URL", "mysql://root@127.0.0.1:3306/runnerway_load")


def _environ(path: str, token: str | None) -> dict:
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_ACCEPT": "*/*", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return environ


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="per view")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--profile", choices=["detail", "bare"])
    parser.add_argument("--queries", action="store_true", help="print the SQL of one detail GET")
    args = parser.parse_args()

    os.environ.update(server_env(DATABASE_URL, REDIS_URL="redis://127.0.0.1:6379/14", LOADTEST_BARE_VIEW="true",
                                 THROTTLE_USER="1000000/min", THROTTLE_ANON="1000000/min"))
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from rest_framework_simplejwt.tokens import AccessToken

    from workouts.models import Workout

    workout = Workout.objects.filter(deleted_at__isnull=True, status="completed",
                                     user__deleted_at__isnull=True).order_by("-created_at").first()
    if workout is None:
        print("no completed workout in the database: run `make loadtest` once", file=sys.stderr)
        return 1
    token = str(AccessToken.for_user(workout.user))
    application = get_wsgi_application()
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    def call(path, auth):
        body = b"".join(application(_environ(path, auth), start_response))
        return body

    targets = {"bare": ("/api/v1/_loadtest/bare", None), "detail": (f"/api/v1/workouts/{workout.pk}", token)}
    for path, auth in targets.values():  # warm up: connections, URL resolver, lazy imports
        for _ in range(50):
            call(path, auth)
    if not all(status.startswith("200") for status in statuses):
        print(f"unexpected statuses: {set(statuses)}", file=sys.stderr)
        return 1

    if args.queries:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            call(*targets["detail"])
        for query in queries.captured_queries:
            print(f"{query['time']} s  {query['sql']}")

    # Alternating blocks, medians: this machine's speed drifts by tens of percent within a minute.
    block = max(args.requests // args.rounds, 1)
    cpu_ms = {name: [] for name in targets}
    gc_s = dict.fromkeys(targets, 0.0)
    collecting = {}

    def time_collections(phase, info):
        if phase == "start":
            collecting["since"] = time.perf_counter()
        elif "since" in collecting:
            gc_s[collecting["view"]] += time.perf_counter() - collecting.pop("since")

    gc.callbacks.append(time_collections)
    for _ in range(args.rounds):
        for name, (path, auth) in targets.items():
            collecting["view"] = name
            started_cpu = time.process_time()
            for _ in range(block):
                call(path, auth)
            cpu_ms[name].append((time.process_time() - started_cpu) * 1000 / block)
    gc.callbacks.remove(time_collections)
    median = {name: statistics.median(values) for name, values in cpu_ms.items()}
    for name, values in cpu_ms.items():
        print(f"{name:>6}: {median[name]:.3f} ms CPU/request, median of {args.rounds} blocks of {block} "
              f"(min {min(values):.3f}, max {max(values):.3f})")
    for name, seconds in gc_s.items():
        print(f"{name:>6}: {seconds * 1e6 / (block * args.rounds):.1f} µs per request in garbage collections")
    print(f"bare/detail CPU ratio (in-process bound of detail/bare throughput): "
          f"{median['bare'] / median['detail']:.2f}x")

    if args.profile:
        path, auth = targets[args.profile]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            call(path, auth)
        profiler.disable()
        if os.environ.get("PROFILE_DUMP"):
            profiler.dump_stats(os.environ["PROFILE_DUMP"])
        stats = pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
        stats.print_stats(int(os.environ.get("PROFILE_LINES", "45")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
