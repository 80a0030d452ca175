"""Operations: schedules, the cleanup and analytics jobs, their commands, and retries by a real qcluster."""

import json
import re
import time as time_module
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import ActivityLog, EmailOTP
from accounts.tests.factories import UserFactory
from operations import jobs
from operations.analytics import compute_daily_analytics
from operations.maintenance import run_cleanup
from runnerway.models import DailyGlobalStats, DailyUserActivity

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _otp(email, *, created, used=False):
    return EmailOTP.objects.create(email=email, code_hash="x" * 64, created_at=created,
                                   expires_at=created + timedelta(minutes=5), used_at=created if used else None)


def _workout(user, *, started_at, distance_m=5000.0, status="completed", **extra):
    from workouts.models import Workout

    return Workout.objects.create(user=user, started_at=started_at, status=status, distance_m=distance_m,
                                  duration_s=1500, elapsed_duration_s=1600, calories_kcal=350.0,
                                  completed_at=started_at + timedelta(minutes=27) if status == "completed" else None,
                                  **extra)


def test_setup_schedules_is_idempotent_and_runs_analytics_at_3am_seoul():
    from django_q.models import Schedule

    first, second = StringIO(), StringIO()
    call_command("setup_schedules", stdout=first)
    analytics_next_run = Schedule.objects.get(name="analytics").next_run
    call_command("setup_schedules", stdout=second)
    assert "schedule cleanup: created" in first.getvalue()
    assert "schedule analytics: unchanged" in second.getvalue()
    assert Schedule.objects.count() == len(jobs.SCHEDULES)
    assert Schedule.objects.get(name="expire_exports").schedule_type == Schedule.HOURLY
    assert Schedule.objects.get(name="analytics").next_run == analytics_next_run
    assert analytics_next_run.astimezone(jobs.ZoneInfo("Asia/Seoul")).time().hour == 3
    assert Schedule.objects.get(name="cleanup").schedule_type == Schedule.HOURLY


def test_every_listed_task_and_schedule_imports():
    from django.utils.module_loading import import_string

    for path in [*jobs.TASKS, *(spec.func for spec in jobs.SCHEDULES)]:
        assert callable(import_string(path)), path


def test_cleanup_removes_only_what_is_past_retention():
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    user = UserFactory()
    old_otp = _otp("a@example.com", created=NOW - timedelta(days=3))
    used_otp = _otp("b@example.com", created=NOW - timedelta(days=2), used=True)
    fresh_otp = _otp("c@example.com", created=NOW - timedelta(minutes=2))
    OutstandingToken.objects.create(user=user, jti="expired", token="t1", created_at=NOW - timedelta(days=20),
                                    expires_at=NOW - timedelta(days=6))
    OutstandingToken.objects.create(user=user, jti="valid", token="t2", created_at=NOW,
                                    expires_at=NOW + timedelta(days=14))
    ActivityLog.objects.create(user=user, action="login", created_at=NOW - timedelta(days=400))
    recent_log = ActivityLog.objects.create(user=user, action="login", created_at=NOW - timedelta(days=3))

    dry = run_cleanup(now=NOW, dry_run=True)
    assert dry.counts["otp_codes"] == 2 and dry.counts["expired_tokens"] == 1 and dry.counts["activity_logs"] == 1
    assert EmailOTP.objects.count() == 3  # dry run changed nothing

    report = run_cleanup(now=NOW)
    assert not report.errors, report.errors
    assert report.counts["otp_codes"] == 2
    assert list(EmailOTP.objects.values_list("pk", flat=True)) == [fresh_otp.pk]
    assert not EmailOTP.objects.filter(pk__in=[old_otp.pk, used_otp.pk]).exists()
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == ["valid"]
    assert list(ActivityLog.objects.values_list("pk", flat=True)) == [recent_log.pk]

    again = run_cleanup(now=NOW)
    assert all(count == 0 for count in again.counts.values()), again.counts


def test_cleanup_completes_stale_workouts():
    from workouts.models import Workout

    user = UserFactory()
    stale = _workout(user, started_at=NOW - timedelta(hours=9), status="active", distance_m=0)
    lively = _workout(user, started_at=NOW - timedelta(hours=1), status="active", distance_m=0)
    Workout.objects.filter(pk=stale.pk).update(updated_at=NOW - timedelta(hours=7))
    Workout.objects.filter(pk=lively.pk).update(updated_at=NOW - timedelta(minutes=5))

    report = run_cleanup(now=NOW)
    assert report.counts["stale_workouts"] == 1
    stale.refresh_from_db()
    lively.refresh_from_db()
    assert stale.status == "completed" and lively.status == "active"
    assert run_cleanup(now=NOW).counts["stale_workouts"] == 0


