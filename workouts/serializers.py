"""Input and output shapes of the workouts API (API.md units: km, 2 decimals; whole seconds; "m:ss" paces).

Output serializers read stored figures only (no queries beyond the `route__shape` join the selectors add).
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from routes.models import SHAPE_NAME_HELP
from runnerway.api.fields import BoundedDateField, bbox_field, latlng_field
from workouts.metrics import format_pace
from workouts.models import Workout, WorkoutImport
from workouts.selectors import STATS_PERIODS
from workouts.services import POINTS_PER_BATCH_MAX

CALORIES_SOURCES = ["device", "estimated"]  # from the file, or the ACSM equations
IMPORT_SOURCES = [Workout.Source.GPX, Workout.Source.FIT]
# Why a failed import failed: the ApiError codes `workout_import_run` records (the file's faults, then ours).
IMPORT_ERROR_CODES = ["unsupported_file", "too_many_points", "import_timeout", "conflict", "import_failed"]


def km(distance_m: float | None) -> float | None:
    return None if distance_m is None else round(distance_m / 1000.0, 2)


def whole(value: float | None) -> int | None:
    return None if value is None else round(value)


def one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- input --------------------------------------------------------------------------------------------------


class WorkoutStartSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=Workout.Type.choices, default=Workout.Type.RUNNING)
    route_id = serializers.UUIDField(required=False, allow_null=True)
    route_option_id = serializers.UUIDField(required=False, allow_null=True,
                                            help_text="Following a planned option enables `off_route`, route "
                                                      "completion and shape accuracy.")
    start_latitude = serializers.FloatField(min_value=-90, max_value=90)
    start_longitude = serializers.FloatField(min_value=-180, max_value=180)
    started_at = serializers.DateTimeField(required=False, allow_null=True,
                                           help_text="When the run started on the phone; default now.")


class WorkoutPointInputSerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=0, max_value=2**53,
                                   help_text="Client sequence number, unique within the workout.")
    recorded_at = serializers.DateTimeField()
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    altitude = serializers.FloatField(required=False, allow_null=True, min_value=-1000, max_value=10000)
    accuracy = serializers.FloatField(required=False, allow_null=True, min_value=0, help_text="Metres.")
    speed = serializers.FloatField(required=False, allow_null=True, min_value=0, help_text="m/s.")
    heart_rate = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=300)


class WorkoutPointsBatchSerializer(serializers.Serializer):
    points = WorkoutPointInputSerializer(many=True, allow_empty=False, max_length=POINTS_PER_BATCH_MAX)


class WorkoutTransitionSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, allow_null=True,
                                   help_text="When it happened on the phone (offline sync); default now.")


class WorkoutCompleteSerializer(serializers.Serializer):
    completed_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Default now.")
    end_latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    end_longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)


class WorkoutListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Workout.Status.choices, required=False)
    # Like every list: a page_size out of range falls back to the default or the cap (runnerway.api.pagination).
    page_size = serializers.IntegerField(required=False, help_text="Default 20, at most 100 (larger: 100).")
    cursor = serializers.CharField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        # `from` is a Python keyword: declared here rather than as class attributes
        fields["from"] = BoundedDateField(required=False,
                                          help_text="First day (user's time zone), 1970-01-01 or later.")
        fields["to"] = BoundedDateField(required=False, help_text="Last day, inclusive; 2100-12-31 at the latest.")
        return fields

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": [_("Must not be before `from`.")]})
        return attrs


class WorkoutImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A GPX 1.0/1.1 or FIT activity file, at most 20 MB and "
                                           "IMPORT_MAX_POINTS (100 000) fixes.")


class WorkoutImportSerializer(serializers.ModelSerializer):
    """An import's state (API.md: POST /workouts/import answers it with 202, GET /workouts/imports/{id})."""

    status = serializers.ChoiceField(choices=WorkoutImport.Status.choices, read_only=True,
                                     help_text="queued → running → succeeded | failed.")
    source = serializers.ChoiceField(choices=IMPORT_SOURCES, read_only=True,
                                     help_text="From the file's first bytes.")
    workout_id = serializers.UUIDField(read_only=True, allow_null=True,
                                       help_text="The completed workout once `succeeded`; null before.")
    error_code = serializers.SerializerMethodField(
        help_text="When `failed`: unsupported_file (not a readable GPX/FIT track), too_many_points (more than "
                  "IMPORT_MAX_POINTS fixes), import_timeout (longer than IMPORT_TIME_BUDGET_S), conflict (a "
                  "workout with this start time exists), import_failed (an error of ours, after retries). "
                  "Null otherwise.")
    error_message = serializers.SerializerMethodField(help_text="Why it failed, for people; null otherwise.")

    class Meta:
        model = WorkoutImport
        fields = ["id", "status", "source", "file_name", "file_size", "first_fix_at", "workout_id",
                  "error_code", "error_message", "created_at", "finished_at"]
        read_only_fields = fields
        extra_kwargs = {
            "file_size": {"help_text": "Bytes uploaded."},
            "first_fix_at": {"help_text": "The first timed fix found in the file's head (the duplicate check); "
                                          "null when it lies deeper."},
            "finished_at": {"help_text": "When the job succeeded or failed; null before."},
        }

    @extend_schema_field(serializers.ChoiceField(choices=IMPORT_ERROR_CODES, allow_null=True))
    def get_error_code(self, workout_import) -> str | None:
        return workout_import.error_code or None

    def get_error_message(self, workout_import) -> str | None:
        return workout_import.error_message or None


class UserStatsQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=STATS_PERIODS, default="all")


# --- output -------------------------------------------------------------------------------------------------


class KmField(serializers.FloatField):
    """A distance in km, answered with 2 decimals (API.md units) whatever precision it was stored with."""

    def to_representation(self, value):
        return round(super().to_representation(value), 2)


class WorkoutSplitSerializer(serializers.Serializer):
    km = serializers.IntegerField()
    # Splits are stored with 3 decimals (metres); the API answers km with 2 like every other distance.
    distance = KmField(help_text="km, 2 decimals; 1.0 except the last, partial split.")
    duration = serializers.IntegerField(help_text="Moving seconds.")
    pace = serializers.CharField()
    pace_s = serializers.IntegerField()
    elevation_change = serializers.FloatField(allow_null=True)
    is_partial = serializers.BooleanField()


class WorkoutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=Workout.Type.choices)
    status = serializers.ChoiceField(choices=Workout.Status.choices)
    source = serializers.ChoiceField(choices=Workout.Source.choices)
    route_id = serializers.UUIDField(allow_null=True)
    route_option_id = serializers.UUIDField(allow_null=True)
    route_name = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    start_latitude = serializers.SerializerMethodField()
    start_longitude = serializers.SerializerMethodField()
    end_latitude = serializers.SerializerMethodField()
    end_longitude = serializers.SerializerMethodField()
    distance = serializers.SerializerMethodField(help_text="km (live total while recording).")
    duration = serializers.IntegerField(source="duration_s", help_text="Moving time, s.")
    elapsed_duration = serializers.IntegerField(source="elapsed_duration_s", help_text="Start to finish, s.")
    avg_pace = serializers.SerializerMethodField()
    avg_pace_s = serializers.SerializerMethodField()
    max_pace = serializers.SerializerMethodField(help_text="Fastest 200 m, m:ss per km.")
    max_pace_s = serializers.SerializerMethodField()
    min_pace = serializers.SerializerMethodField(help_text="Slowest 200 m, m:ss per km.")
    min_pace_s = serializers.SerializerMethodField()
    calories = serializers.SerializerMethodField(help_text="kcal.")
    calories_source = serializers.SerializerMethodField(help_text="`device` (from the file) or `estimated`.")
    calories_estimated = serializers.SerializerMethodField(help_text="Calories come from the ACSM equations.")
    weight_assumed = serializers.BooleanField(help_text="The estimate used 70 kg: the profile has no weight.")
    heart_rate_avg = serializers.SerializerMethodField()
    heart_rate_max = serializers.SerializerMethodField()
    elevation_gain = serializers.SerializerMethodField()
    elevation_loss = serializers.SerializerMethodField()
    route_completion = serializers.SerializerMethodField(help_text="0-100, share of the planned path run.")
    shape_accuracy = serializers.SerializerMethodField(help_text="0-100, fidelity of the trace to the shape.")
    shape_id = serializers.SerializerMethodField()
    shape_name = serializers.SerializerMethodField(help_text=SHAPE_NAME_HELP)
    shape_icon = serializers.SerializerMethodField()
    splits = WorkoutSplitSerializer(many=True)
    points_count = serializers.IntegerField(help_text="Points stored, used or not.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance: Workout) -> dict:
        # The fields above document the shape (OpenAPI); workout_data builds it without DRF's per-field work
        # (deep-copied fields, ~30 method lookups): ~0.6 -> ~0.1 ms a workout. A test holds the two equal.
        return workout_data(instance)

    def _shape(self, workout: Workout):
        return workout.route.shape if workout.route_id and workout.route is not None else None

    def get_route_name(self, workout: Workout) -> str | None:
        return workout.route.name if workout.route_id and workout.route is not None else None

    def get_start_latitude(self, workout: Workout) -> float | None:
        return None if workout.start_latitude is None else round(workout.start_latitude, 7)

    def get_start_longitude(self, workout: Workout) -> float | None:
        return None if workout.start_longitude is None else round(workout.start_longitude, 7)

    def get_end_latitude(self, workout: Workout) -> float | None:
        return None if workout.end_latitude is None else round(workout.end_latitude, 7)

    def get_end_longitude(self, workout: Workout) -> float | None:
        return None if workout.end_longitude is None else round(workout.end_longitude, 7)

    def get_distance(self, workout: Workout) -> float:
        return km(workout.distance_m)

    def get_avg_pace(self, workout: Workout) -> str | None:
        return format_pace(workout.avg_pace_s)

    def get_avg_pace_s(self, workout: Workout) -> int | None:
        return whole(workout.avg_pace_s)

    def get_max_pace(self, workout: Workout) -> str | None:
        return format_pace(workout.max_pace_s)

    def get_max_pace_s(self, workout: Workout) -> int | None:
        return whole(workout.max_pace_s)

    def get_min_pace(self, workout: Workout) -> str | None:
        return format_pace(workout.min_pace_s)

    def get_min_pace_s(self, workout: Workout) -> int | None:
        return whole(workout.min_pace_s)

    def get_calories(self, workout: Workout) -> int | None:
        return whole(workout.calories_kcal)

    @extend_schema_field(serializers.ChoiceField(choices=CALORIES_SOURCES, allow_null=True))
    def get_calories_source(self, workout: Workout) -> str | None:
        return workout.calories_source or None

    def get_calories_estimated(self, workout: Workout) -> bool:
        return workout.calories_source == "estimated"

    def get_heart_rate_avg(self, workout: Workout) -> int | None:
        return whole(workout.heart_rate_avg)

    def get_heart_rate_max(self, workout: Workout) -> int | None:
        return whole(workout.heart_rate_max)

    def get_elevation_gain(self, workout: Workout) -> float | None:
        return one_decimal(workout.elevation_gain_m)

    def get_elevation_loss(self, workout: Workout) -> float | None:
        return one_decimal(workout.elevation_loss_m)

    def get_route_completion(self, workout: Workout) -> float | None:
        return one_decimal(workout.route_completion)

    def get_shape_accuracy(self, workout: Workout) -> float | None:
        return one_decimal(workout.shape_accuracy)

    def get_shape_id(self, workout: Workout) -> str | None:
        shape = self._shape(workout)
        return shape.shape_id if shape else None

    def get_shape_name(self, workout: Workout) -> str | None:
        shape = self._shape(workout)
        return shape.display_name if shape else None

    def get_shape_icon(self, workout: Workout) -> str | None:
        shape = self._shape(workout)
        return shape.icon_name if shape else None


_DATETIME = serializers.DateTimeField()  # API.md datetimes: ISO 8601 in UTC with "Z", exactly as DRF's field


def _when(value) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


def _as(kind, value):
    return None if value is None else kind(value)


def _coordinate(value: float | None) -> float | None:
    return None if value is None else round(value, 7)


def _km_2(value) -> float:
    return round(float(value), 2)  # as KmField


def _split_data(split: dict) -> dict:
    return {"km": _as(int, split["km"]), "distance": _as(_km_2, split["distance"]),
            "duration": _as(int, split["duration"]), "pace": _as(str, split["pace"]),
            "pace_s": _as(int, split["pace_s"]), "elevation_change": _as(float, split.get("elevation_change")),
            "is_partial": _as(bool, split["is_partial"])}


def workout_data(workout: Workout) -> dict:
    """WorkoutSerializer's representation of one workout (the route and its shape joined, or one query more)."""
    route = workout.route if workout.route_id else None
    shape = route.shape if route is not None and route.shape_id else None
    return {
        "id": str(workout.id),
        "type": str(workout.type),
        "status": str(workout.status),
        "source": str(workout.source),
        "route_id": _as(str, workout.route_id),
        "route_option_id": _as(str, workout.route_option_id),
        "route_name": route.name if route is not None else None,
        "started_at": _when(workout.started_at),
        "completed_at": _when(workout.completed_at),
        "start_latitude": _coordinate(workout.start_latitude),
        "start_longitude": _coordinate(workout.start_longitude),
        "end_latitude": _coordinate(workout.end_latitude),
        "end_longitude": _coordinate(workout.end_longitude),
        "distance": km(workout.distance_m),
        "duration": _as(int, workout.duration_s),
        "elapsed_duration": _as(int, workout.elapsed_duration_s),
        "avg_pace": format_pace(workout.avg_pace_s),
        "avg_pace_s": whole(workout.avg_pace_s),
        "max_pace": format_pace(workout.max_pace_s),
        "max_pace_s": whole(workout.max_pace_s),
        "min_pace": format_pace(workout.min_pace_s),
        "min_pace_s": whole(workout.min_pace_s),
        "calories": whole(workout.calories_kcal),
        "calories_source": workout.calories_source or None,
        "calories_estimated": workout.calories_source == "estimated",
        "weight_assumed": _as(bool, workout.weight_assumed),
        "heart_rate_avg": whole(workout.heart_rate_avg),
        "heart_rate_max": whole(workout.heart_rate_max),
        "elevation_gain": one_decimal(workout.elevation_gain_m),
        "elevation_loss": one_decimal(workout.elevation_loss_m),
        "route_completion": one_decimal(workout.route_completion),
        "shape_accuracy": one_decimal(workout.shape_accuracy),
        "shape_id": shape.shape_id if shape is not None else None,
        "shape_name": shape.display_name if shape is not None else None,
        "shape_icon": shape.icon_name if shape is not None else None,
        "splits": [_split_data(split) for split in workout.splits],
        "points_count": _as(int, workout.points_count),
        "created_at": _when(workout.created_at),
        "updated_at": _when(workout.updated_at),
    }


class WorkoutPointsResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="New points used by the metrics.")
    duplicates = serializers.IntegerField(help_text="Points whose seq was already stored (a retry): not "
                                                    "stored again.")
    rejected = serializers.IntegerField(help_text="New points stored but kept out of the metrics (accuracy "
                                                  "> 50 m, future, before the start, (0,0), speed spike). "
                                                  "accepted + duplicates + rejected = the batch size.")
    last_seq = serializers.IntegerField(allow_null=True, help_text="Highest seq stored for this workout.")
    distance = serializers.FloatField(help_text="Live distance, km.")
    duration = serializers.IntegerField(help_text="Live moving time, s.")
    off_route = serializers.BooleanField(required=False,
                                         help_text="Only when following a route option: the last fix is "
                                                   "> 50 m from the planned path.")


