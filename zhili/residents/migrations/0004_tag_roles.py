"""Sensitive tags name the roles that may see them (the grid worker and community staff who serve
the person); the others are seen by every role that sees tags."""

from django.db import migrations

SENSITIVE_ROLES = ["grid_worker", "community_staff"]


def forwards(apps, schema_editor):
    Tag = apps.get_model("residents", "Tag")
    Tag.objects.filter(sensitive=True).update(visible_roles=SENSITIVE_ROLES)


class Migration(migrations.Migration):
    dependencies = [("residents", "0003_registry")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
