from django.contrib import admin

from push.models import Device, PushDelivery, PushSettings


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "platform", "app_version", "language", "updated_at"]
    list_filter = ["platform", "language"]
    search_fields = ["user__email", "user__name"]
    readonly_fields = ["user", "token", "platform", "app_version", "language", "created_at", "updated_at"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False  # phones register themselves


@admin.register(PushDelivery)
class PushDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "notification", "device", "status", "detail"]
    list_filter = ["status"]
    readonly_fields = ["notification", "device", "status", "detail", "created_at"]
    list_select_related = ["device", "notification__user"]

    def has_add_permission(self, request):
        return False


@admin.register(PushSettings)
class PushSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "quiet_hours_start", "quiet_hours_end", "updated_at"]
    search_fields = ["user__email", "user__name"]
    list_select_related = ["user"]
    readonly_fields = ["user"]

    def has_add_permission(self, request):
        return False  # made by the app with the runner's first settings change
