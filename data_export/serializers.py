from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from data_export import services
from data_export.models import DataExport


class DataExportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(
        help_text="When ready: a signed link to the zip, valid for 24 h after the export finished (no login "
        "needed to follow it, so keep it private); null otherwise.")
    download_expires_at = serializers.SerializerMethodField()

    class Meta:
        model = DataExport
        fields = ["id", "status", "size_bytes", "created_at", "finished_at", "download_url", "download_expires_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, export: DataExport) -> str | None:
        if export.status != DataExport.Status.READY:
            return None
        url = reverse("data-export-download", request=self.context.get("request"))
        return f"{url}?token={services.download_token(export)}"

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_download_expires_at(self, export: DataExport):
        if export.status != DataExport.Status.READY:
            return None
        return services.download_expires_at(export).isoformat().replace("+00:00", "Z")


class DownloadQuerySerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The signature from `download_url`.")
