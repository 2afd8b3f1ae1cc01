"""users_service: creates users and looks them up by id."""
import logging
import secrets

from nameko.rpc import rpc
from peewee import IntegrityError

from service_support.database import Database
from service_support.names import name_key
from service_support.transactions import run_in_transaction
from users_service.exceptions import InvalidInput, UsernameTaken, UserNotFound
from users_service.imported_users import find_or_create_users
from users_service.models import MODELS, User, database
from users_service.schemas import is_user_id, user_to_dict, validate_external_keys, validate_username

_log = logging.getLogger(__name__)


class UsersService:
    name = "users_service"

    db = Database(database, MODELS, "USERS_DATABASE_URL", "users")

    @rpc(expected_exceptions=(InvalidInput, UsernameTaken))
    def create_user(self, username):
        username = validate_username(username)
        user_id = secrets.token_hex(20)

        try:
            with self.db.atomic():
                user = User.create(id=user_id, username=username, username_key=name_key(username))
        except IntegrityError:
            _log.info("username %r rejected: already taken", username)
            raise UsernameTaken(f"username {username!r} is already taken", "username")

        _log.info("user %s created", user.id)
        return user_to_dict(user)

    @rpc(expected_exceptions=(UserNotFound,))
    def get_user(self, user_id):
        user = User.get_or_none(User.id == user_id) if is_user_id(user_id) else None

        if user is None:
            raise UserNotFound(f"user {user_id!r} not found")
        return user_to_dict(user)

    @rpc(expected_exceptions=(InvalidInput,))
    def ensure_users(self, external_keys):
        keys = validate_external_keys(external_keys)

        # A concurrent call may create some of the same keys first; the retry keeps theirs.
        user_ids, created = run_in_transaction(
            self.db, lambda: find_or_create_users(keys), f"ensure_users for {len(keys)} key(s)"
        )

        if created:
            _log.info("ensure_users: %d of %d external key(s) got new users", created, len(keys))
        return user_ids

    @rpc
    def health(self):
        self.db.execute_sql("SELECT 1")
        return {"status": "ok", "service": self.name}
