"""Keep the cached shape catalog coherent with every save or delete of a shape (admin, shell, fixtures), and a
shared route's runner count with the workouts completed on it.

Bulk `QuerySet.update()` sends no signal: the services that use it invalidate the cache themselves.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_q.tasks import async_task

from routes.models import RouteShape
from workouts.events import workout_completed


@receiver(post_save, sender=RouteShape, dispatch_uid="routes.shape_saved")
@receiver(post_delete, sender=RouteShape, dispatch_uid="routes.shape_deleted")
def shape_changed(sender, **kwargs):
    from routes.services import shape_catalog_invalidate

    shape_catalog_invalidate()



@receiver(workout_completed, dispatch_uid="routes.workout_completed")
def workout_completed_on_route(sender, *, user, workout, **kwargs) -> None:
    # Sent after the completing transaction committed: the recount sees the completed workout.
    if workout.route_id is not None:
        async_task("routes.tasks.refresh_discover_counters", str(workout.route_id))
