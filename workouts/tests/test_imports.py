"""Imports as jobs (issue 12 items 1 and 5): the hardened GPX parser, bounded FIT, the request that only
scans the head, the job (idempotent, chunked, budgeted), the import's status, throttling."""

import threading
import time
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.db import connection, transaction
from rest_framework.throttling import SimpleRateThrottle

from community.models import Post
from workouts import imports, services, tasks
from workouts.models import UserStats, Workout, WorkoutImport, WorkoutPoint
from workouts.tests.factories import START, WorkoutFactory, loop_points
from workouts.tests.fit_builder import build_fit_activity
from workouts.tests.import_files import gpx_of, raw_gpx, upload

GPX_NS = 'xmlns="http://www.topografix.com/GPX/1/1"'


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "imports"
    return settings.IMPORT_UPLOAD_DIR


@pytest.fixture
def queued_for_real(monkeypatch):
    """The request enqueues (as in production) instead of running the job in-process."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)


def stored_files(upload_dir) -> list:
    return sorted(upload_dir.iterdir()) if upload_dir.exists() else []


def budget(seconds: float = 30.0) -> imports.ImportBudget:
    return imports.ImportBudget(seconds=seconds)


# --- the hardened GPX parser ------------------------------------------------------------------------------


def test_the_xmlns_bomb_is_refused_at_once(auth_client, user, upload_dir):
    """480 KB of ` xmlns` without `="…"`: gpxpy's regex took 55.9 s over it (quadratic); expat stops at the
    first bare `xmlns`, and the request answers 400 without storing anything."""
    bomb = b"<gpx" + b" xmlns" * 80_000
    auth_client.get("/api/v1/workouts")  # warm up: the first request of a process imports half of Django
    started = time.perf_counter()
    response = upload(auth_client, bomb, "bomb.gpx")
    elapsed_s = time.perf_counter() - started
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file"
    assert elapsed_s < 0.5
    assert not WorkoutImport.objects.exists() and not stored_files(upload_dir)
    started = time.perf_counter()
    with pytest.raises(imports.UnsupportedFile):
        imports.parse_activity_file(content=bomb, max_points=100, budget=budget())
    assert time.perf_counter() - started < 0.1


def test_bare_xmlns_in_text_is_read_in_linear_time():
    """The same 480 KB inside a description (well-formed XML, so no syntax check stops it) is plain text to
    the parser: read in well under a second, where gpxpy's regex over the raw text would grind."""
    metadata = "<metadata><desc>" + " xmlns" * 80_000 + "</desc></metadata>"
    content = raw_gpx(50, metadata=metadata)
    started = time.perf_counter()
    activity = imports.parse_activity_file(content=content, max_points=100, budget=budget())
    assert time.perf_counter() - started < 0.5
    assert len(activity.points) == 50 and activity.started_at == START


def test_16000_namespace_declarations_are_refused_and_grow_no_global_map(auth_client):
    """gpxpy called ElementTree.register_namespace for each declaration (a process-global map that only grows;
    16 000 cost 59 s on main). The parser refuses a tag longer than GPX_MAX_TOKEN_BYTES and counts
    declarations, stopping past GPX_MAX_NAMESPACES; it registers nothing anywhere."""
    declarations = "".join(f' xmlns:n{index}="urn:test:{index}"' for index in range(16_000))
    content = raw_gpx(10, header=declarations)
    namespaces_before = dict(ElementTree._namespace_map)
    started = time.perf_counter()
    response = upload(auth_client, content, "namespaces.gpx")
    assert time.perf_counter() - started < 0.5
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file"
    assert "longer than 128 kB" in response.json()["error"]["message"]  # one 470 KB tag
    assert ElementTree._namespace_map == namespaces_before
    assert not WorkoutImport.objects.exists()
    # fewer, in a tag of ordinary length: the declaration count stops them
    declarations = "".join(f' xmlns:n{index}="urn:test:{index}"' for index in range(imports.GPX_MAX_NAMESPACES))
    response = upload(auth_client, raw_gpx(10, header=declarations), "namespaces.gpx")
    assert response.status_code == 400
    assert "namespaces" in response.json()["error"]["message"]
    assert ElementTree._namespace_map == namespaces_before


