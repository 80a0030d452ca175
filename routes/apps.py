from django.apps import AppConfig


class RoutesConfig(AppConfig):
    name = "routes"
    verbose_name = "Routes and road networks"

    def ready(self):
        from routes import signals  # noqa: F401 - connects the shape cache invalidation
