"""Accounts API: signup, login (password, email code, Kakao), tokens, the user's own profile (the public profile,
which shows workouts and follows too, is composed in community)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.avatars import MAX_AVATAR_BYTES
from accounts.kakao import kakao_profile_for_token
from accounts.otp import OTP_LIFETIME
from accounts.serializers import (
    AuthResultSerializer,
    AvatarUploadSerializer,
    KakaoLoginSerializer,
    LoginResultSerializer,
    LoginSerializer,
    OTPRequestResultSerializer,
    OTPRequestSerializer,
    OTPVerifySerializer,
    ProfileUpdateSerializer,
    RefreshSerializer,
    SignupSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from accounts.services import Client
from accounts.throttles import (
    DEVICE_ID_HEADER,
    LoginAddressThrottle,
    LoginDeviceThrottle,
    LoginEmailThrottle,
    OTPRequestAddressThrottle,
    OTPRequestDeviceThrottle,
    OTPRequestEmailThrottle,
    OTPVerifyAddressThrottle,
    OTPVerifyEmailAddressThrottle,
    SignupAddressThrottle,
    SignupDeviceThrottle,
)
from runnerway.api.exceptions import UnsupportedFile
from runnerway.api.schema import error_response

_DISABLED_401 = "`authentication_failed`: the account is disabled."
_SECURED_MESSAGE = gettext_lazy(
    "This email had an account that was never verified. Your login proved the email is yours, so every other "
    "way into the account was ended: its password no longer works and all other sessions are signed out. We "
    "sent you an email about it.")
_SECURED_DOC = ("Proving the email of an account that was never verified (signed up with a password, by anyone) "
                "secures it: its password becomes unusable, every earlier access and refresh token stops working, "
                "other Kakao links are removed, and a mail tells the owner; the answer then has "
                "`secured_account: true` and says so in `message`.")
DEVICE_ID_PARAMETER = OpenApiParameter(
    DEVICE_ID_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="A stable random id of this app installation (8-128 of `A-Z a-z 0-9 . _ : -`, e.g. a UUID). The "
    "strict per-device rate limits count it, so runners who share one carrier address are limited one by one; "
    "without it (or when malformed) the client's address counts as its device.")
_THROTTLE_DOC = ("Rate limits: strict ones per email/account and per device (`X-Device-Id`), generous ones per "
                 "client address that only stop floods (429 `throttled` with `Retry-After`).")


def auth_result(request, user, *, status_code=status.HTTP_200_OK, **extra) -> Response:
    tokens = services.tokens_for_user(user=user)
    body = {"user": UserSerializer(user, context={"request": request}).data, "access": tokens.access,
            "refresh": tokens.refresh, **extra}
    return Response(body, status=status_code)


def login_result(request, result: services.LoginResult) -> Response:
    response = auth_result(request, result.user, created=result.created, secured_account=result.secured)
    if result.secured:
        response.envelope_message = _SECURED_MESSAGE
    return response


class PublicAuthView(APIView):
    """No authentication at all (a stale token sent along must not make signup fail). Their schemas say
    `auth=[{}]`; the schema hook (runnerway.api.schema) writes every public operation as `security: []`."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def check_throttles(self, request):
        # Stop at the first refusal (DRF asks every throttle, and each one that allows counts the request): the
        # per-address ceilings come first, so a flood they refuse does not use up an email's or a device's allowance.
        for throttle in self.get_throttles():
            if not throttle.allow_request(request, self):
                self.throttled(request, throttle.wait())


class SignupView(PublicAuthView):
    throttle_classes = [SignupAddressThrottle, SignupDeviceThrottle]

    @extend_schema(summary="Sign up with email and password", request=SignupSerializer,
                   responses={201: AuthResultSerializer,
                              409: error_response("Email already registered (`conflict`).")},
                   description="Weak passwords (too short, common, all digits, only whitespace) answer 400 "
                   "`validation_error` with `fields.password`. The email is not verified by signup "
                   "(`email_verified: false`); the account may log in with its password until someone proves "
                   "the email (an emailed code or a Kakao-verified email), which ends the password and every "
                   "earlier session. " + _THROTTLE_DOC,
                   parameters=[DEVICE_ID_PARAMETER], auth=[{}], tags=["auth"])
    def post(self, request):
        data = SignupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_signup(**data.validated_data, client=Client.of(request))
        return auth_result(request, user, status_code=status.HTTP_201_CREATED)


