"""What the app can do to a workout: start, ingest points, pause, resume, complete, delete, import; and the
per-user stats those keep exact.

Locking: every service that changes a workout takes `select_for_update()` on the workout row itself, so
batches, pauses and completion of one workout run one at a time (on SQLite the IMMEDIATE transactions
serialise writers anyway). Stats changes lock the user's `UserStats` row, which also serialises a user's
imports.
The GPS arithmetic is the pure engine's (`workouts.metrics`); this module adapts rows to its arrays.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import connection, transaction
from django.db.models import Count, FloatField, Func, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django_q.tasks import async_task

from routes.models import Route, RouteOption
from routes.selectors import route_outline
from runnerway.api.exceptions import ApiError, Conflict, InvalidState
from workouts import events, imports
from workouts.metrics import (
    REJECTION_REASONS,
    FilterResult,
    PointArrays,
    WorkoutMetrics,
    compute_workout_metrics,
    is_off_route,
    live_totals,
)
from workouts.metrics.constants import MAX_ACCURACY_M, MAX_FUTURE_S, NULL_ISLAND_TOLERANCE_DEG
from workouts.models import UserStats, Workout, WorkoutImport, WorkoutPause, WorkoutPoint

# API.md: a batch carries at most 1000 points (a phone buffering at 1 Hz sends a batch well within 17
# minutes).
POINTS_PER_BATCH_MAX = 1000
# A workout still active or paused with no sign of life (no batch, pause or resume) for this long was
# abandoned (the phone died or the app was killed): the scheduled job completes it with what it has.
STALE_AFTER = timedelta(hours=6)
# A workout "completes a route" (stats.completed_routes) when it covered at least this share of the planned
# path.
ROUTE_COMPLETED_MIN_PERCENT = 80.0
# Clients may state when a pause, resume or completion happened (an offline phone syncs later), but not beyond
# this into the server's future: a little slack for phone clocks running fast.
CLIENT_CLOCK_SLACK = timedelta(minutes=5)

Reason = WorkoutPoint.RejectedReason
logger = logging.getLogger(__name__)


def _from_epoch_s(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


# --- reading rows into engine inputs ------------------------------------------------------------------------


class EpochSeconds(Func):
    """A datetime column as float seconds since 1970-01-01 UTC, computed by the database.

    Reading 10 000 `recorded_at` values through the ORM builds 10 000 aware datetimes (~20 ms on SQLite, more
    on MariaDB); the engine only wants floats. Django stores UTC, so both expressions are zone-independent.
    """

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC: whole seconds from strftime('%s'), then the
        # fraction as written (julianday() arithmetic would blur it by ~10 µs). '%%%%' survives the template's
        # and then the SQLite cursor's %-escaping as one '%'.
        template = ("(CAST(strftime('%%%%s', %(expressions)s) AS REAL)"
                    " + COALESCE(CAST(NULLIF(substr(%(expressions)s, 20), '') AS REAL), 0.0))")
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_mysql(self, compiler, connection, **extra):
        # 1e6 is a DOUBLE literal: the result stays a float (1000000.0 would make it DECIMAL)
        return self.as_sql(compiler, connection,
                           template="(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', %(expressions)s) / 1e6)",
                           **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::float8", **extra)


def kept_point_arrays(*, workout: Workout, positions_only: bool = False) -> PointArrays:
    """The workout's stored points not flagged at arrival, as engine columns (any order).

    `positions_only`: time, position and seq only — all that live totals need (distance, moving time, the
    last fix); half the columns to read on every batch. Accuracy is not needed: fixes worse than 50 m were
    flagged on arrival and are not read at all.
    """
    optional = () if positions_only else ("altitude", "accuracy", "speed", "heart_rate")
    rows = list(
        WorkoutPoint.objects.filter(workout_id=workout.pk, rejected_reason="")
        .annotate(recorded_at_s=EpochSeconds("recorded_at"))
        .values_list("recorded_at_s", "latitude", "longitude", "seq", *optional)
    )
    if not rows:
        return PointArrays.empty()
    # arrays built in C (None becomes NaN): the engine takes float columns as they are
    columns = list(zip(*rows, strict=True))
    floats = {name: np.array(column, dtype=np.float64) for name, column in zip(optional, columns[4:], strict=True)}
    return PointArrays.from_columns(
        recorded_at=np.array(columns[0], dtype=np.float64), latitude=np.array(columns[1], dtype=np.float64),
        longitude=np.array(columns[2], dtype=np.float64), seq=np.array(columns[3], dtype=np.int64),
        altitude=floats.get("altitude"), accuracy=floats.get("accuracy"), speed=floats.get("speed"),
        heart_rate=floats.get("heart_rate"),
    )


def pause_spans(*, workout: Workout) -> list[tuple[datetime, datetime | None]]:
    return list(WorkoutPause.objects.filter(workout_id=workout.pk).values_list("started_at", "ended_at"))


def planned_path_latlng(*, workout: Workout) -> np.ndarray | None:
    """The attached route option's path as (M, 2) [lat, lng] (`RouteOption.coordinates`, as the routes app
    reads it), or None when the workout follows no option."""
    if workout.route_option_id is None:
        return None
    option = RouteOption.objects.only("id", "polyline").filter(pk=workout.route_option_id).first()
    if option is None or not option.polyline:
        return None
    path = np.asarray(option.coordinates(), dtype=np.float64)
    return path if len(path) >= 2 else None


def shape_outline(*, workout: Workout) -> tuple[np.ndarray | None, bool]:
    """The intended shape's outline (planar, the planner's convention) and whether it is closed: the routes
    app's `route_outline`, the one the route is placed and planned again with.

    Read as the route stored it at planning time: completion never parses a drawing (an SVG path's cost
    depends on its coordinates, and completion writes under the workout's row lock).
    (None, True) when the workout follows no route or the route has no outline: the engine then measures
    shape accuracy against the planned path itself, turned into an outline as the planner does
    (`routes.planner.geometry.latlng_to_local_xy`).
    """
    if workout.route_id is None:
        return None, True
    route = Route.objects.only("id", "outline", "outline_closed").filter(pk=workout.route_id).first()
    return route_outline(route) if route is not None else (None, True)


# --- starting -----------------------------------------------------------------------------------------------


def _resolve_route(*, user, route_id, route_option_id):
    """The user's own route and option (an option implies its route). Unknown or not theirs → 400."""
    route = option = None
    if route_option_id is not None:
        option = (
            RouteOption.objects.select_related("route")
            .filter(pk=route_option_id, route__user=user, route__deleted_at__isnull=True)
            .first()
        )
        if option is None:
            raise ApiError(gettext("Route option not found."),
                           fields={"route_option_id": [gettext("Route option not found.")]})
        if route_id is not None and option.route_id != route_id:
            raise ApiError(gettext("The route option belongs to another route."),
                           fields={"route_option_id": [gettext("The route option belongs to another route.")]})
        route = option.route
    elif route_id is not None:
        route = Route.objects.owned_by(user).filter(pk=route_id).first()
        if route is None:
            raise ApiError(gettext("Route not found."), fields={"route_id": [gettext("Route not found.")]})
    return route, option


def workout_start(
    *,
    user,
    type: str = Workout.Type.RUNNING,
    start_latitude: float | None = None,
    start_longitude: float | None = None,
    started_at: datetime | None = None,
    route_id=None,
    route_option_id=None,
    now: datetime | None = None,
) -> Workout:
    """Start a live workout in `active` (started now unless the phone says when)."""
    now = now or timezone.now()
    if started_at is not None and started_at > now + CLIENT_CLOCK_SLACK:
        raise ApiError(gettext("started_at is in the future."),
                       fields={"started_at": [gettext("Must not be in the future.")]})
    route, option = _resolve_route(user=user, route_id=route_id, route_option_id=route_option_id)
    return Workout.objects.create(
        user=user, type=type, status=Workout.Status.ACTIVE, source=Workout.Source.LIVE, route=route,
        route_option=option, started_at=started_at or now, start_latitude=start_latitude,
        start_longitude=start_longitude,
    )


# --- ingestion ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointsBatchResult:
    """`accepted + duplicates + rejected` = the batch size: each point is new and used, already stored (a
    retry), or new but kept out of the metrics (stored, flagged)."""

    accepted: int
    duplicates: int
    rejected: int
    last_seq: int | None
    distance_m: float
    moving_duration_s: float
    off_route: bool | None


def point_rejection_reason(*, recorded_at: datetime, latitude: float, longitude: float,
                           accuracy: float | None, started_at: datetime, now: datetime) -> str:
    """Why a fix is implausible on its own (the engine's thresholds), or "" if it is not.

    Checks that need the neighbouring fixes (speed spikes, same-time fixes, pauses) are the engine's, run on
    the whole track: out-of-order batches would otherwise decide them differently by arrival order.
    """
    if recorded_at.timestamp() > now.timestamp() + MAX_FUTURE_S:
        return Reason.FUTURE
    if recorded_at < started_at:
        return Reason.BEFORE_START
    if abs(latitude) < NULL_ISLAND_TOLERANCE_DEG and abs(longitude) < NULL_ISLAND_TOLERANCE_DEG:
        return Reason.NULL_ISLAND
    if accuracy is not None and accuracy > MAX_ACCURACY_M:
        return Reason.LOW_ACCURACY
    return Reason.KEPT


def _lock(workout: Workout) -> Workout:
    return Workout.objects.select_for_update().get(pk=workout.pk)


def _close_open_pause(workout: Workout, *, at: datetime) -> None:
    WorkoutPause.objects.filter(workout_id=workout.pk, ended_at__isnull=True).update(ended_at=at)


def workout_add_points(*, workout: Workout, points: list[dict],
                       now: datetime | None = None) -> PointsBatchResult:
    """Store a validated batch (dicts with the point fields) and refresh the workout's live totals.

    Idempotent per `seq`: points whose seq is already stored (a retry, an overlapping batch) are counted as
    duplicates and not written again; within a batch the first point of a seq wins. Takes the workout row
    lock, so concurrent batches of one workout serialise and the pre-query of stored seqs stays true until
    the insert (`ignore_conflicts` only guards against a writer that does not take the lock).
    Live totals are recomputed by the engine from all kept stored points (vectorised; see the bench), so they
    do not depend on the order batches arrived in; a batch that adds nothing (a pure retry) answers the totals
    stored by the last batch that did.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(workout)
        if locked.status == Workout.Status.COMPLETED:
            raise InvalidState(gettext("This workout is completed; it takes no more points."))

        first_by_seq: dict[int, dict] = {}
        for point in points:
            first_by_seq.setdefault(point["seq"], point)
        stored = set()
        if first_by_seq:
            # a range on the (workout, seq) unique index: constant parameter count whatever the batch size
            stored = set(
                WorkoutPoint.objects.filter(
                    workout_id=locked.pk, seq__gte=min(first_by_seq), seq__lte=max(first_by_seq)
                ).values_list("seq", flat=True)
            )
        new_points = [p for seq, p in first_by_seq.items() if seq not in stored]
        rows = []
        flagged = 0
        for point in new_points:
            reason = point_rejection_reason(
                recorded_at=point["recorded_at"], latitude=point["latitude"], longitude=point["longitude"],
                accuracy=point.get("accuracy"), started_at=locked.started_at, now=now,
            )
            flagged += reason != Reason.KEPT
            rows.append(WorkoutPoint(
                workout_id=locked.pk, seq=point["seq"], recorded_at=point["recorded_at"],
                latitude=point["latitude"], longitude=point["longitude"], altitude=point.get("altitude"),
                accuracy=point.get("accuracy"), speed=point.get("speed"), heart_rate=point.get("heart_rate"),
                rejected_reason=reason,
            ))
        if not rows:
            # a pure retry changes nothing: answer the stored totals without reading the track again
            Workout.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
            return _stored_totals(locked, duplicates=len(points))
        WorkoutPoint.objects.bulk_create(rows, ignore_conflicts=True)

        totals = live_totals(kept_point_arrays(workout=locked, positions_only=True),
                             pauses=pause_spans(workout=locked), started_at=locked.started_at, now=now,
                             activity_type=locked.type, planned_path_latlng=planned_path_latlng(workout=locked))
        # New, point-wise plausible fixes that the engine still left out (speed spikes, same-time fixes);
        # fixes recorded inside a pause are not errors and are not counted.
        left_out = set(np.concatenate(list(totals.filtered.rejected_seqs.values())).tolist())
        spikes = sum(1 for row in rows if not row.rejected_reason and row.seq in left_out)

        batch_max_seq = max(row.seq for row in rows)
        locked.last_seq = max(batch_max_seq, locked.last_seq if locked.last_seq is not None else -1)
        locked.points_count += len(rows)
        locked.rejected_count += flagged
        _apply_live_totals(locked, totals.filtered.points, totals.distance_m, totals.moving_duration_s)
        locked.save(update_fields=[
            "last_seq", "points_count", "rejected_count", "distance_m", "duration_s", "elapsed_duration_s",
            "avg_pace_s", "last_point_at", "last_latitude", "last_longitude", "updated_at",
        ])
    return PointsBatchResult(
        accepted=len(rows) - flagged - spikes, duplicates=len(points) - len(rows), rejected=flagged + spikes,
        last_seq=locked.last_seq, distance_m=totals.distance_m, moving_duration_s=totals.moving_duration_s,
        off_route=totals.off_route,
    )


def _stored_totals(workout: Workout, *, duplicates: int) -> PointsBatchResult:
    """The totals stored by the last batch that added points (a retried batch adds none)."""
    off_route = None
    planned = planned_path_latlng(workout=workout)
    if planned is not None and workout.last_latitude is not None:
        off_route = is_off_route((workout.last_latitude, workout.last_longitude), planned)
    return PointsBatchResult(
        accepted=0, duplicates=duplicates, rejected=0, last_seq=workout.last_seq, distance_m=workout.distance_m,
        moving_duration_s=float(workout.duration_s), off_route=off_route,
    )


def _apply_live_totals(workout: Workout, kept: PointArrays, distance_m: float, moving_s: float) -> None:
    workout.distance_m = distance_m
    workout.duration_s = round(moving_s)
    workout.avg_pace_s = moving_s * 1000.0 / distance_m if distance_m > 0 else None
    if len(kept):
        workout.last_point_at = _from_epoch_s(float(kept.t[-1]))
        workout.last_latitude = float(kept.lat[-1])
        workout.last_longitude = float(kept.lon[-1])
        workout.elapsed_duration_s = max(round(kept.t[-1] - workout.started_at.timestamp()), 0)


# --- state machine ------------------------------------------------------------------------------------------


def _transition_time(*, workout: Workout, at: datetime | None, now: datetime, field: str) -> datetime:
    """The moment a transition happened: the client's `at` (offline phones sync later) or now."""
    if at is None:
        return now
    if at > now + CLIENT_CLOCK_SLACK:
        raise ApiError(gettext("The time is in the future."), fields={field: [gettext("Must not be in the future.")]})
    if at < workout.started_at:
        raise ApiError(gettext("The time is before the workout started."),
                       fields={field: [gettext("Must not be before the workout started.")]})
    last_pause = WorkoutPause.objects.filter(workout_id=workout.pk).order_by("-started_at").first()
    if last_pause is not None and at < (last_pause.ended_at or last_pause.started_at):
        raise ApiError(gettext("The time is before the workout's last pause or resume."),
                       fields={field: [gettext("Must not be before the last pause or resume.")]})
    return at


def workout_pause(*, workout: Workout, at: datetime | None = None, now: datetime | None = None) -> Workout:
    """active → paused: opens a pause span. Anything else → 409 invalid_state."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(workout)
        if locked.status != Workout.Status.ACTIVE:
            raise InvalidState(gettext("Only an active workout can be paused; this one is %(status)s.")
                               % {"status": locked.status})
        WorkoutPause.objects.create(
            workout=locked, started_at=_transition_time(workout=locked, at=at, now=now, field="at")
        )
        locked.status = Workout.Status.PAUSED
        locked.save(update_fields=["status", "updated_at"])
    return locked


def workout_resume(*, workout: Workout, at: datetime | None = None, now: datetime | None = None) -> Workout:
    """paused → active: closes the open pause span. Anything else → 409 invalid_state."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(workout)
        if locked.status != Workout.Status.PAUSED:
            raise InvalidState(gettext("Only a paused workout can be resumed; this one is %(status)s.")
                               % {"status": locked.status})
        resumed_at = _transition_time(workout=locked, at=at, now=now, field="at")
        _close_open_pause(locked, at=resumed_at)
        locked.status = Workout.Status.ACTIVE
        locked.save(update_fields=["status", "updated_at"])
    return locked


# Completion computes the metrics before it takes the workout's row lock, then checks in a short transaction
# that nothing arrived meanwhile; a batch, pause or resume that did means computing again, at most this often
# (then once under the lock, so a phone streaming batches cannot keep its workout from completing).
COMPLETE_ATTEMPTS = 3


def workout_complete(
    *,
    workout: Workout,
    completed_at: datetime | None = None,
    end_latitude: float | None = None,
    end_longitude: float | None = None,
    now: datetime | None = None,
) -> Workout:
    """active|paused → completed: final metrics, flags on the points the engine left out, stats and records.

    The metrics are computed with no transaction open; the write is one short transaction under the workout's
    row lock that first checks the workout did not change since (else it computes again). A second call
    answers 409 invalid_state and changes nothing (the status is checked under the row lock), so the stats
    are added exactly once. An open pause is closed at the completion time.
    """
    now = now or timezone.now()
    for _attempt in range(COMPLETE_ATTEMPTS):
        snapshot = Workout.objects.select_related("user").get(pk=workout.pk)
        if snapshot.status == Workout.Status.COMPLETED:
            raise InvalidState(gettext("This workout is already completed."))
        finished_at = _transition_time(workout=snapshot, at=completed_at, now=now, field="completed_at")
        final = _compute_final(snapshot, completed_at=finished_at, now=now)
        with transaction.atomic():
            locked = _lock(workout)
            if locked.status == Workout.Status.COMPLETED:
                raise InvalidState(gettext("This workout is already completed."))
            if _unchanged_since(locked, snapshot):
                return _write_completion(locked, final, completed_at=finished_at,
                                         end_latitude=end_latitude, end_longitude=end_longitude)
        # a batch, pause or resume landed while computing: compute again with it
    with transaction.atomic():
        locked = _lock(workout)
        if locked.status == Workout.Status.COMPLETED:
            raise InvalidState(gettext("This workout is already completed."))
        finished_at = _transition_time(workout=locked, at=completed_at, now=now, field="completed_at")
        final = _compute_final(locked, completed_at=finished_at, now=now)
        return _write_completion(locked, final, completed_at=finished_at,
                                 end_latitude=end_latitude, end_longitude=end_longitude)


def _write_completion(locked: Workout, final: WorkoutMetrics, *, completed_at: datetime,
                      end_latitude: float | None, end_longitude: float | None) -> Workout:
    """The completion's writes; call inside a transaction holding the workout's row lock."""
    _close_open_pause(locked, at=completed_at)
    _apply_final(locked, final, completed_at=completed_at)
    if end_latitude is not None and end_longitude is not None:
        locked.end_latitude, locked.end_longitude = end_latitude, end_longitude
    locked.save()
    _record_completion(locked)
    return locked


def _unchanged_since(locked: Workout, snapshot: Workout) -> bool:
    # Every batch, pause and resume saves the row (auto_now `updated_at`) and batches count points.
    return (locked.status, locked.points_count, locked.updated_at) == (
        snapshot.status, snapshot.points_count, snapshot.updated_at)


def _compute_final(workout: Workout, *, completed_at: datetime, now: datetime,
                   device_calories_kcal: float | None = None) -> WorkoutMetrics:
    """Read the workout's points, pauses, planned path and outline, and run the metrics engine. Writes nothing."""
    # an open pause ends at the completion (completion closes it when it writes)
    pauses = [(start, end if end is not None else completed_at) for start, end in pause_spans(workout=workout)]
    planned = planned_path_latlng(workout=workout)
    outline, outline_closed = shape_outline(workout=workout) if planned is not None else (None, True)
    weight_kg = float(workout.user.weight_kg) if workout.user.weight_kg is not None else None
    return compute_workout_metrics(
        kept_point_arrays(workout=workout), pauses=pauses, started_at=workout.started_at,
        completed_at=completed_at, now=now, activity_type=workout.type, weight_kg=weight_kg,
        device_calories_kcal=device_calories_kcal, planned_path_latlng=planned, shape_outline_xy=outline,
        shape_closed=outline_closed,
    )


def _finalise(workout: Workout, *, completed_at: datetime, now: datetime,
              device_calories_kcal: float | None = None) -> None:
    """Compute the final metrics into `workout` (not saved) and flag the points the engine left out."""
    final = _compute_final(workout, completed_at=completed_at, now=now, device_calories_kcal=device_calories_kcal)
    _apply_final(workout, final, completed_at=completed_at)


def _apply_final(workout: Workout, metrics: WorkoutMetrics, *, completed_at: datetime) -> None:
    """Copy computed final metrics into `workout` (not saved) and flag the points the engine left out."""
    filtered = metrics.filtered
    _flag_left_out_points(workout, filtered)

    workout.status = Workout.Status.COMPLETED
    workout.completed_at = completed_at
    workout.distance_m = metrics.distance_m
    workout.duration_s = round(metrics.moving_duration_s)
    workout.elapsed_duration_s = max(round(metrics.elapsed_duration_s), workout.duration_s)
    workout.avg_pace_s = metrics.avg_pace_s
    workout.max_pace_s = metrics.max_pace_s
    workout.min_pace_s = metrics.min_pace_s
    workout.calories_kcal = metrics.calories_kcal
    workout.calories_source = metrics.calories_source or ""
    workout.weight_assumed = metrics.weight_assumed
    workout.heart_rate_avg = metrics.heart_rate_avg
    workout.heart_rate_max = metrics.heart_rate_max
    workout.elevation_gain_m = metrics.elevation_gain_m
    workout.elevation_loss_m = metrics.elevation_loss_m
    workout.route_completion = metrics.route_completion
    workout.shape_accuracy = metrics.shape_accuracy
    workout.splits = [
        {
            "km": split.km,
            "distance_m": round(split.distance_m, 1),
            "duration_s": round(split.duration_s, 1),
            "pace_s": round(split.pace_s, 1),
            "elevation_change_m": None if split.elevation_change_m is None else round(split.elevation_change_m, 1),
            "is_partial": split.is_partial,
        }
        for split in metrics.splits
    ]
    efforts = {int(distance): float(seconds) for distance, seconds in metrics.best_efforts.items()}
    workout.best_efforts = {str(distance): round(seconds, 1) for distance, seconds in efforts.items()}
    workout.best_1k_s = efforts.get(1000)
    workout.best_5k_s = efforts.get(5000)
    workout.best_10k_s = efforts.get(10000)
    workout.rejected_count = workout.points_count - metrics.kept_points
    kept = filtered.points
    if len(kept):
        workout.last_point_at = _from_epoch_s(float(kept.t[-1]))
        workout.last_latitude, workout.last_longitude = float(kept.lat[-1]), float(kept.lon[-1])
        if workout.start_latitude is None:
            workout.start_latitude, workout.start_longitude = float(kept.lat[0]), float(kept.lon[0])
        workout.end_latitude, workout.end_longitude = float(kept.lat[-1]), float(kept.lon[-1])


# The engine's reasons as stored. `out_of_range` has no stored reason: it never reaches a stored point (the
# batch serializer and the importer keep positions in range, and `recorded_at` is always a finite time).
_STORED_REASON = {reason: Reason(reason) for reason in REJECTION_REASONS if reason in Reason.values}


def _flag_left_out_points(workout: Workout, filtered: FilterResult) -> None:
    """Record why the engine left each remaining point out (paused, same time as another fix, a spike), as the
    engine decided it.

    Done once the whole track is known, so the stored flags do not depend on the order batches arrived in.
    """
    by_reason = {Reason.PAUSED: filtered.paused_seqs}
    by_reason.update((_STORED_REASON[reason], seqs) for reason, seqs in filtered.rejected_seqs.items()
                     if reason in _STORED_REASON)
    for reason, seqs in by_reason.items():
        if seqs.size:
            WorkoutPoint.objects.filter(workout_id=workout.pk, seq__in=seqs.tolist()).update(
                rejected_reason=reason
            )


def workout_complete_if_stale(*, workout_id, now: datetime | None = None) -> Workout | None:
    """Complete an abandoned workout (no sign of life for STALE_AFTER), at its last fix. Safe to run twice:
    a workout completed, deleted or revived meanwhile is left alone (returns None). Like `workout_complete`,
    the metrics are computed before the row lock is taken."""
    now = now or timezone.now()

    def stale():
        return Workout.objects.alive().filter(
            pk=workout_id, status__in=[Workout.Status.ACTIVE, Workout.Status.PAUSED],
            updated_at__lt=now - STALE_AFTER)

    snapshot = stale().select_related("user").first()
    if snapshot is None:
        return None
    completed_at = max(snapshot.last_point_at or snapshot.started_at, snapshot.started_at)
    last_pause = WorkoutPause.objects.filter(workout_id=snapshot.pk).order_by("-started_at").first()
    if last_pause is not None:
        completed_at = max(completed_at, last_pause.ended_at or last_pause.started_at)
    final = _compute_final(snapshot, completed_at=completed_at, now=now)
    with transaction.atomic():
        workout = stale().select_for_update().first()
        if workout is None or not _unchanged_since(workout, snapshot):
            return None  # completed, deleted or revived meanwhile
        _close_open_pause(workout, at=completed_at)
        _apply_final(workout, final, completed_at=completed_at)
        workout.save()
        _record_completion(workout)
    return workout


def _record_completion(workout: Workout) -> None:
    """After a workout became completed, inside that transaction. Every completion path (live, stale job,
    import) goes through here exactly once: stats and records, then `workout_completed` (goals) on commit."""
    user_stats_add_workout(workout=workout)
    events.emit_workout_completed_on_commit(user=workout.user, workout=workout)


# --- deletion -----------------------------------------------------------------------------------------------


def workout_delete(*, workout: Workout, now: datetime | None = None) -> None:
    """Soft delete; a completed workout leaves the stats, which are rebuilt so they stay exact."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(workout)
        if locked.deleted_at is not None:
            return
        locked.deleted_at = now
        locked.save(update_fields=["deleted_at", "updated_at"])
        if locked.status == Workout.Status.COMPLETED:
            user_stats_rebuild(user=locked.user)
            if locked.route_id is not None:  # its route (or the original it was copied from) counts one runner less
                route_id = str(locked.route_id)
                transaction.on_commit(lambda: async_task("routes.tasks.refresh_discover_counters", route_id))


# --- stats and personal records -----------------------------------------------------------------------------

# (record field on UserStats, the workout's column, holder field on UserStats)
_FASTEST = (
    ("fastest_1k_s", "best_1k_s", "fastest_1k_workout"),
    ("fastest_5k_s", "best_5k_s", "fastest_5k_workout"),
    ("fastest_10k_s", "best_10k_s", "fastest_10k_workout"),
)


def _stats_for_update(user) -> UserStats:
    stats, _ = UserStats.objects.select_for_update().get_or_create(user=user)
    return stats


def _counts_as_completed_route(workout: Workout) -> bool:
    return workout.route_completion is not None and workout.route_completion >= ROUTE_COMPLETED_MIN_PERCENT


def user_stats_add_workout(*, workout: Workout) -> list[tuple[str, float, float | None]]:
    """Add a just-completed workout to its user's totals and records (call once per workout, inside the
    transaction that completed it). Returns the records improved as (record, value, previous) and sends
    `events.personal_record_set` for each after commit."""
    stats = _stats_for_update(workout.user)
    stats.total_distance_m += workout.distance_m
    stats.total_workouts += 1
    stats.completed_routes += _counts_as_completed_route(workout)
    stats.total_calories_kcal += workout.calories_kcal or 0.0
    stats.total_duration_s += workout.duration_s
    improved: list[tuple[str, float, float | None]] = []
    if workout.distance_m > stats.longest_distance_m:
        improved.append(("longest_distance_m", workout.distance_m, stats.longest_distance_m or None))
        stats.longest_distance_m = workout.distance_m
        stats.longest_distance_workout = workout
    for record, column, holder in _FASTEST:
        value, previous = getattr(workout, column), getattr(stats, record)
        if value is not None and (previous is None or value < previous):
            improved.append((record, value, previous))
            setattr(stats, record, value)
            setattr(stats, holder, workout)
    stats.save()
    events.emit_personal_records_on_commit(user=workout.user, workout=workout, improved=improved)
    return improved


def user_stats_rebuild(*, user) -> UserStats:
    """Recompute a user's totals and records from their completed, not deleted workouts (after a delete)."""
    stats = _stats_for_update(user)
    completed = Workout.objects.of_user(user).filter(status=Workout.Status.COMPLETED)
    totals = completed.aggregate(
        distance=Sum("distance_m"), workouts=Count("pk"),
        routes=Count("pk", filter=Q(route_completion__gte=ROUTE_COMPLETED_MIN_PERCENT)),
        calories=Sum("calories_kcal"), duration=Sum("duration_s"), longest=Max("distance_m"),
    )
    stats.total_distance_m = totals["distance"] or 0.0
    stats.total_workouts = totals["workouts"]
    stats.completed_routes = totals["routes"]
    stats.total_calories_kcal = totals["calories"] or 0.0
    stats.total_duration_s = totals["duration"] or 0
    holder = completed.order_by("-distance_m", "started_at").values_list("pk", "distance_m").first()
    stats.longest_distance_m = holder[1] if holder else 0.0
    stats.longest_distance_workout_id = holder[0] if holder else None
    for record, column, holder_field in _FASTEST:
        holder = (
            completed.filter(**{f"{column}__isnull": False}).order_by(column, "started_at")
            .values_list("pk", column).first()
        )
        setattr(stats, record, holder[1] if holder else None)
        setattr(stats, f"{holder_field}_id", holder[0] if holder else None)
    stats.save()
    return stats


