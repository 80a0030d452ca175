"""ASGI entry point (the API is synchronous; this exists for ASGI servers that front it)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "runnerway.settings")
application = get_asgi_application()
