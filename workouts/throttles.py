"""Throttles of the workouts app (rates in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])."""

from rest_framework.throttling import ScopedRateThrottle


class WorkoutImportThrottle(ScopedRateThrottle):
    """`workout_import` scope (THROTTLE_WORKOUT_IMPORT, default 30/hour): imports started per user."""

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
