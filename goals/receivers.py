"""Signal receivers of the goals app: a completed workout queues the evaluation of the user's goals."""

from django.dispatch import receiver
from django_q.tasks import async_task

from workouts.events import workout_completed


@receiver(workout_completed, dispatch_uid="goals.workout_completed")
def on_workout_completed(sender, *, user, workout, **kwargs) -> None:
    # The signal is sent after the completing transaction committed: the task sees the completed workout.
    async_task("goals.tasks.goals_check_after_workout", str(user.pk), str(workout.pk))
