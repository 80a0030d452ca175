from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RunnerwayConfig(AppConfig):
    name = "runnerway"
    verbose_name = _("RunnerWay")

    def ready(self):
        from runnerway import checks  # noqa: F401 - registers the system checks
        from runnerway.api import schema  # noqa: F401 - registers the JWT OpenAPI security scheme
