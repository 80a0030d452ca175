"""Build, hand out and expire a runner's data export.

The zip holds what the runner gave us or we computed for them, and no other runner's private data: comments
others left on the runner's posts carry the commenter's display name only; follows list names and public ids.

    README.txt              what each file is (Korean and English)
    profile.json            the account and profile
    workouts/<name>.gpx     every workout's kept GPS points with time, elevation and heart rate
    workouts/<name>.json    its metrics and splits (the API's workout output)
    routes/<id>/route.json  every route with its options' scores; routes/<id>/option-<rank>.gpx each option
    posts.json, comments.json, goals.json, follows.json

The job writes it in runs of DATA_EXPORT_TASK_BUDGET_S into a work file (media/exports/partial/), each run
adding what is missing, so an export of thousands of workouts never meets the queue's task time-out.
"""

from __future__ import annotations

import json
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import polyline as polyline_codec
from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from accounts.serializers import UserSerializer
from community.models import Comment, Follow, Post
from data_export.models import DataExport
from goals.models import Goal
from routes.exports import gpx_for_path
from routes.models import Route
from runnerway.api.exceptions import RateLimited
from workouts import exports as workout_exports
from workouts.models import Workout
from workouts.output import workout_data

EXPORTS_PER_PERIOD = 1
EXPORT_PERIOD = timedelta(days=1)  # "one export per day"
SIGNED_SALT = "runnerway.data-export"

README = """RunnerWay 데이터 내보내기 / RunnerWay data export

이 파일에는 회원님이 RunnerWay에 남긴 데이터가 모두 들어 있습니다.
This archive holds all the data you gave RunnerWay or that it computed for you.

profile.json            계정과 프로필 / your account and profile
workouts/*.gpx          운동별 GPS 기록(시간, 고도, 심박수) / each workout's GPS track (time, elevation, heart rate)
workouts/*.json         운동 기록과 구간(스플릿) / each workout's metrics and splits
routes/<id>/route.json  경로와 옵션별 점수 / each route and its options' scores
routes/<id>/option-N.gpx 경로 옵션 / each route option as GPX
posts.json              게시물과 받은 댓글(작성자 이름만) / your posts, with comments on them (commenters' names only)
comments.json           회원님이 쓴 댓글 / comments you wrote
goals.json              목표 / your goals
follows.json            팔로우와 팔로워 / who you follow and who follows you

Distances are in kilometres, durations in seconds, paces in seconds per km, times in UTC (ISO 8601).
"""


def export_request(*, user, now=None) -> DataExport:
    """Queue a new export for `user`; at most EXPORTS_PER_PERIOD per EXPORT_PERIOD (a failed one doesn't count).
    Raises RateLimited (429 with Retry-After) otherwise. The job starts after the row commits."""
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the user's row so two requests at once cannot both pass the check.
        type(user).objects.select_for_update().filter(pk=user.pk).first()
        recent = (DataExport.objects.filter(user=user, created_at__gt=now - EXPORT_PERIOD)
                  .exclude(status=DataExport.Status.FAILED).order_by("created_at"))
        if recent.count() >= EXPORTS_PER_PERIOD:
            wait_s = (recent.first().created_at + EXPORT_PERIOD - now).total_seconds()
            raise RateLimited(retry_after_s=wait_s)
        export = DataExport.objects.create(user=user, created_at=now)
        export_id = str(export.pk)
        transaction.on_commit(lambda: async_task("data_export.tasks.build_export", export_id))
    return export


def export_build(*, export_id, budget_s: float | None = None) -> DataExport | None:
    """Write the zip of a queued export, resumably: each run adds what is missing to a work file until its time
    budget is used, then enqueues the next run (so a runner with thousands of workouts never meets the task
    time-out); the last run moves the zip to storage and marks the export ready.

    Safe to run twice: entries already in the work file are skipped, and a finished export is left as it is."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status != DataExport.Status.QUEUED:
        return export
    deadline = time.monotonic() + (settings.DATA_EXPORT_TASK_BUDGET_S if budget_s is None else budget_s)
    work_path = Path(settings.MEDIA_ROOT) / "exports" / "partial" / f"{export.pk}.zip"
    work_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(work_path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        finished = _write_archive(archive, export.user, deadline=deadline)
    if not finished:
        transaction.on_commit(lambda: async_task("data_export.tasks.build_export", str(export.pk)))
        return export
    with open(work_path, "rb") as handle:
        export.file.save(f"runnerway-export-{export.user_id}-{export.pk}.zip", File(handle), save=False)
    export.size_bytes = work_path.stat().st_size
    export.status = DataExport.Status.READY
    export.finished_at = timezone.now()
    export.save(update_fields=["file", "size_bytes", "status", "finished_at"])
    work_path.unlink(missing_ok=True)
    return export


def export_latest(*, user) -> DataExport | None:
    return DataExport.objects.filter(user=user).order_by("-created_at").first()


def download_token(export: DataExport) -> str:
    return signing.TimestampSigner(salt=SIGNED_SALT).sign(str(export.pk))


def download_expires_at(export: DataExport):
    return export.finished_at + timedelta(seconds=settings.DATA_EXPORT_LINK_MAX_AGE_S)


def export_for_download(*, token: str) -> DataExport | None:
    """The ready export a signed link names, or None when the link is forged, expired or the file is gone."""
    try:
        export_id = signing.TimestampSigner(salt=SIGNED_SALT).unsign(
            token, max_age=settings.DATA_EXPORT_LINK_MAX_AGE_S)
    except signing.BadSignature:  # also SignatureExpired
        return None
    return DataExport.objects.filter(pk=export_id, status=DataExport.Status.READY).exclude(file="").first()


def exports_expire(*, now=None) -> int:
    """Delete the files of exports whose link has expired (the zip is a copy of personal data: keep it no longer
    than needed). Returns how many were expired."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.DATA_EXPORT_LINK_MAX_AGE_S)
    expired = 0
    for export in DataExport.objects.filter(status=DataExport.Status.READY, finished_at__lt=cutoff):
        export.file.delete(save=False)
        export.status = DataExport.Status.EXPIRED
        export.save(update_fields=["file", "status"])
        expired += 1
    return expired


