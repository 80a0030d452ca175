"""`make loadtest`: locust (headless, fixed duration) against gunicorn + MariaDB on 127.0.0.1; a markdown report.

1. Database `runnerway_load` on the machine's MariaDB (LOADTEST_DATABASE_URL), migrated and seeded: shapes,
   the Helsinki demo network (`make sample`), demo runners with routes/workouts/posts, and load users.
2. gunicorn (LOADTEST_WORKERS, default 3) with production settings, throttles raised, Redis cache, and the
   bare baseline view on (LOADTEST_BARE_VIEW=true).
3. Mixed load for LOADTEST_DURATION seconds (default 60) with LOADTEST_USERS users (bench/load/locustfile.py),
   then two saturation runs of LOADTEST_COMPARE_DURATION seconds (default 15): the bare JsonResponse view and
   the authenticated `GET /workouts/{id}`, with the same concurrency and no think time.
4. Table (throughput, p50/p95 per endpoint; the detail/bare throughput ratio, target >= 0.5x) printed and
   written to var/loadtest-report.md.
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.stack import ROOT, VENV_BIN, create_database, gunicorn, manage, mint_users, server_env

DURATION_S = int(os.environ.get("LOADTEST_DURATION", "60"))
COMPARE_S = int(os.environ.get("LOADTEST_COMPARE_DURATION", "15"))
USERS = int(os.environ.get("LOADTEST_USERS", "20"))
SATURATE_USERS = int(os.environ.get("LOADTEST_SATURATE_USERS", "10"))
WORKERS = int(os.environ.get("LOADTEST_WORKERS", "3"))
THREADS = int(os.environ.get("LOADTEST_THREADS", "1"))  # > 1: gunicorn gthread workers
DATABASE_URL = os.environ.get("LOADTEST_DATABASE_URL", "mysql://root@127.0.0.1:3306/runnerway_load")
SAMPLE_PBF = ROOT / ".cache/osm/Helsinki.osm.pbf"
REPORT_PATH = ROOT / "var/loadtest-report.md"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


def seed(env: dict[str, str]) -> list[dict]:
    manage(env, "migrate", "--noinput")
    print(manage(env, "bootstrap", "--sample-osm", str(SAMPLE_PBF), "--demo-users", "5").strip())
    return mint_users(env, max(USERS, SATURATE_USERS), "load.runner")


def give_each_a_workout(base_url: str, users: list[dict]) -> None:
    """One completed workout per load user: the target of the saturation detail GETs."""
    started = datetime.now(UTC) - timedelta(hours=1)
    for account in users:
        auth = {"Authorization": f"Bearer {account['access']}"}
        created = requests.post(f"{base_url}/api/v1/workouts", headers=auth, timeout=30, json={
            "type": "running", "start_latitude": 60.1716, "start_longitude": 24.9443,
            "started_at": started.isoformat()})
        created.raise_for_status()
        workout_id = created.json()["data"]["id"]
        points = [{"seq": i, "recorded_at": (started + timedelta(seconds=i)).isoformat(),
                   "latitude": 60.1716 + i * 0.000018, "longitude": 24.9443 + i * 0.000025} for i in range(1, 121)]
        requests.post(f"{base_url}/api/v1/workouts/{workout_id}/points", headers=auth, json={"points": points},
                      timeout=30).raise_for_status()
        requests.post(f"{base_url}/api/v1/workouts/{workout_id}/complete", headers=auth, json={},
                      timeout=30).raise_for_status()
        account["workout_id"] = workout_id


def run_locust(base_url: str, users_file: Path, csv_prefix: Path, *, user_class: str, users: int, seconds: int,
               tags: str | None = None) -> list[dict]:
    command = [str(VENV_BIN / "locust"), "-f", str(LOCUSTFILE), user_class, "--headless", "--host", base_url,
               "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--csv", str(csv_prefix), "--only-summary",
               "--loglevel", "WARNING", "--stop-timeout", "10"]
    if tags:
        command += ["--tags", tags]
    subprocess.run(command, cwd=ROOT, env={**os.environ, "LOADTEST_USERS_FILE": str(users_file)},
                   check=False, stdout=subprocess.DEVNULL)
    with open(f"{csv_prefix}_stats.csv") as stats:
        return [row for row in csv.DictReader(stats) if row["Name"] != "Aggregated"]


def row_line(row: dict) -> str:
    failures = int(row["Failure Count"])
    return (f"| `{row['Name']}` | {int(row['Request Count'])} | {failures} | {float(row['Requests/s']):.1f} | "
            f"{row['50%']} | {row['95%']} |")


def main() -> int:
    if not SAMPLE_PBF.exists():
        print(f"{SAMPLE_PBF} missing: run `make sample`", file=sys.stderr)
        return 1
    var = ROOT / "var" / "loadtest"
    var.mkdir(parents=True, exist_ok=True)
    env = server_env(
        DATABASE_URL,
        ROAD_NETWORK_DIR=str(var / "networks"), MEDIA_ROOT=str(var / "media"),
        REDIS_URL=os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/14"),
        LOADTEST_BARE_VIEW="true",
        THROTTLE_USER="1000000/min", THROTTLE_ROUTE_PLAN="1000000/min", THROTTLE_ANON="1000000/min",
        THROTTLE_ROUTE_PLAN_ADDRESS="1000000/min",  # every locust user plans from 127.0.0.1
    )
    create_database(DATABASE_URL)
    users = seed(env)
    work = Path(tempfile.mkdtemp(prefix="runnerway-load-"))
    users_file = work / "users.json"
    with gunicorn(env, workers=WORKERS, threads=THREADS, log_path=work / "gunicorn.log", timeout_s=60) as (base_url, _):
        give_each_a_workout(base_url, users)
        users_file.write_text(json.dumps(users))
        print(f"mixed load: {USERS} users for {DURATION_S} s against {WORKERS} gunicorn workers ...", flush=True)
        mixed = run_locust(base_url, users_file, work / "mixed", user_class="Runner", users=USERS,
                           seconds=DURATION_S)
        print(f"saturation: {SATURATE_USERS} users, no think time, {COMPARE_S} s each ...", flush=True)
        bare = run_locust(base_url, users_file, work / "bare", user_class="Saturate", users=SATURATE_USERS,
                          seconds=COMPARE_S, tags="bare")
        detail = run_locust(base_url, users_file, work / "detail", user_class="Saturate", users=SATURATE_USERS,
                            seconds=COMPARE_S, tags="detail")

    bare_rps = sum(float(r["Requests/s"]) for r in bare if "bare" in r["Name"])
    detail_rps = sum(float(r["Requests/s"]) for r in detail if "saturate" in r["Name"])
    ratio = detail_rps / bare_rps if bare_rps else 0.0
    total = sum(int(r["Request Count"]) for r in mixed)
    lines = [
        f"Load test {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — gunicorn {WORKERS} "
        f"{'sync workers' if THREADS == 1 else f'gthread workers x {THREADS} threads'} + MariaDB + Redis on "
        f"one {os.cpu_count()}-core machine (locust on the same cores).",
        "",
        f"Mixed load: {USERS} users, think time 0.5-1.5 s, {DURATION_S} s, {total} requests "
        f"({total / DURATION_S:.1f} req/s).",
        "",
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|",
        *[row_line(r) for r in sorted(mixed, key=lambda r: r["Name"])],
        "",
        f"Saturation ({SATURATE_USERS} users, no think time, {COMPARE_S} s each, same server):",
        "",
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|",
        *[row_line(r) for r in bare + detail],
        "",
        f"Authenticated detail GET / bare JsonResponse throughput: **{ratio:.2f}x** (target >= 0.5x).",
    ]
    report = "\n".join(lines) + "\n"
    REPORT_PATH.write_text(report)
    print("\n" + report)
    print(f"(written to {REPORT_PATH.relative_to(ROOT)}; locust CSVs in {work})")
    failures = sum(int(r["Failure Count"]) for r in mixed + bare + detail)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
