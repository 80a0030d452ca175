from django.apps import AppConfig


class PushConfig(AppConfig):
    name = "push"
    verbose_name = "Push notifications"

    def ready(self):
        from push import signals  # noqa: F401 - connects the receivers
