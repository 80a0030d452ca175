"""Accounts API: signup, login (password, email code, Kakao), tokens, the user's own and public profiles."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import selectors, services
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
    PublicUserSerializer,
    RefreshSerializer,
    SignupSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from accounts.tasks import enqueue_activity
from accounts.throttles import (
    LoginEmailThrottle,
    OTPRequestAddressThrottle,
    OTPRequestEmailThrottle,
    OTPVerifyEmailThrottle,
)
from runnerway.api.exceptions import ApiError, UnsupportedFile
from runnerway.api.schema import error_response

_DISABLED_401 = "`authentication_failed`: the account is disabled."


def auth_result(request, user, *, status_code=status.HTTP_200_OK, **extra) -> Response:
    tokens = services.tokens_for_user(user=user)
    body = {"user": UserSerializer(user, context={"request": request}).data, "access": tokens.access,
            "refresh": tokens.refresh, **extra}
    return Response(body, status=status_code)


class PublicAuthView(APIView):
    """No authentication at all (a stale token sent along must not make signup fail). Their schemas say
    `auth=[{}]`: spectacular writes `security: [{}]` (no auth needed), where `auth=[]` would leave the
    operation under the global JWT requirement."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class SignupView(PublicAuthView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(summary="Sign up with email and password", request=SignupSerializer,
                   responses={201: AuthResultSerializer,
                              409: error_response("Email already registered (`conflict`).")},
                   description="Weak passwords answer 400 `validation_error` with `fields.password`.",
                   auth=[{}], tags=["auth"])
    def post(self, request):
        data = SignupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = services.user_signup(**data.validated_data)
        except DjangoValidationError as exc:
            raise ApiError("The password is too weak.", code="validation_error",
                           fields={"password": list(exc.messages)}) from exc
        enqueue_activity(user=user, action="signup", request=request)
        return auth_result(request, user, status_code=status.HTTP_201_CREATED)


class LoginView(PublicAuthView):
    throttle_classes = [ScopedRateThrottle, LoginEmailThrottle]  # per client address, per target email
    throttle_scope = "login"

    @extend_schema(summary="Log in with email and password", request=LoginSerializer,
                   responses={200: AuthResultSerializer,
                              401: error_response("Wrong email/password pair (`authentication_failed`).")},
                   description="A wrong password and an unknown email give the same 401 "
                   "`authentication_failed`. Throttled per client address and per email (429 `throttled` with "
                   "`Retry-After`).", auth=[{}], tags=["auth"])
    def post(self, request):
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_authenticate(**data.validated_data)
        if user is None:
            raise ApiError("Incorrect email or password.", code="authentication_failed", status_code=401)
        enqueue_activity(user=user, action="login", request=request)
        return auth_result(request, user)


class RefreshView(PublicAuthView):
    @extend_schema(summary="Rotate a refresh token",
                   description="Returns a new access and refresh token; the old refresh token is "
                   "blacklisted and refused from then on (401 `token_invalid`).",
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
                   request=RefreshSerializer, responses={200: None}, tags=["auth"])
    def post(self, request):
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.refresh_token_revoke(refresh=data.validated_data["refresh"], user=request.user)
        enqueue_activity(user=request.user, action="logout", request=request)
        response = Response(None)
        response.envelope_message = "Logged out."
        return response


class OTPRequestView(PublicAuthView):
    throttle_classes = [OTPRequestAddressThrottle, OTPRequestEmailThrottle]

    def check_throttles(self, request):
        # Stop at the first refusal (DRF asks every throttle, and each one that allows counts the
        # request): a request refused for its address must not use up that email's minute as well.
        for throttle in self.get_throttles():
            if not throttle.allow_request(request, self):
                self.throttled(request, throttle.wait())

    @extend_schema(
        summary="Email me a login code",
        description="Emails a 6-digit code valid for 5 minutes (sent by a background job; never returned). "
        "Answers the same whether or not the email has an account. At most one request per email per "
        "minute and 10 per client address per hour (429 `throttled` with `Retry-After`).",
        request=OTPRequestSerializer, responses={202: OTPRequestResultSerializer}, auth=[{}], tags=["auth"])
    def post(self, request):
        data = OTPRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.otp_request(email=data.validated_data["email"])
        expires_in_s = int(OTP_LIFETIME.total_seconds())
        response = Response({"expires_in": expires_in_s}, status=status.HTTP_202_ACCEPTED)
        response.envelope_message = "If the address can receive mail, a code is on its way."
        return response


