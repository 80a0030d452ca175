"""The embedded mode (`make run`) is a local server, not a forgeable one: it listens on 127.0.0.1 only, signs with a
random key made per checkout (var/secret_key), shows no debug pages, and stops cleanly on Ctrl-C. The settings
matrix (embedded, production, `.env.example` copied) is checked in fresh interpreters."""

import contextlib
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from django.conf import settings

from runnerway.settings import _checkout_secret_key

BASE_DIR = Path(settings.BASE_DIR)
# The key every checkout shared before the per-checkout key: a token signed with it must be refused.
OLD_BUILT_IN_KEY = "django-insecure-local-development-only"
# Variables of this test process that would leak into the child's configuration.
# MAKEFLAGS & co.: under `make test-mariadb DATABASE_URL=...` the outer make's command-line variables would reach
# the inner `make run` through them.
_CONFIG_VARIABLES = ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "EMBEDDED", "DATABASE_URL", "PORT",
                     "SECURE_SSL_REDIRECT", "REDIS_URL", "EMAIL_URL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL",
                     "MAKEOVERRIDES")


def _clean_env(**extra) -> dict:
    environment = {name: value for name, value in os.environ.items()
                   if name not in _CONFIG_VARIABLES and not name.startswith(("PYTEST", "DJANGO_"))}
    environment.update(extra)
    return environment


def _settings_in_a_fresh_process(cwd: Path, **variables) -> subprocess.CompletedProcess:
    # Settings only, no django.setup(): loading the apps would open the database backend, and a fresh machine
    # has no MariaDB driver (mysqlclient is a production requirement).
    code = ("import json; from django.conf import settings; "
            "print(json.dumps({name: getattr(settings, name) for name in ('DEBUG', 'EMBEDDED', 'SECRET_KEY', "
            "'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
            "'Q_LOG_LEVEL', 'EMAIL_BACKEND', 'WHITENOISE_USE_FINDERS')}))")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env=_clean_env(DJANGO_SETTINGS_MODULE="runnerway.settings", **variables), check=False)


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A fresh copy of this checkout's files (tracked and new, not ignored): no var/, no .env, no .venv."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=BASE_DIR,
                            capture_output=True, check=True).stdout.decode().split("\0")
    clone = tmp_path / "clone"
    for relative in filter(None, listed):
        source = BASE_DIR / relative
        if source.is_file():
            (clone / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / relative)
    return clone


# --- the per-checkout key ---------------------------------------------------------------------------------------------


def test_the_checkout_key_is_made_once_random_and_private(tmp_path):
    path = tmp_path / "var" / "secret_key"
    key = _checkout_secret_key(path)
    assert len(key) >= 64 and key != OLD_BUILT_IN_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _checkout_secret_key(path) == key  # the next process reads the same key
    assert _checkout_secret_key(tmp_path / "other" / "secret_key") != key  # another checkout, another key


def test_processes_starting_together_share_one_key(tmp_path):
    path = tmp_path / "var" / "secret_key"
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]); "
            "import runnerway.settings as s; print(s._checkout_secret_key(Path(sys.argv[1])))")
    starters = [subprocess.Popen([sys.executable, "-c", code, str(path), str(BASE_DIR)], stdout=subprocess.PIPE,
                                 text=True, env=_clean_env(SECRET_KEY="s" * 60, DJANGO_SETTINGS_MODULE="x"))
                for _ in range(6)]
    keys = {starter.communicate(timeout=60)[0].strip() for starter in starters}
    assert keys == {path.read_text().strip()} and len(keys.pop()) >= 64
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no draft left behind


# --- the settings matrix, each in a fresh interpreter -----------------------------------------------------------------


def test_embedded_by_default_on_sqlite_without_debug_and_with_the_checkout_key(checkout):
    result = _settings_in_a_fresh_process(checkout)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False and values["EMBEDDED"] is True
    assert values["SECRET_KEY"] == (checkout / "var" / "secret_key").read_text().strip()
    # Plain HTTP on 127.0.0.1: secure-only cookies would never come back to the admin.
    assert (values["SECURE_SSL_REDIRECT"], values["SESSION_COOKIE_SECURE"], values["SECURE_HSTS_SECONDS"]) == (
        False, False, 0)
    assert values["Q_LOG_LEVEL"] == "WARNING" and values["EMAIL_BACKEND"] == "runnerway.mail.ConsoleEmailBackend"
    assert values["WHITENOISE_USE_FINDERS"] is True


