"""Refuse UPDATE, DELETE and TRUNCATE of audit events in the database itself (see audit/triggers.py)."""

from django.db import migrations

from zhili.audit import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor, schema_editor.connection.vendor)


def remove(apps, schema_editor):
    triggers.remove(schema_editor, schema_editor.connection.vendor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
