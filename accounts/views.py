"""Accounts API: signup, login, token refresh/logout, and the user's own profile."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.serializers import (
    AuthResultSerializer,
    LoginSerializer,
    ProfileUpdateSerializer,
    RefreshSerializer,
    SignupSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from accounts.tasks import enqueue_activity
from runnerway.api.exceptions import ApiError
from runnerway.api.schema import error_response


def auth_result(request, user, *, status_code=status.HTTP_200_OK, **extra) -> Response:
    tokens = services.tokens_for_user(user=user)
    body = {"user": UserSerializer(user, context={"request": request}).data, "access": tokens.access,
            "refresh": tokens.refresh, **extra}
    return Response(body, status=status_code)


class PublicAuthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class SignupView(PublicAuthView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(summary="Sign up with email and password", request=SignupSerializer,
                   responses={201: AuthResultSerializer, 409: error_response("Email already registered (`conflict`).")},
                   auth=[], tags=["auth"])
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
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(summary="Log in with email and password", request=LoginSerializer,
                   responses={200: AuthResultSerializer}, auth=[], tags=["auth"])
    def post(self, request):
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_authenticate(**data.validated_data)
        if user is None:
            raise ApiError("Incorrect email or password.", code="authentication_failed", status_code=401)
        enqueue_activity(user=user, action="login", request=request)
        return auth_result(request, user)


class RefreshView(PublicAuthView):
    @extend_schema(summary="Rotate a refresh token", description="Returns a new access and refresh token; the "
                   "old refresh token is blacklisted and refused from then on (`token_invalid`).",
                   request=RefreshSerializer, responses={200: TokenPairSerializer}, auth=[], tags=["auth"])
    def post(self, request):
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.refresh_token_rotate(refresh=data.validated_data["refresh"])
        return Response({"access": tokens.access, "refresh": tokens.refresh})


class LogoutView(APIView):
    @extend_schema(summary="Log out", description="Blacklists the given refresh token.",
                   request=RefreshSerializer, responses={200: None}, tags=["auth"])
    def post(self, request):
        data = RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.refresh_token_revoke(refresh=data.validated_data["refresh"], user=request.user)
        enqueue_activity(user=request.user, action="logout", request=request)
        response = Response(None)
        response.envelope_message = "Logged out."
        return response


class MeView(APIView):
    @extend_schema(summary="My profile", responses={200: UserSerializer}, tags=["users"])
    def get(self, request):
        return Response(UserSerializer(request.user, context={"request": request}).data)

    @extend_schema(summary="Update my profile", request=ProfileUpdateSerializer, responses={200: UserSerializer},
                   tags=["users"])
    def patch(self, request):
        data = ProfileUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **data.validated_data)
        return Response(UserSerializer(user, context={"request": request}).data)

    @extend_schema(summary="Delete my account", description="Soft delete: tokens stop working at once and the "
                   "email can sign up again.", responses={204: None}, tags=["users"])
    def delete(self, request):
        enqueue_activity(user=request.user, action="delete", request=request)
        services.user_soft_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


