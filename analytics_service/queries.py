"""Answers to the analytics questions, each reading O(months asked) rows."""
from peewee import fn

from analytics_service.exceptions import ProductNotFound
from analytics_service.models import MonthTotal, Product, ProductMonth, VisitorGap
from analytics_service.schemas import average_money, format_money


def product_units(product_id, first, last):
    product = Product.get_or_none(Product.id == product_id)
    if product is None:
        raise ProductNotFound(f"product {product_id} not found", "product_id")

    rows = (ProductMonth.select(ProductMonth.month, ProductMonth.units)
            .where(ProductMonth.product_id == product_id,
                   ProductMonth.month.between(first, last)))
    units = {row.month: row.units for row in rows}
    return {"label": product.name, "values": [units.get(month, 0) for month in range(first, last + 1)]}


def month_totals(first, last):
    """Return (revenue in minor units, number of checks) over the months."""
    revenue, checks = (MonthTotal
                       .select(fn.COALESCE(fn.SUM(MonthTotal.revenue_minor), 0),
                               fn.COALESCE(fn.SUM(MonthTotal.checks), 0))
                       .where(MonthTotal.month.between(first, last))
                       .tuples().get())
    return int(revenue), int(checks)


def total_purchases(first, last):
    revenue, _ = month_totals(first, last)
    return {"total_purchases": format_money(revenue)}


def average_check(first, last):
    revenue, checks = month_totals(first, last)
    return {"average_check": average_money(revenue, checks)}


def visitor_count(first, last):
    # A visit in month m counts when the user's previous active month is
    # before `first`, that is when gap > m - first (see VisitorGap).
    total = (VisitorGap
             .select(fn.COALESCE(fn.SUM(VisitorGap.visitors), 0))
             .where(VisitorGap.month.between(first, last),
                    VisitorGap.gap > VisitorGap.month - first)
             .scalar())
    return {"visitor_count": int(total)}


def list_products():
    return [{"id": product.id, "name": product.name} for product in Product.select().order_by(Product.id)]
