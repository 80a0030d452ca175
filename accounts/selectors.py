"""Reads of the accounts app."""

from dataclasses import dataclass

from accounts.models import User


@dataclass(frozen=True)
class UserPublicTotals:
    total_distance: float  # km, 2 decimals (API.md units)
    total_workouts: int


def user_public_profile_get(*, user_id) -> User | None:
    """A user anyone may look at: not deleted and not disabled (others answer 404)."""
    return User.active.filter(pk=user_id, is_active=True).first()


def user_public_totals(user: User) -> UserPublicTotals:
    """Lifetime distance (km) and number of completed workouts shown on a public profile (one query)."""
    from workouts.selectors import user_totals

    totals = user_totals(user=user, period="all")
    return UserPublicTotals(total_distance=round(totals.total_distance_m / 1000, 2),
                            total_workouts=totals.total_workouts)
