"""Request plumbing that must happen before URL resolution."""

from datetime import UTC

from django.utils import timezone


class ApiTrailingSlashMiddleware:
    """Serve `/api/.../` exactly like `/api/...` (API.md: paths have no trailing slash, one is tolerated).

    Rewriting `path_info` (rather than redirecting) keeps POST bodies intact for clients that add a slash.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/") and len(path) > len("/api/") and path.endswith("/"):
            request.path_info = path.rstrip("/")
        return self.get_response(request)


class ApiUtcMiddleware:
    """Answer the API in UTC: its datetimes are ISO 8601 with `Z` (API.md) and a datetime sent without a zone
    means UTC, whatever TIME_ZONE the admin shows (Asia/Seoul)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        with timezone.override(UTC):
            return self.get_response(request)