class LoginView(PublicAuthView):
    throttle_classes = [LoginAddressThrottle, LoginDeviceThrottle, LoginEmailThrottle]

    @extend_schema(summary="Log in with email and password", request=LoginSerializer,
                   responses={200: AuthResultSerializer,
                              401: error_response("Wrong email/password pair (`authentication_failed`).")},
                   description="A wrong password and an unknown email give the same 401 "
                   "`authentication_failed`, and so does the password of an account secured by a code login. "
                   "Accounts whose email is not verified may log in. " + _THROTTLE_DOC,
                   parameters=[DEVICE_ID_PARAMETER], auth=[{}], tags=["auth"])
    def post(self, request):
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_login(**data.validated_data, client=Client.of(request))
        return auth_result(request, user)


class RefreshView(PublicAuthView):
    @extend_schema(summary="Rotate a refresh token",
                   description="Returns a new access and refresh token; the old refresh token is "
                   "blacklisted and refused from then on (401 `token_invalid`). Sending an already rotated "
                   "refresh token again is treated as theft (OAuth 2.0 Security BCP): 401 `token_invalid`, and "
                   "every refresh token descended from the same login is revoked, so that session must log in "
                   "again (its access tokens expire within their 15 minutes). The app must therefore never send "
                   "one refresh token twice (serialise refreshes).",
                   request=RefreshSerializer,
                   responses={200: TokenPairSerializer,
                              401: error_response("`token_invalid`: the refresh token is invalid, expired or "
                                                  "already used.")},
                   auth=[{}], tags=["auth"])
    def post(self, request):
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.refresh_token_rotate(refresh=data.validated_data["refresh"])
        return Response({"access": tokens.access, "refresh": tokens.refresh})


class LogoutView(APIView):
    @extend_schema(summary="Log out", description="Blacklists the given refresh token (401 `token_invalid` "
                   "when it is already unusable or another user's).",
                   request=RefreshSerializer, tags=["auth"],
                   responses={200: OpenApiResponse(
                       {"enum": [None], "description": "Always null: logging out returns nothing."},
                       description="Logged out: `{success: true, data: null, message: \"Logged out.\"}`.")})
    def post(self, request):
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.refresh_token_revoke(refresh=data.validated_data["refresh"], user=request.user,
                                      client=Client.of(request))
        response = Response(None)
        response.envelope_message = _("Logged out.")
        return response


class OTPRequestView(PublicAuthView):
    throttle_classes = [OTPRequestAddressThrottle, OTPRequestDeviceThrottle, OTPRequestEmailThrottle]

    @extend_schema(
        summary="Email me a login code",
        description="Emails a 6-digit code valid for 5 minutes (sent by a background job; never returned). "
        "Answers the same whether or not the email has an account. At most one request per email per "
        "minute (by default) and 10 per device per hour. " + _THROTTLE_DOC,
        request=OTPRequestSerializer, responses={202: OTPRequestResultSerializer},
        parameters=[DEVICE_ID_PARAMETER], auth=[{}], tags=["auth"])
    def post(self, request):
        data = OTPRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.otp_request(email=data.validated_data["email"])
        expires_in_s = int(OTP_LIFETIME.total_seconds())
        response = Response({"expires_in": expires_in_s}, status=status.HTTP_202_ACCEPTED)
        response.envelope_message = _("If the address can receive mail, a code is on its way.")
        return response


class OTPVerifyView(PublicAuthView):
    throttle_classes = [OTPVerifyAddressThrottle, OTPVerifyEmailAddressThrottle]

    @extend_schema(
        summary="Log in with an emailed code",
        description="Passwordless login with the newest code sent to the email; creates a verified account "
        "on first use (`created: true`) and marks an existing account's email verified. " + _SECURED_DOC +
        " Errors (400): `otp_invalid` (wrong or already used), `otp_expired`, `otp_attempts_exceeded`: 5 wrong "
        "codes (by default) for this email from one client address within an hour lock that address out for the "
        "email (a stranger's guesses do not lock the owner out elsewhere), and 20 from all addresses together lock "
        "the email out everywhere; requesting a new code does not reset the counts, a successful code login does. "
        "Throttled per client address and per email from one address (429 `throttled` with `Retry-After`).",
        request=OTPVerifySerializer,
        responses={200: LoginResultSerializer, 401: error_response(_DISABLED_401)},
        auth=[{}], tags=["auth"])
    def post(self, request):
        data = OTPVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.otp_verify(**data.validated_data, client=Client.of(request))
        return login_result(request, result)


