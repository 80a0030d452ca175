"""Splits stored in SI units (metres, seconds, seconds per km), formatted on output, instead of the API's
km / whole seconds / "m:ss" strings. Reversible: backwards writes the API form again."""

from django.db import migrations

BATCH = 500


def _pace(seconds_per_km):
    total = round(seconds_per_km)
    return f"{total // 60}:{total % 60:02d}"


def _to_si(split: dict) -> dict:
    if "distance_m" in split:
        return split
    return {"km": split["km"], "distance_m": round(split["distance"] * 1000.0, 1),
            "duration_s": float(split["duration"]), "pace_s": float(split["pace_s"]),
            "elevation_change_m": split.get("elevation_change"), "is_partial": split["is_partial"]}


def _to_api(split: dict) -> dict:
    if "distance" in split:
        return split
    return {"km": split["km"], "distance": round(split["distance_m"] / 1000.0, 3),
            "duration": round(split["duration_s"]), "pace": _pace(split["pace_s"]), "pace_s": round(split["pace_s"]),
            "elevation_change": split["elevation_change_m"], "is_partial": split["is_partial"]}


def _convert(convert_split):
    def run(apps, schema_editor):
        Workout = apps.get_model("workouts", "Workout")
        changed = []
        for workout in Workout.objects.exclude(splits=[]).only("pk", "splits").iterator(chunk_size=BATCH):
            splits = [convert_split(split) for split in workout.splits]
            if splits != workout.splits:
                workout.splits = splits
                changed.append(workout)
            if len(changed) >= BATCH:
                Workout.objects.bulk_update(changed, ["splits"])
                changed = []
        Workout.objects.bulk_update(changed, ["splits"])
    return run


class Migration(migrations.Migration):
    dependencies = [("workouts", "0003_korean_labels")]

    operations = [migrations.RunPython(_convert(_to_si), _convert(_to_api), elidable=True)]
