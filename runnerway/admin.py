"""Staff views of the analytics tables, and the analytics page: charts drawn by Chart.js (vendored)."""

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from runnerway.admin_display import duration, km, rounded
from runnerway.models import DailyGlobalStats, DailyUserActivity

CHART_DAYS = 30

CHART_MEDIA = forms.Media(js=[
    "vendor/chartjs/chart.umd.min.js",
    "vendor/chartjs/chartjs-adapter-date-fns.bundle.min.js",
    "vendor/chartjs/chartjs-plugin-datalabels.min.js",
    "runnerway/admin/analytics.js",
])


class StatsAdmin(admin.ModelAdmin):
    """Rows the analytics job writes (and rewrites): read-only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DailyGlobalStats)
class DailyGlobalStatsAdmin(StatsAdmin):
    list_display = ["day", "active_users", "weekly_active_users", "new_users", "workouts", "distance_km",
                    "routes_planned", "shape_accuracy"]
    date_hierarchy = "day"
    readonly_fields = [f.name for f in DailyGlobalStats._meta.fields]

    @admin.display(description=_("distance (km)"), ordering="distance_m")
    def distance_km(self, stats: DailyGlobalStats) -> str:
        return km(stats.distance_m)

    @admin.display(description=_("avg shape accuracy"), ordering="avg_shape_accuracy")
    def shape_accuracy(self, stats: DailyGlobalStats) -> str:
        return rounded(stats.avg_shape_accuracy, 1)


@admin.register(DailyUserActivity)
class DailyUserActivityAdmin(StatsAdmin):
    list_display = ["day", "user", "distance_km", "workouts", "moving_time", "calories"]
    list_filter = ["day"]
    search_fields = ["user__email", "user__name"]
    list_select_related = ["user"]
    date_hierarchy = "day"

    @admin.display(description=_("distance (km)"), ordering="distance_m")
    def distance_km(self, activity: DailyUserActivity) -> str:
        return km(activity.distance_m)

    @admin.display(description=_("moving time"), ordering="duration_s")
    def moving_time(self, activity: DailyUserActivity) -> str:
        return duration(activity.duration_s)

    @admin.display(description=_("calories (kcal)"), ordering="calories_kcal")
    def calories(self, activity: DailyUserActivity) -> str:
        return rounded(activity.calories_kcal)


def analytics_charts(days: list[DailyGlobalStats]) -> list[dict]:
    """The charts of the analytics page as data for analytics.js: per chart an id, a title, a kind
    (bar | line) and one series of {x: ISO day, y: value}."""

    def series(value) -> list[dict]:
        return [{"x": day.day.isoformat(), "y": value(day)} for day in days]

    return [
        {"id": "active-users", "title": str(_("Active users per day")), "kind": "bar",
         "points": series(lambda d: d.active_users)},
        {"id": "weekly-active-users", "title": str(_("Weekly active users (7 days ending that day)")),
         "kind": "line", "points": series(lambda d: d.weekly_active_users)},
        {"id": "workouts", "title": str(_("Completed workouts per day")), "kind": "bar",
         "points": series(lambda d: d.workouts)},
        {"id": "distance", "title": str(_("Distance run per day (km)")), "kind": "bar",
         "points": series(lambda d: round(d.distance_m / 1000, 2))},
        {"id": "routes-planned", "title": str(_("Routes planned per day")), "kind": "bar",
         "points": series(lambda d: d.routes_planned)},
        {"id": "shape-accuracy", "title": str(_("Average shape accuracy (0-100)")), "kind": "line",
         "points": [point for point in series(lambda d: None if d.avg_shape_accuracy is None
                                               else round(d.avg_shape_accuracy, 1)) if point["y"] is not None]},
    ]


def analytics_view(request):
    since = timezone.localdate() - timedelta(days=CHART_DAYS)
    days = list(DailyGlobalStats.objects.filter(day__gte=since).order_by("day"))
    popular: dict[str, int] = {}
    for day in days:
        for shape in day.popular_shapes:
            popular[shape["name"]] = popular.get(shape["name"], 0) + shape["routes"]
    context = {
        **admin.site.each_context(request), "title": _("Analytics"), "days": days, "chart_days": CHART_DAYS,
        "charts": analytics_charts(days), "media": CHART_MEDIA,
        "popular_shapes": sorted(popular.items(), key=lambda item: -item[1])[:10],
    }
    return TemplateResponse(request, "admin/runnerway/analytics.html", context)
