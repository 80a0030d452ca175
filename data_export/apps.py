from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataExportConfig(AppConfig):
    name = "data_export"
    verbose_name = _("Data exports")
