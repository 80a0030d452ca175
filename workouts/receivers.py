"""Forget a completed workout's cached detail output whenever what it shows changes (workouts.selectors); keep a
shared route's runner count (routes.services.route_refresh_discover_counters) with the workouts completed on it.

The output shows the workout's own columns (its route and option ids among them), its route's name and its
shape's slug, name and icon. Bulk
`QuerySet.update()` of workouts invalidates in WorkoutQuerySet.update; bulk updates of routes and shapes
change only their status, deletion time and activity, which the output does not show.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from django_q.tasks import async_task

from routes.events import route_runners_counted
from routes.models import Route, RouteOption, RouteShape
from workouts.events import workout_completed
from workouts.models import Workout, WorkoutImport
from workouts.selectors import route_runner_count, workout_detail_cache
from workouts.services import import_storage


@receiver([post_save, post_delete], sender=Workout, dispatch_uid="workouts.forget_detail")
def workout_written(sender, instance: Workout, **kwargs) -> None:
    workout_detail_cache.invalidate([instance.pk])


# pre_delete as well: deleting a route sets its workouts' reference to NULL without any signal.
@receiver([post_save, pre_delete], sender=Route, dispatch_uid="workouts.forget_detail_of_route")
def route_written(sender, instance: Route, **kwargs) -> None:
    _forget_details_of(route=instance)


@receiver(pre_delete, sender=RouteOption, dispatch_uid="workouts.forget_detail_of_option")
def option_deleted(sender, instance: RouteOption, **kwargs) -> None:
    # also an option of another route than the workout's (staff can set one in the admin): its route_option_id
    # becomes NULL without a signal
    _forget_details_of(route_option=instance)


@receiver(post_save, sender=RouteShape, dispatch_uid="workouts.forget_detail_of_shape")  # in use: not deletable
def shape_written(sender, instance: RouteShape, **kwargs) -> None:
    _forget_details_of(route__shape=instance)


def _forget_details_of(**workout_filter) -> None:
    """Forget the cached detail of every workout matching `workout_filter` (no query when the cache is off)."""
    if workout_detail_cache.enabled:
        workout_detail_cache.invalidate(Workout.objects.filter(**workout_filter).values_list("pk", flat=True))


@receiver(post_delete, sender=WorkoutImport, dispatch_uid="workouts.delete_import_upload")
def workout_import_deleted(sender, instance: WorkoutImport, **kwargs) -> None:
    """An import deleted before its job finished (its account was deleted) takes its stored upload along."""
    if instance.upload_name:
        upload_name = instance.upload_name
        transaction.on_commit(lambda: import_storage().delete(upload_name))


@receiver(workout_completed, dispatch_uid="workouts.recount_route_runners")
def workout_completed_on_route(sender, *, user, workout, **kwargs) -> None:
    # Sent after the completing transaction committed: the recount sees the completed workout.
    if workout.route_id is not None:
        async_task("routes.tasks.refresh_discover_counters", str(workout.route_id))


@receiver(route_runners_counted, dispatch_uid="workouts.count_route_runners")
def runners_of_route(sender, *, route_id, copy_ids, **kwargs) -> int:
    return route_runner_count(route_id=route_id, copy_ids=copy_ids)
