"""Tables of the analytics read model.

Months are stored as integer indexes (year * 12 + month - 1) in the
business time zone, so a range of months is a range of integers. Money is
an integer number of minor units.
"""
from peewee import (
    BigIntegerField,
    CharField,
    CompositeKey,
    DatabaseProxy,
    IntegerField,
    Model,
)

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database


class Product(BaseModel):
    id = IntegerField(primary_key=True)
    name = CharField(max_length=64)


class AppliedCheck(BaseModel):
    """The id of every check already counted, so a redelivered event is skipped."""

    check_id = CharField(max_length=64, primary_key=True)


class ProductMonth(BaseModel):
    product_id = IntegerField()
    month = IntegerField()
    units = BigIntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("product_id", "month")


class MonthTotal(BaseModel):
    month = IntegerField(primary_key=True)
    revenue_minor = BigIntegerField(default=0)
    checks = BigIntegerField(default=0)


class UserMonth(BaseModel):
    """The months in which a user has at least one check."""

    user_id = CharField(max_length=64)
    month = IntegerField()

    class Meta:
        primary_key = CompositeKey("user_id", "month")


class VisitorGap(BaseModel):
    """Users active in `month`, counted by months since their previous active month.

    `gap` is capped at MAX_SPAN + 1, which also stands for "no earlier
    month". A user active in month m counts towards a range starting at
    month a <= m exactly when gap > m - a, so the distinct visitors of a
    range are a sum over at most (MAX_SPAN + 1) rows per month in it.
    """

    month = IntegerField()
    gap = IntegerField()
    visitors = BigIntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("month", "gap")


class Setting(BaseModel):
    key = CharField(max_length=64, primary_key=True)
    value = CharField(max_length=255)


MODELS = [Product, AppliedCheck, ProductMonth, MonthTotal, UserMonth, VisitorGap, Setting]
