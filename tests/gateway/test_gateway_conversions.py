"""Tests of converting service replies: remote errors and money amounts."""

import pytest

from gateway.routes.analytics import money_to_number
from gateway.rpc_client import MalformedReply, RemoteError


def test_remote_error_reads_message_and_field():
    error = RemoteError.from_reply(
        {
            "exc_type": "InvalidInput",
            "exc_path": "users_service.exceptions.InvalidInput",
            "exc_args": ["username must not be blank", "username"],
            "value": "('username must not be blank', 'username')",
        }
    )

    assert error.exc_type == "InvalidInput"
    assert error.message == "username must not be blank"
    assert error.field == "username"


def test_remote_error_without_args_uses_value():
    error = RemoteError.from_reply({"exc_type": "UserNotFound", "exc_args": [], "value": "gone"})

    assert error.message == "gone"
    assert error.field is None


def test_remote_error_ignores_field_that_is_not_string():
    error = RemoteError.from_reply({"exc_type": "InvalidInput", "exc_args": ["bad", 3]})

    assert error.field is None


def test_remote_error_rejects_error_that_is_not_object():
    with pytest.raises(MalformedReply):
        RemoteError.from_reply(["InvalidInput"])


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("190300.00", 190300.0), ("2500.5", 2500.5), ("0.005", 0.01), ("0.00", 0.0), (12, 12.0)],
)
def test_money_to_number_rounds_to_cents(amount, expected):
    assert money_to_number(amount) == expected


@pytest.mark.parametrize("amount", ["abc", "", None, True, "NaN", "Infinity", [1]])
def test_money_to_number_rejects_non_decimal(amount):
    with pytest.raises(MalformedReply):
        money_to_number(amount)
