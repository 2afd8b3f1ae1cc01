"""Exceptions that every service raises over RPC.

Nameko sends an exception as its class name and its arguments, so the
arguments are kept plain: a message for the end user, then the name of the
input at fault when there is one. The gateway maps each class name to one
HTTP status.
"""


class ServiceError(Exception):
    """Base class for errors raised on purpose, with a user-facing message."""

    def __init__(self, message, field=None):
        args = (message,) if field is None else (message, field)
        super().__init__(*args)
        self.message = message
        self.field = field


class InvalidInput(ServiceError):
    """An argument is missing, has the wrong type or is out of range."""


class ServiceUnavailable(ServiceError):
    """A service this one depends on did not respond in time or is absent."""
