"""The transactional outbox: events stored with the change, published after commit.

An entrypoint calls `add_event` inside its transaction and `publish_events`
after the commit. Whatever could not be published then (broker down, or no
consumer queue bound yet, which the `mandatory` flag reveals) is published
again by the relay timer, so every stored event reaches the broker at least
once and consumers deduplicate.
"""
import json
import logging
from datetime import timedelta

from purchases_service.models import OutboxEvent, utc_now

_log = logging.getLogger(__name__)

RELAY_BATCH_SIZE = 200
# Events younger than this are left to the entrypoint that stored them.
RELAY_GRACE = timedelta(seconds=2)


def add_event(event_type, payload):
    """Store an event; call inside the transaction that makes the change."""
    return OutboxEvent.create(event_type=event_type, payload=json.dumps(payload))


def pending_events():
    """Return unpublished events older than the grace period, oldest first."""
    return list(
        OutboxEvent.select()
        .where(OutboxEvent.published_at.is_null(), OutboxEvent.created_at < utc_now() - RELAY_GRACE)
        .order_by(OutboxEvent.seq)
        .limit(RELAY_BATCH_SIZE)
    )


def publish_events(dispatch, events):
    """Publish `events` in order and mark each one published.

    Stops at the first failure and leaves the rest for the relay, which
    keeps events in order. NOTE: an event type with no queue bound stays
    undeliverable and holds back the events after it. Every event type
    published today has a handler in analytics_service. Returns
    the number published and the exception that stopped it, or None. Any
    exception is caught on purpose: the change is already committed, so a
    publishing failure must not fail the caller.
    """
    published = 0
    for event in events:
        try:
            dispatch(event.event_type, json.loads(event.payload))
        except Exception as error:
            return published, error
        OutboxEvent.update(published_at=utc_now()).where(OutboxEvent.seq == event.seq).execute()
        published += 1
    return published, None


class RelayLog:
    """Log relay failures once per minute while they repeat, and the recovery."""

    REPEAT_INTERVAL = 60.0

    def __init__(self, clock):
        self.clock = clock
        self.failing_since = None
        self.last_logged = None
        self.suppressed = 0

    def failed(self, event_count, error):
        now = self.clock()
        if self.last_logged is not None and now - self.last_logged < self.REPEAT_INTERVAL:
            self.suppressed += 1
            return
        _log.warning(
            "outbox relay: %d event(s) waiting, publishing failed (%d similar failures not logged): %s: %s",
            event_count, self.suppressed, type(error).__name__, error,
        )
        self.failing_since = self.failing_since or now
        self.last_logged = now
        self.suppressed = 0

    def published(self, count):
        if self.failing_since is not None:
            _log.info("outbox relay: publishing works again, %d event(s) published", count)
        self.failing_since = None
        self.last_logged = None
        self.suppressed = 0
