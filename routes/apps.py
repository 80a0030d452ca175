from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutesConfig(AppConfig):
    name = "routes"
    verbose_name = _("Routes and road networks")

    def ready(self):
        from routes import receivers  # noqa: F401 - connects the shape cache invalidation