def test_a_file_with_namespaces_under_the_limit_imports_without_touching_the_global_map(auth_client):
    declarations = "".join(f' xmlns:n{index}="urn:test:{index}"' for index in range(imports.GPX_MAX_NAMESPACES - 1))
    namespaces_before = dict(ElementTree._namespace_map)
    response = upload(auth_client, raw_gpx(30, header=declarations))
    assert response.json()["data"]["status"] == "succeeded"
    assert ElementTree._namespace_map == namespaces_before


@pytest.mark.parametrize(("content", "message"), [
    # billion laughs: entities expanding into entities
    (b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
     b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><gpx ' + GPX_NS.encode() + b"><desc>&c;</desc></gpx>", "DTD"),
    # an external entity (would read a local file)
    (b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]><gpx>&x;</gpx>', "DTD"),
    (b"<gpx " + GPX_NS.encode() + b">" + b"<extensions>" * 40 + b"</extensions>" * 40 + b"</gpx>", "deeper"),
    (b"<gpx " + GPX_NS.encode() + b" " + b" ".join(b'a%d="1"' % i for i in range(40)) + b"/>", "attributes"),
    (b"<gpx " + GPX_NS.encode() + b"><trk><trkseg><trkpt lat='37.5' lon='127'><time>" + b"2" * 5000
     + b"</time></trkpt></trkseg></trk></gpx>", "too long"),
])
def test_hostile_gpx_is_refused_in_the_request(auth_client, user, upload_dir, content, message):
    response = upload(auth_client, content, "hostile.gpx")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file"
    assert message in response.json()["error"]["message"]
    assert not WorkoutImport.objects.exists() and not stored_files(upload_dir)


def test_gpx_1_0_extensions_and_out_of_order_points_are_read():
    content = (
        b'<gpx version="1.0" xmlns="http://www.topografix.com/GPX/1/0" xmlns:g="urn:hr">'
        b'<trk><type>hiking</type><trkseg>'
        b'<trkpt lat="37.50010" lon="127.0"><ele>12.5</ele><time>2026-05-01T15:30:10+09:00</time>'
        b'<extensions><g:TrackPointExtension><g:hr>141</g:hr></g:TrackPointExtension></extensions></trkpt>'
        b'<trkpt lat="37.5" lon="127.0"><time>2026-05-01T06:30:00Z</time></trkpt>'
        b'<trkpt lat="37.6" lon="127.1"></trkpt>'  # untimed: a planned route point
        b"</trkseg></trk></gpx>"
    )
    activity = imports.parse_activity_file(content=content, max_points=10, budget=budget())
    assert activity.activity_type == Workout.Type.WALKING
    assert [p.recorded_at for p in activity.points] == [START, START + timedelta(seconds=10)]
    assert (activity.points[1].altitude, activity.points[1].heart_rate) == (12.5, 141)
    assert activity.points[0].heart_rate is None


def test_the_point_cap_and_the_budget_stop_the_parsers():
    with pytest.raises(imports.TooManyPoints):
        imports.parse_activity_file(content=raw_gpx(101), max_points=100, budget=budget())
    assert len(imports.parse_activity_file(content=raw_gpx(100), max_points=100, budget=budget()).points) == 100
    fit = build_fit_activity([{"time": START + timedelta(seconds=i), "lat": 37.5, "lon": 127.0 + i * 1e-5,
                               "alt": 10.0, "hr": 120, "speed": 2.5} for i in range(50)])
    with pytest.raises(imports.TooManyPoints):
        imports.parse_activity_file(content=fit, max_points=49, budget=budget())
    with pytest.raises(imports.ImportTooSlow):
        imports.parse_activity_file(content=raw_gpx(5000), max_points=10_000, budget=budget(0.0))
    with pytest.raises(imports.ImportTooSlow):
        imports.parse_activity_file(content=fit, max_points=100, budget=budget(-1.0))


# --- the request: a cheap scan, 202, and the job --------------------------------------------------------------


def test_a_20_mb_gpx_does_not_run_in_the_request(auth_client, user, upload_dir, queued_for_real, settings,
                                                django_capture_on_commit_callbacks):
    """19.5 MB, 250 000 fixes took 198 s inside the request (one 181 s transaction). Now the request reads the
    first 256 KB, stores the file and answers 202 `queued`; the job refuses it past IMPORT_MAX_POINTS."""
    from django_q.models import OrmQ

    content = raw_gpx(250_000)
    assert 19 * 1024 * 1024 < len(content) <= imports.MAX_IMPORT_BYTES
    started = time.perf_counter()
    response = upload(auth_client, content, "big.gpx")
    elapsed_s = time.perf_counter() - started
    assert response.status_code == 202, response.json()
    data = response.json()["data"]
    assert (data["status"], data["source"], data["file_size"]) == ("queued", "gpx", len(content))
    assert data["first_fix_at"] == "2026-05-01T06:30:00Z" and data["workout_id"] is None
    assert elapsed_s < 2.0, elapsed_s
    assert OrmQ.objects.count() == 1 and not WorkoutPoint.objects.exists()
    (stored,) = stored_files(upload_dir)
    assert stored.read_bytes() == content  # nothing the user sent is lost while it waits

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.run_import(data["id"]) == "failed"
    failed = auth_client.get(f"/api/v1/workouts/imports/{data['id']}").json()["data"]
    assert (failed["status"], failed["error_code"]) == ("failed", "too_many_points")
    assert str(settings.IMPORT_MAX_POINTS) in failed["error_message"]
    assert not stored_files(upload_dir)  # deleted once the job finished
    assert not Workout.objects.filter(user=user).exists() and not WorkoutPoint.objects.exists()


def test_a_queued_import_succeeds_when_its_job_runs(auth_client, user, upload_dir, queued_for_real,
                                                    django_capture_on_commit_callbacks):
    content = gpx_of(loop_points(count=1201))
    data = upload(auth_client, content).json()["data"]
    assert data["status"] == "queued"
    assert auth_client.get("/api/v1/workouts").json()["data"]["results"] == []
    assert stored_files(upload_dir)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.run_import(data["id"]) == "succeeded"
    done = auth_client.get(f"/api/v1/workouts/imports/{data['id']}").json()["data"]
    assert done["status"] == "succeeded" and done["error_code"] is None and done["finished_at"]
    workout = auth_client.get(f"/api/v1/workouts/{done['workout_id']}").json()["data"]
    assert (workout["status"], workout["source"], workout["duration"]) == ("completed", "gpx", 1200)
    assert [w["id"] for w in auth_client.get("/api/v1/workouts").json()["data"]["results"]] == [done["workout_id"]]
    assert not stored_files(upload_dir)
    assert UserStats.objects.get(user=user).total_workouts == 1


def test_a_duplicate_answers_409_without_a_full_parse(auth_client, user, upload_dir, monkeypatch):
    """The duplicate of a 19.5 MB file took 34 s and 383 MB to its 409; now the head's first fix decides."""
    WorkoutFactory(user=user, started_at=START)

    def must_not_parse(**kwargs):
        raise AssertionError("a duplicate must be refused before the file is parsed")

    monkeypatch.setattr(imports, "parse_activity_file", must_not_parse)
    content = raw_gpx(250_000)
    started = time.perf_counter()
    response = upload(auth_client, content, "again.gpx")
    assert time.perf_counter() - started < 2.0
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert not WorkoutImport.objects.exists() and not stored_files(upload_dir)
    assert Workout.objects.filter(user=user).count() == 1


def test_a_file_uploaded_twice_while_its_import_is_pending_is_a_conflict(auth_client, user, queued_for_real):
    content = gpx_of(loop_points(count=60))
    first = upload(auth_client, content)
    assert first.status_code == 202
    second = upload(auth_client, content, "again.gpx")
    assert second.status_code == 409
    assert WorkoutImport.objects.filter(user=user).count() == 1
    assert tasks.run_import(first.json()["data"]["id"]) == "succeeded"
    assert upload(auth_client, content, "third.gpx").status_code == 409  # now the workout holds the start


def test_a_duplicate_found_only_by_the_job_fails_the_import(auth_client, user, monkeypatch):
    """A first fix beyond the scanned head: the job sees the start and refuses it, storing nothing."""
    monkeypatch.setattr(imports, "SCAN_MAX_BYTES", 200)
    WorkoutFactory(user=user, started_at=START)
    data = upload(auth_client, raw_gpx(100)).json()["data"]
    assert data["first_fix_at"] is None
    assert (data["status"], data["error_code"]) == ("failed", "conflict")
    assert Workout.objects.filter(user=user).count() == 1


def test_the_job_stops_at_its_time_budget(auth_client, user, settings):
    settings.IMPORT_TIME_BUDGET_S = 0.0
    data = upload(auth_client, raw_gpx(100)).json()["data"]
    assert (data["status"], data["error_code"]) == ("failed", "import_timeout")
    assert not Workout.objects.filter(user=user).exists()  # soft-deleted (hidden) rows included
    assert not WorkoutPoint.objects.exists()


def test_another_users_import_is_404(auth_client, other_client):
    data = upload(auth_client, raw_gpx(20)).json()["data"]
    assert auth_client.get(f"/api/v1/workouts/imports/{data['id']}").status_code == 200
    response = other_client.get(f"/api/v1/workouts/imports/{data['id']}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert auth_client.get("/api/v1/workouts/imports/00000000-0000-0000-0000-000000000000").status_code == 404


def test_imports_are_throttled_per_user(auth_client, other_client, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES",
                        {**SimpleRateThrottle.THROTTLE_RATES, "workout_import": "2/hour"})
    for offset in range(2):
        assert upload(auth_client, raw_gpx(20, start=START + timedelta(days=offset))).status_code == 202
    refused = upload(auth_client, raw_gpx(20, start=START + timedelta(days=5)))
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert WorkoutImport.objects.count() == 2
    assert upload(other_client, raw_gpx(20)).status_code == 202  # per user, not for everyone
    assert auth_client.get("/api/v1/workouts").status_code == 200  # reading is not throttled by it


# --- at-least-once delivery --------------------------------------------------------------------------------


def test_the_job_run_twice_stores_one_workout(auth_client, user, queued_for_real):
    data = upload(auth_client, gpx_of(loop_points(count=300))).json()["data"]
    assert tasks.run_import(data["id"]) == "succeeded"
    assert tasks.run_import(data["id"]) == "succeeded"
    assert Workout.objects.filter(user=user).count() == 1
    assert WorkoutPoint.objects.count() == 300
    assert UserStats.objects.get(user=user).total_workouts == 1


def test_a_run_killed_midway_is_resumed_by_the_next(auth_client, user, queued_for_real, monkeypatch):
    """The first run dies after writing its points (before the metrics): the import stays `running`, its
    workout out of sight; the redelivered run reuses that workout, writes no point twice and completes it."""
    data = upload(auth_client, gpx_of(loop_points(count=2500))).json()["data"]
    real_finalise = services._finalise

    def killed(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "_finalise", killed)
    with pytest.raises(RuntimeError):
        tasks.run_import(data["id"])
    half_done = WorkoutImport.objects.get(pk=data["id"])
    assert (half_done.status, half_done.attempts) == ("running", 1)
    assert half_done.workout_id is not None and half_done.upload_name  # file kept for the retry
    assert WorkoutPoint.objects.filter(workout_id=half_done.workout_id).count() == 2500
    assert auth_client.get("/api/v1/workouts").json()["data"]["results"] == []
    assert auth_client.get(f"/api/v1/workouts/{half_done.workout_id}").status_code == 404

    monkeypatch.setattr(services, "_finalise", real_finalise)
    assert tasks.run_import(data["id"]) == "succeeded"
    done = WorkoutImport.objects.get(pk=data["id"])
    assert (done.attempts, done.workout_id) == (2, half_done.workout_id)
    assert WorkoutPoint.objects.filter(workout_id=done.workout_id).count() == 2500
    assert Workout.objects.filter(user=user).count() == 1
    assert UserStats.objects.get(user=user).total_workouts == 1


def test_the_last_attempt_records_the_failure(auth_client, user, upload_dir, queued_for_real, monkeypatch,
                                              settings, django_capture_on_commit_callbacks):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "max_attempts": 2}
    data = upload(auth_client, raw_gpx(50)).json()["data"]

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "_finalise", broken)
    with pytest.raises(RuntimeError):
        tasks.run_import(data["id"])
    assert WorkoutImport.objects.get(pk=data["id"]).status == "running"  # the queue retries
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        tasks.run_import(data["id"])
    failed = auth_client.get(f"/api/v1/workouts/imports/{data['id']}").json()["data"]
    assert (failed["status"], failed["error_code"]) == ("failed", "import_failed")
    assert not stored_files(upload_dir)
    assert not Workout.objects.filter(user=user).exists() and not WorkoutPoint.objects.exists()
    assert tasks.run_import(data["id"]) == "failed"  # a later delivery leaves it alone


