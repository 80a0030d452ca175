from django.urls import path

from push import views

urlpatterns = [
    path("devices", views.DeviceListCreateView.as_view(), name="device-list"),
    path("devices/<uuid:device_id>", views.DeviceDetailView.as_view(), name="device-detail"),
    path("users/me/push-settings", views.PushSettingsView.as_view(), name="push-settings"),
]
