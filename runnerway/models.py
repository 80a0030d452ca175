"""Project-wide figures computed by the daily analytics job (see operations/analytics.py)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyUserActivity(models.Model):
    """One user's completed workouts on one day (day boundaries in ANALYTICS_TIME_ZONE)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_activity")
    day = models.DateField()
    distance_m = models.FloatField(default=0.0)
    workouts = models.PositiveIntegerField(default=0)
    duration_s = models.PositiveBigIntegerField(default=0)
    calories_kcal = models.FloatField(default=0.0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("daily user activity")
        verbose_name_plural = _("daily user activity")
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="daily_activity_user_day_unique")]
        indexes = [models.Index(fields=["day"], name="daily_activity_day_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.day}: {self.distance_m / 1000:.2f} km"


class DailyGlobalStats(models.Model):
    """Service-wide figures for one day, for the staff analytics page."""

    day = models.DateField(unique=True)
    active_users = models.PositiveIntegerField(default=0, help_text="Users with a completed workout that day.")
    weekly_active_users = models.PositiveIntegerField(default=0, help_text="Same, over the 7 days ending that day.")
    new_users = models.PositiveIntegerField(default=0)
    workouts = models.PositiveIntegerField(default=0)
    distance_m = models.FloatField(default=0.0)
    routes_planned = models.PositiveIntegerField(default=0)
    popular_shapes = models.JSONField(default=list, blank=True, help_text="[{shape_id, name, routes}] top 5.")
    avg_shape_accuracy = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("daily global stats")
        verbose_name_plural = _("daily global stats")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.active_users} active, {self.workouts} workouts"
