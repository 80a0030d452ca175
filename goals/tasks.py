"""django-q2 tasks of the goals app (thin: IDs in, fresh rows, one service call; safe to run twice)."""

from django.contrib.auth import get_user_model

from goals import services
from workouts.models import Workout


def goals_check_after_workout(user_id: str, workout_id: str) -> int:
    """Mark the goals a completed workout made reached (one notification each). Returns how many."""
    user = get_user_model().objects.filter(pk=user_id).first()
    workout = Workout.objects.filter(pk=workout_id, user_id=user_id).first()
    if user is None or workout is None:
        return 0  # deleted meanwhile: nothing to evaluate
    return len(services.goals_check_after_workout(user=user, workout=workout))
