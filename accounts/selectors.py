"""Reads of the accounts app."""

from accounts.models import User
from runnerway.cache import CacheAside

# The password hash is never read from a token and stays out of the cache (a deferred field, loaded if asked for).
_USER_COLUMNS = tuple(field.attname for field in User._meta.concrete_fields if field.attname != "password")

# The token's user as {column: value}: a column added to User is absent from older entries and loads (deferred)
# when read, so only a change of what a column holds needs the version bumped.
token_user_cache = CacheAside("token_user", version=1, timeout_setting="TOKEN_USER_CACHE_TIMEOUT")


def user_for_token(*, user_id, prefetched: dict | None = None) -> User | None:
    """The user a valid access token names (deleted and deactivated ones too: the caller refuses those).

    Read on every authenticated request, so through `token_user_cache` (when on): a cache hit, else one SELECT
    that fills it. Every write to a user row forgets it (post_save/post_delete in accounts.receivers; bulk updates
    call `token_user_cache.invalidate`): a deactivation or deletion is refused on the next request. `prefetched`:
    what the request read from the cache already (accounts.authentication)."""
    row = token_user_cache.get(user_id, prefetched=prefetched)
    if row is None:
        row = User.objects.filter(pk=user_id).values(*_USER_COLUMNS).first()
        if row is None:
            return None
        token_user_cache.add(user_id, row)
    # The names as a dict view: from_db tests each of the model's fields against them (a list would be O(n²)).
    return User.from_db("default", row.keys(), list(row.values()))


def user_public_profile_get(*, user_id) -> User | None:
    """A user anyone may look at: not deleted and not disabled (others answer 404)."""
    return User.active.filter(pk=user_id, is_active=True).first()

