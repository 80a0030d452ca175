"""django-q2 tasks of the workouts app: thin, take IDs, safe to run twice (delivery is at least once)."""

import logging

from django.conf import settings
from django.utils import translation

from workouts import selectors, services
from workouts.models import WorkoutImport

logger = logging.getLogger(__name__)


def complete_stale_workouts() -> int:
    """Complete every workout left active or paused with no sign of life for 6 hours (a registered task,
    runnerway.jobs.TASKS; the scheduled cleanup completes them too). Each workout completes in its own
    transaction, re-checked under its row lock, so a workout revived or completed meanwhile is left alone.
    Returns how many were completed."""
    completed = 0
    for workout_id in selectors.stale_workout_ids():
        if services.workout_complete_if_stale(workout_id=workout_id) is not None:
            completed += 1
    if completed:
        logger.info("completed %d stale workouts", completed)
    return completed


def run_import(import_id: str) -> str | None:
    """Import one uploaded GPX/FIT file (`WorkoutImport`) into a completed workout. Safe to run twice: a
    finished import is left alone, a half-done one resumes. Returns the import's status."""
    # Its error message, shown to the runner later, is in the runner's language (their profile's `language`).
    language = WorkoutImport.objects.filter(pk=import_id).values_list("user__language", flat=True).first()
    with translation.override(language or settings.LANGUAGE_CODE):
        workout_import = services.workout_import_process(import_id=import_id)
    return None if workout_import is None else workout_import.status
