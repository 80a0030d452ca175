from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from push.models import Device, PushSettings
from push.services import PUSHABLE_TYPES


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "platform", "app_version", "language", "created_at", "updated_at"]
        read_only_fields = fields


class DeviceRegisterSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=255, trim_whitespace=True,
                                  help_text="The FCM registration token of this app installation.")
    platform = serializers.ChoiceField(choices=Device.Platform.choices)
    app_version = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(
        choices=Device.Language.choices, required=False,
        help_text="Language of the pushed texts; default: from Accept-Language (Korean unless English is asked).")

    def validate_token(self, value: str) -> str:
        if any(c.isspace() or ord(c) < 0x20 for c in value):
            raise serializers.ValidationError(_("A registration token has no spaces or control characters."))
        return value


@extend_schema_field({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"})
class ClockTimeField(serializers.TimeField):
    """A local clock time answered as HH:MM (OpenAPI's `time` format would demand seconds and a zone)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class PushSettingsSerializer(serializers.ModelSerializer):
    enabled_types = serializers.ListField(
        child=serializers.ChoiceField(choices=PUSHABLE_TYPES), allow_empty=True, max_length=len(PUSHABLE_TYPES),
        help_text="Notification types that push to my phones; the others only show in the app's list.")
    quiet_hours_start = ClockTimeField(allow_null=True, required=False,
                                              help_text="Local time (my profile's time zone), e.g. 22:00.")
    quiet_hours_end = ClockTimeField(allow_null=True, required=False,
                                            help_text="Local time, e.g. 07:00; a window may pass midnight.")

    class Meta:
        model = PushSettings
        fields = ["enabled_types", "quiet_hours_start", "quiet_hours_end"]

    def validate_enabled_types(self, value):
        return sorted(set(value), key=PUSHABLE_TYPES.index)

    def validate(self, attrs):
        start = attrs.get("quiet_hours_start", getattr(self.instance, "quiet_hours_start", None))
        end = attrs.get("quiet_hours_end", getattr(self.instance, "quiet_hours_end", None))
        if (start is None) != (end is None):
            raise serializers.ValidationError(
                {"quiet_hours_end": [_("Give both ends of the quiet hours, or clear both with null.")]})
        return attrs
