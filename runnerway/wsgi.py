"""WSGI entry point: `gunicorn runnerway.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "runnerway.settings")
application = get_wsgi_application()

# The recognisability score's catalogue rasters and each shape's own figure are built as a worker boots, not
# inside the first route request's planning budget (CPU).
from routes.services import warm_planner  # noqa: E402 - needs the app registry loaded above

warm_planner()
