"""Stand-ins for the three Nameko services, for the gateway's tests.

They return fixed data, so a test can state the exact HTTP response,
and raise the services' error classes on chosen inputs. Run them with
`nameko run --config <file> tests.gateway.fake_services`.

A username or user id of the form "raise:<ClassName>" makes the method raise
an exception of that class, with the message "<ClassName> raised on purpose"
and the field "username" or "user_id". Any other class name raises
DatabaseCrashed, whose text looks like leaked internals.
"""

import re
import time

from nameko.rpc import rpc

from tests.gateway.fake_data import (
    KNOWN_USER_ID,
    LEAKED_DETAILS,
    PRODUCTS,
    SLOW_MONTH,
    SLOW_SECONDS,
    user_id_for,
)


MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
RAISE_PREFIX = "raise:"


class InvalidInput(Exception):
    pass


class UserNotFound(Exception):
    pass


class ProductNotFound(Exception):
    pass


class UsernameTaken(Exception):
    pass


class ProductNameTaken(Exception):
    pass


class ServiceUnavailable(Exception):
    pass


class DatabaseCrashed(Exception):
    pass


SERVICE_ERRORS = {
    cls.__name__: cls
    for cls in (
        InvalidInput,
        UserNotFound,
        ProductNotFound,
        UsernameTaken,
        ProductNameTaken,
        ServiceUnavailable,
    )
}


def raise_if_requested(value, field):
    """Raise the exception that a "raise:<ClassName>" value requests."""
    if not isinstance(value, str) or not value.startswith(RAISE_PREFIX):
        return

    class_name = value[len(RAISE_PREFIX):]
    if class_name in SERVICE_ERRORS:
        raise SERVICE_ERRORS[class_name](f"{class_name} raised on purpose", field)
    raise DatabaseCrashed(LEAKED_DETAILS)


def check_month(value, field):
    if not isinstance(value, str) or not MONTH.fullmatch(value):
        raise InvalidInput(f"{field} must be a month in the format YYYY-MM", field)


def count_months(start_date, end_date):
    start_year, start_month = map(int, start_date.split("-"))
    end_year, end_month = map(int, end_date.split("-"))
    return (end_year - start_year) * 12 + end_month - start_month + 1


class UsersService:
    name = "users_service"

    @rpc
    def create_user(self, username):
        raise_if_requested(username, "username")
        if not isinstance(username, str) or not username.strip():
            raise InvalidInput("username must be a non-empty string", "username")

        return {
            "user_id": user_id_for(username),
            "username": username.strip(),
            "created_at": "2026-12-04T20:33:46.123456+00:00",
        }

    @rpc
    def get_user(self, user_id):
        raise_if_requested(user_id, "user_id")
        if user_id != KNOWN_USER_ID:
            raise UserNotFound(f"No user has the id {user_id}")

        return {
            "user_id": user_id,
            "username": "JohnDoe",
            "created_at": "2026-12-04T20:33:46.123456+00:00",
        }


class PurchasesService:
    name = "purchases_service"

    @rpc
    def record_check(self, user_id, purchases):
        raise_if_requested(user_id, "user_id")
        if user_id != KNOWN_USER_ID:
            raise UserNotFound(f"No user has the id {user_id}")
        if not isinstance(purchases, list) or not purchases:
            raise InvalidInput("purchases must be a list of 1 to 100 lines", "purchases")

        for index, line in enumerate(purchases):
            quantity = line.get("quantity") if isinstance(line, dict) else None
            if type(quantity) is not int or not 1 <= quantity <= 10000:
                field = f"purchases[{index}].quantity"
                raise InvalidInput(f"{field} must be an integer from 1 to 10000", field)

        return {"check_id": "c1", "user_id": user_id, "total": "2.40", "lines": purchases}


class AnalyticsService:
    name = "analytics_service"

    @rpc
    def product_units(self, product_id, start_date, end_date):
        check_month(start_date, "start_date")
        check_month(end_date, "end_date")
        # The gateway must send the id as a JSON integer, not as a string.
        names = {product["id"]: product["name"] for product in PRODUCTS}
        if type(product_id) is not int or product_id not in names:
            raise ProductNotFound(f"No product has the id {product_id!r}", "product_id")

        months = count_months(start_date, end_date)
        return {"label": names[product_id], "values": list(range(5, 5 + months))}

    @rpc
    def total_purchases(self, start_date, end_date):
        check_month(start_date, "start_date")
        check_month(end_date, "end_date")
        return {"total_purchases": "190300.00"}

    @rpc
    def average_check(self, start_date, end_date):
        check_month(start_date, "start_date")
        check_month(end_date, "end_date")
        if start_date == "2024-01":
            return {"average_check": "1234.56"}
        return {"average_check": "2500.00"}

    @rpc
    def visitor_count(self, start_date, end_date):
        if start_date == SLOW_MONTH:
            time.sleep(SLOW_SECONDS)
        return {"visitor_count": 100}

    @rpc
    def list_products(self):
        return [dict(product, price="1.20") for product in PRODUCTS]
