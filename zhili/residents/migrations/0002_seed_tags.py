"""The tags every community uses. Names are data (as on government lists), codes are stable English."""

from django.db import migrations

TAGS = [
    # (code, name, sensitive)
    ("elderly_alone", "独居老人", False),
    ("elderly_80", "高龄老人", False),
    ("disabled", "残疾人", True),
    ("dibao", "低保", True),
    ("tekun", "特困", True),
    ("veteran", "退役军人", False),
    ("left_behind_child", "留守儿童", True),
    ("key_attention", "重点关注人员", True),
]


def seed(apps, schema_editor):
    Tag = apps.get_model("residents", "Tag")
    for code, name, sensitive in TAGS:
        Tag.objects.update_or_create(code=code, defaults={"name": name, "sensitive": sensitive})


def unseed(apps, schema_editor):
    Tag = apps.get_model("residents", "Tag")
    Tag.objects.filter(code__in=[code for code, _name, _sensitive in TAGS], persons=None).delete()


class Migration(migrations.Migration):
    dependencies = [("residents", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
