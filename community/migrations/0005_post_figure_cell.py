from django.db import migrations, models


def backfill_figure_cell(apps, schema_editor):
    """The grid cell of every stored figure centre (community.models.figure_cell_of: computed in Python, as
    the services write it, so a centre on a cell's edge falls in the same cell as the query expects)."""
    from community.models import figure_cell_of

    Post = apps.get_model("community", "Post")
    posts = Post.objects.filter(figure_center_lat__isnull=False).only("pk", "figure_center_lat", "figure_center_lon")
    batch = []
    for post in posts.iterator(chunk_size=2000):
        post.figure_cell = figure_cell_of(post.figure_center_lat, post.figure_center_lon)
        batch.append(post)
        if len(batch) == 2000:
            Post.objects.bulk_update(batch, ["figure_cell"])
            batch = []
    if batch:
        Post.objects.bulk_update(batch, ["figure_cell"])


class Migration(migrations.Migration):

    dependencies = [
        ("community", "0004_korean_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="post",
            name="figure_cell",
            field=models.IntegerField(blank=True, help_text="Grid cell of the figure's centre (figure_cell_of).",
                                      null=True),
        ),
        migrations.RunPython(backfill_figure_cell, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="post", name="post_figure_centre_idx"),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(fields=["figure_cell", "figure_center_lat", "figure_center_lon", "is_hidden",
                                       "visibility", "author", "route", "route_option", "created_at", "id"],
                               name="post_figure_cell_idx"),
        ),
    ]
