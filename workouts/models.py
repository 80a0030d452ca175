"""Workouts, their GPS points and pause spans, and each user's running totals and personal records.

Units are stored in SI (metres, seconds, kcal); the API converts distances to km. Live running totals sit on
the workout row so a points batch can answer without reading anything but the workout's own points.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _


class WorkoutQuerySet(models.QuerySet):
    def alive(self):
        """Not soft-deleted: everything a client can reach."""
        return self.filter(deleted_at__isnull=True)

    def of_user(self, user):
        return self.alive().filter(user=user)


class Workout(models.Model):
    class Type(models.TextChoices):
        RUNNING = "running", _("Running")
        WALKING = "walking", _("Walking")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")

    class Source(models.TextChoices):
        LIVE = "live", _("Recorded live")
        GPX = "gpx", _("GPX import")
        FIT = "fit", _("FIT import")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="workouts")
    type = models.CharField(_("type"), max_length=16, choices=Type.choices, default=Type.RUNNING)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.LIVE)
    # SET_NULL: deleting a route must not take the runs done on it; the figures stay on the workout.
    route = models.ForeignKey("routes.Route", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="workouts")
    route_option = models.ForeignKey("routes.RouteOption", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="workouts")

    started_at = models.DateTimeField(_("started at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    start_latitude = models.FloatField(null=True, blank=True)
    start_longitude = models.FloatField(null=True, blank=True)
    end_latitude = models.FloatField(null=True, blank=True)
    end_longitude = models.FloatField(null=True, blank=True)

    # Distance and moving time: live running totals while recording, the engine's final figures once done.
    distance_m = models.FloatField(_("distance (m)"), default=0.0)
    duration_s = models.PositiveIntegerField(_("moving time (s)"), default=0, help_text="Moving time (s).")
    elapsed_duration_s = models.PositiveIntegerField(default=0,
                                                     help_text="Start to finish, pauses included (s).")
    avg_pace_s = models.FloatField(null=True, blank=True, help_text="Seconds per km over the moving time.")
    max_pace_s = models.FloatField(null=True, blank=True, help_text="Fastest pace over 200 m (s/km).")
    min_pace_s = models.FloatField(null=True, blank=True, help_text="Slowest pace over 200 m (s/km).")
    calories_kcal = models.FloatField(null=True, blank=True)
    calories_source = models.CharField(max_length=16, blank=True, default="", help_text="device | estimated")
    weight_assumed = models.BooleanField(default=False, help_text="Calories used the 70 kg default weight.")
    heart_rate_avg = models.FloatField(null=True, blank=True)
    heart_rate_max = models.FloatField(null=True, blank=True)
    elevation_gain_m = models.FloatField(null=True, blank=True)
    elevation_loss_m = models.FloatField(null=True, blank=True)
    route_completion = models.FloatField(null=True, blank=True, help_text="0-100, with a route option.")
    shape_accuracy = models.FloatField(null=True, blank=True, help_text="0-100, with a route option.")
    # Per-km splits in SI units, formatted on output (workouts.output.split_data): [{km, distance_m, duration_s
    # (moving), pace_s (s per km), elevation_change_m (or null), is_partial}]
    splits = models.JSONField(default=list, blank=True)
    # Best continuous efforts (s) for the personal records; columns so per-period records are one MIN() query.
    best_1k_s = models.FloatField(null=True, blank=True)
    best_5k_s = models.FloatField(null=True, blank=True)
    best_10k_s = models.FloatField(null=True, blank=True)
    best_efforts = models.JSONField(default=dict, blank=True,
                                    help_text="{distance_m: seconds} for every effort.")

    # Ingestion state. `last_seq`: highest client seq stored; `last_point_at` and the last position: the
    # newest kept fix by recorded time (what `off_route` looks at).
    points_count = models.PositiveIntegerField(_("points"), default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    last_seq = models.BigIntegerField(null=True, blank=True)
    last_point_at = models.DateTimeField(null=True, blank=True)
    last_latitude = models.FloatField(null=True, blank=True)
    last_longitude = models.FloatField(null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), default=dj_timezone.now)
    # Every batch, pause and resume touches the row: `updated_at` is the workout's last sign of life.
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    objects = WorkoutQuerySet.as_manager()

    class Meta:
        verbose_name = _("workout")
        verbose_name_plural = _("workouts")
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["user", "-started_at"], name="workout_user_started_idx"),
            models.Index(fields=["status", "updated_at"], name="workout_status_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status == self.Status.COMPLETED


class WorkoutPoint(models.Model):
    """One GPS fix as the phone sent it. Points left out of the metrics stay stored, with the reason."""

    class RejectedReason(models.TextChoices):
        KEPT = "", "Used"
        LOW_ACCURACY = "low_accuracy", "Accuracy worse than 50 m"
        FUTURE = "future", "Recorded in the future"
        BEFORE_START = "before_start", "Recorded before the start"
        NULL_ISLAND = "null_island", "(0, 0) placeholder fix"
        SPEED_SPIKE = "speed_spike", "Implausible speed from the previous fix"
        DUPLICATE_TIME = "duplicate_time", "Same time as another fix"
        PAUSED = "paused", "Recorded while paused"

    id = models.BigAutoField(primary_key=True)
    workout = models.ForeignKey(Workout, on_delete=models.CASCADE, related_name="points")
    seq = models.BigIntegerField(help_text="The client's sequence number; unique within the workout.")
    recorded_at = models.DateTimeField()
    latitude = models.FloatField()
    longitude = models.FloatField()
    altitude = models.FloatField(null=True, blank=True)
    accuracy = models.FloatField(null=True, blank=True)
    speed = models.FloatField(null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    # "" = used by the metrics. Point-level checks are set on arrival; the checks that depend on neighbouring
    # fixes (speed spikes, same-time fixes, pauses) are set on completion, when the whole track is known.
    rejected_reason = models.CharField(max_length=16, choices=RejectedReason.choices, blank=True, default="")

    class Meta:
        verbose_name = _("workout point")
        verbose_name_plural = _("workout points")
        ordering = ["recorded_at", "seq"]
        constraints = [models.UniqueConstraint(fields=["workout", "seq"], name="workout_point_unique_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.latitude:.6f},{self.longitude:.6f} at {self.recorded_at:%H:%M:%S}"


class WorkoutPause(models.Model):
    """A paused span; `ended_at` is null while the workout is paused."""

    workout = models.ForeignKey(Workout, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("workout pause")
        verbose_name_plural = _("workout pauses")
        ordering = ["started_at"]
        indexes = [models.Index(fields=["workout", "started_at"], name="workout_pause_idx")]

    def __str__(self) -> str:
        if self.ended_at is None:
            return f"pause from {self.started_at:%H:%M:%S} (open)"
        return f"pause {self.started_at:%H:%M:%S}-{self.ended_at:%H:%M:%S}"


class UserStats(models.Model):
    """A user's all-time totals and personal records over completed, not deleted workouts.

    Updated under `select_for_update()` when a workout completes (one row per user serialises completions and
    imports of the same user) and rebuilt from the workouts when one is deleted, so it stays exact.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="workout_stats")
    total_distance_m = models.FloatField(default=0.0)
    total_workouts = models.PositiveIntegerField(default=0)
    completed_routes = models.PositiveIntegerField(default=0)
    total_calories_kcal = models.FloatField(default=0.0)
    total_duration_s = models.PositiveBigIntegerField(default=0)
    longest_distance_m = models.FloatField(default=0.0)
    fastest_1k_s = models.FloatField(null=True, blank=True)
    fastest_5k_s = models.FloatField(null=True, blank=True)
    fastest_10k_s = models.FloatField(null=True, blank=True)
    # Which workout holds each record (SET_NULL: the stats rebuild replaces them when a workout goes away).
    longest_distance_workout = models.ForeignKey(Workout, on_delete=models.SET_NULL, null=True, blank=True,
                                                 related_name="+")
    fastest_1k_workout = models.ForeignKey(Workout, on_delete=models.SET_NULL, null=True, blank=True,
                                           related_name="+")
    fastest_5k_workout = models.ForeignKey(Workout, on_delete=models.SET_NULL, null=True, blank=True,
                                           related_name="+")
    fastest_10k_workout = models.ForeignKey(Workout, on_delete=models.SET_NULL, null=True, blank=True,
                                            related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("user stats")
        verbose_name_plural = _("user stats")

    def __str__(self) -> str:
        return f"stats {self.user_id}: {self.total_workouts} workouts, {self.total_distance_m / 1000:.1f} km"


class WorkoutImport(models.Model):
    """One uploaded GPX/FIT file on its way to a workout: the request stores the file and queues a job
    (`workouts.tasks.run_import`), which parses it, writes the points and completes the workout.

    The file stays on disk (IMPORT_UPLOAD_DIR, named by `upload_name`) until the job has finished, then it is
    deleted and `upload_name` cleared. While the job writes, `workout` is a workout kept out of sight
    (soft-deleted) so nobody sees a half-imported track; success makes it visible and completed.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    FINISHED = (Status.SUCCEEDED, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workout_imports")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    source = models.CharField(max_length=8, choices=Workout.Source.choices,
                              help_text="gpx | fit, from the file's first bytes.")
    file_name = models.CharField(max_length=255, blank=True, default="")
    file_size = models.PositiveIntegerField(default=0, help_text="Bytes.")
    upload_name = models.CharField(max_length=255, blank=True, default="",
                                   help_text="The stored file in IMPORT_UPLOAD_DIR; empty once the job finished.")
    # The first timed fix the request found in the file's head: pending imports with the same one are
    # duplicates. Null when it lies deeper (the job checks the start).
    first_fix_at = models.DateTimeField(null=True, blank=True)
    workout = models.ForeignKey(Workout, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    error_code = models.CharField(max_length=32, blank=True, default="")
    error_message = models.CharField(max_length=500, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Job runs so far (delivery is at least once).")
    created_at = models.DateTimeField(default=dj_timezone.now)
    started_at = models.DateTimeField(null=True, blank=True, help_text="When the latest job run began.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("workout import")
        verbose_name_plural = _("workout imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "status", "first_fix_at"], name="workout_import_pending_idx")]

    def __str__(self) -> str:
        return f"import {self.file_name or self.pk} ({self.status})"
