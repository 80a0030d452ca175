from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from goals.models import Goal
from runnerway.admin_display import person


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display_links = ["runner"]
    list_display = ["runner", "goal_type", "target_type", "target_value", "start_date", "end_date",
                    "is_active", "achieved"]
    list_filter = ["goal_type", "target_type", "is_active", ("achieved_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "user__name", "id"]
    raw_id_fields = ["user"]
    date_hierarchy = "start_date"
    list_select_related = ["user"]
    readonly_fields = ["achieved_at", "created_at", "updated_at"]

    @admin.display(description=_("runner"), ordering="user__name")
    def runner(self, goal: Goal) -> str:
        return person(goal.user)

    @admin.display(description=_("achieved"), boolean=True, ordering="achieved_at")
    def achieved(self, goal: Goal) -> bool:
        return goal.achieved_at is not None

    def has_add_permission(self, request):
        return False  # runners set goals in the app (the goal service checks their dates and overlaps)
