"""Request plumbing that must happen before URL resolution."""


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
