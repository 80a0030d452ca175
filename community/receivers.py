"""Signal receivers of the community app: a new personal record queues its notification."""

from django.dispatch import receiver
from django_q.tasks import async_task

from workouts.events import personal_record_set


@receiver(personal_record_set, dispatch_uid="community.personal_record_set")
def on_personal_record_set(sender, *, user, workout, record, value, previous=None, **kwargs) -> None:
    # Sent after the record's transaction committed: the task will find the workout.
    async_task("community.tasks.notify_personal_record", str(user.pk), str(workout.pk), record, float(value),
               None if previous is None else float(previous))