class WorkoutPathSerializer(serializers.Serializer):
    polyline = serializers.CharField(help_text="Google encoded polyline, precision 5.")
    coordinates = serializers.ListField(child=latlng_field(), help_text="[[lat, lng], ...]")
    bbox = bbox_field(allow_null=True, help_text="[min_lat, min_lng, max_lat, max_lng]; null without points.")


class WorkoutTrackSerializer(serializers.Serializer):
    path = WorkoutPathSerializer()
    times = serializers.ListField(child=serializers.DateTimeField())
    altitudes = serializers.ListField(child=serializers.FloatField(allow_null=True))
    heart_rates = serializers.ListField(child=serializers.IntegerField(allow_null=True))


class UserRecordsSerializer(serializers.Serializer):
    fastest_1k_s = serializers.IntegerField(allow_null=True)
    fastest_5k_s = serializers.IntegerField(allow_null=True)
    fastest_10k_s = serializers.IntegerField(allow_null=True)
    longest_distance = serializers.FloatField(help_text="km.")


class UserStatsSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=STATS_PERIODS)
    total_distance = serializers.FloatField(help_text="km.")
    total_workouts = serializers.IntegerField()
    completed_routes = serializers.IntegerField(help_text="Workouts covering ≥ 80 % of their planned route.")
    total_calories = serializers.IntegerField(help_text="kcal.")
    total_duration = serializers.IntegerField(help_text="Moving seconds.")
    avg_pace = serializers.CharField(allow_null=True)
    avg_pace_s = serializers.IntegerField(allow_null=True)
    longest_distance = serializers.FloatField(help_text="km.")
    records = UserRecordsSerializer()
