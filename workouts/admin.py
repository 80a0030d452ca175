"""Staff views of workouts: filters, the track drawn as an inline SVG, points and pauses read-only."""

import math

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from workouts.models import UserStats, Workout, WorkoutImport, WorkoutPause, WorkoutPoint

# The change page lists this many points (a 2-hour run has 7 200): enough to inspect the start of a track
# without rendering thousands of rows. The SVG preview draws the whole track, thinned to this many vertices.
ADMIN_POINTS_SHOWN = 200
PREVIEW_MAX_VERTICES = 2000
PREVIEW_SIZE_PX = 320


def track_svg(coordinates: list[tuple[float, float]], *, size_px: int = PREVIEW_SIZE_PX) -> str:
    """An SVG drawing of [(lat, lng), ...]: equirectangular around the track (north up), start green, end red.

    Only numbers go into the markup, so the string is safe to embed."""
    if len(coordinates) < 2:
        return ""
    step = max(1, math.ceil(len(coordinates) / PREVIEW_MAX_VERTICES))
    thinned = coordinates[::step] if coordinates[-1] == coordinates[::step][-1] else [
        *coordinates[::step], coordinates[-1]]
    mid_lat = math.radians(sum(lat for lat, _ in thinned) / len(thinned))
    xs = [lng * math.cos(mid_lat) for _, lng in thinned]
    ys = [-lat for lat, _ in thinned]
    min_x, min_y = min(xs), min(ys)
    span = max(max(xs) - min_x, max(ys) - min_y) or 1e-9
    margin = 10
    scale = (size_px - 2 * margin) / span
    points = [((x - min_x) * scale + margin, (y - min_y) * scale + margin) for x, y in zip(xs, ys, strict=True)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    (x0, y0), (x1, y1) = points[0], points[-1]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
        f'viewBox="0 0 {size_px} {size_px}" style="background:#f6f8fa;border:1px solid #ccc">'
        f'<polyline points="{path}" fill="none" stroke="#e8590c" stroke-width="2" stroke-linejoin="round"/>'
        f'<circle cx="{x0:.1f}" cy="{y0:.1f}" r="5" fill="#2b8a3e"/>'
        f'<circle cx="{x1:.1f}" cy="{y1:.1f}" r="4" fill="#c92a2a"/></svg>'
    )


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WorkoutPointInline(ReadOnlyInline):
    model = WorkoutPoint
    fields = ["seq", "recorded_at", "latitude", "longitude", "altitude", "accuracy", "speed", "heart_rate",
              "rejected_reason"]
    readonly_fields = fields
    verbose_name_plural = f"Points (the first {ADMIN_POINTS_SHOWN} by time)"


class WorkoutPauseInline(ReadOnlyInline):
    model = WorkoutPause
    fields = ["started_at", "ended_at"]
    readonly_fields = fields


@admin.register(Workout)
class WorkoutAdmin(admin.ModelAdmin):
    list_display = ["started_at", "user", "type", "status", "source", "distance_km", "duration_s", "avg_pace",
                    "points_count", "deleted_at"]
    list_filter = ["status", "type", "source", ("started_at", admin.DateFieldListFilter),
                   ("deleted_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["=id", "user__email"]
    date_hierarchy = "started_at"
    raw_id_fields = ["user", "route", "route_option"]
    inlines = [WorkoutPauseInline, WorkoutPointInline]
    readonly_fields = ["track_preview", "distance_km", "avg_pace", "points_count", "rejected_count", "last_seq",
                       "last_point_at", "splits", "best_efforts", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["user", "type", "status", "source", "route", "route_option", "deleted_at"]}),
        ("Track", {"fields": ["track_preview", "points_count", "rejected_count", "last_seq", "last_point_at"]}),
        ("Time and place", {"fields": ["started_at", "completed_at", "start_latitude", "start_longitude",
                                       "end_latitude", "end_longitude"]}),
        ("Metrics", {"fields": ["distance_km", "duration_s", "elapsed_duration_s", "avg_pace", "max_pace_s",
                                "min_pace_s", "calories_kcal", "calories_source", "weight_assumed",
                                "heart_rate_avg", "heart_rate_max", "elevation_gain_m", "elevation_loss_m",
                                "route_completion", "shape_accuracy", "splits", "best_efforts"]}),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description="distance (km)", ordering="distance_m")
    def distance_km(self, workout: Workout) -> str:
        return f"{workout.distance_m / 1000:.2f}"

    @admin.display(description="avg pace")
    def avg_pace(self, workout: Workout) -> str:
        from workouts.metrics import format_pace

        return format_pace(workout.avg_pace_s) or "-"

    @admin.display(description="track")
    def track_preview(self, workout: Workout) -> str:
        coordinates = list(
            WorkoutPoint.objects.filter(workout_id=workout.pk, rejected_reason="")
            .order_by("recorded_at", "seq").values_list("latitude", "longitude")
        )
        svg = track_svg(coordinates)
        if not svg:
            return "No track yet."
        return format_html("{}<br><small>{} points used of {} stored</small>", mark_safe(svg),  # noqa: S308
                           len(coordinates), workout.points_count)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, WorkoutPointInline) and obj is not None:
            # pk__in, not a slice: the inline formset filters the queryset by workout afterwards
            first_ids = list(WorkoutPoint.objects.filter(workout_id=obj.pk).order_by("recorded_at", "seq")
                             .values_list("pk", flat=True)[:ADMIN_POINTS_SHOWN])
            kwargs["queryset"] = WorkoutPoint.objects.filter(pk__in=first_ids).order_by("recorded_at", "seq")
        return kwargs


@admin.register(UserStats)
class UserStatsAdmin(admin.ModelAdmin):
    list_display = ["user", "total_workouts", "total_distance_m", "longest_distance_m", "fastest_1k_s",
                    "fastest_5k_s", "fastest_10k_s", "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "longest_distance_workout", "fastest_1k_workout", "fastest_5k_workout",
                     "fastest_10k_workout"]
    readonly_fields = ["updated_at"]


@admin.register(WorkoutImport)
class WorkoutImportAdmin(admin.ModelAdmin):
    """Imports and how they ended: a failed one shows its code and message (the job's own record of it)."""

    list_display = ("created_at", "user", "file_name", "source", "status", "error_code", "attempts", "workout")
    list_filter = ("status", "source", "error_code")
    search_fields = ("user__email", "file_name")
    raw_id_fields = ("user", "workout")
    readonly_fields = [field.name for field in WorkoutImport._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False  # imports come from the API, with a file