# --- import -------------------------------------------------------------------------------------------------
# An import is a job: the request reads the file's head for the first fix (duplicate check), stores
# the file and queues `workouts.tasks.run_import`; the job parses within its budget, writes the points in
# chunks of IMPORT_WRITE_CHUNK, each its own short transaction, computes the metrics outside any transaction
# and completes the workout in one short one. Nothing heavy runs while a write lock is held.

# Runs an import may start before the next delivery gives up on it: a run that ended without a word (the
# worker was killed: out of memory, or past Q_TIMEOUT) counts too. Below Q_CLUSTER["max_attempts"] (5), so the
# queue still hands the import out once more to record it `import_failed` rather than leave it `running`.
IMPORT_MAX_RUNS = 3
# Points per write transaction: ~20 ms of SQLite's write lock each, so another user's like waits that at most.
IMPORT_WRITE_CHUNK = 1000


def import_storage():
    """Where uploads wait for their import job (IMPORT_UPLOAD_DIR, read when called so tests can move it)."""
    return FileSystemStorage(location=settings.IMPORT_UPLOAD_DIR)


def _refuse_duplicate_start(*, user, started_at: datetime, exclude_workout_id=None,
                            exclude_import_id=None) -> None:
    """409 conflict when one of the user's workouts starts in the same second, or one of their pending
    imports has the same first fix: the file was imported (or is being imported) already, or recorded live."""
    second = started_at.replace(microsecond=0)
    window = {"gte": second, "lt": second + timedelta(seconds=1)}
    workouts = Workout.objects.of_user(user).filter(started_at__gte=window["gte"], started_at__lt=window["lt"])
    if exclude_workout_id is not None:
        workouts = workouts.exclude(pk=exclude_workout_id)
    pending = WorkoutImport.objects.filter(
        user=user, status__in=[WorkoutImport.Status.QUEUED, WorkoutImport.Status.RUNNING],
        first_fix_at__gte=window["gte"], first_fix_at__lt=window["lt"],
    )
    if exclude_import_id is not None:
        pending = pending.exclude(pk=exclude_import_id)
    if workouts.exists() or pending.exists():
        raise Conflict(gettext("A workout starting at this time already exists."))


