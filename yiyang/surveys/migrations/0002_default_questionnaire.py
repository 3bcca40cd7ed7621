"""The shipped need tags and the default questionnaire, version 1, published."""

from django.db import migrations


def forwards(apps, schema_editor):
    from yiyang.surveys import defaults

    defaults.install(apps)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
