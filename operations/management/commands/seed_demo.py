"""Seed demo runners, routes, workouts, posts, likes, comments, follows and goals (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from operations.demo import DemoSetupError, seed_demo


class Command(BaseCommand):
    help = ("Create demo users with routes planned on the installed road network, completed workouts along them, "
            "posts, likes, comments, follows and goals. Safe to run repeatedly.")

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=5, help="Number of demo users (1-10, default 5).")

    def handle(self, *args, users: int = 5, **options):
        if not 1 <= users <= 10:
            raise CommandError("--users must be between 1 and 10.")
        try:
            report = seed_demo(users=users)
        except DemoSetupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(report.line()))
