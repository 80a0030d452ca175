"""Input and output shapes of the workouts API (API.md units: runnerway.api.units).

The workout's output is built by workouts.output.workout_data; WorkoutSerializer declares its fields for the
OpenAPI schema.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from routes.models import SHAPE_NAME_HELP
from runnerway.api.fields import BoundedDateField
from runnerway.api.units import PathSerializer
from workouts.models import Workout, WorkoutImport
from workouts.selectors import STATS_PERIODS
from workouts.services import POINTS_PER_BATCH_MAX

CALORIES_SOURCES = ["device", "estimated"]  # from the file, or the ACSM equations
IMPORT_SOURCES = [Workout.Source.GPX, Workout.Source.FIT]
# Why a failed import failed: the ApiError codes `workout_import_run` records (the file's faults, then ours).
IMPORT_ERROR_CODES = ["unsupported_file", "too_many_points", "import_timeout", "conflict", "import_failed"]


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


class WorkoutSplitSerializer(serializers.Serializer):
    km = serializers.IntegerField()
    distance = serializers.FloatField(help_text="km, 2 decimals; 1.0 except the last, partial split.")
    duration = serializers.IntegerField(help_text="Moving seconds.")
    pace = serializers.CharField()
    pace_s = serializers.IntegerField()
    elevation_change = serializers.FloatField(allow_null=True)
    is_partial = serializers.BooleanField()


def _out(field_class, **kwargs):
    return field_class(read_only=True, **kwargs)  # marked readOnly: derived from stored figures, not a column


# The schema of workouts.output.workout_data, its fields in its order (a comment: a docstring would show in it).
class WorkoutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=Workout.Type.choices)
    status = serializers.ChoiceField(choices=Workout.Status.choices)
    source = serializers.ChoiceField(choices=Workout.Source.choices)
    route_id = serializers.UUIDField(allow_null=True)
    route_option_id = serializers.UUIDField(allow_null=True)
    route_name = _out(serializers.CharField, allow_null=True)
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    start_latitude = _out(serializers.FloatField, allow_null=True)
    start_longitude = _out(serializers.FloatField, allow_null=True)
    end_latitude = _out(serializers.FloatField, allow_null=True)
    end_longitude = _out(serializers.FloatField, allow_null=True)
    distance = _out(serializers.FloatField, help_text="km (live total while recording).")
    duration = serializers.IntegerField(help_text="Moving time, s.")
    elapsed_duration = serializers.IntegerField(help_text="Start to finish, s.")
    avg_pace = _out(serializers.CharField, allow_null=True)
    avg_pace_s = _out(serializers.IntegerField, allow_null=True)
    max_pace = _out(serializers.CharField, allow_null=True, help_text="Fastest 200 m, m:ss per km.")
    max_pace_s = _out(serializers.IntegerField, allow_null=True)
    min_pace = _out(serializers.CharField, allow_null=True, help_text="Slowest 200 m, m:ss per km.")
    min_pace_s = _out(serializers.IntegerField, allow_null=True)
    calories = _out(serializers.IntegerField, allow_null=True, help_text="kcal.")
    calories_source = _out(serializers.ChoiceField, choices=CALORIES_SOURCES, allow_null=True,
                           help_text="`device` (from the file) or `estimated`.")
    calories_estimated = _out(serializers.BooleanField, help_text="Calories come from the ACSM equations.")
    weight_assumed = serializers.BooleanField(help_text="The estimate used 70 kg: the profile has no weight.")
    heart_rate_avg = _out(serializers.IntegerField, allow_null=True)
    heart_rate_max = _out(serializers.IntegerField, allow_null=True)
    elevation_gain = _out(serializers.FloatField, allow_null=True)
    elevation_loss = _out(serializers.FloatField, allow_null=True)
    route_completion = _out(serializers.FloatField, allow_null=True, help_text="0-100, share of the planned path run.")
    shape_accuracy = _out(serializers.FloatField, allow_null=True,
                          help_text="0-100, fidelity of the trace to the shape.")
    shape_id = _out(serializers.CharField, allow_null=True)
    shape_name = _out(serializers.CharField, allow_null=True, help_text=SHAPE_NAME_HELP)
    shape_icon = _out(serializers.CharField, allow_null=True)
    splits = WorkoutSplitSerializer(many=True)
    points_count = serializers.IntegerField(help_text="Points stored, used or not.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


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


class WorkoutTrackSerializer(serializers.Serializer):
    path = PathSerializer(allow_null=True, help_text="null when no point was kept.")
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
