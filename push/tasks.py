"""django-q2 tasks of push notifications: IDs in, safe to run twice, errors raised so the queue retries."""

from push import services


def push_notification(notification_id: str) -> dict:
    return services.notification_push(notification_id=notification_id)
