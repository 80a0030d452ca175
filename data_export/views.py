"""Data export API (PIPA / GDPR right of access). Thin views over data_export.services."""

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from data_export import services
from data_export.serializers import DataExportSerializer, DownloadQuerySerializer
from runnerway.api.schema import error_response

TAGS = ["users"]
CONTENTS = ("The zip holds `README.txt` (Korean and English), `profile.json`, every workout as GPX (time, "
            "elevation, heart rate) with a JSON of its metrics and splits, every route with its options as GPX, "
            "and `posts.json`, `comments.json`, `goals.json`, `follows.json`. Comments others left on my posts "
            "carry their display name only.")


class DataExportView(GenericAPIView):
    serializer_class = DataExportSerializer

    @extend_schema(tags=TAGS, request=None, responses={202: DataExportSerializer, 429: error_response(
        "One export per day (`throttled`, with Retry-After).")}, summary="Export all my data (a zip, built by a job)",
        description="Starts building the zip and answers 202 at once; poll `GET /users/me/export`. " + CONTENTS)
    def post(self, request):
        export = services.export_request(user=request.user)
        return Response(DataExportSerializer(export, context={"request": request}).data,
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(tags=TAGS, responses={200: DataExportSerializer, 404: error_response(
        "I never asked for an export (`not_found`).")}, summary="My latest data export and its link",
                   description="404 `not_found` when I never asked for one. Statuses: queued, ready (with "
                   "`download_url`), failed, expired (the file is deleted 24 h after it was built).")
    def get(self, request):
        export = services.export_latest(user=request.user)
        if export is None:
            raise NotFound(_("No data export yet."))
        return Response(DataExportSerializer(export, context={"request": request}).data)


class DataExportDownloadView(GenericAPIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    serializer_class = DownloadQuerySerializer

    @extend_schema(tags=TAGS, parameters=[DownloadQuerySerializer], auth=[],
                   responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY,
                                                                        description="The export zip"),
                              404: error_response("A forged or expired link (`not_found`).")},
                   summary="Download a data export by its signed link",
                   description="404 `not_found` for a forged or expired link.")
    def get(self, request):
        query = DownloadQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        export = services.export_for_download(token=query.validated_data["token"])
        if export is None:
            raise NotFound(_("This download link is not valid or has expired."))
        return FileResponse(export.file.open("rb"), as_attachment=True, content_type="application/zip",
                            filename=f"runnerway-export-{export.finished_at:%Y%m%d}.zip")
