"""Push API: register and remove this phone, and my push preferences. Thin views over push.services."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from push import services
from push.models import Device
from push.serializers import DeviceRegisterSerializer, DeviceSerializer, PushSettingsSerializer
from runnerway.i18n import active_language

TAGS = ["push"]



class DeviceListCreateView(GenericAPIView):
    serializer_class = DeviceSerializer
    pagination_class = None

    @extend_schema(tags=TAGS, responses=DeviceSerializer(many=True), summary="My registered phones")
    def get(self, request):
        devices = Device.objects.filter(user=request.user).order_by("-updated_at")[:50]
        return Response(DeviceSerializer(devices, many=True).data)

    @extend_schema(
        tags=TAGS, request=DeviceRegisterSerializer,
        responses={201: DeviceSerializer, 200: DeviceSerializer},
        summary="Register this phone for push notifications",
        description="Call after login and whenever FCM gives the app a new token. A token is unique: one already "
        "registered (by me or by another account that logged in on this phone) moves to me and answers 200; a "
        "new one answers 201. Pushes go through Firebase Cloud Messaging (Android, iOS via APNs, web). Remove "
        "the phone with `DELETE /devices/{id}` on logout.",
        examples=[OpenApiExample("Android phone", request_only=True, value={
            "token": "fcm-registration-token-from-the-firebase-sdk", "platform": "android",
            "app_version": "1.4.0", "language": "ko"})],
    )
    def post(self, request):
        serializer = DeviceRegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        device, created = services.device_register(
            user=request.user, token=data["token"], platform=data["platform"], app_version=data["app_version"],
            language=data.get("language") or active_language())
        return Response(DeviceSerializer(device).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DeviceDetailView(GenericAPIView):
    serializer_class = DeviceSerializer

    @extend_schema(tags=TAGS, responses={204: None}, summary="Stop pushing to this phone (on logout)")
    def delete(self, request, device_id):
        device = Device.objects.filter(pk=device_id, user=request.user).first()
        if device is None:
            raise NotFound(_("Device not found."))
        services.device_delete(device=device)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PushSettingsView(GenericAPIView):
    serializer_class = PushSettingsSerializer

    @extend_schema(tags=TAGS, responses=PushSettingsSerializer, summary="My push preferences",
                   description="Which notification types push (default: all) and the quiet hours, in my "
                   "profile's time zone, when nothing pushes (default: none). Notifications still show in "
                   "`GET /notifications`.")
    def get(self, request):
        return Response(PushSettingsSerializer(services.push_settings_get(user=request.user)).data)

    @extend_schema(tags=TAGS, request=PushSettingsSerializer, responses=PushSettingsSerializer,
                   summary="Change my push preferences",
                   examples=[OpenApiExample("No pushes at night, no likes", request_only=True, value={
                       "enabled_types": ["comment", "follow", "goal_achieved", "personal_record"],
                       "quiet_hours_start": "22:00", "quiet_hours_end": "07:00"})])
    def patch(self, request):
        current = services.push_settings_get(user=request.user)
        serializer = PushSettingsSerializer(current, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = services.push_settings_update(user=request.user, **serializer.validated_data)
        return Response(PushSettingsSerializer(updated).data)
