from django.contrib import admin

from data_export.models import DataExport


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "size_bytes", "created_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "status", "size_bytes", "error", "created_at", "finished_at"]
    exclude = ["file"]  # a runner's personal data: staff see that it exists, not what is in it
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False
