"""The baseline of `make loadtest`: a bare Django view, routed only when LOADTEST_BARE_VIEW is true.

It shows what the server stack costs alone (gunicorn, middleware, JSON), so the load report can state an
API endpoint's throughput as a ratio to it. A plain Django view: no DRF, no auth, not in the OpenAPI schema.
"""

from django.http import JsonResponse


def bare_json_view(request):
    return JsonResponse({"success": True, "data": {"ok": True}, "message": None})
