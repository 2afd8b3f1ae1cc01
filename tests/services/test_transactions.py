import pytest
from peewee import CharField, IntegrityError, Model

from service_support.database import open_database
from service_support.transactions import ATTEMPTS, run_in_transaction


class Item(Model):
    name = CharField(unique=True)


@pytest.fixture
def database(tmp_path):
    db = open_database(f"sqlite:///{tmp_path}/items.sqlite3", str(tmp_path), "items", max_connections=2)
    with db.bind_ctx([Item]):
        db.create_tables([Item])
        yield db
    db.close()


def test_run_in_transaction_retries_after_conflict(database):
    attempts = []

    def work():
        attempts.append(1)
        Item.create(name=f"item-{len(attempts)}")
        if len(attempts) == 1:
            Item.create(name="item-1")  # the conflict a concurrent writer would cause
        return len(attempts)

    result = run_in_transaction(database, work, "creating items")

    assert result == 2
    assert [item.name for item in Item.select()] == ["item-2"]


def test_run_in_transaction_gives_up_after_last_attempt(database):
    def work():
        Item.create(name="same")
        Item.create(name="same")

    with pytest.raises(IntegrityError):
        run_in_transaction(database, work, "creating items")

    assert Item.select().count() == 0
    assert ATTEMPTS == 3


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://", "mysql://root@127.0.0.1/test"])
def test_open_database_rejects_unusable_url(tmp_path, url):
    with pytest.raises(SystemExit):
        open_database(url, str(tmp_path), "test", max_connections=2)