def test_cleanup_command_prints_counts_and_dry_run_changes_nothing():
    _otp("old@example.com", created=timezone.now() - timedelta(days=5))
    out = StringIO()
    call_command("cleanup", "--dry-run", stdout=out)
    assert "otp_codes: would remove 1" in out.getvalue()
    assert EmailOTP.objects.count() == 1
    out = StringIO()
    call_command("cleanup", stdout=out)
    assert "otp_codes: removed 1" in out.getvalue()
    assert EmailOTP.objects.count() == 0


def test_analytics_aggregates_a_seoul_day_and_is_idempotent():
    runner, walker, idle = UserFactory(), UserFactory(), UserFactory()
    day = date(2026, 11, 19)
    # 2026-11-19 in Seoul is 2026-11-18T15:00Z .. 2026-11-19T15:00Z.
    _workout(runner, started_at=datetime(2026, 11, 18, 15, 30, tzinfo=UTC), distance_m=5000)  # 00:30 KST
    _workout(runner, started_at=datetime(2026, 11, 19, 14, 30, tzinfo=UTC), distance_m=3000)  # 23:30 KST
    _workout(walker, started_at=datetime(2026, 11, 19, 1, 0, tzinfo=UTC), distance_m=2000)
    _workout(idle, started_at=datetime(2026, 11, 19, 15, 30, tzinfo=UTC), distance_m=9000)  # next Seoul day
    _workout(idle, started_at=datetime(2026, 11, 19, 2, 0, tzinfo=UTC), status="active", distance_m=100)

    compute_daily_analytics(day=day)
    first = sorted(DailyUserActivity.objects.filter(day=day).values_list("user_id", "distance_m", "workouts"))
    compute_daily_analytics(day=day)
    second = sorted(DailyUserActivity.objects.filter(day=day).values_list("user_id", "distance_m", "workouts"))

    assert first == second
    assert {row[0]: (row[1], row[2]) for row in first} == {runner.pk: (8000.0, 2), walker.pk: (2000.0, 1)}
    stats = DailyGlobalStats.objects.get(day=day)
    assert (stats.active_users, stats.workouts, stats.distance_m) == (2, 3, 10000.0)
    assert DailyGlobalStats.objects.count() == 1


def test_analytics_drops_rows_of_workouts_deleted_since_the_last_run():
    runner = UserFactory()
    day = date(2026, 11, 19)
    workout = _workout(runner, started_at=datetime(2026, 11, 19, 1, 0, tzinfo=UTC))
    compute_daily_analytics(day=day)
    assert DailyUserActivity.objects.filter(day=day).count() == 1
    type(workout).objects.filter(pk=workout.pk).update(deleted_at=NOW)
    compute_daily_analytics(day=day)
    assert DailyUserActivity.objects.filter(day=day).count() == 0


def test_analytics_command_output_and_bad_date():
    out = StringIO()
    call_command("analytics", "--date", "2026-11-19", stdout=out)
    assert out.getvalue().startswith("2026-11-19: 0 active users, 0 workouts")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("analytics", "--date", "19/11/2026")


def test_health_reports_queue_degraded_when_tasks_wait_with_no_worker():
    from django_q.brokers import get_broker
    from django_q.conf import Conf
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    from runnerway.health import check_queue

    broker = get_broker()
    task = {"id": "t1", "name": "waiting", "func": "math.floor", "args": (1.5,), "kwargs": {},
            "started": NOW - timedelta(minutes=30)}
    broker.enqueue(SignedPackage.dumps(task))
    assert OrmQ.objects.count() == 1 and Conf.ORM == "default"
    assert check_queue(now=NOW) == "degraded"
    assert check_queue(now=NOW - timedelta(minutes=25)) == "ok"  # waited only 5 minutes then


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_task_failing_twice_is_retried_by_a_real_qcluster_until_it_succeeds(tmp_path, monkeypatch):
    from django_q.conf import Conf
    from django_q.models import Task
    from django_q.tasks import async_task

    from runnerway.testing import running_qcluster

    monkeypatch.setattr(Conf, "SYNC", False)
    counter = tmp_path / "attempts"
    # timeout 2 s < retry 3 s: a failed (unacknowledged) task is handed out again 3 s later.
    with running_qcluster(tmp_path / "qcluster.log", Q_TIMEOUT="2", Q_RETRY="3") as process:
        task_id = async_task("runnerway.tests.flaky_tasks.fail_twice_then_succeed", str(counter))
        deadline = time_module.monotonic() + 45
        while time_module.monotonic() < deadline:
            task = Task.objects.filter(id=task_id).first()
            if task is not None and task.success:
                break
            assert process.poll() is None, (tmp_path / "qcluster.log").read_text()[-3000:]
            time_module.sleep(0.5)
        else:
            pytest.fail("task did not succeed; qcluster log:\n" + (tmp_path / "qcluster.log").read_text()[-3000:])
    assert counter.read_text() == "3"
    assert task.attempt_count == 3 and task.result == 3


