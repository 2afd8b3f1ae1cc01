import pytest
from nameko.testing.services import worker_factory

from tests.services.conftest import bind_models
from users_service.exceptions import InvalidInput, UsernameTaken, UserNotFound
from users_service.models import MODELS, User, database
from users_service.service import UsersService


@pytest.fixture
def users(tmp_path):
    db = bind_models(database, MODELS, "", tmp_path)
    yield worker_factory(UsersService, db=db)
    db.close()


def test_create_user_returns_hex_id_and_trimmed_name(users):
    user = users.create_user("  JohnDoe ")

    assert user["username"] == "JohnDoe"
    assert len(user["user_id"]) == 40
    assert int(user["user_id"], 16) >= 0
    assert user["user_id"] == user["user_id"].lower()
    assert user["created_at"].endswith("+00:00")


def test_create_user_gives_each_user_a_new_id(users):
    first = users.create_user("Anna")
    second = users.create_user("Boris")

    assert first["user_id"] != second["user_id"]


@pytest.mark.parametrize("username, message", [
    (None, "username is required"),
    ("", "username must not be blank"),
    ("   \t ", "username must not be blank"),
    (42, "username must be a string, got int"),
    (True, "username must be a string, got bool"),
    (["JohnDoe"], "username must be a string, got list"),
    ("x" * 65, "username must be at most 64 characters, got 65"),
    ("John\x00Doe", "username must not contain control characters"),
])
def test_create_user_rejects_invalid_username(users, username, message):
    with pytest.raises(InvalidInput) as raised:
        users.create_user(username)

    assert raised.value.message == message
    assert raised.value.field == "username"
    assert User.select().count() == 0


def test_create_user_accepts_64_characters_and_unicode(users):
    user = users.create_user("Ё" * 64)

    assert user["username"] == "Ё" * 64


def test_create_user_rejects_duplicate_name_ignoring_case(users):
    users.create_user("JohnDoe")

    with pytest.raises(UsernameTaken) as raised:
        users.create_user(" JOHNDOE ")

    assert raised.value.field == "username"
    assert User.select().count() == 1


def test_get_user_returns_created_user(users):
    created = users.create_user("JohnDoe")

    found = users.get_user(created["user_id"])

    assert found == created


@pytest.mark.parametrize("user_id", ["0" * 40, "12345", "", None, 12345, "Z" * 40])
def test_get_user_raises_not_found_for_unknown_id(users, user_id):
    with pytest.raises(UserNotFound):
        users.get_user(user_id)


def test_health_reports_ok(users):
    assert users.health() == {"status": "ok", "service": "users_service"}


def test_ensure_users_creates_each_key_once(users):
    first = users.ensure_users(["cdnow:1", "cdnow:2", "cdnow:1"])
    second = users.ensure_users(["cdnow:2", "cdnow:3"])

    assert sorted(first) == ["cdnow:1", "cdnow:2"]
    assert second["cdnow:2"] == first["cdnow:2"]
    assert User.select().count() == 3
    assert users.get_user(first["cdnow:1"])["username"] == "cdnow:1"


def test_ensure_users_avoids_taken_username(users):
    existing = users.create_user("CDNOW:7")

    created = users.ensure_users(["cdnow:7"])

    user = users.get_user(created["cdnow:7"])
    assert created["cdnow:7"] != existing["user_id"]
    assert user["username"].startswith("cdnow:7 #")


@pytest.mark.parametrize("keys, field", [
    ("cdnow:1", "external_keys"),
    ([""], "external_keys[0]"),
    (["ok", 5], "external_keys[1]"),
    (["x" * 201], "external_keys[0]"),
    (["k"] * 5001, "external_keys"),
])
def test_ensure_users_rejects_invalid_keys(users, keys, field):
    with pytest.raises(InvalidInput) as raised:
        users.ensure_users(keys)

    assert raised.value.field == field


def test_create_user_rejects_unicode_variant(users):
    users.create_user("Ren\u00e9")

    with pytest.raises(UsernameTaken):
        users.create_user("Rene\u0301")
