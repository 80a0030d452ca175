"""Two django-q2 clusters on one broker: under load every task runs exactly once.

Starts a private MariaDB, migrates it, starts two `manage.py qcluster` processes (2 workers each, the ORM broker
on that database, as on two worker hosts), enqueues tasks in bursts while both are draining the queue, and counts
each task's runs in Redis (bench/faults/counted_task.py). Pass (exit 0): every task ran exactly once, none failed,
and both clusters did part of the work.

Run: `.venv/bin/python bench/faults/two_workers.py [--tasks N]` (CI: `.ci/run`).
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.stack import ROOT, PrivateMariaDB, create_database, manage, server_env, wait_until

REDIS_URL = "redis://127.0.0.1:6379/10"
ENQUEUE_SCRIPT = """
from django_q.tasks import async_task
for task_no in range({start}, {stop}):
    async_task("bench.faults.counted_task.record_run", {redis_url!r}, {run_key!r}, task_no)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=400)
    args = parser.parse_args()
    run_key = f"rw:two-workers:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(REDIS_URL)
    work = Path(tempfile.mkdtemp(prefix="runnerway-q-"))
    db = PrivateMariaDB()
    clusters: list[subprocess.Popen] = []
    failures: list[str] = []
    try:
        db.install()
        db.start()
        url = db.url("runnerway_q")
        create_database(url)
        env = server_env(url, Q_WORKERS="2")
        manage(env, "migrate", "--noinput")
        for n in range(2):
            log = open(work / f"qcluster{n}.log", "wb")  # noqa: SIM115 (closed with the process)
            clusters.append(subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        started = time.monotonic()
        bursts = 4
        per_burst = args.tasks // bursts
        for burst in range(bursts):  # enqueued while both clusters drain the queue
            manage(env, "shell", "-c", ENQUEUE_SCRIPT.format(start=burst * per_burst, stop=(burst + 1) * per_burst,
                                                             redis_url=REDIS_URL, run_key=run_key))
        total = per_burst * bursts
        wait_until(lambda: client.hlen(f"{run_key}:runs") >= total, 300, f"{total} tasks run")
        time.sleep(3)  # a duplicate delivery would show up within the poll interval
        elapsed = time.monotonic() - started
        runs = {int(k): int(v) for k, v in client.hgetall(f"{run_key}:runs").items()}
        by_process = {k.decode(): int(v) for k, v in client.hgetall(f"{run_key}:by_process").items()}
        failed = int(manage(env, "shell", "-c",
                            "from django_q.models import Failure; print(Failure.objects.count())").split()[-1])
        cluster_of = {}
        for n, cluster in enumerate(clusters):
            for pid in _children(cluster.pid):
                cluster_of[str(pid)] = n
        per_cluster = [sum(v for pid, v in by_process.items() if cluster_of.get(pid) == n) for n in range(2)]
        twice = {k: v for k, v in runs.items() if v != 1}
        missing = set(range(total)) - set(runs)
        print(f"two qclusters, one ORM broker on MariaDB: {total} tasks in {elapsed:.1f} s; "
              f"runs per cluster {per_cluster}; worker processes {len(by_process)}; failures {failed}")
        print(f"  tasks run more than once: {len(twice)}; never run: {len(missing)}")
        if twice or missing:
            failures.append(f"{len(twice)} tasks ran more than once, {len(missing)} never")
        if failed:
            failures.append(f"{failed} failed tasks")
        if min(per_cluster) == 0:
            failures.append("one cluster did no work (was it really two?)")
    finally:
        for cluster in clusters:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(cluster.pid, signal.SIGTERM)
        for cluster in clusters:
            try:
                cluster.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(cluster.pid, signal.SIGKILL)
        db.destroy()
        client.delete(f"{run_key}:runs", f"{run_key}:by_process")
    print("RESULT:", "PASS" if not failures else "FAIL — " + "; ".join(failures))
    return 0 if not failures else 1


def _children(pid: int) -> list[int]:
    """All descendants of a process (a qcluster's workers are its grandchildren)."""
    result = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    kids = [int(p) for p in result.stdout.split()]
    return kids + [g for k in kids for g in _children(k)]


if __name__ == "__main__":
    sys.exit(main())
