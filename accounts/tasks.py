"""Background work of the accounts app (django-q2). Tasks take IDs and are safe to run twice."""

from django_q.tasks import async_task

from accounts.models import ActivityLog, User


def client_ip(request) -> str | None:
    """The client address, honouring X-Forwarded-For only as far as NUM_PROXIES trusted proxies say."""
    from rest_framework.throttling import BaseThrottle

    ident = BaseThrottle().get_ident(request)
    return ident or None


def record_activity(user_id: str, action: str, details: dict, ip: str | None, event_id: str) -> None:
    """Write one activity log row; `event_id` makes a redelivered task a no-op."""
    if ActivityLog.objects.filter(details__event_id=event_id).exists():
        return
    if not User.objects.filter(pk=user_id).exists():
        return
    ActivityLog.objects.create(user_id=user_id, action=action, details={**details, "event_id": event_id}, ip=ip)


def enqueue_activity(*, user: User, action: str, request=None, details: dict | None = None) -> None:
    import uuid

    ip = client_ip(request) if request is not None else None
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:200] if request is not None else ""
    payload = {**(details or {}), "user_agent": user_agent}
    async_task("accounts.tasks.record_activity", str(user.pk), action, payload, ip, uuid.uuid4().hex,
               group="activity_log")