# --- other users' writes are not blocked ------------------------------------------------------------------


class TransactionLog:
    """Every outermost transaction on this thread's connection: duration, and the points it inserted."""

    def __init__(self):
        self.transactions: list[dict] = []
        self._current: dict | None = None

    def __call__(self, execute, sql, params, many, context):
        statement = sql.lstrip().lower()
        if self._current is not None and statement.startswith("insert") and "workouts_workoutpoint" in statement[:40]:
            self._current["point_inserts"] += 1
            self._current["points"] += len(params) if many else (sql.count("(%s") or 1)
        return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True)
def test_the_import_writes_in_short_chunks_and_others_can_like_meanwhile(monkeypatch):
    """A 30 000-point import (8 h 20 min at 1 Hz): every transaction it opens writes at most IMPORT_WRITE_CHUNK
    points and is short; another user likes posts while the job runs and never waits long (on main the import
    was one transaction of the whole request, 181 s for 250 000 points, and others' likes timed out)."""
    from django_q.conf import Conf

    from accounts.tests.factories import UserFactory
    from community.tests.factories import PostFactory
    from conftest import client_for

    monkeypatch.setattr(Conf, "SYNC", False)
    runner, liker = UserFactory(), UserFactory()
    posts = [PostFactory() for _ in range(40)]
    data = upload(client_for(runner), raw_gpx(30_000)).json()["data"]
    assert data["status"] == "queued"

    log = TransactionLog()
    real_enter, real_exit = transaction.Atomic.__enter__, transaction.Atomic.__exit__
    job_thread_ids = set()

    def enter(atomic):
        if threading.get_ident() in job_thread_ids and not connection.in_atomic_block:
            log._current = {"started": time.perf_counter(), "points": 0, "point_inserts": 0}
            atomic._outermost_logged = True
        return real_enter(atomic)

    def exit_(atomic, *exc):
        try:
            return real_exit(atomic, *exc)
        finally:
            if getattr(atomic, "_outermost_logged", False) and log._current is not None:
                log._current["duration_s"] = time.perf_counter() - log._current["started"]
                log.transactions.append(log._current)
                log._current = None

    monkeypatch.setattr(transaction.Atomic, "__enter__", enter)
    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_)
    outcome = {}

    def job():
        job_thread_ids.add(threading.get_ident())
        try:
            with connection.execute_wrapper(log):
                outcome["status"] = tasks.run_import(data["id"])
        finally:
            connection.close()

    thread = threading.Thread(target=job)
    liker_client = client_for(liker)
    warm_up = PostFactory()
    assert liker_client.post(f"/api/v1/community/posts/{warm_up.pk}/like").status_code == 200
    like_waits_s = []
    thread.start()
    for post in posts:
        if not thread.is_alive():
            break
        started = time.perf_counter()
        assert liker_client.post(f"/api/v1/community/posts/{post.pk}/like").status_code == 200
        like_waits_s.append(time.perf_counter() - started)
    thread.join(timeout=120)
    assert outcome.get("status") == "succeeded", outcome
    assert Post.objects.filter(likes__user=liker).count() == len(like_waits_s) + 1
    assert WorkoutPoint.objects.filter(workout__user=runner).count() == 30_000

    point_transactions = [t for t in log.transactions if t["point_inserts"]]
    assert len(point_transactions) >= 30_000 // services.IMPORT_WRITE_CHUNK
    assert max(t["points"] for t in point_transactions) <= services.IMPORT_WRITE_CHUNK
    # Bounds with room for a loaded 2-core machine and for this test's two threads sharing one GIL (each
    # stretches the other); on main one transaction lasted the whole import (14 s for a 1 MB FIT, 181 s for
    # 19.5 MB of GPX) and other users' likes waited for it until SQLite's lock timeout (503).
    longest = sorted((round(t["duration_s"], 3), t["points"]) for t in log.transactions)[-5:]
    assert max(t["duration_s"] for t in log.transactions) < 2.0, longest
    assert like_waits_s and max(like_waits_s) < 3.0, (like_waits_s, longest)


