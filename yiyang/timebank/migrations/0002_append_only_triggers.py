"""The ledger is append-only in the database too: triggers refuse UPDATE and DELETE on the
entries and the transactions, whatever client runs the statement (an admin's SQL console, a
script that bypasses the application). TRUNCATE, which only an owner of the schema may run,
is how a test database is emptied; it is not a row change and fires no row trigger."""

from django.db import migrations

TABLES = ("timebank_entry", "timebank_ledgertransaction")
MESSAGE = "timebank ledger is append-only: UPDATE and DELETE are refused"


def sqlite_create(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    ]


def sqlite_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]


PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION timebank_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
END;
$$"""


def pg_create(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION timebank_append_only()",
    ]


def create_statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [s for t in TABLES for s in sqlite_create(t)]
    if vendor == "postgresql":
        return [PG_FUNCTION, *[s for t in TABLES for s in pg_create(t)]]
    return []


def drop_statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [s for t in TABLES for s in sqlite_drop(t)]
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in TABLES] + [
            "DROP FUNCTION IF EXISTS timebank_append_only()"]
    return []


def forwards(apps, schema_editor):
    for sql in create_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for sql in drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("timebank", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
