"""Signals the routes app sends; apps above it (community, workouts) receive them, so routes imports none of them."""

from django.dispatch import Signal

# What a shared route shows changed: it was deleted, or its saved/run counters were recounted. Sent with
# `route_id`, inside the writing transaction.
shared_route_changed = Signal()

# A question rather than news: how many runners completed a run on a shared route or on a copy of it. Runs are
# the workouts app's (above routes), whose receiver answers; route_refresh_discover_counters sends it holding the
# route's row lock: `route_runners_counted.send(sender=Route, route_id=<id>, copy_ids=<QuerySet of pks>)`, each
# receiver returning a number of runners (none connected: nobody ran it).
route_runners_counted = Signal()
