"""Input and output shapes of the accounts API."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from accounts.models import ZONE_SIZES_M, User
from runnerway.api.fields import UserTextField

LANGUAGE_HELP = ("Language of what is sent to me outside a request: mails such as the account notice (`ko`, the "
                 "default, or `en`; set at signup from `Accept-Language`). Responses follow each request's "
                 "`Accept-Language`, pushes the phone's registered language.")
PRIVACY_ZONE_HELP = ("Metres hidden around the start and end of every path others see (0 = off, 200 "
                     "(default), 400, 800); see the privacy zone in the community endpoints.")


def avatar_url(user: User, request=None) -> str | None:
    """The absolute URL of the user's avatar (relative without a request), or None when they have none."""
    if not user.avatar:
        return None
    url = user.avatar.url
    return request.build_absolute_uri(url) if request else url

class UserSerializer(serializers.ModelSerializer):
    avatar = serializers.SerializerMethodField()
    language = serializers.ChoiceField(choices=User.Language.choices, read_only=True, help_text=LANGUAGE_HELP)
    # "" until the user picks one: declared so that the schema's enum admits the blank it answers.
    gender = serializers.ChoiceField(choices=User.Gender.choices, allow_blank=True, read_only=True)
    # Stored as decimals; answered as JSON numbers like every other quantity (DRF would send "61.5").
    weight_kg = serializers.FloatField(read_only=True, allow_null=True, help_text="kg, 1 decimal.")
    height_cm = serializers.FloatField(read_only=True, allow_null=True, help_text="cm, 1 decimal.")
    privacy_zone = serializers.ChoiceField(source="privacy_zone_m", choices=ZONE_SIZES_M, read_only=True,
                                           help_text=PRIVACY_ZONE_HELP)

    class Meta:
        model = User
        fields = ["id", "email", "name", "avatar", "provider", "email_verified", "weight_kg", "height_cm",
                  "birth_year", "gender", "timezone", "language", "privacy_zone", "created_at"]
        read_only_fields = fields

    def get_avatar(self, user: User) -> str | None:
        return avatar_url(user, self.context.get("request"))


class SignupSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, min_length=1, max_length=128, trim_whitespace=False)
    name = UserTextField(max_length=100)


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=2048)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class AuthResultSerializer(serializers.Serializer):
    user = UserSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginResultSerializer(AuthResultSerializer):
    created = serializers.BooleanField(help_text="True when this login created the account.")
    secured_account = serializers.BooleanField(
        help_text="True when this login proved the email of an account that was never verified and therefore "
        "ended every other way into it: its password no longer works, every earlier token is revoked, and a mail "
        "told the owner. The message says so too.")


class OTPRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class OTPRequestResultSerializer(serializers.Serializer):
    expires_in = serializers.IntegerField(help_text="Seconds the emailed code stays valid.")


class OTPVerifySerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    code = serializers.RegexField(r"^[0-9]{6}$", max_length=6, help_text="The 6-digit code from the email.",
                                  error_messages={"invalid": gettext_lazy("The code is 6 digits.")})


class KakaoLoginSerializer(serializers.Serializer):
    # The token goes into an HTTP header towards Kakao: only OAuth token characters (RFC 6750 b64token), or
    # a non-Latin-1 character would crash the outgoing request (500) and a newline would inject a header.
    access_token = serializers.RegexField(r"^[A-Za-z0-9._~+/=-]+$", max_length=2048, trim_whitespace=True,
                                          help_text="The access token the Kakao SDK gave the app.",
                                          error_messages={"invalid": gettext_lazy("This is not a Kakao access token.")})


class AvatarUploadSerializer(serializers.Serializer):
    avatar = serializers.FileField(help_text="JPEG, PNG or WebP, at most 5 MB.")


class ProfileUpdateSerializer(serializers.Serializer):
    name = UserTextField(max_length=100, required=False)
    weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=20, max_value=400,
                                         required=False, allow_null=True, coerce_to_string=False)
    height_cm = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=50, max_value=260,
                                         required=False, allow_null=True, coerce_to_string=False)
    birth_year = serializers.IntegerField(min_value=1900, max_value=2100, required=False, allow_null=True)
    # null (like the other figures) or "" clears it; stored blank.
    gender = serializers.ChoiceField(choices=User.Gender.choices, required=False, allow_blank=True, allow_null=True)

    def validate_gender(self, value: str | None) -> str:
        return value or ""
    timezone = serializers.CharField(max_length=64, required=False)
    language = serializers.ChoiceField(choices=User.Language.choices, required=False, help_text=LANGUAGE_HELP)
    privacy_zone = serializers.ChoiceField(choices=ZONE_SIZES_M, required=False, help_text=PRIVACY_ZONE_HELP)

    def validate_timezone(self, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise serializers.ValidationError(
                _("Unknown time zone (use an IANA name such as Asia/Seoul).")) from exc
        return value

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: [_("This field cannot be changed.")] for name in sorted(unknown)})
        return attrs
