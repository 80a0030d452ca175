"""`make loadtest`: locust (headless, fixed duration) against gunicorn + MariaDB on 127.0.0.1; a markdown report.

1. Database `runnerway_load` on the machine's MariaDB (LOADTEST_DATABASE_URL), migrated and seeded: shapes,
   the Helsinki demo network (`make sample`), demo runners with routes/workouts/posts, and load users.
2. gunicorn (LOADTEST_WORKERS, default 3) with production settings, throttles raised, Redis cache, and the
   bare baseline view on (LOADTEST_BARE_VIEW=true).
3. Mixed load for LOADTEST_DURATION seconds (default 60) with LOADTEST_USERS users (bench/load/locustfile.py),
   then two saturation runs of LOADTEST_COMPARE_DURATION seconds (default 15): the bare JsonResponse view and
   the authenticated `GET /workouts/{id}` (round robin over the load users' own workouts), with the same
   concurrency and no think time — by wrk when installed (LOADTEST_SATURATE_WITH=locust to use locust), with
   the CPU each server process spent per request.
4. Table (throughput, p50/p95 per endpoint; the detail/bare throughput ratio, target >= 0.5x) printed and
   written to var/loadtest-report.md.
"""

import contextlib
import csv
import json
import os
import re
import shutil
import statistics
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
COMPARE_ROUNDS = int(os.environ.get("LOADTEST_COMPARE_ROUNDS", "5"))  # wrk: alternating bare/detail rounds
WORKERS = int(os.environ.get("LOADTEST_WORKERS", "3"))
THREADS = int(os.environ.get("LOADTEST_THREADS", "1"))  # > 1: gunicorn gthread workers
# The saturation comparison needs a load generator that outruns the server: locust (Python, ~1 core for
# ~2 000 req/s) caps the bare view's rate and so flatters the ratio. wrk when installed (make loadtest tries).
USE_WRK = shutil.which("wrk") is not None and os.environ.get("LOADTEST_SATURATE_WITH", "wrk") == "wrk"
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


_WRK_SCRIPT = """
-- Round robin over the load users: each request is one user's GET with their token.
local targets = {%s}
local i = 0
request = function()
  i = i %% #targets + 1
  local headers = nil
  if targets[i][2] ~= "" then headers = {["Authorization"] = targets[i][2]} end
  return wrk.format("GET", targets[i][1], headers)
end
done = function(summary, latency, requests)
  io.write(string.format("PERCENTILES_US %%d %%d\\n", latency:percentile(50), latency:percentile(95)))
end
"""


def _cpu_s(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime, clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def _pids(*names: str) -> dict[str, list[int]]:
    found = {name: [] for name in names}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                for name in names:
                    if name in command:
                        found[name].append(int(entry.name))
    return found


def run_wrk(base_url: str, targets: list[tuple[str, str | None]], *, name: str, seconds: int,
            connections: int, work: Path) -> dict:
    """wrk (C, a fraction of a core) hammering `targets` [(path, token or None)] round robin: the server's
    capacity, not the load generator's. Also the CPU each server process spent per request."""
    entries = ", ".join(f'{{"{path}", "{f"Bearer {token}" if token else ""}"}}' for path, token in targets)
    script = work / f"wrk-{len(list(work.glob('wrk-*.lua')))}.lua"
    script.write_text(_WRK_SCRIPT % entries)
    processes = _pids("gunicorn", "mariadbd", "redis-server")
    before = {process: _cpu_s(pids) for process, pids in processes.items()}
    result = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
                             base_url], capture_output=True, text=True, check=True).stdout
    spent = {process: _cpu_s(pids) - before[process] for process, pids in processes.items()}
    requests_done = int(re.search(r"(\d+) requests in", result).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", result)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", result)
    p50_us, p95_us = map(int, re.search(r"PERCENTILES_US (\d+) (\d+)", result).groups())
    return {
        "Name": name, "Request Count": requests_done,
        "Failure Count": (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, errors.groups())) if errors else 0),
        "Requests/s": float(re.search(r"Requests/sec:\s+([\d.]+)", result).group(1)),
        "50%": f"{p50_us / 1000:.1f}", "95%": f"{p95_us / 1000:.1f}",
        "cpu_ms": {process: 1000 * spent[process] / max(requests_done, 1) for process in spent},
    }


