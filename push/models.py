"""Phones that receive pushes, each runner's push preferences, and what was delivered to which phone."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Device(models.Model):
    """One app installation's FCM registration token. A token belongs to one user at a time: registering it again
    (another account logged in on the same phone) moves it."""

    class Platform(models.TextChoices):
        ANDROID = "android", "Android"
        IOS = "ios", "iOS"
        WEB = "web", "Web"

    class Language(models.TextChoices):
        KOREAN = "ko", "한국어"
        ENGLISH = "en", "English"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="devices")
    # FCM tokens are ~160 characters today; 255 leaves room and stays indexable as unique on MariaDB utf8mb4.
    token = models.CharField(max_length=255, unique=True)
    platform = models.CharField(_("platform"), max_length=8, choices=Platform.choices)
    app_version = models.CharField(_("app version"), max_length=32, blank=True, default="")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.KOREAN,
                                help_text="Language of the texts pushed to this phone.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["-updated_at"]

    def __str__(self):
        return f"{self.get_platform_display()} {self.app_version} ({self.token[:12]}…)"


class PushSettings(models.Model):
    """A runner's choice of which notifications push, and the quiet hours (in their own time zone) when none do.
    No row means the defaults: every type, no quiet hours."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="push_settings")
    enabled_types = models.JSONField(default=list, blank=True,
                                     help_text="Notification types that push; the others only show in the app.")
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("push settings")
        verbose_name_plural = _("push settings")

    def __str__(self):
        return f"push settings of {self.user_id}"


class PushDelivery(models.Model):
    """What happened to one notification on one phone. The (notification, device) pair is unique, so a task run
    twice by the queue pushes nothing twice."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (permanent)"

    id = models.BigAutoField(primary_key=True)
    notification = models.ForeignKey("community.Notification", on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=8, choices=Status.choices)
    detail = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("push delivery")
        verbose_name_plural = _("push deliveries")
        constraints = [models.UniqueConstraint(fields=["notification", "device"], name="push_delivery_once")]

    def __str__(self):
        return f"{self.notification_id} → {self.device_id}: {self.status}"
