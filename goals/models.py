"""Weekly and monthly goals.

Units of `target_value` follow API.md: distance in km, duration in seconds, calories in kcal, workouts as a count.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

# The longest span of each goal type, in days (start and end inclusive): a weekly goal spans at most a week, a
# monthly one at most the longest month.
MAX_SPAN_DAYS = {"weekly": 7, "monthly": 31}


class Goal(models.Model):
    class GoalType(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    class TargetType(models.TextChoices):
        DISTANCE = "distance", "Distance (km)"
        WORKOUTS = "workouts", "Workouts"
        CALORIES = "calories", "Calories (kcal)"
        DURATION = "duration", "Duration (s)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="goals")
    goal_type = models.CharField(_("goal type"), max_length=16, choices=GoalType.choices)
    target_type = models.CharField(_("target type"), max_length=16, choices=TargetType.choices)
    target_value = models.DecimalField(_("target value"), max_digits=12, decimal_places=2,
                                       help_text="km for distance, s for duration, kcal, or a workout count.")
    # Calendar days in the user's time zone, both inclusive.
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    is_active = models.BooleanField(_("active"), default=True)
    # Set once, by a conditional UPDATE, when the goal is first reached: the marker that makes the
    # "goal achieved" notification happen exactly once whatever the number of evaluations.
    achieved_at = models.DateTimeField(_("achieved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "is_active", "goal_type", "target_type"], name="goal_user_active_idx"),
            models.Index(fields=["user", "-created_at"], name="goal_user_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="goal_end_not_before_start"),
            models.CheckConstraint(condition=models.Q(target_value__gt=Decimal("0")),
                                   name="goal_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.goal_type} {self.target_type} {self.target_value} ({self.start_date}..{self.end_date})"