def test_production_without_a_secret_key_refuses_to_start(checkout):
    result = _settings_in_a_fresh_process(checkout, DATABASE_URL="mysql://runnerway@127.0.0.1:3306/runnerway")
    assert result.returncode != 0
    assert "SECRET_KEY must be set outside the embedded mode" in result.stderr
    assert not (checkout / "var" / "secret_key").exists()


def _env_example_values() -> dict[str, str]:
    text = (BASE_DIR / ".env.example").read_text()
    return dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", text, re.M))


def test_env_example_copied_as_it_is_is_safe(checkout):
    copied = _env_example_values()
    assert copied["DEBUG"] == "false"
    # As `.env` of a `make run` checkout: the embedded mode, no debug pages, plain HTTP.
    shutil.copy(BASE_DIR / ".env.example", checkout / ".env")
    values = json.loads(_settings_in_a_fresh_process(checkout).stdout)
    assert (values["DEBUG"], values["EMBEDDED"], values["SECURE_SSL_REDIRECT"]) == (False, True, False)
    # As the environment of a production host that adds only its own variables: every HTTPS switch on.
    (checkout / ".env").unlink()
    production = _settings_in_a_fresh_process(
        checkout, **{**copied, "SECRET_KEY": "p" * 60, "DATABASE_URL": "mysql://rw@127.0.0.1:3306/runnerway"})
    assert production.returncode == 0, production.stderr
    values = json.loads(production.stdout)
    assert (values["DEBUG"], values["EMBEDDED"]) == (False, False)
    assert (values["SECURE_SSL_REDIRECT"], values["SESSION_COOKIE_SECURE"], values["CSRF_COOKIE_SECURE"],
            values["SECURE_HSTS_SECONDS"]) == (True, True, True, 31536000)
    assert values["Q_LOG_LEVEL"] == "INFO"


