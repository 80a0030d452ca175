"""Service endpoints: health, and the JSON 404 for unknown URLs under /api/."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from runnerway.api.exceptions import error_body
from runnerway.health import service_health

HealthSerializer = inline_serializer(
    name="Health",
    fields={
        "status": serializers.ChoiceField(choices=["ok", "down"]),
        "database": serializers.ChoiceField(choices=["ok", "down"]),
        "queue": serializers.ChoiceField(choices=["ok", "degraded", "unknown"]),
    },
)


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        summary="Service health",
        description="Database and job-queue health. 503 (with the same fields under `data`) when the database "
        "is down. `queue` is `degraded` when tasks wait > 10 min with no worker progress or failures pile up.",
        responses={200: HealthSerializer,
                   503: OpenApiResponse(HealthSerializer, description="The database is down "
                                        "(`service_unavailable`): the error envelope with the health under `data`.")},
        auth=[{}],
        tags=["service"],
    )
    def get(self, request):
        report = service_health()
        body = {"status": report.status, "database": report.database, "queue": report.queue}
        if report.database != "ok":
            payload = error_body("service_unavailable", _("The database is unavailable."))
            payload["data"] = body
            return Response(payload, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})
        return Response(body)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def api_not_found(request, *args, **kwargs):
    raise NotFound(_("No API endpoint at this address."))


def server_error(request, *args, **kwargs):
    """handler500: a failure outside DRF (middleware, URL resolution) still answers JSON under /api/."""
    from django.http import JsonResponse
    from django.views.defaults import server_error as html_server_error

    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", _("An unexpected error occurred.")), status=500)
    return html_server_error(request, *args, **kwargs)
