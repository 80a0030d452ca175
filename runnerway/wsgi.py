"""WSGI entry point: `gunicorn runnerway.wsgi`."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "runnerway.settings")
application = get_wsgi_application()

# What a worker builds as it boots rather than inside its first requests (settings.WARM_UP, by dotted path: the
# platform names the apps' warm-ups without importing them).
for warm_up in settings.WARM_UP:
    import_string(warm_up)()
