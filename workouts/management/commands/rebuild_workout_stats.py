"""`manage.py rebuild_workout_stats [--user EMAIL]`: recompute users' totals and records from their workouts.

The stats are kept exact by the services (added on completion, rebuilt on deletion); this is for repairs after
a data migration or a manual edit in the admin.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from workouts.models import Workout
from workouts.services import user_stats_rebuild


class Command(BaseCommand):
    help = "Recompute the per-user workout stats and personal records from the stored workouts."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="Only this user's email.")

    def handle(self, *args, **options):
        users = get_user_model().objects.filter(
            pk__in=Workout.objects.filter(status=Workout.Status.COMPLETED).values("user_id")
        )
        if options["user"]:
            users = get_user_model().objects.filter(email=options["user"].lower())
            if not users.exists():
                raise CommandError(f"No user with email {options['user']}.")
        rebuilt = 0
        for user in users.iterator():
            user_stats_rebuild(user=user)
            rebuilt += 1
        self.stdout.write(f"Rebuilt the stats of {rebuilt} user(s).")
