"""Applying events to the read model, each check exactly once.

Every function here runs inside a transaction opened by the caller. The ids
of applied checks go to `AppliedCheck` in that same transaction, so a
redelivered event finds them there and changes nothing, and a crash half-way
rolls the whole batch back for the next delivery. A batch of checks costs a
few bulk statements, not a few per check.
"""
from collections import Counter, defaultdict

from peewee import EXCLUDED

from analytics_service.models import (
    AppliedCheck,
    MonthTotal,
    Product,
    ProductMonth,
    UserMonth,
    VisitorGap,
)
from analytics_service.months import MAX_SPAN, month_of
from service_support.batching import chunks

GAP_CAP = MAX_SPAN + 1
INSERT_CHUNK = 200


def apply_checks(events, timezone):
    """Add the checks not applied yet to the rollups; return how many were new.

    The caller must hold the read model lock (see ReadModelLock), because
    the visitor counts are computed from rows read before they are written.
    """
    events = unapplied(events)
    if not events:
        return 0
    months = [month_of(event.recorded_at, timezone) for event in events]

    for chunk in chunks(({"check_id": event.check_id} for event in events), INSERT_CHUNK):
        AppliedCheck.insert_many(chunk).execute()
    add_units(events, months)
    add_month_totals(events, months)
    add_visits({(event.user_id, month) for event, month in zip(events, months)})
    remember_product_names(events)
    return len(events)


def unapplied(events):
    """Return the events whose check is not applied yet, each check once."""
    applied = set()
    ids = list({event.check_id for event in events})
    for chunk in chunks(ids):
        query = AppliedCheck.select(AppliedCheck.check_id).where(AppliedCheck.check_id.in_(chunk)).tuples()
        applied.update(check_id for (check_id,) in query)

    fresh = []
    for event in events:
        if event.check_id not in applied:
            applied.add(event.check_id)
            fresh.append(event)
    return fresh


def add_units(events, months):
    units = Counter()
    for event, month in zip(events, months):
        for line in event.lines:
            units[(line.product_id, month)] += line.quantity
    rows = [{"product_id": product_id, "month": month, "units": count}
            for (product_id, month), count in units.items()]
    for chunk in chunks(rows, INSERT_CHUNK):
        (ProductMonth
         .insert_many(chunk)
         .on_conflict(conflict_target=[ProductMonth.product_id, ProductMonth.month],
                      update={ProductMonth.units: ProductMonth.units + EXCLUDED.units})
         .execute())


def add_month_totals(events, months):
    revenue, checks = Counter(), Counter()
    for event, month in zip(events, months):
        revenue[month] += sum(line.amount_minor for line in event.lines)
        checks[month] += 1
    rows = [{"month": month, "revenue_minor": revenue[month], "checks": checks[month]} for month in checks]
    for chunk in chunks(rows, INSERT_CHUNK):
        (MonthTotal
         .insert_many(chunk)
         .on_conflict(conflict_target=[MonthTotal.month],
                      update={MonthTotal.revenue_minor: MonthTotal.revenue_minor + EXCLUDED.revenue_minor,
                              MonthTotal.checks: MonthTotal.checks + EXCLUDED.checks})
         .execute())


def add_visits(visits):
    """Record (user_id, month) visits and keep VisitorGap consistent with them.

    For each user, the gaps between consecutive active months are computed
    before and after adding the new months; VisitorGap receives the
    difference, so only the months next to a new one change.
    """
    known = defaultdict(set)
    users = list({user_id for user_id, _ in visits})
    for chunk in chunks(users):
        for user_id, month in UserMonth.select(UserMonth.user_id, UserMonth.month).where(
                UserMonth.user_id.in_(chunk)).tuples():
            known[user_id].add(month)

    added = defaultdict(set)
    for user_id, month in visits:
        if month not in known[user_id]:
            added[user_id].add(month)

    delta = Counter()
    for user_id, months in added.items():
        delta.subtract(gaps(known[user_id]))
        delta.update(gaps(known[user_id] | months))

    new_rows = [{"user_id": user_id, "month": month} for user_id, months in added.items() for month in months]
    for chunk in chunks(new_rows, INSERT_CHUNK):
        UserMonth.insert_many(chunk).execute()
    gap_rows = [{"month": month, "gap": gap, "visitors": count}
                for (month, gap), count in delta.items() if count != 0]
    for chunk in chunks(gap_rows, INSERT_CHUNK):
        (VisitorGap
         .insert_many(chunk)
         .on_conflict(conflict_target=[VisitorGap.month, VisitorGap.gap],
                      update={VisitorGap.visitors: VisitorGap.visitors + EXCLUDED.visitors})
         .execute())


def gaps(months):
    """Return Counter({(month, gap): 1}) for a user's active months."""
    result = Counter()
    previous = None
    for month in sorted(months):
        gap = GAP_CAP if previous is None else min(month - previous, GAP_CAP)
        result[(month, gap)] += 1
        previous = month
    return result


def remember_product_names(events):
    """Add products first seen in a check; a catalog event or sync sets later renames."""
    names = {}
    for event in events:
        for line in event.lines:
            names.setdefault(line.product_id, line.product_name)
    rows = [{"id": product_id, "name": name} for product_id, name in names.items()]
    for chunk in chunks(rows, INSERT_CHUNK):
        Product.insert_many(chunk).on_conflict_ignore().execute()


def save_product_name(product_id, name):
    (Product
     .insert(id=product_id, name=name)
     .on_conflict(conflict_target=[Product.id], update={Product.name: EXCLUDED.name})
     .execute())
