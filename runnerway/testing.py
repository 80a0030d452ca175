"""Test helpers shared by apps: a real `qcluster` process on the test database."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection


def test_database_url() -> str:
    """DATABASE_URL of the database the running test uses (the test database, not the configured one)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if connection.vendor == "mysql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        return f"mysql://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}"
    raise AssertionError(f"no DATABASE_URL recipe for {connection.vendor}")


@contextlib.contextmanager
def running_qcluster(log_path: Path, **extra_env: str):
    """Start `manage.py qcluster` (settings `runnerway.settings_e2e`) on the test database; always stopped.

    The caller must use a transactional test (`django_db(transaction=True)`) so the cluster sees its rows,
    and switch its own process to enqueue for real (`django_q.conf.Conf.SYNC = False`).
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "runnerway.settings_e2e",
        "DATABASE_URL": test_database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    with open(log_path, "wb") as log:
        # Its own session: the cluster forks workers, and the whole group is stopped at the end.
        process = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR, env=env,  # noqa: S603
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        for sig, grace_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=grace_s)
                break
            except subprocess.TimeoutExpired:
                continue
