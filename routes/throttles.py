"""Throttles of the routes app (rates in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])."""

from rest_framework.throttling import ScopedRateThrottle


class _PlanningOnly:
    """Throttles POST only: planning is the expensive part, reading routes is not."""

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        return super().allow_request(request, view)


class RoutePlanThrottle(_PlanningOnly, ScopedRateThrottle):
    """`route_plan` scope: planning per user."""


class RoutePlanAddressThrottle(_PlanningOnly, ScopedRateThrottle):
    """`route_plan_address` scope: planning per client address too, whoever is logged in (many accounts from
    one address must not multiply the planning a single machine can demand)."""

    scope_attr = "throttle_scope_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
