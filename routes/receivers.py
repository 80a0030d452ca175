"""Keep the cached shape catalog coherent with every save or delete of a shape (admin, shell, fixtures). (A shared
route's runner count follows the workouts completed on it through workouts.receivers.)

Bulk `QuerySet.update()` sends no signal: the services that use it invalidate the cache themselves.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from routes.models import RouteShape
from routes.services import shape_catalog_invalidate


@receiver(post_save, sender=RouteShape, dispatch_uid="routes.shape_saved")
@receiver(post_delete, sender=RouteShape, dispatch_uid="routes.shape_deleted")
def shape_changed(sender, **kwargs):
    shape_catalog_invalidate()

