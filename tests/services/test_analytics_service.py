import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from nameko.testing.services import worker_factory

from analytics_service.dependencies import ReadModelLock
from analytics_service.exceptions import InvalidInput, ProductNotFound
from analytics_service.models import MODELS, AppliedCheck, MonthTotal, Product, database
from analytics_service.months import month_index
from analytics_service.service import AnalyticsService
from tests.services.conftest import bind_models

UTC = ZoneInfo("UTC")


def check_event(check_id, user_id, recorded_at, lines):
    """A check_recorded payload; `lines` are (product_id, quantity, unit price string)."""
    return {
        "check_id": check_id,
        "user_id": user_id,
        "recorded_at": recorded_at,
        "lines": [
            {"product_id": product_id, "product_name": f"Product {product_id}", "quantity": quantity,
             "unit_price": price, "amount": None}
            for product_id, quantity, price in lines
        ],
    }


def make_analytics(db, zone=UTC):
    lock = ReadModelLock().get_dependency(None)
    return worker_factory(AnalyticsService, db=db, timezone=zone, lock_read_model=lock)


@pytest.fixture
def db(database_url, tmp_path):
    database_ = bind_models(database, MODELS, database_url, tmp_path)
    yield database_
    database_.close()
    if hasattr(database_, "close_all"):
        database_.close_all()


@pytest.fixture
def analytics(db):
    Product.insert_many([{"id": 1, "name": "Milk"}, {"id": 2, "name": "Bread"}]).execute()
    return make_analytics(db)


def test_check_counts_in_every_answer(analytics):
    analytics.handle_check_recorded(
        check_event("c1", "u1", "2023-10-05T10:00:00+00:00", [(1, 2, "89.90"), (2, 1, "54.50")]))

    assert analytics.product_units(1, "2023-09", "2023-11") == {"label": "Milk", "values": [0, 2, 0]}
    assert analytics.total_purchases("2023-10", "2023-10") == {"total_purchases": "234.30"}
    assert analytics.average_check("2023-10", "2023-10") == {"average_check": "234.30"}
    assert analytics.visitor_count("2023-10", "2023-10") == {"visitor_count": 1}


def test_redelivered_check_changes_nothing(analytics):
    event = check_event("c1", "u1", "2023-10-05T10:00:00+00:00", [(1, 3, "10.00")])

    analytics.handle_check_recorded(event)
    analytics.handle_check_recorded(event)

    assert analytics.product_units(1, "2023-10", "2023-10")["values"] == [3]
    assert analytics.total_purchases("2023-10", "2023-10") == {"total_purchases": "30.00"}
    assert MonthTotal.get_by_id(month_index(2023, 10)).checks == 1
    assert AppliedCheck.select().count() == 1


def test_line_amount_wins_over_unit_price(analytics):
    event = check_event("c1", "u1", "2023-10-05T10:00:00+00:00", [(1, 3, "0.33")])
    event["lines"][0]["amount"] = "1.00"

    analytics.handle_check_recorded(event)

    assert analytics.total_purchases("2023-10", "2023-10") == {"total_purchases": "1.00"}


def test_average_check_is_zero_without_checks(analytics):
    assert analytics.average_check("2023-10", "2023-12") == {"average_check": "0.00"}
    assert analytics.total_purchases("2023-10", "2023-12") == {"total_purchases": "0.00"}
    assert analytics.visitor_count("2023-10", "2023-12") == {"visitor_count": 0}


def test_average_check_rounds_half_up(analytics):
    for number, price in enumerate(["0.01", "0.02"]):
        analytics.handle_check_recorded(
            check_event(f"c{number}", "u1", "2023-10-05T10:00:00+00:00", [(1, 1, price)]))

    assert analytics.average_check("2023-10", "2023-10") == {"average_check": "0.02"}


def test_visitor_counts_user_once_across_months(analytics):
    for number, month in enumerate(["2023-10", "2023-11", "2023-11", "2023-12"]):
        analytics.handle_check_recorded(
            check_event(f"c{number}", "u1", f"{month}-15T12:00:00+00:00", [(1, 1, "1.00")]))
    analytics.handle_check_recorded(check_event("other", "u2", "2023-11-01T00:00:00+00:00", [(2, 1, "1.00")]))

    assert analytics.visitor_count("2023-10", "2023-12") == {"visitor_count": 2}
    assert analytics.visitor_count("2023-12", "2023-12") == {"visitor_count": 1}
    assert analytics.visitor_count("2023-11", "2023-11") == {"visitor_count": 2}


def test_month_follows_business_timezone(db):
    analytics = make_analytics(db, ZoneInfo("Europe/Moscow"))
    Product.insert(id=1, name="Milk").execute()

    analytics.handle_check_recorded(check_event("c1", "u1", "2023-10-31T21:30:00+00:00", [(1, 1, "1.00")]))

    assert analytics.product_units(1, "2023-10", "2023-11")["values"] == [0, 1]


def test_product_units_of_unknown_product_is_not_found(analytics):
    with pytest.raises(ProductNotFound) as raised:
        analytics.product_units(999, "2023-10", "2023-10")

    assert raised.value.field == "product_id"


def test_check_teaches_product_name_but_never_renames(analytics):
    analytics.handle_check_recorded(check_event("c1", "u1", "2023-10-05T10:00:00+00:00", [(7, 1, "1.00")]))
    analytics.handle_product_saved({"id": 1, "name": "Whole milk", "price": "1.00"})

    assert analytics.list_products() == [
        {"id": 1, "name": "Whole milk"}, {"id": 2, "name": "Bread"}, {"id": 7, "name": "Product 7"},
    ]


