"""Domain events the workouts app emits for other apps: the signals are defined here, beside the helpers that
send them; each app that listens connects in its own `receivers.py` (community: personal-record notifications;
goals: goal evaluation; workouts.receivers: a shared route's runner count).

`personal_record_set` is sent after the transaction that set the record has committed (so a receiver
that reads the database, or enqueues a task that does, sees the record), once per record improved:

    personal_record_set.send(sender=Workout, user=<User>, workout=<Workout>, record="fastest_5k_s",
                             value=1502.3, previous=1530.0 | None)

`record` is one of RECORDS; `value` is seconds for the fastest efforts and metres for `longest_distance_m`.
Receivers must be quick (they run in the request) or enqueue a django-q2 task.
"""

from django.db import transaction
from django.dispatch import Signal

from workouts.models import Workout

RECORDS = ("fastest_1k_s", "fastest_5k_s", "fastest_10k_s", "longest_distance_m")

personal_record_set = Signal()

# Sent once per workout that becomes completed (live completion, stale auto-completion, file import), after
# the completing transaction commits: `workout_completed.send(sender=Workout, user=<User>,
# workout=<Workout>)`. The goals app evaluates the user's active goals from it (through a django-q2 task).
workout_completed = Signal()


def emit_personal_records_on_commit(*, user, workout,
                                    improved: list[tuple[str, float, float | None]]) -> None:
    """Send `personal_record_set` for each (record, value, previous) once the current transaction commits."""
    if not improved:
        return

    def send() -> None:
        for record, value, previous in improved:
            personal_record_set.send(sender=Workout, user=user, workout=workout, record=record, value=value,
                                     previous=previous)

    transaction.on_commit(send)


def emit_workout_completed_on_commit(*, user, workout) -> None:
    """Send `workout_completed` once the current transaction commits (receivers see the completed row)."""

    def send() -> None:
        workout_completed.send(sender=Workout, user=user, workout=workout)

    transaction.on_commit(send)
