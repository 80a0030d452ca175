from django.urls import path

from data_export import views

urlpatterns = [
    path("users/me/export", views.DataExportView.as_view(), name="data-export"),
    path("users/me/export/download", views.DataExportDownloadView.as_view(), name="data-export-download"),
]