def compare_with_wrk(base_url: str, users: list[dict], work: Path) -> tuple[list[dict], list[dict]]:
    """Bare view and detail GET in alternating rounds after a warm-up of each: this machine's throughput swings
    by ~30 % between runs (other work on its 2 cores), so one round each would compare two different moments."""
    bare_target = [("/api/v1/_loadtest/bare", None)]
    detail_targets = [(f"/api/v1/workouts/{u['workout_id']}", u["access"]) for u in users]
    for targets in (bare_target, detail_targets):
        run_wrk(base_url, targets, name="warm-up", seconds=2, connections=SATURATE_USERS, work=work)
    bare, detail = [], []
    for round_number in range(1, COMPARE_ROUNDS + 1):
        bare.append(run_wrk(base_url, bare_target, name=f"GET /_loadtest/bare (JsonResponse), round {round_number}",
                            seconds=COMPARE_S, connections=SATURATE_USERS, work=work))
        detail.append(run_wrk(base_url, detail_targets, name=f"GET /workouts/{{id}} (saturate), round {round_number}",
                              seconds=COMPARE_S, connections=SATURATE_USERS, work=work))
    return bare, detail


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
        saturating = users[:SATURATE_USERS]
        if USE_WRK:
            print(f"saturation (wrk): {SATURATE_USERS} connections, {COMPARE_ROUNDS} rounds of {COMPARE_S} s ...",
                  flush=True)
            bare, detail = compare_with_wrk(base_url, saturating, work)
        else:
            print(f"saturation (locust): {SATURATE_USERS} users, no think time, {COMPARE_S} s each ...", flush=True)
            bare = run_locust(base_url, users_file, work / "bare", user_class="Saturate", users=SATURATE_USERS,
                              seconds=COMPARE_S, tags="bare")
            detail = run_locust(base_url, users_file, work / "detail", user_class="Saturate",
                                users=SATURATE_USERS, seconds=COMPARE_S, tags="detail")

    # locust: one row per endpoint; wrk: one row per round. The medians, and each round's ratio.
    bare_rows = [r for r in bare if "bare" in r["Name"]]
    detail_rows = [r for r in detail if "saturate" in r["Name"]]
    bare_rps = statistics.median(float(r["Requests/s"]) for r in bare_rows)
    detail_rps = statistics.median(float(r["Requests/s"]) for r in detail_rows)
    ratio = detail_rps / bare_rps if bare_rps else 0.0
    round_ratios = [float(d["Requests/s"]) / float(b["Requests/s"]) for b, d in zip(bare_rows, detail_rows,
                                                                                  strict=True)]
    total = sum(int(r["Request Count"]) for r in mixed)
    lines = [
        f"Load test {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — gunicorn {WORKERS} "
        f"{'sync workers' if THREADS == 1 else f'gthread workers x {THREADS} threads'} + MariaDB + Redis on "
        f"one {os.cpu_count()}-core machine (the load generators on the same cores).",
        "",
        f"Mixed load: {USERS} users, think time 0.5-1.5 s, {DURATION_S} s, {total} requests "
        f"({total / DURATION_S:.1f} req/s).",
        "",
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|",
        *[row_line(r) for r in sorted(mixed, key=lambda r: r["Name"])],
        "",
        f"Saturation ({f'wrk, {COMPARE_ROUNDS} alternating rounds' if USE_WRK else 'locust'}, {SATURATE_USERS} "
        f"concurrent users, no think time, {COMPARE_S} s each, same server):",
        "",
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|",
        *[row_line(r) for r in bare + detail],
        "",
        *(["CPU per request (ms): " + "; ".join(
            f"{r['Name']}: " + ", ".join(f"{process} {ms:.3f}" for process, ms in r["cpu_ms"].items())
            for r in bare + detail), ""] if USE_WRK else []),
        f"Authenticated detail GET / bare JsonResponse throughput: **{ratio:.2f}x** (medians {detail_rps:.0f} / "
        f"{bare_rps:.0f} req/s; per round: {', '.join(f'{r:.2f}' for r in round_ratios)}; target >= 0.5x).",
    ]
    report = "\n".join(lines) + "\n"
    REPORT_PATH.write_text(report)
    print("\n" + report)
    print(f"(written to {REPORT_PATH.relative_to(ROOT)}; locust CSVs in {work})")
    failures = sum(int(r["Failure Count"]) for r in mixed + bare + detail)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
