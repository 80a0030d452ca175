"""Store each route's planned outline, so workout completion and live placement never parse a drawing."""

from django.db import migrations, models


def backfill_outlines(apps, schema_editor):
    # The bounded outline extraction of today's planner (pure Python, no models): routes planned before this
    # migration get the outline completion used to parse on the fly.
    from routes.planner.shapes import is_closed, outline_from_latlng, outline_from_svg_path

    Route = apps.get_model("routes", "Route")
    routes = Route.objects.filter(outline__isnull=True).select_related("shape")
    for route in routes.iterator(chunk_size=500):
        try:
            if route.shape_id is not None:
                outline, closed = outline_from_svg_path(route.shape.svg_template), route.shape.closed
            elif route.custom_points:
                outline = outline_from_latlng(route.custom_points)
                closed = is_closed(outline)
            elif route.custom_svg_path:
                outline = outline_from_svg_path(route.custom_svg_path)
                closed = is_closed(outline)
            else:
                continue
        except ValueError:
            continue  # unreadable drawing: completion measures against the planned path, as before
        route.outline = [[round(float(x), 3), round(float(y), 3)] for x, y in outline]
        route.outline_closed = bool(closed)
        route.save(update_fields=["outline", "outline_closed"])


class Migration(migrations.Migration):

    dependencies = [
        ('routes', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='route',
            name='outline',
            field=models.JSONField(blank=True, help_text='[[x, y], ...] planar outline the planner drew.', null=True),
        ),
        migrations.AddField(
            model_name='route',
            name='outline_closed',
            field=models.BooleanField(default=True, help_text='Whether the outline is a closed ring.'),
        ),
        migrations.RunPython(backfill_outlines, migrations.RunPython.noop, elidable=True),
    ]
