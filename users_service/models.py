"""Tables of the users database."""
from datetime import datetime, timezone

from peewee import CharField, DatabaseProxy, DateTimeField, Model

database = DatabaseProxy()


def utc_now():
    """Return the current UTC time as a naive datetime, the way it is stored."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class User(Model):
    id = CharField(max_length=40, primary_key=True)
    username = CharField(max_length=64)
    # name_key() of the username, so "Anna" and "ANNA" collide on this index.
    username_key = CharField(max_length=255, unique=True)
    created_at = DateTimeField(default=utc_now)
    # The id of an imported user in the system it came from, e.g. "cdnow:42".
    external_key = CharField(max_length=200, null=True, unique=True)

    class Meta:
        database = database
        table_name = "users"


MODELS = [User]
