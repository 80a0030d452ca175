from django.contrib import admin

from goals.models import Goal


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "goal_type", "target_type", "target_value", "start_date", "end_date",
                    "is_active", "achieved_at", "created_at"]
    list_filter = ["goal_type", "target_type", "is_active", ("achieved_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "user__name", "id"]
    raw_id_fields = ["user"]
    date_hierarchy = "start_date"
    list_select_related = ["user"]
    readonly_fields = ["achieved_at", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False  # runners set goals in the app (the goal service checks their dates and overlaps)