def workout_import_create(*, user, upload, now: datetime | None = None):
    """Accept an uploaded GPX/FIT file (a Django `UploadedFile`) for import: a `WorkoutImport`, queued.

    In the request, and cheap whatever the file: only its first SCAN_MAX_BYTES are read, for the format and the
    first timed fix. Another format, or a GPX the hardened parser refuses within them → 400 unsupported_file;
    a first fix in the same second as one of the user's workouts or pending imports → 409 conflict. Nothing is
    stored then. Otherwise the file is stored, the import row created (under the user's stats lock, so two
    uploads of one file cannot both pass the check) and the job queued.
    """
    now = now or timezone.now()
    upload.seek(0)
    head = upload.read(imports.SCAN_MAX_BYTES + 1)
    first_fix = imports.scan_first_fix(head, complete=len(head) <= imports.SCAN_MAX_BYTES)
    if first_fix.recorded_at is not None:
        _refuse_duplicate_start(user=user, started_at=first_fix.recorded_at)  # at once, before storing
    import_id = uuid.uuid4()
    storage = import_storage()
    upload.seek(0)
    upload_name = storage.save(f"{import_id}.{first_fix.source}", upload)  # outside any transaction
    try:
        with transaction.atomic():
            _stats_for_update(user)
            if first_fix.recorded_at is not None:
                _refuse_duplicate_start(user=user, started_at=first_fix.recorded_at)
            workout_import = WorkoutImport.objects.create(
                id=import_id, user=user, source=first_fix.source, file_name=(upload.name or "")[:255],
                file_size=upload.size, upload_name=upload_name, first_fix_at=first_fix.recorded_at,
                created_at=now,
            )
    except BaseException:
        storage.delete(upload_name)
        raise
    async_task("workouts.tasks.run_import", str(workout_import.pk))
    workout_import.refresh_from_db()  # the test settings run the job in-process: answer what it did
    return workout_import


