"""WSGI entry point: `gunicorn runnerway.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "runnerway.settings")
application = get_wsgi_application()
