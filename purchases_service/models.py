"""Tables of the purchases database.

Money is stored as an integer number of minor units (kopecks, cents), so
sums are exact on SQLite too, where a decimal column would be a float.
"""
from datetime import datetime, timezone

from peewee import (
    AutoField,
    BigIntegerField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()


def utc_now():
    """Return the current UTC time as a naive datetime, the way it is stored."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = database


class Product(BaseModel):
    id = IntegerField(primary_key=True)
    name = CharField(max_length=64)
    # name_key() of the name, so "Milk" and "MILK" collide on this index.
    name_key = CharField(max_length=255, unique=True)
    price_minor = BigIntegerField()
    updated_at = DateTimeField(default=utc_now)


class Check(BaseModel):
    id = CharField(max_length=32, primary_key=True)
    user_id = CharField(max_length=40, index=True)
    recorded_at = DateTimeField(index=True)
    total_minor = BigIntegerField()
    # The natural key of an imported check, which makes a repeated import a no-op.
    external_key = CharField(max_length=200, null=True, unique=True)


class CheckLine(BaseModel):
    check = ForeignKeyField(Check, backref="lines", on_delete="CASCADE")
    line_no = IntegerField()
    product_id = IntegerField()
    # Name and unit price as they were when the check was recorded.
    product_name = CharField(max_length=64)
    quantity = IntegerField()
    unit_price_minor = BigIntegerField()
    amount_minor = BigIntegerField()

    class Meta:
        indexes = ((("check", "line_no"), True),)


class OutboxEvent(BaseModel):
    """An event written in the same transaction as the change it describes.

    Rows are kept after publishing, so the table is also the service's event
    log, ordered by `seq`.
    """

    seq = AutoField()
    event_type = CharField(max_length=64)
    payload = TextField()
    created_at = DateTimeField(default=utc_now)
    published_at = DateTimeField(null=True, index=True)


MODELS = [Product, Check, CheckLine, OutboxEvent]