def test_staff_see_failed_imports_with_their_code(client, auth_client, user, settings):
    from accounts.tests.factories import UserFactory

    settings.IMPORT_MAX_POINTS = 25
    data = upload(auth_client, raw_gpx(20), "ok.gpx").json()["data"]
    failed = upload(auth_client, raw_gpx(30, start=START + timedelta(days=1)), "long.gpx").json()["data"]
    assert (data["status"], failed["status"], failed["error_code"]) == ("succeeded", "failed", "too_many_points")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get("/admin/workouts/workoutimport/?status__exact=failed").content.decode()
    assert "long.gpx" in page and "too_many_points" in page and "ok.gpx" not in page
    assert client.get(f"/admin/workouts/workoutimport/{failed['id']}/change/").status_code == 200


def test_a_budget_running_out_while_writing_discards_the_hidden_workout(auth_client, user, upload_dir,
                                                                        monkeypatch,
                                                                        django_capture_on_commit_callbacks):
    """Out of time after some chunks were stored: the import fails `import_timeout`, its hidden workout and
    every stored point are deleted (chunk by chunk), the file too; nothing shows in the list or the stats."""
    written = []
    real_insert = services._insert_points

    def insert_then_run_out(**kwargs):
        real_insert(**kwargs)
        written.append(len(kwargs["rows"]))
        if len(written) == 3:
            monkeypatch.setattr(imports.ImportBudget, "check", lambda self: (_ for _ in ()).throw(
                imports.ImportTooSlow("The file took longer than 60 s to import.")))

    monkeypatch.setattr(services, "_insert_points", insert_then_run_out)
    with django_capture_on_commit_callbacks(execute=True):
        data = upload(auth_client, raw_gpx(5000)).json()["data"]
    assert (data["status"], data["error_code"], data["workout_id"]) == ("failed", "import_timeout", None)
    assert written == [services.IMPORT_WRITE_CHUNK] * 3
    assert not WorkoutPoint.objects.exists() and not Workout.objects.filter(user=user).exists()
    assert not stored_files(upload_dir)
    assert auth_client.get("/api/v1/workouts").json()["data"]["results"] == []


def test_an_import_that_killed_its_workers_is_failed_by_the_next_delivery(auth_client, user, queued_for_real):
    """Runs that die without a word (out of memory, past Q_TIMEOUT) leave the import `running`; after
    IMPORT_MAX_RUNS of them the next delivery records `import_failed` instead of trying again."""
    data = upload(auth_client, raw_gpx(50)).json()["data"]
    WorkoutImport.objects.filter(pk=data["id"]).update(status="running", attempts=services.IMPORT_MAX_RUNS)
    assert tasks.run_import(data["id"]) == "failed"
    failed = WorkoutImport.objects.get(pk=data["id"])
    assert (failed.error_code, failed.attempts, failed.upload_name) == ("import_failed", 4, "")
    assert not Workout.objects.filter(user=user).exists()


def test_deleting_an_account_with_a_pending_import_deletes_its_upload(auth_client, user, upload_dir,
                                                                      queued_for_real,
                                                                      django_capture_on_commit_callbacks):
    data = upload(auth_client, raw_gpx(50)).json()["data"]
    assert len(stored_files(upload_dir)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        user.delete()
    assert not stored_files(upload_dir)
    assert tasks.run_import(data["id"]) is None  # its delivery finds nothing to do
