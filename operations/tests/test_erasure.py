"""Deleting an account erases the runner's data (operations.erasure): the job run end to end, as production runs it
(queued on commit by DELETE /users/me, executed inline by the test settings)."""

from datetime import date, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import ActivityLog, EmailOTP, User
from accounts.tests.factories import UserFactory
from community import services as community
from community.models import Comment, Follow, Like, Notification, Post, UserCounters
from community.tests.factories import route_with_options, straight_track
from conftest import client_for
from data_export.models import DataExport
from goals.models import Goal
from operations import erasure
from operations.maintenance import run_cleanup
from push.models import Device, PushSettings
from push.tests.factories import DeviceFactory
from routes.models import Route, RouteOption
from routes.services import route_refresh_discover_counters
from runnerway.models import DailyUserActivity
from workouts.models import UserStats, Workout, WorkoutImport, WorkoutPause, WorkoutPoint
from workouts.services import import_storage, user_stats_rebuild
from workouts.tests.factories import WorkoutFactory


def _everything() -> dict:
    """Row counts of every table the erase touches, and the counters it moves (to compare two runs)."""
    models = [User, Post, Like, Comment, Follow, UserCounters, Notification, Workout, WorkoutPoint, WorkoutPause,
              UserStats, WorkoutImport, Route, RouteOption, Device, PushSettings, DataExport, Goal, ActivityLog,
              EmailAddress, EmailOTP, DailyUserActivity]
    counts = {model.__name__: model.objects.count() for model in models}
    counts["post_counters"] = sorted(Post.objects.values_list("pk", "like_count", "comment_count"))
    counts["route_counters"] = sorted(Route.objects.values_list("pk", "saved_count", "run_count"))
    counts["user_counters"] = sorted(UserCounters.objects.values_list("pk", "follower_count", "following_count"))
    return counts


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs the block's on-commit callbacks (the queued tasks) as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def scene(db, committed, settings, tmp_path):
    """`leaver` has run, planned, shared, saved, liked, commented, followed, registered a phone, exported and
    imported; `alice` and `bob` interacted with them."""
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "imports")
    leaver = UserFactory(name="Kim Leaver", email="leaver@example.com")
    alice, bob = UserFactory(), UserFactory()
    leaver.avatar.save("face.png", ContentFile(b"\x89PNG not really"), save=True)

    # Workouts with GPS points and a pause; stats and daily rows.
    runs = [WorkoutFactory(completed=True, user=leaver, started_at=timezone.now() - timedelta(days=day))
            for day in (1, 2)]
    for run in runs:
        straight_track(run, length_m=600)
        WorkoutPause.objects.create(workout=run, started_at=run.started_at + timedelta(seconds=30),
                                    ended_at=run.started_at + timedelta(seconds=40))
    user_stats_rebuild(user=leaver)
    DailyUserActivity.objects.create(user=leaver, day=date(2026, 5, 5), distance_m=5000, workouts=1)

    # Routes: the leaver's own (shared, then saved by bob), and alice's shared route the leaver saved and ran.
    leavers_route = route_with_options(user=leaver, options=2)
    alices_route = route_with_options(user=alice, options=1)
    with committed():
        leavers_post = community.post_create(author=leaver, content="my heart", route_id=leavers_route.pk)
        alices_post = community.post_create(author=alice, content="a star", route_id=alices_route.pk)
        bobs_copy = community.route_copy_from_post(post=leavers_post, user=bob)
        leavers_copy = community.route_copy_from_post(post=alices_post, user=leaver)
    run_on_copy = WorkoutFactory(completed=True, user=leaver, route=leavers_copy)
    route_refresh_discover_counters(route_id=alices_route.pk)
    alices_route.refresh_from_db()
    assert (alices_route.saved_count, alices_route.run_count) == (1, 1)

    # Posts, comments, likes, follows both ways (with their notifications).
    with committed():
        community.post_like(post=alices_post, user=leaver)
        community.post_like(post=leavers_post, user=alice)
        community.comment_create(post=alices_post, author=leaver, content="Lovely, 010-9999")
        community.comment_create(post=leavers_post, author=bob, content="Nice")
        community.follow_create(follower=leaver, followee=alice)
        community.follow_create(follower=bob, followee=leaver)

    # A phone, push settings, an export zip, an upload waiting for its import, a goal, logins.
    DeviceFactory(user=leaver)
    PushSettings.objects.create(user=leaver, enabled_types=["like"])
    export = DataExport.objects.create(user=leaver, status=DataExport.Status.READY)
    export.file.save("runnerway-export.zip", ContentFile(b"PK\x03\x04 zip"), save=True)
    upload_name = import_storage().save("upload.gpx", ContentFile(b"<gpx/>"))
    WorkoutImport.objects.create(user=leaver, source="gpx", file_name="morning.gpx", upload_name=upload_name)
    Goal.objects.create(user=leaver, goal_type="weekly", target_type="distance", target_value=20,
                        start_date=date(2026, 5, 4), end_date=date(2026, 5, 10))
    EmailAddress.objects.create(user=leaver, email=leaver.email, verified=True, primary=True)
    EmailOTP.objects.create(email=leaver.email, code_hash="x" * 64, expires_at=timezone.now())
    ActivityLog.objects.create(user=leaver, action="login", ip="203.0.113.9")
    return {"leaver": leaver, "alice": alice, "bob": bob, "runs": runs, "run_on_copy": run_on_copy,
            "leavers_route": leavers_route, "alices_route": alices_route, "leavers_post": leavers_post,
            "alices_post": alices_post, "bobs_copy": bobs_copy, "export": export, "upload_name": upload_name}


@pytest.mark.django_db
class TestAccountErase:
    def test_delete_me_then_the_job_erases_everything(self, scene, committed):
        leaver, alice, bob = scene["leaver"], scene["alice"], scene["bob"]
        avatar_name, export_name = leaver.avatar.name, scene["export"].file.name
        assert default_storage.exists(avatar_name) and default_storage.exists(export_name)
        assert import_storage().exists(scene["upload_name"])
        assert WorkoutPoint.objects.filter(workout__user=leaver).count() == 2 * 61
        alices_post = scene["alices_post"]
        alices_post.refresh_from_db()
        assert (alices_post.like_count, alices_post.comment_count) == (1, 1)

        with committed():  # the request commits: the erase job is queued and runs
            assert client_for(leaver).delete("/api/v1/users/me").status_code == 204

        # Their workouts, GPS points, pauses, stats; their routes with every option.
        assert not Workout.objects.filter(user=leaver).exists()
        assert not WorkoutPoint.objects.filter(workout_id__in=[run.pk for run in scene["runs"]]).exists()
        assert not WorkoutPause.objects.exists()
        assert not UserStats.objects.filter(user=leaver).exists()
        assert not DailyUserActivity.objects.filter(user=leaver).exists()
        assert not Route.objects.filter(user=leaver).exists()
        assert not RouteOption.objects.filter(route_id=scene["leavers_route"].pk).exists()
        # Bob's saved copy stays his, whole; alice's route forgets the leaver's save and run.
        bobs_copy = Route.objects.get(pk=scene["bobs_copy"].pk)
        assert bobs_copy.user_id == bob.pk and bobs_copy.copied_from_id is None and bobs_copy.options.count() == 1
        alices_route = Route.objects.get(pk=scene["alices_route"].pk)
        assert (alices_route.saved_count, alices_route.run_count) == (0, 0)
        # Community: their post gone; their like and comment gone from alice's post, her counters moved; follows.
        assert not Post.objects.filter(author=leaver).exists()
        alices_post.refresh_from_db()
        assert (alices_post.like_count, alices_post.comment_count) == (0, 0)
        assert not Like.objects.filter(user=leaver).exists() and not Comment.objects.filter(author=leaver).exists()
        assert not Follow.objects.filter(follower=leaver).exists() and not Follow.objects.filter(followee=leaver)
        assert UserCounters.objects.get(user=alice).follower_count == 0
        assert UserCounters.objects.get(user=bob).following_count == 0
        assert not Notification.objects.filter(actor=leaver).exists()
        assert not Notification.objects.filter(user=leaver).exists()
        # Devices, push settings, exports (the zip too), imports (the upload too), goals, logins, logs, avatar.
        assert not Device.objects.filter(user=leaver).exists() and not PushSettings.objects.filter(user=leaver)
        assert not DataExport.objects.filter(user=leaver).exists() and not default_storage.exists(export_name)
        assert not WorkoutImport.objects.filter(user=leaver).exists()
        assert not import_storage().exists(scene["upload_name"])
        assert not Goal.objects.filter(user=leaver).exists()
        assert not EmailAddress.objects.filter(user=leaver).exists()
        assert not EmailOTP.objects.filter(email="leaver@example.com").exists()
        assert not ActivityLog.objects.filter(user=leaver).exists()
        assert not default_storage.exists(avatar_name)
        # The account row stays, anonymous, marked erased.
        stored = User.objects.get(pk=leaver.pk)
        assert (stored.email, stored.deleted_email, stored.name, stored.avatar.name, stored.provider_id) == (
            None, "", "", "", "")
        assert not stored.has_usable_password() and stored.erased_at is not None and not stored.is_active
        assert erasure.accounts_pending_erase().count() == 0

        # A second run (a redelivered task, the hourly sweep) changes nothing.
        before = _everything()
        again = erasure.account_erase(user_id=leaver.pk)
        assert again.finished and again.total == 0, again.counts
        assert _everything() == before
        assert run_cleanup().counts["deleted_accounts_erase"] == 0

    def test_others_keep_an_answered_comment_as_deleted_runner(self, scene, committed):
        leaver, alice = scene["leaver"], scene["alice"]
        with committed():
            answered = community.comment_create(post=scene["alices_post"], author=leaver, content="Where? 010-1")
            community.comment_create(post=scene["alices_post"], author=alice, content="By the river")
        Comment.objects.filter(pk=answered.pk).update(created_at=timezone.now() - timedelta(minutes=5))
        with committed():
            client_for(leaver).delete("/api/v1/users/me")
        kept = Comment.objects.get(pk=answered.pk)
        assert kept.content == "" and kept.author_id == leaver.pk  # the anonymous row keeps the thread whole
        comments = client_for(alice).get(
            f"/api/v1/community/posts/{scene['alices_post'].pk}/comments").json()["data"]["results"]
        assert comments[0]["author"] == {"id": None, "name": community.DELETED_RUNNER_NAME, "avatar": None}

    def test_small_batches_give_the_same_result(self, scene):
        leaver = scene["leaver"]
        User.objects.filter(pk=leaver.pk).update(deleted_at=timezone.now(), email=None,
                                                 deleted_email="leaver@example.com")
        report = erasure.account_erase(user_id=leaver.pk, batch_size=7)
        assert report.finished and report.counts["workouts"] > 2 * 61  # points, pauses, stats, the runs
        assert not WorkoutPoint.objects.exists() and not Route.objects.filter(user=leaver).exists()
        assert not EmailOTP.objects.exists()

    def test_a_failed_run_stays_pending_and_the_sweep_finishes_it(self, scene, committed, monkeypatch):
        leaver = scene["leaver"]
        User.objects.filter(pk=leaver.pk).update(deleted_at=timezone.now())

        def broken(user, batch_size):
            raise RuntimeError("storage down")

        monkeypatch.setitem(erasure.ERASE_STEPS, "data_exports", broken)
        with pytest.raises(RuntimeError):
            erasure.account_erase(user_id=leaver.pk)
        # The steps before it are done and committed in their own batches; the account is still pending.
        assert not WorkoutPoint.objects.exists() and DataExport.objects.filter(user=leaver).exists()
        assert User.objects.get(pk=leaver.pk).erased_at is None
        assert list(erasure.accounts_pending_erase().values_list("pk", flat=True)) == [leaver.pk]

        monkeypatch.undo()
        assert run_cleanup(dry_run=True).counts["deleted_accounts_erase"] == 1
        with committed():
            report = run_cleanup()
        assert report.counts["deleted_accounts_erase"] == 1 and not report.errors
        assert not DataExport.objects.filter(user=leaver).exists()
        assert User.objects.get(pk=leaver.pk).erased_at is not None

    @pytest.mark.parametrize("former_name", ["accounts.tasks.erase_deleted_account",
                                             "community.tasks.erase_deleted_account"])
    def test_a_task_queued_under_a_former_name_still_erases(self, scene, former_name):
        """Tasks a worker holds from before the erase moved to operations run under the name they were queued
        with: it queues the erase under its current name (inline here, as the test settings run tasks)."""
        leaver = scene["leaver"]
        User.objects.filter(pk=leaver.pk).update(deleted_at=timezone.now(), email=None,
                                                 deleted_email="leaver@example.com")
        async_task(former_name, str(leaver.pk))
        assert User.objects.get(pk=leaver.pk).erased_at is not None
        assert not WorkoutPoint.objects.exists() and not Route.objects.filter(user=leaver).exists()
        assert not EmailOTP.objects.filter(email="leaver@example.com").exists()
        assert erasure.accounts_pending_erase().count() == 0

    def test_an_account_deleted_without_its_job_is_erased_by_the_hourly_cleanup(self, scene, committed):
        """No task at all (lost in a deploy, the worker's queue wiped): the cleanup's sweep queues the erase."""
        leaver = scene["leaver"]
        User.objects.filter(pk=leaver.pk).update(deleted_at=timezone.now(), email=None,
                                                 deleted_email="leaver@example.com")
        assert list(erasure.accounts_pending_erase().values_list("pk", flat=True)) == [leaver.pk]
        with committed():
            report = run_cleanup()
        assert report.counts["deleted_accounts_erase"] == 1 and not report.errors
        assert User.objects.get(pk=leaver.pk).erased_at is not None
        assert not Workout.objects.filter(user=leaver).exists() and not Goal.objects.filter(user=leaver).exists()
        assert run_cleanup().counts["deleted_accounts_erase"] == 0

    def test_a_live_account_is_never_touched(self, scene):
        before = _everything()
        assert erasure.account_erase(user_id=scene["alice"].pk).total == 0
        assert erasure.account_erase(user_id=scene["leaver"].pk).total == 0  # not deleted
        assert _everything() == before
