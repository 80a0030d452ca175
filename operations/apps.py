from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """The top layer: what touches every app (the cleanup and analytics jobs, the demo seeding, the bootstrap,
    the job registry). It may import any app; no app, and not the platform, imports it. No models, so no admin
    section to name."""

    name = "operations"
