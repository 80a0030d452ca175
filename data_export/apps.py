from django.apps import AppConfig


class DataExportConfig(AppConfig):
    name = "data_export"
    verbose_name = "Data exports"
