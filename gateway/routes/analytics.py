"""Endpoints for the monthly charts, each one a call to analytics_service."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from gateway.request_input import require_month_param, require_product_id_param
from gateway.rpc_client import MalformedReply


analytics = Blueprint("analytics", url_prefix="/data")

SERVICE = "analytics_service"
CENT = Decimal("0.01")


@analytics.get("/values")
async def product_units(request: Request) -> HTTPResponse:
    product_id = require_product_id_param(request)
    start_date, end_date = _read_month_range(request)

    chart = await request.app.ctx.rpc.call(
        SERVICE, "product_units", product_id, start_date, end_date
    )

    return json({"label": chart["label"], "values": chart["values"]})


@analytics.get("/total_purchases")
async def total_purchases(request: Request) -> HTTPResponse:
    start_date, end_date = _read_month_range(request)

    result = await request.app.ctx.rpc.call(SERVICE, "total_purchases", start_date, end_date)

    return json({"total_purchases": money_to_number(result["total_purchases"])})


@analytics.get("/average_check")
async def average_check(request: Request) -> HTTPResponse:
    start_date, end_date = _read_month_range(request)

    result = await request.app.ctx.rpc.call(SERVICE, "average_check", start_date, end_date)

    return json({"average_check": money_to_number(result["average_check"])})


@analytics.get("/visitor_count")
async def visitor_count(request: Request) -> HTTPResponse:
    start_date, end_date = _read_month_range(request)

    result = await request.app.ctx.rpc.call(SERVICE, "visitor_count", start_date, end_date)

    return json({"visitor_count": result["visitor_count"]})


@analytics.get("/products")
async def list_products(request: Request) -> HTTPResponse:
    products = await request.app.ctx.rpc.call(SERVICE, "list_products")

    return json([{"id": product["id"], "name": product["name"]} for product in products])


def money_to_number(amount: Any) -> float:
    """Convert a decimal string from a service to a JSON number with 2 decimals."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise MalformedReply(f"expected a decimal string for money, got {amount!r}") from None

    if isinstance(amount, bool) or not value.is_finite():
        raise MalformedReply(f"expected a decimal string for money, got {amount!r}")
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _read_month_range(request: Request) -> tuple[str, str]:
    return require_month_param(request, "start_date"), require_month_param(request, "end_date")
