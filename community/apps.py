from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"

    def ready(self) -> None:
        from community import receivers  # noqa: F401  (connects the signal receivers)