class KakaoLoginView(PublicAuthView):
    throttle_classes = [LoginAddressThrottle, LoginDeviceThrottle]

    @extend_schema(
        summary="Log in with Kakao",
        description="Send the access token from the Kakao SDK. The server checks with Kakao that the token "
        "was issued to this app, then logs in the linked account, links an account with the same email when "
        "Kakao says the email is verified, or creates one (`created: true`; email null when Kakao shares none). "
        + _SECURED_DOC + " " + _THROTTLE_DOC,
        request=KakaoLoginSerializer, parameters=[DEVICE_ID_PARAMETER],
        responses={200: LoginResultSerializer,
                   401: error_response("`kakao_token_invalid`: Kakao refused the token or it belongs to "
                                       "another app; `authentication_failed`: the account is disabled."),
                   503: error_response("`kakao_unavailable`: Kakao cannot be reached; try again.")},
        auth=[{}], tags=["auth"])
    def post(self, request):
        data = KakaoLoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = kakao_profile_for_token(access_token=data.validated_data["access_token"])
        result = services.user_login_with_kakao(profile=profile, client=Client.of(request))
        return login_result(request, result)


class MeView(APIView):
    @extend_schema(summary="My profile", responses={200: UserSerializer}, tags=["users"])
    def get(self, request):
        return Response(UserSerializer(request.user, context={"request": request}).data)

    @extend_schema(summary="Update my profile", request=ProfileUpdateSerializer,
                   responses={200: UserSerializer},
                   description="Only name, weight_kg, height_cm, birth_year, gender, timezone, language, privacy_zone; "
                   "any other field is refused (400 `validation_error`). `privacy_zone` (0 = off, 200, 400, 800 "
                   "m; any other value 400) applies at once to every path of mine others see.", tags=["users"])
    def patch(self, request):
        data = ProfileUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **data.validated_data)
        return Response(UserSerializer(user, context={"request": request}).data)

    @extend_schema(summary="Delete my account", description=(
        "Tokens stop working at once (401 `token_invalid`) and the email can sign up again. At once: the name, "
        "avatar (the file too) and body figures are wiped. Then a job (queued as the deletion commits; normally "
        "seconds, at most 2 hours: the hourly cleanup queues it again until it has finished) removes the rest: "
        "my posts (with their likes and comments), my likes (like counts drop), my follows both ways (counts "
        "drop), every notification I caused or received, my comments — removed, except those another runner "
        "answered later, which stay emptied under `author: {id: null, name: \"Deleted runner\", avatar: null}` — "
        "my workouts with their GPS points, stats and records, my workout imports (uploaded files too), my routes "
        "with their options (copies other runners saved stay theirs), my push devices and settings, my data "
        "exports (zip files too), my goals, my activity log, my social logins and login codes. The account row "
        "stays anonymous (no email, name or password) so kept comments keep an author. The README's Privacy "
        "section lists every step."), responses={204: None}, tags=["users"])
    def delete(self, request):
        services.user_soft_delete(user=request.user, client=Client.of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AvatarView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(summary="Upload my avatar", request={"multipart/form-data": AvatarUploadSerializer},
                   description="JPEG, PNG or WebP up to 5 MB and 40 megapixels (PNG and WebP: at most 6 "
                   "megapixels in colour, as they cannot be decoded reduced); stored re-encoded (metadata removed, "
                   "upright, at most 1024 px a side) under a random name. Anything else: 400 `unsupported_file`.",
                   responses={200: UserSerializer}, tags=["users"])
    def put(self, request):
        # Refuse an oversized upload before Django spools it to disk (multipart files are not counted by
        # DATA_UPLOAD_MAX_MEMORY_SIZE): 64 KiB of slack for the multipart framing.
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_AVATAR_BYTES + 64 * 1024:
            raise UnsupportedFile(_("The avatar must be at most 5 MB."))
        data = AvatarUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_set_avatar(user=request.user, upload=data.validated_data["avatar"])
        return Response(UserSerializer(user, context={"request": request}).data)

