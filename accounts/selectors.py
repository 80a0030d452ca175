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
    """Lifetime distance and number of completed workouts shown on a public profile.

    TODO(workouts): zeros until the workouts app provides its stats selector; replace the body with a
    call to it (completed workouts only) — the public profile view already reads from here.
    """
    return UserPublicTotals(total_distance=0.0, total_workouts=0)
