"""Errors purchases_service raises over RPC."""
from service_support.errors import InvalidInput, ServiceError, ServiceUnavailable

__all__ = [
    "InvalidInput",
    "ProductNameTaken",
    "ProductNotFound",
    "ServiceUnavailable",
    "UserNotFound",
]


class UserNotFound(ServiceError):
    """The check's user does not exist in users_service."""


class ProductNotFound(ServiceError):
    """No catalog product has the requested id."""


class ProductNameTaken(ServiceError):
    """Another product already has this name, compared case-insensitively."""
