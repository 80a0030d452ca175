"""Serializer fields every app shares: user text that exports can carry and calendar days with bounds (the API's
units and the path object: runnerway.api.units)."""

import re
from datetime import date

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# What no user text may hold: C0 controls other than tab, LF and CR (XML 1.0 forbids them, so a name or a post
# with one would make the GPX/SVG exports not well-formed) and the Unicode non-characters (U+FDD0..U+FDEF and
# the last two code points of every plane). Lone surrogates are refused by DRF's CharField already.
FORBIDDEN_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ufdd0-\ufdef"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
    + "]"
)


def validate_user_text(value: str) -> str:
    """Refuse text with control characters (tab and line breaks are fine) or Unicode non-characters."""
    found = FORBIDDEN_TEXT.search(value)
    if found:
        raise serializers.ValidationError(
            _("Contains a control character or a Unicode non-character (U+{code:04X} at position {position}).")
            .format(code=ord(found.group()), position=found.start()),
            code="invalid_characters",
        )
    return value


class UserTextField(serializers.CharField):
    """A CharField for text people write (names, posts, comments): refuses what `validate_user_text` refuses."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_user_text)


# Calendar days the API accepts: wide enough for any history or plan, narrow enough that a day's bounds (the day
# after, the first instant in any time zone) never leave Python's date range (0001-01-01..9999-12-31).
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2100, 12, 31)


class BoundedDateField(serializers.DateField):
    """A calendar day between FIRST_DAY and LAST_DAY; outside answers 400 `validation_error`."""

    default_error_messages = {
        "out_of_range": _("Must be between {first} and {last}."),
    }

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not FIRST_DAY <= day <= LAST_DAY:
            self.fail("out_of_range", first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
        return day
