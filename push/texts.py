"""The words of each push, in the phone's language, through Django's translation catalogue (push/locale)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

RECORD_NAMES = {  # the record keys of workouts' personal records
    "fastest_1k_s": "1 km",
    "fastest_5k_s": "5 km",
    "fastest_10k_s": "10 km",
}


def push_text(*, notification_type: str, actor_name: str, data: dict, language: str) -> tuple[str, str]:
    """(title, body) of a push for a notification of `notification_type`, in `language` ("ko" | "en")."""
    with translation.override(language):
        actor = actor_name or _("A runner")
        if notification_type == "like":
            return _("New like"), _("%(actor)s liked your post.") % {"actor": actor}
        if notification_type == "comment":
            excerpt = (data.get("excerpt") or "")[:80]
            return _("New comment"), _("%(actor)s: %(excerpt)s") % {"actor": actor, "excerpt": excerpt}
        if notification_type == "follow":
            return _("New follower"), _("%(actor)s started following you.") % {"actor": actor}
        if notification_type == "goal_achieved":
            kind = _("weekly") if data.get("goal_type") == "weekly" else _("monthly")
            return _("Goal reached"), _("You reached your %(kind)s goal. Well done!") % {"kind": kind}
        if notification_type == "personal_record":
            distance = RECORD_NAMES.get(data.get("record", ""), "")
            if distance:
                return (_("New personal record"),
                        _("Your fastest %(distance)s yet. Well done!") % {"distance": distance})
            return _("New personal record"), _("You set a new personal record. Well done!")
        return _("RunnerWay"), _("You have a new notification.")
