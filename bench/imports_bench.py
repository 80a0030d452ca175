"""Imports benchmark: the reproductions of issue 12 items 1 and 5, each in a fresh process, as a table.

Cases (each runs in its own subprocess, so its peak RSS is its own):
  xmlns_bomb     `<gpx` + ` xmlns` x 80 000 (480 KB) posted to the import endpoint
  namespaces     a GPX track declaring 16 000 namespaces: time, and growth of ElementTree's global namespace map
  big_gpx        a valid ~19.5 MB GPX (250 000 points): the request, then the job (when imports are jobs)
  gpx_at_cap     a valid ~8 MB GPX of 100 000 points (IMPORT_MAX_POINTS): the largest import that succeeds
  big_fit        a valid ~1.3 MB FIT (60 000 records): the request, then the job
  duplicate      the 19.5 MB GPX again when a workout with its start time exists: time to the 409

For each: wall time of the request (and of the job), peak RSS above the RSS before the case, the status, and
the longest database transaction the import ran (what blocks other users' writes on SQLite) with their count.
Runs on the configured database in a throwaway test database (`.cache/imports_bench_<case>.sqlite3`).

    .venv/bin/python bench/imports_bench.py            # every case
    .venv/bin/python bench/imports_bench.py big_gpx    # one case, prints one JSON line
"""

import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ["xmlns_bomb", "namespaces", "big_gpx", "gpx_at_cap", "big_fit", "duplicate"]
START = datetime(2026, 5, 1, 6, 30, tzinfo=UTC)
CASE_TIMEOUT_S = 900


def big_gpx(points: int = 250_000) -> bytes:
    """A valid GPX 1.1 track, ~80 bytes a point (19.9 MB for 250 000): 1 Hz fixes drifting east, with times."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="bench" '
             'xmlns="http://www.topografix.com/GPX/1/1">\n<trk><type>running</type><trkseg>\n']
    for index in range(points):
        at = (START + timedelta(seconds=index)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f'<trkpt lat="{37.5 + index * 1e-7:.6f}" lon="{127.0 + index * 2.5e-5:.6f}">'
                     f"<time>{at}</time></trkpt>\n")
    lines.append("</trkseg></trk></gpx>\n")
    return "".join(lines).encode()


def namespaces_gpx(declarations: int = 16_000) -> bytes:
    attributes = " ".join(f'xmlns:n{index}="urn:bench:{index}"' for index in range(declarations))
    points = "".join(f'<trkpt lat="37.5" lon="{127.0 + index * 1e-4:.4f}"><time>'
                     f"{(START + timedelta(seconds=index)).strftime('%Y-%m-%dT%H:%M:%SZ')}</time></trkpt>"
                     for index in range(10))
    return (f'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1" {attributes}>'
            f"<trk><trkseg>{points}</trkseg></trk></gpx>").encode()


def big_fit(records: int = 60_000) -> bytes:
    from workouts.tests.fit_builder import build_fit_activity

    return build_fit_activity([
        {"time": START + timedelta(seconds=index), "lat": 37.5 + index * 1e-7, "lon": 127.0 + index * 2.5e-5,
         "alt": 10.0, "hr": 150, "speed": 2.8}
        for index in range(records)
    ])


def rss_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


class TransactionClock:
    """Times every outermost transaction (a real BEGIN..COMMIT: what holds SQLite's write lock)."""

    def __init__(self):
        self.durations_s: list[float] = []

    def __enter__(self):
        from django.db import connection, transaction

        clock = self
        self._enter, self._exit = transaction.Atomic.__enter__, transaction.Atomic.__exit__
        real_enter, real_exit = self._enter, self._exit

        def enter(atomic):
            atomic._bench_outermost = not connection.in_atomic_block
            atomic._bench_started = time.perf_counter()
            return real_enter(atomic)

        def exit_(atomic, *exc):
            try:
                return real_exit(atomic, *exc)
            finally:
                if getattr(atomic, "_bench_outermost", False):
                    clock.durations_s.append(time.perf_counter() - atomic._bench_started)

        transaction.Atomic.__enter__, transaction.Atomic.__exit__ = enter, exit_
        return self

    def __exit__(self, *exc):
        from django.db import transaction

        transaction.Atomic.__enter__, transaction.Atomic.__exit__ = self._enter, self._exit


def run_case(case: str) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "runnerway.settings_test")
    import logging

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases
    from django_q.conf import Conf

    settings_dict = connection.settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        (ROOT / ".cache").mkdir(exist_ok=True)
        settings_dict["TEST"]["NAME"] = str(ROOT / ".cache" / f"imports_bench_{case}.sqlite3")
    else:
        settings_dict["TEST"]["NAME"] = f"test_{settings_dict['NAME']}_imports_bench"
    setup_test_environment()
    Conf.SYNC = False  # production: the request enqueues, a worker runs the job
    logging.getLogger("django-q").setLevel(logging.WARNING)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        return _measure(case)
    finally:
        teardown_databases(old_config, verbosity=0)


