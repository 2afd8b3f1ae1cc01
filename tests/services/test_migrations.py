from peewee import CharField, DateTimeField, Model

from service_support.database import open_database
from service_support.migrations import add_missing_columns
from users_service.models import User


def test_add_missing_columns_upgrades_old_users_table(database_url, tmp_path):
    database = open_database(database_url, str(tmp_path), "old", max_connections=2)

    class OldUser(Model):
        id = CharField(max_length=40, primary_key=True)
        username = CharField(max_length=64)
        username_key = CharField(max_length=255, unique=True)
        created_at = DateTimeField()

        class Meta:
            table_name = "users"

    with database.bind_ctx([OldUser, User]):
        database.create_tables([OldUser])
        OldUser.create(id="a" * 40, username="Anna", username_key="anna", created_at="2023-01-01 00:00:00")

        added = add_missing_columns(database, [User])
        again = add_missing_columns(database, [User])
        User.create(id="b" * 40, username="Boris", username_key="boris", external_key="cdnow:1")

        assert added == ["users.external_key"]
        assert again == []
        assert User.get_by_id("a" * 40).external_key is None
        assert User.get(User.external_key == "cdnow:1").username == "Boris"
        external_key_indexes = [index for index in database.get_indexes("users")
                                if index.columns == ["external_key"]]
        assert len(external_key_indexes) == 1
        assert external_key_indexes[0].unique
    database.close()
    if hasattr(database, "close_all"):
        database.close_all()
