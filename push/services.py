"""Devices, push preferences, and the delivery of one notification to a runner's phones."""

from __future__ import annotations

import logging
from datetime import datetime, time

from django.db import IntegrityError, transaction
from django.utils import timezone

from community.models import Comment, Notification, Post
from push.fcm import PushMessage, TemporaryPushError, push_client
from push.models import Device, PushDelivery, PushSettings
from push.texts import push_text

logger = logging.getLogger(__name__)

PUSHABLE_TYPES = [choice for choice, _label in Notification.Type.choices]


def device_register(*, user, token: str, platform: str, app_version: str = "",
                    language: str = Device.Language.KOREAN) -> tuple[Device, bool]:
    """Register this phone's token for `user`; a token already known (another account on the same phone, or a
    re-install) moves to `user`. Returns (device, created)."""
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(token=token).first()
        if device is None:
            try:
                with transaction.atomic():
                    return Device.objects.create(user=user, token=token, platform=platform,
                                                 app_version=app_version, language=language), True
            except IntegrityError:  # registered by a concurrent request a moment ago
                device = Device.objects.select_for_update().get(token=token)
        device.user, device.platform, device.app_version, device.language = user, platform, app_version, language
        device.save()
        return device, False


def device_delete(*, device: Device) -> None:
    device.delete()


def devices_of_deleted_user_remove(*, user) -> int:
    return Device.objects.filter(user=user).delete()[0]


def push_settings_get(*, user) -> PushSettings:
    """The stored preferences, or the defaults (every type pushes, no quiet hours) unsaved."""
    return (PushSettings.objects.filter(user=user).first()
            or PushSettings(user=user, enabled_types=list(PUSHABLE_TYPES)))


def push_settings_update(*, user, **changes) -> PushSettings:
    current = push_settings_get(user=user)
    for field, value in changes.items():
        setattr(current, field, value)
    current.save()
    return current


def in_quiet_hours(*, start: time | None, end: time | None, now_local: datetime) -> bool:
    """Whether the local time lies in [start, end); a window past midnight (22:00-07:00) wraps."""
    if start is None or end is None or start == end:
        return False
    moment = now_local.time()
    return start <= moment < end if start < end else (moment >= start or moment < end)


def _skip_reason(notification: Notification, preferences: PushSettings, now: datetime) -> str | None:
    recipient = notification.user
    if not recipient.is_active or recipient.deleted_at is not None:
        return "recipient inactive"
    if notification.actor_id is not None and notification.actor_id == notification.user_id:
        return "own action"
    if notification.type not in preferences.enabled_types:
        return "type switched off"
    if notification.type == Notification.Type.COMMENT:
        comment = Comment.objects.filter(pk=notification.target_id).values("is_hidden", "post_id").first()
        if comment is None or comment["is_hidden"] or Post.objects.filter(
                pk=comment["post_id"], is_hidden=True).exists():
            return "comment hidden or deleted"
    if in_quiet_hours(start=preferences.quiet_hours_start, end=preferences.quiet_hours_end,
                      now_local=now.astimezone(recipient.zone)):
        return "quiet hours"
    return None


def notification_push(*, notification_id, now: datetime | None = None) -> dict[str, int]:
    """Push one notification to each of the recipient's phones that has not had it yet.

    Safe to run twice: a (notification, device) delivery row is written after each phone's answer, and phones
    with a row are skipped. Tokens FCM calls dead are deleted. Raises TemporaryPushError when FCM kept failing
    for some phone (after the client's own retries), so the queue runs the task again later for those phones.
    Returns counts by outcome (for logs and tests)."""
    now = now or timezone.now()
    notification = (Notification.objects.select_related("user", "actor")
                    .filter(pk=notification_id).first())
    if notification is None:
        return {"skipped": 1}
    reason = _skip_reason(notification, push_settings_get(user=notification.user), now)
    if reason is not None:
        logger.info("push of notification %s skipped: %s", notification_id, reason)
        return {"skipped": 1}
    devices = list(Device.objects.filter(user_id=notification.user_id)
                   .exclude(deliveries__notification_id=notification.pk))
    actor_name = notification.actor.name if notification.actor_id and notification.actor.is_active else ""
    counts = {"sent": 0, "dead_token": 0, "failed": 0, "retry": 0}
    client = push_client()
    for device in devices:
        title, body = push_text(notification_type=notification.type, actor_name=actor_name,
                                data=notification.data, language=device.language)
        result = client.send(PushMessage(
            token=device.token, title=title, body=body, collapse_id=str(notification.pk),
            data={"notification_id": str(notification.pk), "type": notification.type,
                  "target_type": notification.target_type, "target_id": notification.target_id}))
        counts[result.outcome] += 1
        if result.outcome == "dead_token":
            device.delete()
        elif result.outcome in ("sent", "failed"):
            status = PushDelivery.Status.SENT if result.outcome == "sent" else PushDelivery.Status.FAILED
            PushDelivery.objects.get_or_create(notification_id=notification.pk, device=device,
                                               defaults={"status": status, "detail": result.detail[:200]})
    if counts["retry"]:
        raise TemporaryPushError(f"FCM failed for {counts['retry']} phone(s) of notification {notification_id}")
    return counts