def _measure(case: str) -> dict:
    from xml.etree import ElementTree

    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.tests.factories import UserFactory
    from conftest import client_for
    from workouts import tasks
    from workouts.models import Workout

    user = UserFactory()
    client = client_for(user)
    content, name = {
        "xmlns_bomb": lambda: (b"<gpx" + b" xmlns" * 80_000, "bomb.gpx"),
        "namespaces": lambda: (namespaces_gpx(), "ns.gpx"),
        "big_gpx": lambda: (big_gpx(), "big.gpx"),
        "duplicate": lambda: (big_gpx(), "big.gpx"),
        "gpx_at_cap": lambda: (big_gpx(100_000), "cap.gpx"),
        "big_fit": lambda: (big_fit(), "big.fit"),
    }[case]()
    if case == "duplicate":
        Workout.objects.create(user=user, started_at=START, status=Workout.Status.COMPLETED)
    client.get("/api/v1/workouts")  # warm up imports and the URL resolver
    namespace_map_before = len(ElementTree._namespace_map)
    baseline_kb = rss_kb()
    with TransactionClock() as clock:
        started = time.perf_counter()
        response = client.post("/api/v1/workouts/import", {"file": SimpleUploadedFile(name, content)},
                               format="multipart")
        request_s = time.perf_counter() - started
        body = response.json()
        result = {"case": case, "bytes": len(content), "status": response.status_code,
                  "code": (body.get("error") or {}).get("code") or (body.get("data") or {}).get("status"),
                  "request_s": round(request_s, 3)}
        if response.status_code == 202 and hasattr(tasks, "run_import"):
            started = time.perf_counter()
            tasks.run_import(body["data"]["id"])
            result["job_s"] = round(time.perf_counter() - started, 3)
            job = client.get(f"/api/v1/workouts/imports/{body['data']['id']}").json()["data"]
            result["job_status"] = job["status"]
            result["job_code"] = job.get("error_code")
    result["peak_rss_mb_above_before"] = round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline_kb)
                                              / 1024, 1)
    result["transactions"] = len(clock.durations_s)
    result["longest_transaction_s"] = round(max(clock.durations_s, default=0.0), 3)
    result["namespace_map_growth"] = len(ElementTree._namespace_map) - namespace_map_before
    result["workouts_stored"] = Workout.objects.filter(user=user).count() - (case == "duplicate")
    return result


def main(argv: list[str]) -> int:
    if argv:
        print(json.dumps(run_case(argv[0])))
        return 0
    rows = []
    for case in CASES:
        try:
            completed = subprocess.run([sys.executable, __file__, case], capture_output=True, text=True,
                                       timeout=CASE_TIMEOUT_S, cwd=ROOT)
            rows.append(json.loads(completed.stdout.strip().splitlines()[-1]) if completed.returncode == 0
                        else {"case": case, "error": completed.stderr[-500:]})
        except subprocess.TimeoutExpired:
            rows.append({"case": case, "error": f"killed after {CASE_TIMEOUT_S} s"})
        print(json.dumps(rows[-1]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