def test_malformed_event_is_dropped(analytics):
    analytics.handle_check_recorded({"check_id": "c1", "user_id": "u1", "recorded_at": "yesterday", "lines": []})
    analytics.handle_check_recorded({"user_id": "u1"})

    assert AppliedCheck.select().count() == 0


@pytest.mark.parametrize("start_date, end_date, field", [
    ("2023-13", "2023-12", "start_date"),
    ("2023-1", "2023-12", "start_date"),
    ("23-10", "2023-12", "start_date"),
    ("2023-00", "2023-12", "start_date"),
    ("0000-01", "2023-12", "start_date"),
    ("2023-10-01", "2023-12", "start_date"),
    (None, "2023-12", "start_date"),
    ("", "2023-12", "start_date"),
    (202310, "2023-12", "start_date"),
    ("2023-10", None, "end_date"),
    ("2023-10", "2023-9", "end_date"),
    ("2023-10", "2023-09", "end_date"),
    ("2000-01", "2010-02", "end_date"),
])
def test_month_range_rejects_invalid_dates(analytics, start_date, end_date, field):
    for method in (analytics.total_purchases, analytics.average_check, analytics.visitor_count):
        with pytest.raises(InvalidInput) as raised:
            method(start_date, end_date)

        assert raised.value.field == field


def test_month_range_accepts_120_months(analytics):
    values = analytics.product_units(1, "2000-01", "2010-01")["values"]

    assert len(values) == 121


@pytest.mark.parametrize("product_id", [0, -1, 2**31, "1", 1.0, True, None])
def test_product_units_rejects_invalid_product_id(analytics, product_id):
    with pytest.raises(InvalidInput) as raised:
        analytics.product_units(product_id, "2023-10", "2023-10")

    assert raised.value.field == "product_id"


def test_rollups_match_brute_force_on_random_checks(analytics):
    rng = random.Random(20231004)
    start = datetime(2022, 11, 1, tzinfo=timezone.utc)
    checks = []
    for number in range(300):
        moment = start + timedelta(minutes=rng.randrange(60 * 24 * 420))
        lines = [(rng.choice([1, 2]), rng.randint(1, 5), f"{rng.randint(0, 9999) / 100:.2f}")
                 for _ in range(rng.randint(1, 3))]
        checks.append(check_event(f"c{number}", f"u{rng.randrange(40)}", moment.isoformat(), lines))
    shuffled = rng.sample(checks, len(checks))
    for event in shuffled[:100] + checks[:50]:
        analytics.handle_check_recorded(event)
    for start in range(100, len(shuffled), 37):
        analytics.handle_checks_imported({"checks": shuffled[start:start + 37] + checks[start // 2:start // 2 + 5]})

    def month_key(event):
        return event["recorded_at"][:7]

    months = sorted({month_key(event) for event in checks})
    for first in range(len(months)):
        for last in range(first, len(months)):
            chosen = [event for event in checks if months[first] <= month_key(event) <= months[last]]
            cents = sum(round(float(line["unit_price"]) * 100) * line["quantity"]
                        for event in chosen for line in event["lines"])
            expected_average = f"{cents / len(chosen) / 100:.2f}" if chosen else "0.00"
            visitors = len({event["user_id"] for event in chosen})

            total = analytics.total_purchases(months[first], months[last])["total_purchases"]
            average = analytics.average_check(months[first], months[last])["average_check"]
            count = analytics.visitor_count(months[first], months[last])["visitor_count"]

            assert (months[first], months[last], total) == (months[first], months[last], f"{cents / 100:.2f}")
            assert abs(float(average) - float(expected_average)) <= 0.011
            assert (months[first], months[last], count) == (months[first], months[last], visitors)
    units = analytics.product_units(1, months[0], months[-1])["values"]
    expected_units = [sum(line["quantity"] for event in checks if month_key(event) == month
                          for line in event["lines"] if line["product_id"] == 1) for month in months]
    assert units == expected_units


def test_imported_batch_counts_like_single_checks(analytics):
    checks = [
        check_event("i1", "u1", "2023-10-05T10:00:00+00:00", [(1, 1, "1.00")]),
        check_event("i2", "u1", "2023-12-05T10:00:00+00:00", [(1, 2, "1.00")]),
        check_event("i3", "u2", "2023-11-05T10:00:00+00:00", [(2, 1, "5.00")]),
        check_event("i1", "u1", "2023-10-05T10:00:00+00:00", [(1, 1, "1.00")]),
    ]

    analytics.handle_checks_imported({"checks": checks})
    analytics.handle_checks_imported({"checks": checks[1:3]})
    analytics.handle_check_recorded(check_event("live", "u1", "2023-11-20T10:00:00+00:00", [(1, 1, "1.00")]))

    assert AppliedCheck.select().count() == 4
    assert analytics.product_units(1, "2023-10", "2023-12")["values"] == [1, 1, 2]
    assert analytics.total_purchases("2023-10", "2023-12") == {"total_purchases": "9.00"}
    assert analytics.visitor_count("2023-10", "2023-12") == {"visitor_count": 2}
    assert analytics.visitor_count("2023-12", "2023-12") == {"visitor_count": 1}
    assert analytics.visitor_count("2023-11", "2023-12") == {"visitor_count": 2}


def test_batch_with_malformed_check_is_dropped_whole(analytics):
    good = check_event("g1", "u1", "2023-10-05T10:00:00+00:00", [(1, 1, "1.00")])

    analytics.handle_checks_imported({"checks": [good, {"check_id": "bad"}]})

    assert AppliedCheck.select().count() == 0
