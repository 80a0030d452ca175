"""Workouts API (API.md "Workouts") and `GET /users/me/stats`. Thin: serializers validate, services write,
selectors read. Another user's workout answers 404 on every endpoint (never 403)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from runnerway.api.exceptions import ApiError
from runnerway.api.pagination import CursorPagination
from runnerway.api.renderers import EnvelopeJSONRenderer, FileResponseMixin, GpxRenderer, file_attachment
from runnerway.api.schema import error_response
from runnerway.api.units import format_pace, km, path_object, whole
from runnerway.replicas import ReplicaReadsMixin
from workouts import exports, selectors, services
from workouts.imports import MAX_IMPORT_BYTES
from workouts.output import workout_data
from workouts.serializers import (
    UserStatsQuerySerializer,
    UserStatsSerializer,
    WorkoutCompleteSerializer,
    WorkoutImportSerializer,
    WorkoutImportUploadSerializer,
    WorkoutListQuerySerializer,
    WorkoutPointsBatchSerializer,
    WorkoutPointsResultSerializer,
    WorkoutSerializer,
    WorkoutStartSerializer,
    WorkoutTrackSerializer,
    WorkoutTransitionSerializer,
)
from workouts.throttles import WorkoutImportThrottle

TAGS = ["workouts"]
INVALID_STATE_409 = error_response("`invalid_state`: the workout's status does not allow this "
                                   "(e.g. pausing a paused or completed workout).")
WORKOUT_FIELDS_DESCRIPTION = (
    "Units: `distance` km, `duration` (moving) and `elapsed_duration` s, paces `m:ss` per km with "
    "`*_pace_s` in s/km (`max_pace` is the fastest 200 m, `min_pace` the slowest), `calories` kcal "
    "(`calories_source` `device` or `estimated`; `weight_assumed` when the profile has no weight and 70 kg "
    "was used), elevation m, `route_completion`/`shape_accuracy` 0-100 when the workout followed a route "
    "option. While recording, "
    "`distance`/`duration`/`avg_pace` are live totals and the other metrics are null until completion."
)


class WorkoutPagination(CursorPagination):
    ordering = "-started_at"


def _own_workout(request, workout_id):
    workout = selectors.workout_get_for_user(user=request.user, workout_id=workout_id)
    if workout is None:
        raise NotFound(_("No such workout."))
    return workout


def _workout_response(request, workout, *, status_code=status.HTTP_200_OK) -> Response:
    # re-read with the route and shape joined: services return the locked row without them
    fresh = selectors.workout_detail_for_user(user=request.user, workout_id=workout.pk)
    return Response(workout_data(fresh), status=status_code)


class WorkoutListCreateView(GenericAPIView):
    pagination_class = WorkoutPagination
    serializer_class = WorkoutSerializer

    @extend_schema(summary="My workouts",
                   description="Newest first (by start), cursor-paginated. `?status=`, `?from=`/`?to=` "
                   "(dates, inclusive, in my time zone, on the start time).\n\n" + WORKOUT_FIELDS_DESCRIPTION,
                   parameters=[WorkoutListQuerySerializer], responses={200: WorkoutSerializer(many=True)},
                   tags=TAGS)
    def get(self, request):
        query = WorkoutListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        workouts = selectors.workouts_for_user(
            user=request.user, status=query.validated_data.get("status"),
            date_from=query.validated_data.get("from"), date_to=query.validated_data.get("to"),
        )
        page = self.paginate_queryset(workouts)
        return self.get_paginated_response([workout_data(workout) for workout in page])

    @extend_schema(summary="Start a workout",
                   description="Creates a live workout in `active`. With `route_option_id` (one of my "
                   "routes' options) the workout follows it: points batches answer `off_route`, "
                   "completion measures route completion and shape accuracy. An unknown or foreign route "
                   "→ 400 on that field.",
                   request=WorkoutStartSerializer, responses={201: WorkoutSerializer}, tags=TAGS)
    def post(self, request):
        data = WorkoutStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        workout = services.workout_start(user=request.user, **data.validated_data)
        return _workout_response(request, workout, status_code=status.HTTP_201_CREATED)


class WorkoutDetailView(APIView):
    def cache_read_ahead(self, workout_id, **kwargs):
        # read with the token's user in one cache round trip (accounts.authentication)
        return [(selectors.workout_detail_cache, workout_id)]

    @extend_schema(summary="One of my workouts", description=WORKOUT_FIELDS_DESCRIPTION,
                   responses={200: WorkoutSerializer}, tags=TAGS)
    def get(self, request, workout_id):
        output = selectors.workout_detail_output(user=request.user, workout_id=workout_id,
                                                 prefetched=getattr(request, "cache_prefetched", None))
        if output is None:
            raise NotFound(_("No such workout."))
        return Response(output)

    @extend_schema(summary="Delete a workout", description="Soft delete; a completed workout leaves my stats "
                   "and records (recomputed from the remaining workouts).", responses={204: None}, tags=TAGS)
    def delete(self, request, workout_id):
        services.workout_delete(workout=_own_workout(request, workout_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkoutPointsView(APIView):
    @extend_schema(
        summary="Send a batch of GPS points",
        description="Up to 1000 points, validated as a whole: one malformed point → 400 with "
        "`fields` like `points.3.latitude`, nothing stored. Each point is counted once as `accepted` (new, "
        "used), `duplicates` (its `seq` is already stored: retried or overlapping batches store nothing "
        "twice) or `rejected` (new but implausible — accuracy > 50 m, more than a day in the future, before "
        "the start, (0,0), or a speed spike — stored, flagged, kept out of the metrics). Batches may arrive "
        "out of order: points are ordered by `recorded_at`. Answers the live `distance` (km) and moving "
        "`duration` (s); `off_route` only when following a route option (last fix > 50 m from the path). "
        "Accepted while `active` or `paused` (late points of the run); a completed workout → 409.",
        request=WorkoutPointsBatchSerializer,
        responses={200: WorkoutPointsResultSerializer, 409: INVALID_STATE_409},
        tags=TAGS,
    )
    def post(self, request, workout_id):
        workout = _own_workout(request, workout_id)
        data = WorkoutPointsBatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.workout_add_points(workout=workout, points=data.validated_data["points"])
        body = {
            "accepted": result.accepted, "duplicates": result.duplicates, "rejected": result.rejected,
            "last_seq": result.last_seq, "distance": km(result.distance_m),
            "duration": whole(result.moving_duration_s),
        }
        if result.off_route is not None:
            body["off_route"] = result.off_route
        return Response(body)


class _WorkoutTransitionView(APIView):
    """POST moves the workout through one state-machine transition (`transition`, a service), at `at`."""

    transition = None

    def post(self, request, workout_id):
        workout = _own_workout(request, workout_id)
        data = WorkoutTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        workout = type(self).transition(workout=workout, at=data.validated_data.get("at"))
        return _workout_response(request, workout)


@extend_schema_view(post=extend_schema(
    summary="Pause a workout", description="`active` → `paused`; opens a pause span (at `at`, default now). "
    "Anything else → 409 `invalid_state`.", request=WorkoutTransitionSerializer,
    responses={200: WorkoutSerializer, 409: INVALID_STATE_409}, tags=TAGS))
class WorkoutPauseView(_WorkoutTransitionView):
    transition = services.workout_pause


@extend_schema_view(post=extend_schema(
    summary="Resume a workout", description="`paused` → `active`; closes the pause span. "
    "Anything else → 409 `invalid_state`.", request=WorkoutTransitionSerializer,
    responses={200: WorkoutSerializer, 409: INVALID_STATE_409}, tags=TAGS))
class WorkoutResumeView(_WorkoutTransitionView):
    transition = services.workout_resume


class WorkoutCompleteView(APIView):
    @extend_schema(
        summary="Complete a workout",
        description="`active`/`paused` → `completed`: final metrics (distance, moving and elapsed time, "
        "paces, per-km `splits` with the crossing interpolated, calories with my weight — 70 kg when "
        "unknown, `weight_assumed` — heart rate, elevation, route completion and shape accuracy when "
        "following a route option), then my stats and personal records. Completing twice → 409 "
        "`invalid_state` (nothing changes).\n\n" + WORKOUT_FIELDS_DESCRIPTION,
        request=WorkoutCompleteSerializer,
        responses={200: WorkoutSerializer, 409: INVALID_STATE_409},
        tags=TAGS,
    )
    def post(self, request, workout_id):
        workout = _own_workout(request, workout_id)
        data = WorkoutCompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        workout = services.workout_complete(workout=workout, **data.validated_data)
        return _workout_response(request, workout)


class WorkoutTrackView(APIView):
    @extend_schema(summary="A workout's recorded track",
                   description="The points used by the metrics in time order: `path` {polyline "
                   "(precision 5), coordinates [[lat, lng]], bbox [min_lat, min_lng, max_lat, max_lng]}, null "
                   "when no point was kept, and the per-point streams `times`, `altitudes` (m), `heart_rates` "
                   "(bpm), null where not recorded.",
                   responses={200: WorkoutTrackSerializer}, tags=TAGS)
    def get(self, request, workout_id):
        track = selectors.workout_track(workout=_own_workout(request, workout_id))
        body = {
            "path": path_object(track.coordinates),
            "times": track.times, "altitudes": track.altitudes, "heart_rates": track.heart_rates,
        }
        return Response(WorkoutTrackSerializer(body).data)


class WorkoutGpxView(FileResponseMixin, APIView):
    renderer_classes = [EnvelopeJSONRenderer, GpxRenderer]

    @extend_schema(summary="A workout as a GPX 1.1 file",
                   description="One track of the points used by the metrics, with time, elevation and heart "
                   "rate (Garmin TrackPointExtension `gpxtpx:hr`).",
                   responses={(200, "application/gpx+xml"): OpenApiResponse(OpenApiTypes.STR,
                                                                           description="GPX 1.1 document")},
                   tags=TAGS)
    def get(self, request, workout_id):
        workout = _own_workout(request, workout_id)
        return file_attachment(exports.workout_gpx(workout=workout), renderer=GpxRenderer,
                               file_name=exports.gpx_file_name(workout))


def _too_large() -> ApiError:
    message = _("The file is larger than %(megabytes)s MB.") % {"megabytes": MAX_IMPORT_BYTES // (1024 * 1024)}
    return ApiError(message, fields={"file": [message]})


def _import_example(name: str, status_code: str, data: dict) -> OpenApiExample:
    """An import as clients receive it: inside the success envelope (the schema hook wraps the schema only)."""
    return OpenApiExample(name, response_only=True, status_codes=[status_code],
                          value={"success": True, "data": data})


_IMPORT_EXAMPLE_QUEUED = _import_example(
    "queued", "202", {"id": "6f1c2b9e-3a40-4c1e-9d57-2b8f0e4a7c11", "status": "queued", "source": "gpx",
    "file_name": "morning_run.gpx", "file_size": 1482113, "first_fix_at": "2026-05-01T06:30:00Z",
    "workout_id": None, "error_code": None, "error_message": None,
    "created_at": "2026-05-01T09:12:03Z", "finished_at": None},
)
_IMPORT_EXAMPLE_SUCCEEDED = _import_example(
    "succeeded", "200", {"id": "6f1c2b9e-3a40-4c1e-9d57-2b8f0e4a7c11", "status": "succeeded", "source": "gpx",
    "file_name": "morning_run.gpx", "file_size": 1482113, "first_fix_at": "2026-05-01T06:30:00Z",
    "workout_id": "0b7d4f7e-8a0c-4f5b-b1e3-5d2a9c6e8f40", "error_code": None, "error_message": None,
    "created_at": "2026-05-01T09:12:03Z", "finished_at": "2026-05-01T09:12:05Z"},
)
_IMPORT_EXAMPLE_FAILED = _import_example(
    "failed", "200", {"id": "9a3e5c1d-7b2f-4e60-8c94-1f0d2b3a4e55", "status": "failed", "source": "gpx",
    "file_name": "ultra.gpx", "file_size": 20500173, "first_fix_at": "2026-05-01T06:30:00Z",
    "workout_id": None, "error_code": "too_many_points",
    "error_message": "The file holds more than 100000 track points.",
    "created_at": "2026-05-01T09:12:03Z", "finished_at": "2026-05-01T09:12:07Z"},
)


class WorkoutImportView(APIView):
    parser_classes = [MultiPartParser]
    throttle_scope = "workout_import"

    def get_throttles(self):
        return [*super().get_throttles(), WorkoutImportThrottle()]

    @extend_schema(
        summary="Import a GPX or FIT file (a job)",
        description="Multipart `file` (GPX 1.0/1.1 or a FIT activity, at most 20 MB and 100 000 fixes "
        "(IMPORT_MAX_POINTS)) → 202 an import, `queued`: a background job parses it and creates a `completed` "
        "workout with metrics (calories from the file when the device recorded them). Poll "
        "`GET /workouts/imports/{id}` until `succeeded` (then `workout_id`) or `failed` (`error_code`). "
        "Answered at once from the file's first 256 KB: another format, or a GPX refused by the hardened "
        "parser (a DTD or entities, more than 64 namespace declarations, 32 attributes, 32 levels or a 128 kB "
        "tag) or holding no timed "
        "track → 400 `unsupported_file`; the first fix in the same second as one of my workouts or pending "
        "imports → 409 `conflict`. What only the whole file shows (a bad FIT checksum, too many fixes, a "
        "duplicate start deeper in the file) fails the import instead. Throttled per user "
        "(THROTTLE_WORKOUT_IMPORT, default 30/hour) → 429 `throttled`.",
        request={"multipart/form-data": WorkoutImportUploadSerializer},
        responses={202: WorkoutImportSerializer,
                   400: error_response("`unsupported_file`: not a GPX/FIT track; `validation_error`: no "
                                       "file, or larger than 20 MB."),
                   409: error_response("`conflict`: a workout (or a pending import) with this start time "
                                       "exists.")},
        examples=[_IMPORT_EXAMPLE_QUEUED],
        tags=TAGS,
    )
    def post(self, request):
        # refuse an oversized upload before Django spools it to disk
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_IMPORT_BYTES + 64 * 1024:
            raise _too_large()
        data = WorkoutImportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise _too_large()
        workout_import = services.workout_import_create(user=request.user, upload=upload)
        return Response(WorkoutImportSerializer(workout_import).data, status=status.HTTP_202_ACCEPTED)


class WorkoutImportDetailView(APIView):
    @extend_schema(
        summary="An import's status",
        description="`queued` | `running` | `succeeded` (with `workout_id`, the completed workout) | `failed` "
        "(with `error_code` and `error_message`). Another user's import answers 404.",
        responses={200: WorkoutImportSerializer, 404: error_response("`not_found`: no such import of mine.")},
        examples=[_IMPORT_EXAMPLE_SUCCEEDED, _IMPORT_EXAMPLE_FAILED],
        tags=TAGS,
    )
    def get(self, request, import_id):
        workout_import = selectors.workout_import_for_user(user=request.user, import_id=import_id)
        if workout_import is None:
            raise NotFound(_("No such import."))
        return Response(WorkoutImportSerializer(workout_import).data)


class UserStatsView(ReplicaReadsMixin, APIView):
    @extend_schema(
        summary="My running stats",
        description="Totals over my completed workouts: `?period=all` (default, lifetime) or the current "
        "calendar `week` (from Monday), `month` or `year` in my time zone. Distances km, `total_duration` "
        "moving s, `avg_pace` over that time; `records` are the fastest 1 km / 5 km / 10 km efforts (s) and "
        "the longest workout (km) in the period. `completed_routes`: workouts covering ≥ 80 % of their "
        "planned route. Read from stored aggregates, never from GPS points.",
        parameters=[UserStatsQuerySerializer], responses={200: UserStatsSerializer}, tags=["users"],
    )
    def get(self, request):
        query = UserStatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.validated_data["period"]
        totals = selectors.user_totals(user=request.user, period=period)
        return Response(UserStatsSerializer({
            "period": period,
            "total_distance": km(totals.total_distance_m),
            "total_workouts": totals.total_workouts,
            "completed_routes": totals.completed_routes,
            "total_calories": whole(totals.total_calories_kcal),
            "total_duration": totals.total_duration_s,
            "avg_pace": format_pace(totals.avg_pace_s),
            "avg_pace_s": whole(totals.avg_pace_s),
            "longest_distance": km(totals.longest_distance_m),
            "records": {
                "fastest_1k_s": whole(totals.fastest_1k_s),
                "fastest_5k_s": whole(totals.fastest_5k_s),
                "fastest_10k_s": whole(totals.fastest_10k_s),
                "longest_distance": km(totals.longest_distance_m),
            },
        }).data)
