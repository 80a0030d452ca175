"""Staff views of workouts: the track on a map, the metrics in readable units, points a page at a time."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from routes.selectors import route_outline_fitted_to
from runnerway.admin_display import DeletedFilter, duration, html_table, km, pace, person, rounded, short_datetime
from runnerway.admin_maps import LEAFLET_MEDIA, MapLine, map_widget
from workouts.models import UserStats, Workout, WorkoutImport, WorkoutPause, WorkoutPoint

# A 2-hour run has 7 200 points: the change page shows them a page at a time, folded away by default.
ADMIN_POINTS_PER_PAGE = 50
POINTS_PAGE_PARAMETER = "points_page"


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
    classes = ["collapse"]
    template = "admin/workouts/workout/points_inline.html"
    verbose_name_plural = format_lazy(_("Points (by time, {per_page} a page)"), per_page=ADMIN_POINTS_PER_PAGE)

    def points_page(self, request, workout: Workout):
        """The requested page of the workout's points by time (a Paginator page of primary keys)."""
        ids = (WorkoutPoint.objects.filter(workout_id=workout.pk).order_by("recorded_at", "seq")
               .values_list("pk", flat=True))
        return Paginator(ids, ADMIN_POINTS_PER_PAGE).get_page(request.GET.get(POINTS_PAGE_PARAMETER))

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is None:
            return formset
        # The template reads the page (links to the others) from the formset class.
        return type("PointPageFormSet", (formset,), {"points_page": self.points_page(request, obj),
                                                      "page_parameter": POINTS_PAGE_PARAMETER})


class WorkoutPauseInline(ReadOnlyInline):
    model = WorkoutPause
    fields = ["started_at", "ended_at"]
    readonly_fields = fields


