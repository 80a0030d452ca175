"""Fault: the database restarts under load. Requests fail cleanly (503 envelope) and recover without a restart.

Starts a private MariaDB (own data folder and port, so other test runs on the machine's server are not hit),
migrates it, starts gunicorn (2 workers, CONN_MAX_AGE=60, CONN_HEALTH_CHECKS on) and sends authenticated
requests from a thread while MariaDB is shut down and started again (a SIGKILL crash too with `--crash`).

Pass criteria (exit 1 otherwise): every response is 200 or a 503 JSON envelope with code
`service_unavailable` (no 500, no HTML, no request hanging past its timeout, no dropped connection); some
requests did fail while the database was down; and requests succeed again after it is back, from the same
gunicorn processes. MariaDB is always started again (and the private one removed) at the end.

Run: `.venv/bin/python bench/faults/db_restart.py` (CI: `.ci/run`, after the test suites).
"""

import argparse
import collections
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.stack import PrivateMariaDB, create_database, gunicorn, manage, mint_users, server_env

REQUEST_TIMEOUT_S = 15  # a request taking longer counts as a hang
RECOVERY_WINDOW_S = 10  # after MariaDB is back, requests must succeed within this


@dataclass
class Outcome:
    at_s: float
    path: str
    status: int | None  # None: no HTTP answer (timeout, connection error)
    code: str | None  # envelope error code
    problem: str | None  # why this outcome breaks the contract


def classify(response: requests.Response) -> tuple[str | None, str | None]:
    if response.status_code == 200:
        return None, None
    try:
        body = response.json()
    except ValueError:
        return None, f"{response.status_code} with a non-JSON body ({response.headers.get('Content-Type')})"
    code = (body.get("error") or {}).get("code") if isinstance(body, dict) else None
    if response.status_code == 503 and body.get("success") is False and code == "service_unavailable":
        return code, None
    return code, f"{response.status_code} {code!r}"


def hammer(base_url: str, token: str, stop: threading.Event, started: float, outcomes: list[Outcome]) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    paths = ["/api/v1/users/me", "/api/v1/workouts", "/api/v1/community/posts"]
    i = 0
    while not stop.is_set():
        path = paths[i % len(paths)]
        i += 1
        at_s = time.monotonic() - started
        try:
            response = session.get(base_url + path, timeout=REQUEST_TIMEOUT_S)
        except requests.RequestException as exc:
            outcomes.append(Outcome(at_s, path, None, None, f"no answer: {exc.__class__.__name__}"))
            continue
        code, problem = classify(response)
        outcomes.append(Outcome(at_s, path, response.status_code, code, problem))
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down-s", type=float, default=4.0, help="seconds MariaDB stays down")
    parser.add_argument("--crash", action="store_true", help="SIGKILL MariaDB instead of a clean shutdown")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="runnerway-fault-"))
    db = PrivateMariaDB()
    outcomes: list[Outcome] = []
    marks: dict[str, float] = {}
    try:
        db.install()
        db.start()
        url = db.url("runnerway_fault")
        create_database(url)
        env = server_env(url, THROTTLE_USER="100000/min")
        manage(env, "migrate", "--noinput")
        token = mint_users(env, 1, "fault.runner")[0]["access"]

        with gunicorn(env, workers=2, log_path=work / "gunicorn.log") as (base_url, process):
            started = time.monotonic()
            stop = threading.Event()
            client = threading.Thread(target=hammer, args=(base_url, token, stop, started, outcomes), daemon=True)
            client.start()
            time.sleep(3)  # warm: every worker holds a persistent connection
            marks["down"] = time.monotonic() - started
            db.stop(crash=args.crash)
            time.sleep(args.down_s)
            marks["up"] = time.monotonic() - started
            db.start()
            marks["ready"] = time.monotonic() - started
            time.sleep(RECOVERY_WINDOW_S)
            stop.set()
            client.join(timeout=REQUEST_TIMEOUT_S + 5)
            gunicorn_alive = process.poll() is None
            pids_note = "same gunicorn master throughout" if gunicorn_alive else "gunicorn died"
    finally:
        if not db.running():
            db.start()  # never leave the database down
        db.destroy()

    return report(outcomes, marks, args, pids_note, gunicorn_alive, work)


def report(outcomes, marks, args, pids_note, gunicorn_alive, work) -> int:
    by_status = collections.Counter(o.status for o in outcomes)
    problems = [o for o in outcomes if o.problem]
    during = [o for o in outcomes if marks["down"] <= o.at_s < marks["ready"]]
    after = [o for o in outcomes if o.at_s >= marks["ready"]]
    first_ok_after = next((o.at_s - marks["ready"] for o in after if o.status == 200), None)
    tail = [o for o in after if o.at_s >= marks["ready"] + RECOVERY_WINDOW_S / 2]

    print(f"DB restart under load ({'SIGKILL' if args.crash else 'clean shutdown'}, down {args.down_s:.0f} s; "
          f"{pids_note}; gunicorn log {work / 'gunicorn.log'})")
    print(f"  requests: {len(outcomes)}  by status: {dict(sorted(by_status.items(), key=str))}")
    print(f"  while down/restarting: {len(during)} requests, "
          f"{sum(o.status == 503 for o in during)} answered 503 service_unavailable")
    print(f"  first 200 after MariaDB accepted connections: "
          f"{'never' if first_ok_after is None else f'{first_ok_after:.2f} s'}")
    for o in problems[:10]:
        print(f"  CONTRACT BROKEN at {o.at_s:.2f} s {o.path}: {o.problem}")

    failures = []
    if problems:
        failures.append(f"{len(problems)} responses outside the contract")
    if not any(o.status == 503 for o in during):
        failures.append("no 503 while the database was down (was the restart exercised?)")
    if not tail or any(o.status != 200 for o in tail):
        failures.append("requests did not all succeed again after the restart")
    if not gunicorn_alive:
        failures.append("gunicorn did not survive")
    print("  RESULT:", "PASS" if not failures else "FAIL — " + "; ".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
