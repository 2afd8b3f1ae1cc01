"""Schema upgrades applied at start-up: new tables, and new nullable columns.

`create_tables(safe=True)` creates missing tables but never touches existing
ones, so a column added to a model later would be missing from a database
made by an older release. `add_missing_columns` adds such columns, with
their indexes. Only nullable columns or columns with a default can be added
this way; any other schema change needs a hand-written migration.
"""
import logging

from peewee import PostgresqlDatabase
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

_log = logging.getLogger(__name__)


def schema_migrator(database):
    if isinstance(database, PostgresqlDatabase):
        return PostgresqlMigrator(database)
    return SqliteMigrator(database)


def add_missing_columns(database, models):
    """Add the model fields that the existing tables lack; return their names."""
    migrator = schema_migrator(database)
    added = []
    for model in models:
        table = model._meta.table_name
        existing = {column.name for column in database.get_columns(table)}
        for field in model._meta.sorted_fields:
            if field.column_name in existing:
                continue
            with database.atomic():
                migrate(migrator.add_column(table, field.column_name, field))
            added.append(f"{table}.{field.column_name}")
    if added:
        _log.info("added column(s) %s", ", ".join(added))
    return added
