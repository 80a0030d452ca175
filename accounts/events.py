"""Signals the accounts app sends; apps above it (community) receive them, so accounts imports none of them."""

from django.dispatch import Signal

# A user's standing as an author changed: deactivated, reactivated or deleted (by a service or by staff).
# Sent with `user_id`, inside the writing transaction.
author_standing_changed = Signal()
