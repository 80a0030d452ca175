from django.apps import AppConfig


class WorkoutsConfig(AppConfig):
    name = "workouts"

    def ready(self):
        from workouts import signals  # noqa: F401 - connects the receivers
