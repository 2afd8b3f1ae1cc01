"""Transactions retried when a concurrent writer got to a unique key first."""
import logging

from peewee import IntegrityError

_log = logging.getLogger(__name__)

ATTEMPTS = 3


def run_in_transaction(database, work, description):
    """Run `work()` in a transaction and return its result, retrying on IntegrityError.

    Meant for work that reads before it writes (a next id, keys not stored
    yet): after a conflict with a concurrent transaction, the retry reads
    again, including what that transaction committed. The last failure is
    raised.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with database.atomic():
                return work()
        except IntegrityError as error:
            if attempt == ATTEMPTS:
                raise
            _log.info("%s conflicted with a concurrent write (attempt %d of %d), retrying: %s",
                      description, attempt, ATTEMPTS, error)
