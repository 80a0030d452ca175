"""What every admin page shows the same way: kilometres, durations, paces, small tables, the deleted filter."""

from collections.abc import Iterable, Sequence

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

EMPTY = "-"


def km(metres: float | None) -> str:
    """Metres as kilometres with 2 decimals ("3.05")."""
    return EMPTY if metres is None else f"{metres / 1000:.2f}"


def duration(seconds: float | None) -> str:
    """Whole seconds as m:ss, or h:mm:ss from an hour on ("42:07", "1:02:09")."""
    if seconds is None:
        return EMPTY
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def pace(seconds_per_km: float | None) -> str:
    """A pace as m:ss per km ("5:30")."""
    return EMPTY if seconds_per_km is None else duration(seconds_per_km)


def rounded(value: float | None, digits: int = 0) -> str:
    if value is None:
        return EMPTY
    return f"{value:.{digits}f}"


def short_datetime(moment) -> str:
    """A moment in the admin's time zone as "2026-11-30 19:35" (a list column one line wide)."""
    return EMPTY if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def person(user) -> str:
    """A user by name (shorter than the email, and what the app shows), else by email."""
    return EMPTY if user is None else (user.name or str(user))


def html_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A small read-only table (escaped cells) in the admin's own table style."""
    head = format_html_join("", "<th>{}</th>", ((header,) for header in headers))
    body = format_html_join("", "<tr>{}</tr>", (
        (format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows))
    if not body:
        return EMPTY
    return format_html('<table class="rw-table"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, body)


class DeletedFilter(admin.SimpleListFilter):
    """Soft-deleted rows (`deleted_at` set) apart from live ones."""

    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("yes", _("Deleted")), ("no", _("Not deleted"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset
