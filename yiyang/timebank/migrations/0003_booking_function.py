"""The booking as one PostgreSQL function (``ledger_sql.py``): lock, check, hash and write in
one statement, so a booking in autocommit is one round trip. PostgreSQL only; SQLite books in
Python (``ledger.ledger_book``)."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from yiyang.timebank.ledger_sql import create_statements

    for sql in create_statements():
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from yiyang.timebank.ledger_sql import drop_statements

    for sql in drop_statements():
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("timebank", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
