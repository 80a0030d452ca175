"""Input and output shapes of the goals API (API.md "Goals")."""

from decimal import Decimal

from django.utils.translation import gettext as _
from rest_framework import serializers

from goals.models import Goal
from runnerway.api.fields import BoundedDateField

TARGET_VALUE_HELP = "km for distance, seconds for duration, kcal for calories, a count for workouts; > 0"


class GoalSerializer(serializers.ModelSerializer):
    target_value = serializers.FloatField(help_text=TARGET_VALUE_HELP)

    class Meta:
        model = Goal
        fields = ["id", "goal_type", "target_type", "target_value", "start_date", "end_date", "is_active",
                  "achieved_at", "created_at", "updated_at"]
        read_only_fields = fields


class GoalCreateSerializer(serializers.Serializer):
    goal_type = serializers.ChoiceField(choices=Goal.GoalType.choices)
    target_type = serializers.ChoiceField(choices=Goal.TargetType.choices)
    # A JSON number in and out (the answer's `target_value` is one); at most 2 decimals.
    target_value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
                                            coerce_to_string=False, help_text=TARGET_VALUE_HELP)
    start_date = BoundedDateField(help_text="First day, in my profile time zone (1970-01-01..2100-12-31).")
    end_date = BoundedDateField(help_text="Last day, inclusive. A weekly goal spans 1-7 days, a monthly one "
                                          "1-31 days (longer: 400 validation_error).")

    def validate(self, attrs):
        if attrs["end_date"] < attrs["start_date"]:
            raise serializers.ValidationError({"end_date": [_("Must not be before start_date.")]})
        return attrs


class GoalUpdateSerializer(serializers.Serializer):
    """Only `target_value` and `is_active` may change; any other field is refused with 400."""

    target_value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
                                            coerce_to_string=False, required=False, help_text=TARGET_VALUE_HELP)
    is_active = serializers.BooleanField(required=False)

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
        if not attrs:
            raise serializers.ValidationError(_("Send target_value and/or is_active."))
        return attrs


class GoalListQuerySerializer(serializers.Serializer):
    active_only = serializers.BooleanField(default=True, help_text="Only active goals (default true).")


class GoalProgressSerializer(serializers.Serializer):
    goal = GoalSerializer()
    current_value = serializers.FloatField(help_text="In the target's unit (km, count, kcal, s).")
    achievement_rate = serializers.FloatField(help_text="Percent, capped at 100 for display.")
    achievement_rate_raw = serializers.FloatField(help_text="Percent, not capped (may exceed 100).")
    remaining_value = serializers.FloatField(help_text="max(0, target - current), in the target's unit.")
    remaining_days = serializers.IntegerField(help_text="Days left including today, in the user's time zone.")
    is_completed = serializers.BooleanField()
    daily_average_needed = serializers.FloatField(
        allow_null=True, help_text="remaining_value / remaining_days; 0 when reached; null when no day is left.")
