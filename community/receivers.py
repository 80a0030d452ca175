"""Signal receivers of the community app: a new personal record queues its notification; an author's standing or a
shared route's state, changed below, refreshes the discover copies on their posts."""

from django.dispatch import receiver
from django_q.tasks import async_task

from accounts.events import author_standing_changed
from community.services import post_discover_flags_refresh
from routes.events import shared_route_changed
from workouts.events import personal_record_set


@receiver(personal_record_set, dispatch_uid="community.personal_record_set")
def on_personal_record_set(sender, *, user, workout, record, value, previous=None, **kwargs) -> None:
    # Sent after the record's transaction committed: the task will find the workout.
    async_task("community.tasks.notify_personal_record", str(user.pk), str(workout.pk), record, float(value),
               None if previous is None else float(previous))


@receiver(author_standing_changed, dispatch_uid="community.author_standing_changed")
def on_author_standing_changed(sender, *, user_id, **kwargs) -> None:
    post_discover_flags_refresh(author_id=user_id)


@receiver(shared_route_changed, dispatch_uid="community.shared_route_changed")
def on_shared_route_changed(sender, *, route_id, **kwargs) -> None:
    post_discover_flags_refresh(route_ids=[route_id])
