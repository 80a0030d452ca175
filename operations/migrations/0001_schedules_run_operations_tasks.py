"""The cleanup and analytics schedules name their task by dotted path (django-q2 stores the string). The tasks
live in operations.tasks; rows installed when they lived in runnerway.tasks are pointed at the new path here, so
a deploy that only migrates (without `setup_schedules`) leaves no schedule naming a missing function."""

from django.db import migrations

MOVED_FUNCS = {
    "runnerway.tasks.run_cleanup": "operations.tasks.run_cleanup",
    "runnerway.tasks.run_daily_analytics": "operations.tasks.run_daily_analytics",
}


def repoint(apps, funcs: dict[str, str]) -> int:
    schedule = apps.get_model("django_q", "Schedule")
    return sum(schedule.objects.filter(func=old).update(func=new) for old, new in funcs.items())


def schedules_to_operations(apps, schema_editor):
    repoint(apps, MOVED_FUNCS)


def schedules_to_runnerway(apps, schema_editor):
    repoint(apps, {new: old for old, new in MOVED_FUNCS.items()})


class Migration(migrations.Migration):
    dependencies = [("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")]

    operations = [migrations.RunPython(schedules_to_operations, schedules_to_runnerway)]
