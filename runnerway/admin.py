"""Staff views of the analytics tables, and the analytics page with charts (rendered server-side as SVG)."""

from datetime import timedelta

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html_join

from runnerway.models import DailyGlobalStats, DailyUserActivity

CHART_DAYS = 30
CHART_WIDTH, CHART_HEIGHT = 640, 160


@admin.register(DailyGlobalStats)
class DailyGlobalStatsAdmin(admin.ModelAdmin):
    list_display = ["day", "active_users", "weekly_active_users", "new_users", "workouts", "distance_km",
                    "routes_planned", "avg_shape_accuracy"]
    date_hierarchy = "day"
    readonly_fields = [f.name for f in DailyGlobalStats._meta.fields]

    @admin.display(description="distance (km)")
    def distance_km(self, obj):
        return round(obj.distance_m / 1000, 1)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DailyUserActivity)
class DailyUserActivityAdmin(admin.ModelAdmin):
    list_display = ["day", "user", "distance_m", "workouts", "duration_s", "calories_kcal"]
    list_filter = ["day"]
    search_fields = ["user__email", "user__name"]
    list_select_related = ["user"]
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def bar_chart_svg(values: list[float], labels: list[str], title: str) -> str:
    """A bar chart as inline SVG (no JavaScript, no CDN): one bar per day, scaled to the largest value."""
    top = max(values, default=0) or 1
    bar_width = CHART_WIDTH / max(len(values), 1)
    bars = format_html_join(
        "", '<rect x="{}" y="{}" width="{}" height="{}" fill="#417690"><title>{}: {}</title></rect>',
        ((round(i * bar_width + 1, 1), round(CHART_HEIGHT - v / top * (CHART_HEIGHT - 20), 1),
          round(bar_width - 2, 1), round(v / top * (CHART_HEIGHT - 20), 1), label, round(v, 1))
         for i, (v, label) in enumerate(zip(values, labels, strict=True))),
    )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{CHART_HEIGHT}" '
            f'role="img" aria-label="{title}"><text x="4" y="14" font-size="12">{title} (max {round(top, 1)})'
            f"</text>{bars}</svg>")


def analytics_view(request):
    since = timezone.localdate() - timedelta(days=CHART_DAYS)
    days = list(DailyGlobalStats.objects.filter(day__gte=since).order_by("day"))
    labels = [d.day.isoformat() for d in days]
    charts = [
        bar_chart_svg([d.active_users for d in days], labels, "Active users per day"),
        bar_chart_svg([d.weekly_active_users for d in days], labels, "Weekly active users"),
        bar_chart_svg([d.workouts for d in days], labels, "Workouts per day"),
        bar_chart_svg([d.distance_m / 1000 for d in days], labels, "Distance per day (km)"),
        bar_chart_svg([d.avg_shape_accuracy or 0 for d in days], labels, "Average shape accuracy"),
    ]
    popular: dict[str, int] = {}
    for d in days:
        for shape in d.popular_shapes:
            popular[shape["name"]] = popular.get(shape["name"], 0) + shape["routes"]
    context = {**admin.site.each_context(request), "title": "Analytics", "charts": charts, "days": days,
               "popular_shapes": sorted(popular.items(), key=lambda item: -item[1])[:10]}
    return TemplateResponse(request, "admin/runnerway/analytics.html", context)
