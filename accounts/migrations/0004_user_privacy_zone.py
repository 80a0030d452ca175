"""The runner's privacy zone size and the per-user secret its radius and offset are drawn from.

The secret is added empty, filled with a random value per existing user, then given its per-row default: an
AddField with a callable default would give every existing user the SAME secret (Django evaluates it once).
"""

import secrets

from django.db import migrations, models

import accounts.models


def fill_secrets(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for pk in User.objects.filter(privacy_zone_secret="").values_list("pk", flat=True).iterator():
        User.objects.filter(pk=pk).update(privacy_zone_secret=secrets.token_hex(16))


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_token_version_and_otp_failures_per_address"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="privacy_zone_m",
            field=models.PositiveSmallIntegerField(
                choices=[(0, "Off"), (200, "200 m"), (400, "400 m"), (800, "800 m")], default=200,
                help_text="Hidden around the start and end of every path others see (community.privacy)."),
        ),
        migrations.AddField(
            model_name="user",
            name="privacy_zone_secret",
            field=models.CharField(default="", editable=False, max_length=32),
        ),
        migrations.RunPython(fill_secrets, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="privacy_zone_secret",
            field=models.CharField(default=accounts.models.new_privacy_zone_secret, editable=False, max_length=32),
        ),
    ]
