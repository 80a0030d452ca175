"""Password rules beyond Django's (settings.AUTH_PASSWORD_VALIDATORS)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class NotOnlyWhitespaceValidator:
    """Refuse a password of only spaces, tabs or other whitespace: it passes the length rule, but it is the first
    thing a guesser tries and a mobile keyboard can produce it by accident."""

    def validate(self, password: str, user=None) -> None:
        if not password.strip():
            raise ValidationError(_("The password cannot be only spaces or other whitespace."),
                                  code="password_only_whitespace")

    def get_help_text(self) -> str:
        return _("Your password cannot be only spaces or other whitespace.")