# --- the archive's contents ------------------------------------------------------------------------------
def _json(archive: zipfile.ZipFile, name: str, data) -> None:
    archive.writestr(name, json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _write_archive(archive: zipfile.ZipFile, user, *, deadline: float) -> bool:
    """Add to `archive` whatever of `user`'s data it lacks; False when the deadline came first (call again)."""
    present = set(archive.namelist())
    if "follows.json" not in present:  # the small files are written together, follows.json last
        _write_small_files(archive, user)
    workouts = (Workout.objects.filter(user=user, deleted_at__isnull=True)
                .select_related("route", "route__shape").order_by("started_at", "pk"))
    written = 0
    for workout in workouts.iterator(chunk_size=100):
        name = workout_exports.gpx_file_name(workout)[:-len(".gpx")]
        if f"workouts/{name}.json" in present:
            continue
        if written and time.monotonic() > deadline:  # at least one a run, so every run makes progress
            return False
        written += 1
        archive.writestr(f"workouts/{name}.gpx", workout_exports.workout_gpx(workout=workout))
        _json(archive, f"workouts/{name}.json", workout_data(workout))
    return True


def _write_small_files(archive: zipfile.ZipFile, user) -> None:
    archive.writestr("README.txt", README)
    _json(archive, "profile.json", UserSerializer(user).data)

    routes = (Route.objects.filter(user=user, deleted_at__isnull=True).select_related("shape")
              .prefetch_related("options").order_by("created_at"))
    for route in routes:
        options = sorted(route.options.all(), key=lambda option: option.rank)
        _json(archive, f"routes/{route.pk}/route.json", {
            "id": route.pk, "name": route.name, "shape_id": route.shape.shape_id if route.shape_id else None,
            "mode": route.mode, "target_distance_km": route.target_distance_km, "created_at": route.created_at,
            "options": [{"id": o.pk, "rank": o.rank, "distance_km": o.distance_km,
                         "shape_fidelity": o.shape_fidelity, "estimated_duration_s": o.estimated_duration_s}
                        for o in options]})
        for option in options:
            archive.writestr(f"routes/{route.pk}/option-{option.rank}.gpx", gpx_for_path(
                name=f"{route.name} #{option.rank}", coordinates=polyline_codec.decode(option.polyline, 5)))

    posts = Post.objects.filter(author=user).order_by("created_at")
    comments_on_posts: dict = {}
    for comment in (Comment.objects.filter(post__author=user, is_hidden=False).select_related("author")
                    .order_by("created_at")):
        comments_on_posts.setdefault(comment.post_id, []).append(
            {"author_name": comment.author.name if comment.author.is_active else "", "content": comment.content,
             "created_at": comment.created_at})
    _json(archive, "posts.json", [
        {"id": p.pk, "content": p.content, "visibility": p.visibility, "workout_id": p.workout_id,
         "route_id": p.route_id, "created_at": p.created_at, "comments": comments_on_posts.get(p.pk, [])}
        for p in posts])
    _json(archive, "comments.json", [
        {"id": c.pk, "post_id": c.post_id, "content": c.content, "created_at": c.created_at}
        for c in Comment.objects.filter(author=user).order_by("created_at")])
    _json(archive, "goals.json", [
        {"id": g.pk, "goal_type": g.goal_type, "target_type": g.target_type, "target_value": g.target_value,
         "start_date": g.start_date, "end_date": g.end_date, "is_active": g.is_active, "achieved_at": g.achieved_at}
        for g in Goal.objects.filter(user=user).order_by("start_date")])
    _json(archive, "follows.json", {
        "following": [{"user_id": f.followee_id, "name": f.followee.name, "since": f.created_at}
                      for f in Follow.objects.filter(follower=user).select_related("followee")],
        "followers": [{"user_id": f.follower_id, "name": f.follower.name, "since": f.created_at}
                      for f in Follow.objects.filter(followee=user).select_related("follower")],
    })
