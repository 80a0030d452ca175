"""Options carry recognisability (issue 11), their figure's placement and approach; routes a suggested distance."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('routes', '0002_route_outline'),
    ]

    operations = [
        migrations.AddField(
            model_name='route',
            name='suggested_distance_km',
            field=models.FloatField(blank=True, help_text="When the best option is not recognisable: the planner's smallest recognisable length here.", null=True),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='approach_length_m',
            field=models.FloatField(default=0.0),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='figure_center_latitude',
            field=models.DecimalField(blank=True, decimal_places=7, max_digits=10, null=True),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='figure_center_longitude',
            field=models.DecimalField(blank=True, decimal_places=7, max_digits=10, null=True),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='figure_end_index',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='figure_perimeter_m',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='figure_start_index',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='iou',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='recognisability',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='recognisable',
            field=models.BooleanField(default=True, help_text='False when the target is below the smallest length that draws this figure here.'),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='rival_iou',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='rival_shape_id',
            field=models.CharField(blank=True, default='', max_length=50),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='rotation_deg',
            field=models.FloatField(default=0.0),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='source',
            field=models.CharField(choices=[('planned', 'Planned with the route'), ('placed', 'Placed by the runner')], default='planned', max_length=16),
        ),
        migrations.AddField(
            model_name='routeoption',
            name='trace_score',
            field=models.FloatField(blank=True, null=True),
        ),
    ]
