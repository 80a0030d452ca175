"""Signals the routes app sends; apps above it (community) receive them, so routes imports none of them."""

from django.dispatch import Signal

# What a shared route shows changed: it was deleted, or its saved/run counters were recounted. Sent with
# `route_id`, inside the writing transaction.
shared_route_changed = Signal()