@admin.register(Workout)
class WorkoutAdmin(admin.ModelAdmin):
    # One line a row beside the sidebar and the filters at 1440 px: the runner by name, short dates.
    list_display = ["started", "runner", "type", "status", "distance_km", "moving_time", "avg_pace", "points_count",
                    "deleted"]
    list_filter = [DeletedFilter, "status", "type", "source", ("started_at", admin.DateFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["=id", "user__email", "user__name"]
    list_per_page = 50
    date_hierarchy = "started_at"
    inlines = [WorkoutPauseInline, WorkoutPointInline]
    # Everything is the app's record or the engine's result; staff may only soft-delete or restore.
    fieldsets = [
        (None, {"fields": ["user", "type", "status", "source", "route", "route_option", "deleted_at"]}),
        (_("Map"), {"fields": ["map"]}),
        (_("Time and place"), {"fields": ["started_at", "completed_at", "start_position", "end_position"]}),
        (_("Metrics"), {"fields": ["distance_km", "moving_time", "elapsed_time", "avg_pace", "fastest_pace",
                                   "slowest_pace", "calories", "calories_source", "weight_assumed",
                                   "heart_rate", "elevation", "route_completion_shown",
                                   "shape_accuracy_shown"]}),
        (_("Splits and best efforts"), {"fields": ["splits_table", "best_efforts_table"]}),
        (_("Recording"), {"fields": ["points_count", "rejected_count", "last_seq", "last_point_at",
                                     "created_at", "updated_at"]}),
    ]

    @property
    def media(self):
        return super().media + LEAFLET_MEDIA

    def get_readonly_fields(self, request, obj=None):
        return [field for _title, options in self.fieldsets for field in options["fields"]
                if field != "deleted_at"]

    def has_add_permission(self, request):
        return False  # workouts are recorded or imported through the API

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, WorkoutPointInline) and obj is not None:
            # pk__in, not a slice: the inline formset filters the queryset by workout afterwards
            page_ids = list(inline.points_page(request, obj).object_list)
            kwargs["queryset"] = WorkoutPoint.objects.filter(pk__in=page_ids).order_by("recorded_at", "seq")
        return kwargs

    @admin.display(description=_("started"), ordering="started_at")
    def started(self, workout: Workout) -> str:
        return short_datetime(workout.started_at)

    @admin.display(description=_("runner"), ordering="user__name")
    def runner(self, workout: Workout) -> str:
        return person(workout.user)

    @admin.display(description=_("deleted"), boolean=True, ordering="deleted_at")
    def deleted(self, workout: Workout) -> bool:
        return workout.deleted_at is not None

    @admin.display(description=_("distance (km)"), ordering="distance_m")
    def distance_km(self, workout: Workout) -> str:
        return km(workout.distance_m)

    @admin.display(description=_("moving time"), ordering="duration_s")
    def moving_time(self, workout: Workout) -> str:
        return duration(workout.duration_s)

    @admin.display(description=_("elapsed time"))
    def elapsed_time(self, workout: Workout) -> str:
        return duration(workout.elapsed_duration_s)

    @admin.display(description=_("avg pace /km"), ordering="avg_pace_s")
    def avg_pace(self, workout: Workout) -> str:
        return pace(workout.avg_pace_s)

    @admin.display(description=_("fastest pace /km (200 m)"))
    def fastest_pace(self, workout: Workout) -> str:
        return pace(workout.max_pace_s)

    @admin.display(description=_("slowest pace /km (200 m)"))
    def slowest_pace(self, workout: Workout) -> str:
        return pace(workout.min_pace_s)

    @admin.display(description=_("calories (kcal)"))
    def calories(self, workout: Workout) -> str:
        return rounded(workout.calories_kcal)

    @admin.display(description=_("heart rate avg / max (bpm)"))
    def heart_rate(self, workout: Workout) -> str:
        return f"{rounded(workout.heart_rate_avg)} / {rounded(workout.heart_rate_max)}"

    @admin.display(description=_("elevation gain / loss (m)"))
    def elevation(self, workout: Workout) -> str:
        return f"{rounded(workout.elevation_gain_m, 1)} / {rounded(workout.elevation_loss_m, 1)}"

    @admin.display(description=_("route completion (%)"))
    def route_completion_shown(self, workout: Workout) -> str:
        return rounded(workout.route_completion, 1)

    @admin.display(description=_("shape accuracy (0-100)"))
    def shape_accuracy_shown(self, workout: Workout) -> str:
        return rounded(workout.shape_accuracy, 1)

    @admin.display(description=_("start (lat, lng)"))
    def start_position(self, workout: Workout) -> str:
        return _position(workout.start_latitude, workout.start_longitude)

    @admin.display(description=_("end (lat, lng)"))
    def end_position(self, workout: Workout) -> str:
        return _position(workout.end_latitude, workout.end_longitude)

    @admin.display(description=_("splits"))
    def splits_table(self, workout: Workout) -> str:
        return html_table(
            [_("km"), _("distance (km)"), _("time"), _("pace /km"), _("elevation (m)")],
            ([split["km"], f"{split['distance_m'] / 1000:.2f}", duration(split["duration_s"]), pace(split["pace_s"]),
              rounded(split["elevation_change_m"], 1)] for split in workout.splits),
        )

    @admin.display(description=_("best efforts"))
    def best_efforts_table(self, workout: Workout) -> str:
        return html_table(
            [_("distance (km)"), _("time"), _("pace /km")],
            ([km(int(distance)), duration(seconds), pace(seconds * 1000 / int(distance))]
             for distance, seconds in sorted(workout.best_efforts.items(), key=lambda item: int(item[0]))),
        )

    @admin.display(description=_("map"))
    def map(self, workout: Workout) -> str:
        track = list(WorkoutPoint.objects.filter(workout_id=workout.pk, rejected_reason="")
                     .order_by("recorded_at", "seq").values_list("latitude", "longitude"))
        lines = [MapLine(_("recorded track"), track, "track")]
        option = workout.route_option
        if option is not None:
            lines.insert(0, MapLine(_("planned option #%(rank)s") % {"rank": option.rank}, option.coordinates(),
                                    "planned"))
        route = workout.route or (option.route if option is not None else None)
        if route is not None and len(track) >= 3:
            lines.append(MapLine(_("figure fitted to the track"), route_outline_fitted_to(route, track),
                                 "outline"))
        return map_widget(lines, element_id="workout-map", start=track[0] if track else None)


def _position(latitude: float | None, longitude: float | None) -> str:
    return "-" if latitude is None or longitude is None else f"{latitude:.6f}, {longitude:.6f}"


@admin.register(UserStats)
class UserStatsAdmin(admin.ModelAdmin):
    """All-time totals and records: the stats service keeps them exact, so nothing here is editable."""

    list_display = ["user", "total_workouts", "total_km", "longest_km", "fastest_1k", "fastest_5k",
                    "fastest_10k", "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__name"]
    fields = ["user", "total_workouts", "completed_routes", "total_km", "total_time", "total_calories",
              "longest_km", "longest_distance_workout", "fastest_1k", "fastest_1k_workout", "fastest_5k",
              "fastest_5k_workout", "fastest_10k", "fastest_10k_workout", "updated_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("total km"), ordering="total_distance_m")
    def total_km(self, stats: UserStats) -> str:
        return km(stats.total_distance_m)

    @admin.display(description=_("total moving time"))
    def total_time(self, stats: UserStats) -> str:
        return duration(stats.total_duration_s)

    @admin.display(description=_("total calories (kcal)"))
    def total_calories(self, stats: UserStats) -> str:
        return rounded(stats.total_calories_kcal)

    @admin.display(description=_("longest km"), ordering="longest_distance_m")
    def longest_km(self, stats: UserStats) -> str:
        return km(stats.longest_distance_m)

    @admin.display(description=_("fastest 1 km"), ordering="fastest_1k_s")
    def fastest_1k(self, stats: UserStats) -> str:
        return duration(stats.fastest_1k_s)

    @admin.display(description=_("fastest 5 km"), ordering="fastest_5k_s")
    def fastest_5k(self, stats: UserStats) -> str:
        return duration(stats.fastest_5k_s)

    @admin.display(description=_("fastest 10 km"), ordering="fastest_10k_s")
    def fastest_10k(self, stats: UserStats) -> str:
        return duration(stats.fastest_10k_s)


@admin.register(WorkoutImport)
class WorkoutImportAdmin(admin.ModelAdmin):
    """Imports and how they ended: a failed one shows its code and message (the job's own record of it)."""

    list_display = ("created_at", "user", "file_name", "source", "status", "error_code", "attempts", "workout")
    list_filter = ("status", "source", "error_code")
    search_fields = ("user__email", "file_name")
    list_select_related = ("user", "workout")
    readonly_fields = [field.name for field in WorkoutImport._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False  # imports come from the API, with a file
