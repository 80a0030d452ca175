"""Reads of the accounts app."""

import functools
from dataclasses import dataclass

from accounts.models import User
from runnerway.db import CompiledRead
from runnerway.rowcache import RowCache

# The password hash is never read from a token and stays out of the cache (a deferred field, loaded if asked for).
_USER_COLUMNS = tuple(field.attname for field in User._meta.concrete_fields if field.attname != "password")

# The token's user as the row's values: a change to the User model's columns changes the entries' version (an
# entry written with other columns reads as a miss).
token_user_cache = RowCache("token_user", shaped_by=lambda: [" ".join(_USER_COLUMNS).encode()],
                            timeout_setting="TOKEN_USER_CACHE_TIMEOUT")


@functools.cache
def _user_by_pk() -> CompiledRead:
    return CompiledRead(lambda pk: User.objects.filter(pk=pk).values_list(*_USER_COLUMNS), pk=User._meta.pk)


def user_for_token(*, user_id, prefetched: dict | None = None) -> User | None:
    """The user a valid access token names (deleted and deactivated ones too: the caller refuses those).

    Read on every authenticated request, so through `token_user_cache` (when on): a cache hit, else one compiled
    SELECT that fills it. `prefetched`: what the request already read from the cache (runnerway.rowcache.read_rows:
    JWT authentication reads the row with the request's other cache reads in one round trip). Every write to a
    user row invalidates it (post_save/post_delete in accounts.receivers, UserQuerySet.update): a deactivation or
    deletion is refused on the next request."""
    row = token_user_cache.get(user_id, prefetched=prefetched)
    if row is None:
        row = _user_by_pk().first(pk=user_id)
        if row is None:
            return None
        token_user_cache.set(user_id, row)
    return User.from_db("default", _USER_COLUMNS, row)


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


def user_follow_summary(*, user: User, viewer):
    """The user's follower/following counts and whether `viewer` follows them (community.selectors.FollowSummary)."""
    from community.selectors import follow_summary

    return follow_summary(user_id=user.pk, viewer=viewer)
