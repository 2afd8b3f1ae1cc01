"""Mapping of every error the gateway handles to its JSON HTTP response.

Every error body has the shape {"error": {"code", "message", "field"}}, where
"field" is present only when one input is at fault. Client errors (4xx) carry
a message for the end user. Server errors (5xx) carry a generic message, and
the details go to the log only, so no stack trace, SQL, exception path or
internal name reaches a client.
"""

import logging
from http import HTTPStatus

from sanic import Request
from sanic.exceptions import MethodNotAllowed, NotFound, PayloadTooLarge, SanicException
from sanic.response import HTTPResponse, json

from gateway.rpc_client import MalformedReply, RemoteError, RpcTimeout, RpcUnavailable


_log = logging.getLogger(__name__)


# The exception classes that the services raise on purpose, by `exc_type`,
# with the HTTP status and error code of each. Any other remote exception
# is a bug in a service and becomes 500 internal_error.
REMOTE_ERRORS = {
    "InvalidInput": (400, "invalid_input"),
    "UserNotFound": (404, "user_not_found"),
    "ProductNotFound": (404, "product_not_found"),
    "UsernameTaken": (409, "username_taken"),
    "ProductNameTaken": (409, "product_name_taken"),
    "ServiceUnavailable": (503, "service_unavailable"),
}

INTERNAL_ERROR_MESSAGE = "Internal server error. The details are in the gateway log."
UNAVAILABLE_MESSAGE = "A service needed for this request is unavailable. Try again later."
TIMEOUT_MESSAGE = "A service needed for this request did not respond in time. Try again later."


class ApiError(Exception):
    """An error that the gateway itself detects, returned to the client as is."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def invalid_input(message: str, field: str) -> ApiError:
    """Build the 400 error for one invalid or missing input."""
    return ApiError(400, "invalid_input", message, field)


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict | None = None,
) -> HTTPResponse:
    """Build the JSON error response that every failed request gets."""
    error = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return json({"error": error}, status=status, headers=headers)


def handle_exception(request: Request, exception: Exception) -> HTTPResponse:
    """Log `exception` and turn it into the JSON error response.

    Sanic calls this for every exception that a handler raises and for the
    errors Sanic raises itself (unknown route, wrong method, body too large).
    """
    if isinstance(exception, ApiError):
        _log.info(
            "Rejected %s %s: %s %s, field %s",
            request.method,
            request.path,
            exception.status,
            exception.code,
            exception.field,
        )
        return error_response(
            exception.status, exception.code, exception.message, exception.field
        )

    if isinstance(exception, RemoteError):
        return _remote_error_response(request, exception)

    if isinstance(exception, RpcUnavailable):
        _log.warning("%s %s failed, RPC unavailable: %s", request.method, request.path, exception)
        return error_response(503, "service_unavailable", UNAVAILABLE_MESSAGE)

    if isinstance(exception, RpcTimeout):
        _log.warning("%s %s failed, RPC timed out: %s", request.method, request.path, exception)
        return error_response(504, "timeout", TIMEOUT_MESSAGE)

    if isinstance(exception, MalformedReply):
        _log.error("%s %s failed, malformed RPC reply: %s", request.method, request.path, exception)
        return error_response(500, "internal_error", INTERNAL_ERROR_MESSAGE)

    if isinstance(exception, SanicException):
        return _sanic_error_response(request, exception)

    _log.error(
        "%s %s failed with an unhandled exception",
        request.method,
        request.path,
        exc_info=exception,
    )
    return error_response(500, "internal_error", INTERNAL_ERROR_MESSAGE)


def _remote_error_response(request: Request, error: RemoteError) -> HTTPResponse:
    mapped = REMOTE_ERRORS.get(error.exc_type)
    if mapped is None:
        _log.error(
            "%s %s failed, the service raised the unexpected %s: %s",
            request.method,
            request.path,
            error.exc_type,
            error.value,
        )
        return error_response(500, "internal_error", INTERNAL_ERROR_MESSAGE)

    status, code = mapped
    if status >= 500:
        _log.warning(
            "%s %s failed, the service raised %s: %s",
            request.method,
            request.path,
            error.exc_type,
            error.value,
        )
        return error_response(status, code, UNAVAILABLE_MESSAGE)

    _log.info(
        "Rejected %s %s: the service raised %s, field %s",
        request.method,
        request.path,
        error.exc_type,
        error.field,
    )
    return error_response(status, code, error.message, error.field)


def _sanic_error_response(request: Request, exception: SanicException) -> HTTPResponse:
    status = exception.status_code
    level = logging.WARNING if status >= 500 else logging.INFO
    _log.log(level, "%s %s failed with %s: %s", request.method, request.path, status, exception)

    if isinstance(exception, NotFound):
        return error_response(404, "not_found", f"No endpoint matches the path {request.path}.")

    if isinstance(exception, MethodNotAllowed):
        allowed = (exception.headers or {}).get("Allow", "")
        return error_response(
            405,
            "method_not_allowed",
            f"Method {request.method} is not allowed for {request.path}. Allowed: {allowed}.",
            headers=exception.headers,
        )

    if isinstance(exception, PayloadTooLarge):
        limit = request.app.config.REQUEST_MAX_SIZE
        return error_response(
            413,
            "payload_too_large",
            f"The request is too large. The body limit is {limit} bytes.",
        )

    if status == 503:
        return error_response(503, "service_unavailable", UNAVAILABLE_MESSAGE)

    if status >= 500:
        return error_response(status, "internal_error", INTERNAL_ERROR_MESSAGE)

    # Other client errors that Sanic detects, such as a malformed HTTP
    # request (400) or a request that took too long to arrive (408).
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Client error"
    return error_response(status, phrase.lower().replace(" ", "_"), f"{phrase}.")
