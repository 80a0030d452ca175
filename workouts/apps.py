from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkoutsConfig(AppConfig):
    name = "workouts"
    verbose_name = _("Workouts")

    def ready(self):
        from workouts import receivers  # noqa: F401 - connects the receivers
