"""django-q2 tasks of the community app: notifications, created outside the request, and the daily refresh of
the posts' popularity.

Thin (wger style): IDs in, fresh rows loaded by the service, safe to run twice (each notification carries a
unique dedupe key derived from its event). Errors are not swallowed: the queue retries and records failures.
"""

from accounts import tasks as account_tasks
from community import services


def notify_post_liked(like_id: int) -> bool:
    return services.notify_post_liked(like_id=like_id) is not None


def notify_comment(comment_id: str) -> bool:
    return services.notify_comment(comment_id=comment_id) is not None


def notify_followed(follow_id: int) -> bool:
    return services.notify_followed(follow_id=follow_id) is not None


def notify_personal_record(user_id: str, workout_id: str, record: str, value: float,
                           previous: float | None = None) -> bool:
    return services.notify_personal_record(user_id=user_id, workout_id=workout_id, record=record, value=value,
                                           previous=previous) is not None


def erase_deleted_account(user_id: str) -> int:
    """Kept for tasks queued before the whole-account erase existed: runs it (accounts.tasks)."""
    return account_tasks.erase_deleted_account(user_id)


def refresh_figure_bounds(user_id: str) -> int:
    """A runner's privacy zone changed: their shared routes' boxes for routes near me follow (posts written)."""
    return services.posts_refresh_figure_bounds(author_id=user_id)


def refresh_popularity() -> int:
    """Daily (operations.jobs.SCHEDULES): likes and comments older than the window leave the posts' scores."""
    return services.posts_refresh_popularity()
