"""`manage.py seed_shapes`: create or update the shape catalog from the planner's templates (idempotent)."""

from django.core.management.base import BaseCommand

from routes.services import shapes_seed


class Command(BaseCommand):
    help = ("Create or update the shape catalog from routes.planner.shapes.SHAPE_TEMPLATES. "
            "Safe to run again: content is refreshed, shapes staff deactivated stay deactivated.")

    def handle(self, *args, **options):
        created, updated = shapes_seed()
        self.stdout.write(self.style.SUCCESS(f"Shapes: {created} created, {updated} updated."))
