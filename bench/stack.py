"""A local production-like stack for fault scripts and the load test: gunicorn + MariaDB on 127.0.0.1.

Used by `bench/faults/db_restart.py` and `bench/load/run.py`. Everything binds to 127.0.0.1 and is stopped
by the caller (context managers). Needs requirements/production.txt (mysqlclient, gunicorn) in the venv.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def wait_until(condition, timeout_s: float, what: str, step_s: float = 0.2) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step_s)
    raise TimeoutError(f"{what} not within {timeout_s:.0f} s")


class PrivateMariaDB:
    """A throwaway `mariadbd` with its own data folder and port, so stopping it disturbs nobody else.

    `stop()` is a clean `mysqladmin shutdown` (or SIGKILL with `crash=True`); `start()` starts it again on the
    same port with the same data — what a restart of the production server looks like to the app.
    """

    def __init__(self, *server_args: str):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="runnerway-mariadb-"))
        self.process: subprocess.Popen | None = None
        self.server_args = server_args  # e.g. replication: --server-id=1 --log-bin

    def install(self) -> None:
        shutil.chown(self.dir, "mysql", "mysql")
        subprocess.run(["mariadb-install-db", "--user=mysql", f"--datadir={self.dir / 'data'}",
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["/usr/sbin/mariadbd", "--no-defaults", "--user=mysql", f"--datadir={self.dir / 'data'}",
             f"--port={self.port}", "--bind-address=127.0.0.1", f"--socket={self.dir / 'mysqld.sock'}",
             f"--pid-file={self.dir / 'mysqld.pid'}", f"--log-error={self.dir / 'error.log'}",
             "--skip-name-resolve", "--innodb-buffer-pool-size=64M", *self.server_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open(self.port), 30, "MariaDB accepting connections")

    def stop(self, *, crash: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if crash:
            self.process.send_signal(signal.SIGKILL)
        else:
            subprocess.run(["mysqladmin", "-h127.0.0.1", f"-P{self.port}", "-uroot", "shutdown"],
                           check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None and port_open(self.port)

    def sql(self, *statements: str) -> list[tuple]:
        """Run statements as root; the rows of the last one."""
        import MySQLdb

        connection = MySQLdb.connect(host="127.0.0.1", port=self.port, user="root", passwd="")
        try:
            cursor = connection.cursor()
            for statement in statements:
                cursor.execute(statement)
            return list(cursor.fetchall())
        finally:
            connection.close()

    def url(self, database: str) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def create_database(url: str, *, drop: bool = False) -> None:
    """CREATE DATABASE (utf8mb4) named by a mysql:// URL; `drop` starts it empty."""
    import environ
    import MySQLdb

    config = environ.Env.db_url_config(url)
    connection = MySQLdb.connect(host=config["HOST"], port=int(config["PORT"] or 3306), user=config["USER"],
                                 passwd=config["PASSWORD"] or "")
    try:
        cursor = connection.cursor()
        if drop:
            cursor.execute(f"DROP DATABASE IF EXISTS `{config['NAME']}`")
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{config['NAME']}` "
                       "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    finally:
        connection.close()


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """Production-like variables (DEBUG off, persistent connections) for manage.py and gunicorn."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "runnerway.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def manage(env: dict[str, str], *args: str) -> str:
    """Run `manage.py <args>`; its stdout."""
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True)
    return result.stdout


def mint_users(env: dict[str, str], count: int, prefix: str) -> list[dict]:
    """Create (or reuse) `count` users `<prefix><i>@example.com`; their ids and access tokens."""
    script = (
        "import json\n"
        "from accounts.models import User\n"
        "from rest_framework_simplejwt.tokens import RefreshToken\n"
        "out = []\n"
        f"for i in range({count}):\n"
        f"    user = User.objects.filter(email=f'{prefix}{{i}}@example.com').first()\n"
        f"    user = user or User.objects.create_user(email=f'{prefix}{{i}}@example.com', password=None)\n"
        "    out.append({'id': str(user.pk), 'access': str(RefreshToken.for_user(user).access_token)})\n"
        "print(json.dumps(out))\n"
    )
    return json.loads(manage(env, "shell", "-c", script).strip().splitlines()[-1])


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, workers: int, log_path: Path, timeout_s: int = 30, threads: int = 1):
    """gunicorn on 127.0.0.1:<free port> with `workers` sync workers (gthread workers of `threads` threads when
    threads > 1); yields the base URL; always stopped."""
    port = free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "runnerway.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--threads", str(threads), "--timeout", str(timeout_s),
             "--graceful-timeout", "5"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(base_url) or process.poll() is not None, 60, "gunicorn answering /health")
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
        yield base_url, process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def _healthy(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/api/v1/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False
