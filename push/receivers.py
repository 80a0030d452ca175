"""Every new notification is pushed by a task once its row has committed; a deleted account's phones go."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django_q.tasks import async_task

from community.models import Notification
from push import services


@receiver(post_save, sender=Notification, dispatch_uid="push_notification_on_commit")
def push_new_notification(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        notification_id = str(instance.pk)
        transaction.on_commit(lambda: async_task("push.tasks.push_notification", notification_id))


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="push_devices_of_deleted_users")
def remove_devices_of_deleted_user(sender, instance, raw=False, **kwargs):
    if not raw and instance.deleted_at is not None:
        services.devices_of_deleted_user_remove(user=instance)
