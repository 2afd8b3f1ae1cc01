"""Reading and checking the parts of an HTTP request that the gateway owns.

The gateway checks only what it must to build an RPC call: that the body is
a JSON object with the required keys, and that query parameters are present.
The services validate the values themselves and name the field at fault.
"""

import json
import re
from typing import Any

from sanic import Request

from gateway.errors import ApiError, invalid_input


# The services keep product ids in Peewee IntegerField columns, which are
# 32-bit in PostgreSQL, so a larger value cannot be a product id.
MAX_PRODUCT_ID = 2**31 - 1

DECIMAL_DIGITS = re.compile(r"[0-9]+")

# Maximum number of characters of a rejected value that an error message repeats.
MAX_ECHOED_CHARS = 40


def read_json_object(request: Request) -> dict[str, Any]:
    """Parse the request body as a JSON object, whatever the content type."""
    if not request.body:
        raise ApiError(400, "invalid_json", "The request body is empty. Send a JSON object.")

    try:
        body = json.loads(request.body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        # ValueError covers malformed JSON and bytes that are not UTF-8.
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None

    if not isinstance(body, dict):
        raise ApiError(
            400,
            "invalid_body",
            f"The request body must be a JSON object, got a JSON {_json_type_name(body)}.",
        )
    return body


def require_key(body: dict[str, Any], key: str) -> Any:
    """Return `body[key]`, which may be of any type, or raise if it is missing."""
    if key not in body:
        raise invalid_input(f"The field {key} is required.", key)
    return body[key]


def require_query_param(request: Request, name: str, hint: str = "") -> str:
    """Return the first value of a query parameter, which must not be blank."""
    value = request.args.get(name)
    if value is None or not value.strip():
        raise invalid_input(f"The query parameter {name} is required{hint}.", name)
    return value


def require_month_param(request: Request, name: str) -> str:
    """Return a month parameter as sent. The analytics service checks its format."""
    return require_query_param(request, name, hint=", in the format YYYY-MM")


def require_product_id_param(request: Request, name: str = "product_id") -> int:
    """Return a query parameter that must be a positive integer in decimal digits."""
    value = require_query_param(request, name)

    if not DECIMAL_DIGITS.fullmatch(value):
        raise invalid_input(
            f"The query parameter {name} must be a positive integer, got {_echo(value)}.", name
        )

    number = int(value)
    if not 1 <= number <= MAX_PRODUCT_ID:
        raise invalid_input(
            f"The query parameter {name} must be from 1 to {MAX_PRODUCT_ID}, got {_echo(value)}.",
            name,
        )
    return number


def _reject_constant(name: str) -> None:
    # NaN and Infinity are Python extensions that standard JSON does not allow.
    raise ValueError(f"{name} is not valid JSON")


def _json_type_name(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _echo(value: str) -> str:
    if len(value) > MAX_ECHOED_CHARS:
        value = value[:MAX_ECHOED_CHARS] + "..."
    return repr(value)
