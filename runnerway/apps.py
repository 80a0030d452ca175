from django.apps import AppConfig


class RunnerwayConfig(AppConfig):
    name = "runnerway"
    verbose_name = "RunnerWay"

    def ready(self):
        from runnerway import checks  # noqa: F401 - registers the system checks
        from runnerway.api import schema  # noqa: F401 - registers the JWT OpenAPI security scheme
