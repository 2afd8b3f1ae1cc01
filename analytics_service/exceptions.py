"""Errors analytics_service raises over RPC, and one it handles itself."""
from service_support.errors import InvalidInput, ServiceError

__all__ = ["InvalidInput", "MalformedEvent", "ProductNotFound"]


class ProductNotFound(ServiceError):
    """Analytics has not heard of a product with the requested id."""


class MalformedEvent(Exception):
    """An event payload lacks a field or has one of the wrong type."""