def _import_finish(workout_import, *, error: ApiError | None = None, now: datetime) -> None:
    """Record the outcome (a failure's code and message), delete the stored file once the row says so."""
    if error is not None:
        workout_import.status = WorkoutImport.Status.FAILED
        workout_import.error_code = error.error_code
        workout_import.error_message = str(error.detail)[:500]
    else:
        workout_import.status = WorkoutImport.Status.SUCCEEDED
    upload_name, workout_import.upload_name = workout_import.upload_name, ""
    workout_import.finished_at = now
    workout_import.save()
    if upload_name:
        transaction.on_commit(lambda: import_storage().delete(upload_name))


def _import_discard_workout(workout_id) -> None:
    """Delete an import's hidden workout and its points, a chunk per transaction (never one long delete)."""
    while True:
        seqs = list(WorkoutPoint.objects.filter(workout_id=workout_id).order_by("seq")
                    .values_list("seq", flat=True)[:IMPORT_WRITE_CHUNK * 5])
        if not seqs:
            break
        with transaction.atomic():
            WorkoutPoint.objects.filter(workout_id=workout_id, seq__gte=seqs[0], seq__lte=seqs[-1]).delete()
    Workout.objects.filter(pk=workout_id, deleted_at__isnull=False).delete()


def workout_import_process(*, import_id, now: datetime | None = None):
    """The job: parse the stored file, write its points, complete the workout. Returns the import (None when
    it no longer exists).

    Safe to run twice (the queue delivers at least once): a finished import is left alone; a run after one
    that was killed midway reuses its hidden workout and writes only the points still missing; the workout
    becomes visible, completed and counted in the stats exactly once, in the transaction that marks the
    import succeeded (re-checked under the import's row lock). Failures the file explains (not a track, too
    many points, over the time budget, a duplicate start) mark the import failed and delete the file; any
    other error is raised so the queue retries, and the last attempt also marks the import `import_failed`,
    as does a delivery after IMPORT_MAX_RUNS runs that never finished (workers killed midway).
    """
    now = now or timezone.now()
    with transaction.atomic():
        workout_import = WorkoutImport.objects.select_for_update().filter(pk=import_id).first()
        if workout_import is None or workout_import.status in WorkoutImport.FINISHED:
            return workout_import
        poisoned = workout_import.attempts >= IMPORT_MAX_RUNS
        workout_import.status = WorkoutImport.Status.RUNNING
        workout_import.attempts += 1
        workout_import.started_at = timezone.now()
        workout_import.save(update_fields=["status", "attempts", "started_at"])
    if poisoned:
        return _import_fail(workout_import.pk, error=ApiError(gettext("The import failed; try again later."),
                                                            code="import_failed"))
    budget = imports.ImportBudget(seconds=settings.IMPORT_TIME_BUDGET_S)
    phase_started = time.monotonic()
    phases_s = {}
    try:
        with import_storage().open(workout_import.upload_name, "rb") as stored:
            content = stored.read()
        activity = imports.parse_activity_file(content=content, max_points=settings.IMPORT_MAX_POINTS, budget=budget)
        del content
        phases_s["parse"], phase_started = time.monotonic() - phase_started, time.monotonic()
        _refuse_duplicate_start(user=workout_import.user, started_at=activity.started_at,
                                exclude_workout_id=workout_import.workout_id,
                                exclude_import_id=workout_import.pk)
        workout = _import_write_points(workout_import, activity, budget=budget, now=now)
        phases_s["write"], phase_started = time.monotonic() - phase_started, time.monotonic()
        budget.check()
        # the metrics read the stored points and flag the left-out ones: plain reads and short UPDATEs, no
        # transaction held while the engine computes (the workout is hidden: no one else writes it)
        workout.points_count = len(activity.points)
        workout.last_seq = len(activity.points) - 1
        _finalise(workout, completed_at=activity.ended_at, now=now,
                  device_calories_kcal=activity.device_calories_kcal)
        phases_s["metrics"] = time.monotonic() - phase_started
        budget.check()
        logger.info("import %s: %d points; %s", workout_import.pk, len(activity.points),
                    ", ".join(f"{name} {seconds:.2f} s" for name, seconds in phases_s.items()))
        with transaction.atomic():
            _stats_for_update(workout_import.user)
            locked = WorkoutImport.objects.select_for_update().get(pk=workout_import.pk)
            if locked.status in WorkoutImport.FINISHED:
                return locked  # another run finished it meanwhile
            _refuse_duplicate_start(user=workout_import.user, started_at=workout.started_at,
                                    exclude_workout_id=workout.pk, exclude_import_id=locked.pk)
            workout.deleted_at = None  # visible from this commit on
            workout.save()
            _record_completion(workout)
            _import_finish(locked, now=timezone.now())
        return locked
    except ApiError as error:  # what the file explains: final, no retry
        logger.info("import %s failed: %s after %s", workout_import.pk, error.error_code, phases_s)
        return _import_fail(workout_import.pk, error=error)
    except Exception:
        max_attempts = settings.Q_CLUSTER.get("max_attempts") or 1
        if workout_import.attempts >= max_attempts:
            _import_fail(workout_import.pk, error=ApiError(gettext("The import failed; try again later."),
                                                           code="import_failed"))
        raise


