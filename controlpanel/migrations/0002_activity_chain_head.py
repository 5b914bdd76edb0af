"""Create the activity log's chain head row up front, so the first concurrent appends cannot race to create it."""

from django.db import migrations


def create_head(apps, schema_editor):
    apps.get_model("controlpanel", "ActivityChainHead").objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("controlpanel", "0001_initial")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
