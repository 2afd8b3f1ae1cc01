"""Validation of users_service input and mapping of users to plain dicts."""
import re
import unicodedata
from datetime import timezone

from users_service.exceptions import InvalidInput

MAX_USERNAME_LENGTH = 64
MAX_EXTERNAL_KEY_LENGTH = 200
MAX_EXTERNAL_KEYS = 5000
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


def validate_external_keys(value):
    """Return the distinct external keys of `value`, in their first order."""
    if not isinstance(value, list):
        raise InvalidInput("external_keys must be a list of strings", "external_keys")
    if len(value) > MAX_EXTERNAL_KEYS:
        raise InvalidInput(f"external_keys must have at most {MAX_EXTERNAL_KEYS} items", "external_keys")
    for index, key in enumerate(value):
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_EXTERNAL_KEY_LENGTH:
            raise InvalidInput(
                f"external_keys[{index}] must be a non-blank string of at most "
                f"{MAX_EXTERNAL_KEY_LENGTH} characters",
                f"external_keys[{index}]",
            )
    return list(dict.fromkeys(value))


def is_user_id(value):
    return isinstance(value, str) and USER_ID_PATTERN.match(value) is not None


def user_to_dict(user):
    return {
        "user_id": user.id,
        "username": user.username,
        "created_at": user.created_at.replace(tzinfo=timezone.utc).isoformat(),
    }