# --- `make run` for real ----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _request(url: str, *, data: dict | None = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if data is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(data).encode() if data is not None else None,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class _Terminal:
    """A command on a pseudo-terminal, as in a shell: its output is collected; `interrupt` types Ctrl-C."""

    def __init__(self, argv: list[str], *, cwd: Path, env: dict):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: run the command
            os.chdir(cwd)
            os.execvpe(argv[0], argv, env)  # noqa: S606
        self.output = b""
        self.status: int | None = None

    def read_until(self, pattern: bytes, timeout_s: float) -> re.Match | None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output)
            if found:
                return found
            self._pump(0.2)
            if self.status is not None:
                break
        return re.search(pattern, self.output)

    def _pump(self, wait_s: float) -> None:
        readable, _, _ = select.select([self.fd], [], [], wait_s)
        if readable:
            with contextlib.suppress(OSError):  # the terminal closed: the command ended
                self.output += os.read(self.fd, 65536)
        if self.status is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.status = os.waitstatus_to_exitcode(status)

    def interrupt_and_wait(self, timeout_s: float) -> float:
        started = time.monotonic()
        os.write(self.fd, b"\x03")
        while self.status is None and time.monotonic() - started < timeout_s:
            self._pump(0.2)
        for _ in range(10):
            self._pump(0.05)  # what was written last
        return time.monotonic() - started

    def kill(self) -> None:
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port` (from /proc/net/tcp and tcp6)."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                addresses.add(address)
    return addresses


@pytest.mark.slow
def test_make_run_is_local_unforgeable_quiet_and_stops_cleanly(checkout):
    port = _free_port()
    (checkout / ".env").write_text(f"# as an operator would set it\nPORT={port}\n")
    # `make run` as in a fresh clone, minus the install and the demo download (this test's interpreter stands in
    # for .venv; without the demo extract, bootstrap skips the road network and the demo runners).
    terminal = _Terminal(["make", "-o", ".venv/.installed", "-o", ".cache/osm/Helsinki.osm.pbf", "run",
                          f"PY={sys.executable}"], cwd=checkout, env=_clean_env())
    base = f"http://127.0.0.1:{port}"
    try:
        assert terminal.read_until(rb"Quit the server|Starting development server", 180), terminal.output[-3000:]
        deadline = time.monotonic() + 30
        while _request(f"{base}/api/v1/health")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _request(f"{base}/api/v1/health")[0] == 200

        # On the port from .env, and on the loopback address only (7F000001, little-endian in /proc).
        assert _listening_addresses(port) == {"0100007F"}

        # No debug page on a path outside the API, nor on the admin's; the admin's static files are served.
        status, body = _request(f"{base}/no-such-page")
        assert status == 404 and b"URLconf" not in body and b"DEBUG = True" not in body
        status, body = _request(f"{base}/admin/login/")
        assert status == 200 and b"/static/admin/css/base.css" in body
        assert _request(f"{base}/static/admin/css/base.css")[0] == 200

        # A real token works; the same claims signed with the old built-in key are refused.
        status, body = _request(f"{base}/api/v1/auth/signup", data={
            "email": "embedded@example.com", "password": "a-Good-pass-123", "name": "Embedded"})
        assert status == 201, body
        access = json.loads(body)["data"]["access"]
        assert _request(f"{base}/api/v1/users/me", token=access)[0] == 200
        claims = jwt.decode(access, options={"verify_signature": False})
        now = datetime.now(UTC)
        forged = jwt.encode({**claims, "iat": now, "exp": now + timedelta(minutes=10), "jti": "f" * 32},
                            OLD_BUILT_IN_KEY, algorithm="HS256")
        status, body = _request(f"{base}/api/v1/users/me", token=forged)
        assert status == 401 and json.loads(body)["error"]["code"] == "token_invalid"

        # The login code mail, printed by the worker with the code in a box of its own.
        status, body = _request(f"{base}/api/v1/auth/otp/request", data={"email": "embedded@example.com"})
        assert status == 202, body
        printed = terminal.read_until(rb"LOGIN CODE  (\d{6})", 60)
        assert printed, terminal.output[-3000:]
        status, body = _request(f"{base}/api/v1/auth/otp/verify", data={"email": "embedded@example.com",
                                                                          "code": printed.group(1).decode()})
        assert status == 200, body  # the code in the box is the code
        assert b"Content-Transfer-Encoding" not in terminal.output  # not the raw MIME message
        # The worker's own INFO lines (cluster start, each task processed) stay out of the terminal.
        assert b"INFO django-q" not in terminal.output

        # Ctrl-C: both stop, make reports nothing, nothing is left listening.
        elapsed = terminal.interrupt_and_wait(40)
    finally:
        terminal.kill()
    text = terminal.output.decode(errors="replace")
    # make itself always ends by the SIGINT it got (as it should: the shell then knows the user interrupted it),
    # silently once its command exited normally.
    assert terminal.status in (0, -signal.SIGINT), text[-3000:]
    assert elapsed < 30
    assert "Segmentation fault" not in text and "make: ***" not in text and "Traceback" not in text, text[-3000:]
    assert "Stopped." in text
    assert _listening_addresses(port) == set()

    # Operator commands in that checkout work as the README shows them: no DEBUG, no SECRET_KEY exported.
    created = subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput"], cwd=checkout, capture_output=True, text=True,
        timeout=120, check=False, env=_clean_env(DJANGO_SUPERUSER_EMAIL="staff@example.com",
                                                 DJANGO_SUPERUSER_PASSWORD="a-Good-pass-123",
                                                 DJANGO_SUPERUSER_NAME="Staff"))
    assert created.returncode == 0, created.stderr
    key_file = checkout / "var" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() != OLD_BUILT_IN_KEY


# --- the terminal mail ------------------------------------------------------------------------------------------------


def test_the_terminal_mail_shows_the_text_and_boxes_the_code():
    import io

    from django.core.mail import EmailMultiAlternatives

    from runnerway.mail import ConsoleEmailBackend

    message = EmailMultiAlternatives(subject="[RunnerWay] 로그인 코드 · Your login code",
                                     body="코드: 048213\n\nCode: 048213\n", to=["kim@example.com"])
    message.attach_alternative("<p>Code: <b>048213</b></p>", "text/html")
    stream = io.StringIO()
    assert ConsoleEmailBackend(stream=stream).send_messages([message]) == 1
    printed = stream.getvalue()
    assert "║  LOGIN CODE  048213   for kim@example.com  ║" in printed
    assert "│ Subject: [RunnerWay] 로그인 코드 · Your login code" in printed and "│ Code: 048213" in printed
    assert "<b>" not in printed and "Content-Type" not in printed and "\x1b[" not in printed  # no MIME, no ANSI
    assert len(printed.splitlines()) < 15

    stream = io.StringIO()
    ConsoleEmailBackend(stream=stream).send_messages([EmailMultiAlternatives(subject="Hello", body="No code 12345.",
                                                                             to=["kim@example.com"])])
    assert "LOGIN CODE" not in stream.getvalue() and "No code 12345." in stream.getvalue()