def test_staff_analytics_page_draws_charts(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    DailyGlobalStats.objects.create(day=timezone.localdate() - timedelta(days=1), active_users=7, workouts=9,
                                    popular_shapes=[{"shape_id": "heart", "name": "Heart", "routes": 4}])
    client.force_login(staff)
    response = client.get("/admin/analytics/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<canvas ") == 6
    for script in ("chart.umd.min.js", "chartjs-adapter-date-fns.bundle.min.js", "chartjs-plugin-datalabels.min.js",
                   "runnerway/admin/analytics.js"):
        assert f"/static/vendor/chartjs/{script}" in html or f"/static/{script}" in html
    charts = json.loads(re.search(r'<script id="analytics-charts" type="application/json">(.*?)</script>', html,
                                  re.S).group(1))
    by_id = {chart["id"]: chart for chart in charts}
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert by_id["active-users"]["points"] == [{"x": day, "y": 7}]
    assert by_id["workouts"]["points"] == [{"x": day, "y": 9}]
    assert by_id["shape-accuracy"]["points"] == []  # no accuracy that day: no point, not a zero
    assert "<td>Heart</td><td>4</td>" in html


def test_analytics_page_is_linked_from_the_admin_index(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    index = client.get("/admin/").content.decode()
    assert 'href="/admin/analytics/"' in index


def test_analytics_page_is_staff_only(client):
    client.force_login(UserFactory())
    response = client.get("/admin/analytics/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_health_endpoint_keeps_status_ok_while_only_the_queue_is_degraded(api_client, monkeypatch):
    monkeypatch.setattr("runnerway.health.check_queue", lambda: "degraded")
    response = api_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["data"] == {"status": "ok", "database": "ok", "queue": "degraded"}


def test_bootstrap_fills_the_analytics_of_the_days_since_the_oldest_workout():
    from runnerway.models import DailyGlobalStats
    from workouts.models import Workout
    from workouts.tests.factories import WorkoutFactory

    zone = jobs.ZoneInfo("Asia/Seoul")
    started = timezone.now() - timedelta(days=3)
    WorkoutFactory(status=Workout.Status.COMPLETED, started_at=started, distance_m=3000.0, duration_s=900)
    out = StringIO()
    call_command("bootstrap", "--demo-users", "0", stdout=out)
    first_day = started.astimezone(zone).date()
    today = timezone.now().astimezone(zone).date()
    days = list(DailyGlobalStats.objects.order_by("day").values_list("day", "workouts", "distance_m"))
    assert [day for day, _, _ in days] == [first_day + timedelta(days=n) for n in range((today - first_day).days + 1)]
    assert days[0][1:] == (1, 3000.0)
    assert f"Analytics computed for {len(days)} day(s)." in out.getvalue()


def test_the_migration_points_schedules_of_the_old_task_paths_at_operations_tasks():
    """A database whose schedules were installed when the tasks lived in runnerway.tasks: migrating alone
    (no setup_schedules) leaves every schedule naming a function that imports."""
    from importlib import import_module

    from django.apps import apps
    from django.utils.module_loading import import_string
    from django_q.models import Schedule

    migration = import_module("operations.migrations.0001_schedules_run_operations_tasks")
    Schedule.objects.create(name="cleanup", func="runnerway.tasks.run_cleanup", schedule_type="H", repeats=-1)
    Schedule.objects.create(name="analytics", func="runnerway.tasks.run_daily_analytics", schedule_type="D",
                            repeats=-1)
    Schedule.objects.create(name="popularity", func="community.tasks.refresh_popularity", schedule_type="D",
                            repeats=-1)

    migration.schedules_to_operations(apps, None)

    assert dict(Schedule.objects.values_list("name", "func")) == {
        "cleanup": "operations.tasks.run_cleanup", "analytics": "operations.tasks.run_daily_analytics",
        "popularity": "community.tasks.refresh_popularity"}
    assert all(callable(import_string(func)) for func in Schedule.objects.values_list("func", flat=True))
    migration.schedules_to_runnerway(apps, None)
    assert Schedule.objects.get(name="cleanup").func == "runnerway.tasks.run_cleanup"


def test_setup_schedules_moves_a_schedule_of_an_old_task_path_to_its_listed_function():
    from django_q.models import Schedule

    Schedule.objects.create(name="cleanup", func="runnerway.tasks.run_cleanup", schedule_type="H", repeats=-1)
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    assert "schedule cleanup: updated" in out.getvalue()
    assert Schedule.objects.get(name="cleanup").func == "operations.tasks.run_cleanup"
