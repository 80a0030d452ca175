"""`make run`'s server: the API (runserver on 127.0.0.1:PORT) and the job worker (qcluster) side by side.

The children run in sessions of their own, so a Ctrl-C in the terminal reaches this command only: it then sends
SIGTERM to runserver (which ends at once, without a KeyboardInterrupt traceback) and to the worker (which finishes
the task at hand), waits for both and exits 0, instead of every process getting the signal at once and racing to
print its shutdown.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

LOOPBACK = "127.0.0.1"
# Seconds the children get to stop before they are killed: the worker finishes a task in hand (an SMTP send
# times out after EMAIL_TIMEOUT) and saves it.
STOP_GRACE_S = 15.0


class Command(BaseCommand):
    help = ("The embedded mode (`make run`): the API on http://127.0.0.1:PORT and the django-q2 job worker "
            "together; Ctrl-C stops both.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=None, help="Default: PORT (environment or .env), 8000.")
        parser.add_argument("--no-worker", action="store_true", help="The API only (no qcluster).")

    def handle(self, *args, port: int | None = None, no_worker: bool = False, **options):
        if not settings.EMBEDDED:
            raise CommandError("serve_embedded is the embedded mode (EMBEDDED=true, SQLite). In production run "
                               "gunicorn and `manage.py qcluster` (README, \"Production deployment\").")
        port = port or settings.PORT
        if not 0 < port < 65536:
            raise CommandError(f"PORT {port} is not a TCP port.")
        manage_py = str(Path(settings.BASE_DIR) / "manage.py")
        child_env = {**os.environ, "EMBEDDED": "true", "PYTHONUNBUFFERED": "1"}
        stop_requested = []
        signal.signal(signal.SIGINT, lambda *_: stop_requested.append(signal.SIGINT))
        signal.signal(signal.SIGTERM, lambda *_: stop_requested.append(signal.SIGTERM))

        base = f"http://{LOOPBACK}:{port}"
        self.stdout.write(self.style.SUCCESS(f"RunnerWay (embedded mode) on {base} — this machine only."))
        self.stdout.write(f"  API {base}/api/v1/health · docs {base}/api/docs · admin {base}/admin/\n"
                          "  Login codes and other mail are printed below by the job worker. Ctrl-C stops.")
        children: list[tuple[str, subprocess.Popen, signal.Signals]] = []
        if not no_worker:
            children.append(("job worker", self._start([manage_py, "qcluster"], child_env), signal.SIGTERM))
        # --noreload: one process (the reloader would fork a second one, outside this command's control).
        children.append(("API", self._start([manage_py, "runserver", f"{LOOPBACK}:{port}", "--noreload"],
                                            child_env), signal.SIGTERM))

        exited = None
        while not stop_requested and exited is None:
            exited = next(((name, child.returncode) for name, child, _ in children if child.poll() is not None), None)
            time.sleep(0.2)
        if exited is not None:
            self.stderr.write(f"The {exited[0]} stopped (exit status {exited[1]}): stopping the rest.")
        else:
            self.stdout.write("\nStopping the API and the job worker…")
        self._stop(children)
        if exited is not None and exited[1] != 0:
            raise SystemExit(1)
        self.stdout.write("Stopped.")

    def _start(self, argv: list[str], child_env: dict) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, *argv], env=child_env, start_new_session=True)  # noqa: S603

    def _stop(self, children) -> None:
        # The signal goes to each child's main process, which stops its own workers (qcluster waits for them).
        for _name, child, stop_signal in children:
            if child.poll() is None:
                child.send_signal(stop_signal)
        deadline = time.monotonic() + STOP_GRACE_S
        for name, child, _ in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"The {name} did not stop within {STOP_GRACE_S:.0f} s: killed.")
            # Whatever is left of its session (a worker process orphaned by a crash) goes too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
