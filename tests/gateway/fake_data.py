"""Data that the fake services return and the tests expect.

This module imports neither nameko nor eventlet, so the tests can use it.
"""

import hashlib


# `analytics_service.visitor_count` sleeps SLOW_SECONDS when start_date is
# SLOW_MONTH. The sleep must exceed every RPC timeout that the tests set.
SLOW_MONTH = "2099-01"
SLOW_SECONDS = 3.0

PRODUCTS = [{"id": 1, "name": "Milk"}, {"id": 2, "name": "Bread"}]

# Text of the exception that fake services raise for an unexpected error.
# It mimics internals that must never reach an HTTP client.
LEAKED_DETAILS = "SELECT password FROM users WHERE id = 1 at /srv/users_service/models.py:42"


def user_id_for(username: str) -> str:
    """Return the 40-hex user id that the fake users_service gives `username`."""
    return hashlib.sha1(username.encode()).hexdigest()


KNOWN_USER_ID = user_id_for("JohnDoe")
