"""Finding or creating the users of imported checks by their external key.

An imported user's username is its external key, cut to 64 characters.
When another user already has that name, a short hash of the key is
appended, so every external key still gets a user.
"""
import hashlib
import secrets

from service_support.batching import chunks
from service_support.names import name_key
from users_service.models import User
from users_service.schemas import MAX_USERNAME_LENGTH

def find_users(keys):
    """Return {external_key: user_id} for the keys that already have a user."""
    found = {}
    for chunk in chunks(keys):
        query = User.select(User.external_key, User.id).where(User.external_key.in_(chunk)).tuples()
        found.update(query)
    return found


def taken_username_keys(candidates):
    taken_keys = set()
    for chunk in chunks(candidates):
        query = User.select(User.username_key).where(User.username_key.in_(chunk)).tuples()
        taken_keys.update(username_key for (username_key,) in query)
    return taken_keys


def username_for(key, taken_keys):
    username = key.strip()[:MAX_USERNAME_LENGTH]
    if name_key(username) not in taken_keys:
        return username
    suffix = " #" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    return key.strip()[:MAX_USERNAME_LENGTH - len(suffix)] + suffix


def create_users(keys):
    """Create a user for each key; call inside a transaction. Return {key: user_id}."""
    taken_keys = taken_username_keys([name_key(key.strip()[:MAX_USERNAME_LENGTH]) for key in keys])
    rows = []
    for key in keys:
        username = username_for(key, taken_keys)
        taken_keys.add(name_key(username))
        rows.append({
            "id": secrets.token_hex(20),
            "username": username,
            "username_key": name_key(username),
            "external_key": key,
        })
    for chunk in chunks(rows, 200):
        User.insert_many(chunk).execute()
    return {row["external_key"]: row["id"] for row in rows}


def find_or_create_users(keys):
    """Return ({key: user_id} for all keys, number created); call inside a transaction."""
    user_ids = find_users(keys)
    missing = [key for key in keys if key not in user_ids]
    user_ids.update(create_users(missing))
    return user_ids, len(missing)
