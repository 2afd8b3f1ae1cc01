"""Errors users_service raises over RPC."""
from service_support.errors import InvalidInput, ServiceError

__all__ = ["InvalidInput", "UserNotFound", "UsernameTaken"]


class UserNotFound(ServiceError):
    """No user has the requested id."""


class UsernameTaken(ServiceError):
    """Another user already has this username, compared case-insensitively."""
