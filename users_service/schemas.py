"""Validation of users_service input and mapping of users to plain dicts."""
import re
import unicodedata
from datetime import timezone

from users_service.exceptions import InvalidInput

MAX_USERNAME_LENGTH = 64
USER_ID_PATTERN = re.compile(r"^[0-9a-f]{40}$")


def validate_username(value):
    """Return `value` trimmed, or raise InvalidInput saying what is wrong with it."""
    if value is None:
        raise InvalidInput("username is required", "username")
    if not isinstance(value, str):
        raise InvalidInput(f"username must be a string, got {type(value).__name__}", "username")

    username = value.strip()
    if not username:
        raise InvalidInput("username must not be blank", "username")
    if len(username) > MAX_USERNAME_LENGTH:
        raise InvalidInput(
            f"username must be at most {MAX_USERNAME_LENGTH} characters, got {len(username)}",
            "username",
        )
    if any(unicodedata.category(char) == "Cc" for char in username):
        raise InvalidInput("username must not contain control characters", "username")
    return username


def is_user_id(value):
    return isinstance(value, str) and USER_ID_PATTERN.match(value) is not None


def user_to_dict(user):
    return {
        "user_id": user.id,
        "username": user.username,
        "created_at": user.created_at.replace(tzinfo=timezone.utc).isoformat(),
    }
