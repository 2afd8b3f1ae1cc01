"""Applying events to the read model, each exactly once.

Every function here runs inside a transaction opened by the caller. A check
is recorded in `AppliedCheck` in that same transaction, so a redelivered
event finds its id there and changes nothing, and a crash half-way rolls
the whole check back for the next delivery.
"""
from peewee import EXCLUDED, IntegrityError, fn

from analytics_service.models import (
    AppliedCheck,
    MonthTotal,
    Product,
    ProductMonth,
    UserMonth,
    VisitorGap,
)
from analytics_service.months import MAX_SPAN, month_of

GAP_CAP = MAX_SPAN + 1


def apply_check(database, event, timezone, lock_user):
    """Add one check to the rollups; return False when it was already counted."""
    if not mark_applied(database, event.check_id):
        return False

    month = month_of(event.recorded_at, timezone)
    lock_user(event.user_id)

    add_units(event.lines, month)
    add_month_total(month, sum(line.amount_minor for line in event.lines))
    add_visit(event.user_id, month)
    remember_product_names(event.lines)
    return True


def mark_applied(database, check_id):
    try:
        with database.atomic():  # a savepoint, so a duplicate leaves the outer transaction usable
            AppliedCheck.create(check_id=check_id)
    except IntegrityError:
        return False
    return True


def add_units(lines, month):
    units = {}
    for line in lines:
        units[line.product_id] = units.get(line.product_id, 0) + line.quantity
    for product_id, quantity in units.items():
        (ProductMonth
         .insert(product_id=product_id, month=month, units=quantity)
         .on_conflict(conflict_target=[ProductMonth.product_id, ProductMonth.month],
                      update={ProductMonth.units: ProductMonth.units + EXCLUDED.units})
         .execute())


def add_month_total(month, revenue_minor):
    (MonthTotal
     .insert(month=month, revenue_minor=revenue_minor, checks=1)
     .on_conflict(conflict_target=[MonthTotal.month],
                  update={MonthTotal.revenue_minor: MonthTotal.revenue_minor + EXCLUDED.revenue_minor,
                          MonthTotal.checks: MonthTotal.checks + EXCLUDED.checks})
     .execute())


def add_visit(user_id, month):
    """Record that `user_id` was active in `month` and keep VisitorGap consistent.

    The new month gets a gap counted from the user's previous active month.
    The user's next active month, if any, had a gap counted from that same
    previous month, and now counts from the new one instead.
    """
    if UserMonth.get_or_none(UserMonth.user_id == user_id, UserMonth.month == month) is not None:
        return
    previous = (UserMonth.select(fn.MAX(UserMonth.month))
                .where(UserMonth.user_id == user_id, UserMonth.month < month).scalar())
    following = (UserMonth.select(fn.MIN(UserMonth.month))
                 .where(UserMonth.user_id == user_id, UserMonth.month > month).scalar())
    UserMonth.create(user_id=user_id, month=month)

    change_visitors(month, gap_between(previous, month), +1)
    if following is not None:
        change_visitors(following, gap_between(previous, following), -1)
        change_visitors(following, gap_between(month, following), +1)


def gap_between(earlier, later):
    if earlier is None:
        return GAP_CAP
    return min(later - earlier, GAP_CAP)


def change_visitors(month, gap, delta):
    (VisitorGap
     .insert(month=month, gap=gap, visitors=delta)
     .on_conflict(conflict_target=[VisitorGap.month, VisitorGap.gap],
                  update={VisitorGap.visitors: VisitorGap.visitors + EXCLUDED.visitors})
     .execute())


def remember_product_names(lines):
    """Add products first seen in a check; a catalog event or sync sets later renames."""
    for line in lines:
        Product.insert(id=line.product_id, name=line.product_name).on_conflict_ignore().execute()


def save_product_name(product_id, name):
    (Product
     .insert(id=product_id, name=name)
     .on_conflict(conflict_target=[Product.id], update={Product.name: EXCLUDED.name})
     .execute())