class OTPVerifyView(PublicAuthView):
    throttle_classes = [ScopedRateThrottle, OTPVerifyEmailThrottle]  # per client address, per target email
    throttle_scope = "otp_verify"

    @extend_schema(
        summary="Log in with an emailed code",
        description="Passwordless login with the newest code sent to the email; creates a verified account "
        "on first use (`created: true`) and marks an existing account's email verified. Errors (400): "
        "`otp_invalid` (wrong or already used), `otp_expired`, `otp_attempts_exceeded` (5 wrong codes for "
        "this email within an hour burn the code; requesting a new code does not reset the count). Throttled "
        "per client address and per email (429 `throttled` with `Retry-After`).",
        request=OTPVerifySerializer,
        responses={200: LoginResultSerializer, 401: error_response(_DISABLED_401)},
        auth=[{}], tags=["auth"])
    def post(self, request):
        data = OTPVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.otp_verify(**data.validated_data)
        enqueue_activity(user=result.user, action="otp_login", request=request,
                         details={"created": result.created})
        return auth_result(request, result.user, created=result.created)


class KakaoLoginView(PublicAuthView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        summary="Log in with Kakao",
        description="Send the access token from the Kakao SDK. The server checks with Kakao that the token "
        "was issued to this app, then logs in the linked account, links an account with the same verified "
        "email, or creates one (`created: true`; email null when Kakao shares none).",
        request=KakaoLoginSerializer,
        responses={200: LoginResultSerializer,
                   401: error_response("`kakao_token_invalid`: Kakao refused the token or it belongs to "
                                       "another app; `authentication_failed`: the account is disabled."),
                   409: error_response("`conflict`: an account with this email exists but its email is not "
                                       "verified; log in by email first."),
                   503: error_response("`kakao_unavailable`: Kakao cannot be reached; try again.")},
        auth=[{}], tags=["auth"])
    def post(self, request):
        data = KakaoLoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = kakao_profile_for_token(access_token=data.validated_data["access_token"])
        result = services.user_login_with_kakao(profile=profile)
        enqueue_activity(user=result.user, action="kakao_login", request=request,
                         details={"created": result.created})
        return auth_result(request, result.user, created=result.created)


class MeView(APIView):
    @extend_schema(summary="My profile", responses={200: UserSerializer}, tags=["users"])
    def get(self, request):
        return Response(UserSerializer(request.user, context={"request": request}).data)

    @extend_schema(summary="Update my profile", request=ProfileUpdateSerializer,
                   responses={200: UserSerializer},
                   description="Only name, weight_kg, height_cm, birth_year, gender, timezone, privacy_zone; "
                   "any other field is refused (400 `validation_error`). `privacy_zone` (0 = off, 200, 400, 800 "
                   "m; any other value 400) applies at once to every path of mine others see.", tags=["users"])
    def patch(self, request):
        data = ProfileUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **data.validated_data)
        return Response(UserSerializer(user, context={"request": request}).data)

    @extend_schema(summary="Delete my account", description="Tokens stop working at once "
                   "(401 `token_invalid`) and the email can sign up again. What others saw goes: the name, "
                   "avatar and body figures at once; within moments (a job) my posts (with their likes and "
                   "comments), my likes (like counts drop), my follows both ways (counts drop), the "
                   "notifications I caused, and my comments — removed, except those another runner answered "
                   "later, which stay emptied under `author: {id: null, name: \"Deleted runner\", avatar: "
                   "null}`.", responses={204: None}, tags=["users"])
    def delete(self, request):
        enqueue_activity(user=request.user, action="delete", request=request)
        services.user_soft_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AvatarView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(summary="Upload my avatar", request={"multipart/form-data": AvatarUploadSerializer},
                   description="JPEG, PNG or WebP up to 5 MB; stored re-encoded (metadata removed, at most "
                   "1024 px a side) under a random name. Anything else: 400 `unsupported_file`.",
                   responses={200: UserSerializer}, tags=["users"])
    def put(self, request):
        # Refuse an oversized upload before Django spools it to disk (multipart files are not counted by
        # DATA_UPLOAD_MAX_MEMORY_SIZE): 64 KiB of slack for the multipart framing.
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_AVATAR_BYTES + 64 * 1024:
            raise UnsupportedFile("The avatar must be at most 5 MB.")
        data = AvatarUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_set_avatar(user=request.user, upload=data.validated_data["avatar"])
        return Response(UserSerializer(user, context={"request": request}).data)


class PublicProfileView(APIView):
    @extend_schema(summary="A user's public profile",
                   description="Name, avatar, lifetime totals, follower/following counts, and whether I follow "
                   "them (`following`, as in the follow endpoint's answer). Deleted or disabled users → 404.",
                   responses={200: PublicUserSerializer}, tags=["users"])
    def get(self, request, user_id):
        user = selectors.user_public_profile_get(user_id=user_id)
        if user is None:
            raise NotFound("No such user.")
        totals = selectors.user_public_totals(user)
        follows = selectors.user_follow_summary(user=user, viewer=request.user)
        avatar = request.build_absolute_uri(user.avatar.url) if user.avatar else None
        return Response(PublicUserSerializer({
            "id": user.pk, "name": user.name, "avatar": avatar,
            "total_distance": round(totals.total_distance, 2), "total_workouts": totals.total_workouts,
            "follower_count": follows.follower_count, "following_count": follows.following_count,
            "following": follows.following,
        }).data)