def _import_fail(import_id, *, error: ApiError):
    with transaction.atomic():
        locked = WorkoutImport.objects.select_for_update().get(pk=import_id)
        if locked.status in WorkoutImport.FINISHED:
            return locked
        hidden_workout_id, locked.workout = locked.workout_id, None
        _import_finish(locked, error=error, now=timezone.now())
    if hidden_workout_id is not None:
        _import_discard_workout(hidden_workout_id)
    return locked


_POINT_COLUMNS = ("workout_id", "seq", "recorded_at", "latitude", "longitude", "altitude", "heart_rate", "speed",
                  "rejected_reason")


def _insert_points(*, workout_id, rows: list[tuple]) -> None:
    """INSERT points (seq, recorded_at, lat, lon, altitude, heart_rate, speed, rejected_reason) by one
    executemany: `bulk_create` compiles every field of every row through the ORM, 5-10x the cost of the insert
    itself for a 100 000-point import. Values are adapted as the ORM would (UUID and datetime columns)."""
    quote = connection.ops.quote_name
    table = quote(WorkoutPoint._meta.db_table)
    columns = ", ".join(quote(WorkoutPoint._meta.get_field(name.removesuffix("_id")).column)
                        for name in _POINT_COLUMNS)
    workout_value = WorkoutPoint._meta.get_field("workout").get_db_prep_save(workout_id, connection)
    adapt_datetime = connection.ops.adapt_datetimefield_value
    placeholders = ", ".join(["%s"] * len(_POINT_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608 - names from the model
            [(workout_value, seq, adapt_datetime(recorded_at), *rest) for seq, recorded_at, *rest in rows],
        )


def _import_write_points(workout_import, activity, *, budget, now: datetime) -> Workout:
    """The import's hidden workout with every point stored: created on the first run (and linked to the
    import in the same transaction), reused by a later run, which writes only the seqs still missing. Points
    go in IMPORT_WRITE_CHUNK at a time, each chunk its own transaction."""
    with transaction.atomic():
        locked = WorkoutImport.objects.select_for_update().get(pk=workout_import.pk)
        workout = Workout.objects.filter(pk=locked.workout_id).first() if locked.workout_id else None
        if workout is None:
            # deleted_at set: out of sight (every read goes through alive()) until the import succeeds
            workout = Workout.objects.create(
                user=locked.user, type=activity.activity_type, status=Workout.Status.ACTIVE,
                source=activity.source, started_at=activity.started_at, deleted_at=now,
            )
            locked.workout = workout
            locked.save(update_fields=["workout"])
        workout_import.workout = workout
    stored_max = WorkoutPoint.objects.filter(workout_id=workout.pk).aggregate(seq=Max("seq"))["seq"]
    started_at = activity.started_at
    for first in range(0 if stored_max is None else stored_max + 1, len(activity.points), IMPORT_WRITE_CHUNK):
        budget.check()
        chunk = activity.points[first:first + IMPORT_WRITE_CHUNK]
        rows = [
            (first + offset, point.recorded_at, point.latitude, point.longitude, point.altitude, point.heart_rate,
             point.speed, point_rejection_reason(recorded_at=point.recorded_at, latitude=point.latitude,
                                                 longitude=point.longitude, accuracy=None, started_at=started_at,
                                                 now=now))
            for offset, point in enumerate(chunk)
        ]
        with transaction.atomic():
            _insert_points(workout_id=workout.pk, rows=rows)
    return workout
