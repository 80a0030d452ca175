"""URL root: the versioned API, schema/docs pages, and the admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView

from runnerway.api.docs import RedocView, SwaggerView
from runnerway.views import HealthView, api_not_found

# Most called first: Django tries the patterns in order, and every include that does not match costs a raised
# Resolver404 and a copy of its patterns (~0.1 ms for the accounts and routes includes together). Phones send a
# points batch every few seconds while running; the order changes nothing else (every pattern is a whole path).
api_v1 = [
    path("", include("workouts.urls")),
    path("", include("community.urls")),
    path("", include("routes.urls")),
    path("", include("goals.urls")),
    path("", include("accounts.urls")),
    path("", include("push.urls")),
    path("", include("data_export.urls")),
    path("health", HealthView.as_view(), name="health"),
]

if settings.LOADTEST_BARE_VIEW:  # never in a normal deployment (see runnerway/loadtest.py)
    from runnerway.loadtest import bare_json_view

    api_v1.insert(0, path("_loadtest/bare", bare_json_view))

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc", RedocView.as_view(url_name="schema"), name="redoc"),
    # Anything else under /api/ answers the JSON 404 envelope, never an HTML page.
    re_path(r"^api(?:/.*)?$", api_not_found),
    path("admin/", admin.site.urls),
    # User uploads (avatars). In production put a CDN or the web server in front of MEDIA_ROOT.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]

handler500 = "runnerway.views.server_error"
