"""The API docs pages (Swagger UI, ReDoc) served from our own static files, asking nothing of other sites.

The assets are drf-spectacular-sidecar's (SPECTACULAR_SETTINGS *_DIST = SIDECAR); ReDoc's page drops the
Google Fonts links (runnerway/templates/runnerway/redoc.html). What the bundles would still fetch on their own
(ReDoc's footer logo from its CDN, Swagger UI's online validator badge) the Content-Security-Policy below keeps
in the browser: only this server's scripts, styles, images and API calls.
"""

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

# 'unsafe-inline': both pages start their bundle from an inline script; blob: for ReDoc's search worker.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class SelfContainedDocsMixin:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response


class SwaggerView(SelfContainedDocsMixin, SpectacularSwaggerView):
    pass


class RedocView(SelfContainedDocsMixin, SpectacularRedocView):
    template_name = "runnerway/redoc.html"
