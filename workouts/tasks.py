"""django-q2 tasks of the workouts app: thin, take IDs, safe to run twice (delivery is at least once)."""

import logging

from django.conf import settings
from django.utils import translation

from workouts import services
from workouts.models import WorkoutImport

logger = logging.getLogger(__name__)


def run_import(import_id: str) -> str | None:
    """Import one uploaded GPX/FIT file (`WorkoutImport`) into a completed workout. Safe to run twice: a
    finished import is left alone, a half-done one resumes. Returns the import's status."""
    # Its error message, shown to the runner later, is in the runner's language (their profile's `language`).
    language = WorkoutImport.objects.filter(pk=import_id).values_list("user__language", flat=True).first()
    with translation.override(language or settings.LANGUAGE_CODE):
        workout_import = services.workout_import_process(import_id=import_id)
    return None if workout_import is None else workout_import.status
