"""Asyncio client for Nameko AMQP RPC, built on aio-pika.

The wire protocol is the one of Nameko 2.14 (`nameko.rpc.MethodProxy` and
`nameko.rpc.Responder`). A request is the JSON object {"args", "kwargs"}
published to the durable topic exchange `nameko-rpc` with the routing key
`<service>.<method>` and the properties `reply_to` and `correlation_id`. The
service publishes the reply {"result", "error"} to the same exchange with
`reply_to` as its routing key, so each client binds its own reply queue there.

Each Nameko service consumes the durable queue `rpc-<service>`, bound with the
routing key `<service>.*`. The queue outlives the service, so before it
publishes a request the client checks on a channel of its own that the queue
has a consumer (see `RpcClient._require_running`).

One client serves one event loop, which is one Sanic worker process.
"""

import asyncio
import enum
import json
import logging
import uuid
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustConnection,
)
from aio_pika.exceptions import (
    CONNECTION_EXCEPTIONS,
    ChannelNotFoundEntity,
    DeliveryError,
    PublishError,
)


_log = logging.getLogger(__name__)


RPC_EXCHANGE = "nameko-rpc"
REPLY_QUEUE_TEMPLATE = "rpc.reply-gateway-{}"
CONNECTION_NAME_TEMPLATE = "gateway-{}"

# Name of the queue that a Nameko service consumes, as in
# `nameko.rpc.RPC_QUEUE_TEMPLATE` (Nameko 2.14).
SERVICE_QUEUE_TEMPLATE = "rpc-{}"

# How long the client reuses the result of checking a service's queue, in
# seconds. A service that stops within RUNNING_CACHE_SECONDS of a check still
# gets requests, which time out. A service that starts again gets calls
# within NOT_RUNNING_CACHE_SECONDS.
RUNNING_CACHE_SECONDS = 1.0
NOT_RUNNING_CACHE_SECONDS = 0.5

# Pause between two attempts to connect, both for the first connection and
# for aio-pika's reconnection after a lost connection.
RECONNECT_INTERVAL = 1.0

# Upper bound for one attempt to connect and declare the exchange and queue.
CONNECT_TIMEOUT = 5.0

# While the broker stays unreachable, log one failed attempt in this many at
# WARNING level and the others at DEBUG level.
FAILED_ATTEMPTS_PER_WARNING = 30


class RpcError(Exception):
    """Base class of the errors that `RpcClient.call` raises."""


class RpcUnavailable(RpcError):
    """The broker is unreachable, the connection was lost before the reply
    arrived, or the client is closed."""


class UnknownService(RpcUnavailable):
    """No queue is bound for the routing key, so no service runs the method."""


class ServiceStopped(RpcUnavailable):
    """The service's queue exists but has no consumer: the service ran on this
    virtual host before and no instance of it runs now."""


class RpcTimeout(RpcError):
    """No reply arrived within the call's timeout."""


class MalformedReply(RpcError):
    """The reply is not the JSON object {"result", "error"} that Nameko sends."""


class RemoteError(RpcError):
    """The remote method raised an exception.

    `exc_type` is the name of the exception class, `message` its first
    argument and `field` its second argument when that is a string. By the
    services' contract the message is fit for an end user and the field names
    the input at fault. `value` is the exception as Nameko rendered it, for logs.
    """

    def __init__(self, exc_type: str, message: str, field: str | None, value: str):
        super().__init__(f"{exc_type}: {message}")
        self.exc_type = exc_type
        self.message = message
        self.field = field
        self.value = value

    @classmethod
    def from_reply(cls, error: Any) -> "RemoteError":
        """Build the exception from the `error` member of a Nameko reply."""
        if not isinstance(error, dict):
            raise MalformedReply(f"reply error is a {type(error).__name__}, not an object")

        exc_type = str(error.get("exc_type") or "UnknownError")
        value = str(error.get("value") or "")
        exc_args = error.get("exc_args")
        if not isinstance(exc_args, list):
            exc_args = []

        message = str(exc_args[0]) if exc_args else value
        field = exc_args[1] if len(exc_args) > 1 and isinstance(exc_args[1], str) else None
        return cls(exc_type, message, field, value)


class _ServiceState(enum.Enum):
    """Result of a passive declare of a service's queue."""

    RUNNING = "running"
    STOPPED = "stopped"
    NO_QUEUE = "no queue"
    CHECK_FAILED = "check failed"


class RpcClient:
    """Call Nameko RPC methods over one robust AMQP connection.

    `start` connects in the background and returns after the first attempt,
    so the caller can serve requests while the broker is still unreachable.
    Until a connection is up, and while aio-pika restores a lost one, `call`
    raises RpcUnavailable at once instead of waiting for its timeout. So does a
    call to a service whose queue has no consumer, which costs at most one
    passive queue declare per service every RUNNING_CACHE_SECONDS.
    """

    def __init__(
        self,
        amqp_uri: str,
        timeout: float,
        *,
        reconnect_interval: float = RECONNECT_INTERVAL,
        connect_timeout: float = CONNECT_TIMEOUT,
    ):
        self.timeout = timeout
        self._amqp_uri = amqp_uri
        self._reconnect_interval = reconnect_interval
        self._connect_timeout = connect_timeout

        instance_id = uuid.uuid4().hex
        self.reply_queue_name = REPLY_QUEUE_TEMPLATE.format(instance_id)
        self.connection_name = CONNECTION_NAME_TEMPLATE.format(instance_id)

        self._pending: dict[str, asyncio.Future] = {}
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._connected = False
        self._closed = False
        self._connect_task: asyncio.Task | None = None
        self._first_attempt_done: asyncio.Event | None = None

        # Service name -> the state that the last check found and the event
        # loop time when it expires. The lock lets one check at a time use
        # the check channel, because the broker closes that channel when a
        # queue is missing and so fails any other declare on it.
        self._service_states: dict[str, tuple[_ServiceState, float]] = {}
        self._check_channel: AbstractChannel | None = None
        self._check_lock = asyncio.Lock()

    @property
    def pending_count(self) -> int:
        """Number of calls that are waiting for a reply."""
        return len(self._pending)

    @property
    def is_connected(self) -> bool:
        """Whether the connection, the reply queue and its consumer are up."""
        return self._connected

    async def start(self) -> None:
        """Start connecting in the background and wait for the first attempt."""
        if self._connect_task is not None:
            raise RuntimeError("RpcClient.start was already called")

        self._first_attempt_done = asyncio.Event()
        self._connect_task = asyncio.create_task(
            self._connect_until_up(), name=f"connect {self.connection_name}"
        )
        await self._first_attempt_done.wait()

    async def close(self) -> None:
        """Fail the pending calls, stop reconnecting and close the connection."""
        self._closed = True
        self._connected = False

        if self._connect_task is not None:
            self._connect_task.cancel()
            await asyncio.gather(self._connect_task, return_exceptions=True)

        self._fail_pending(RpcUnavailable("the RPC client is shutting down"))

        if self._connection is not None:
            try:
                async with asyncio.timeout(self._connect_timeout):
                    await self._connection.close()
            except TimeoutError:
                _log.warning(
                    "Closing AMQP connection %s timed out after %s s",
                    self.connection_name,
                    self._connect_timeout,
                )
            else:
                _log.info("Closed AMQP connection %s", self.connection_name)
            self._connection = None

    async def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call `service.method(*args, **kwargs)` and return its result.

        Raises RemoteError when the method raised, UnknownService when no
        service consumes the routing key, and ServiceStopped when the
        service's queue has no consumer. Raises RpcUnavailable when the broker
        is unreachable or the connection is lost before the reply, RpcTimeout
        after `self.timeout` seconds without a reply, and MalformedReply.
        """
        routing_key = f"{service}.{method}"
        if not self._connected or self._exchange is None:
            raise RpcUnavailable(f"not connected to the message broker, cannot call {routing_key}")

        correlation_id = str(uuid.uuid4())
        reply = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = reply

        try:
            async with asyncio.timeout(self.timeout):
                await self._require_running(service, routing_key)
                await self._publish(routing_key, correlation_id, args, kwargs)
                body = await reply
        except TimeoutError:
            _log.warning(
                "RPC %s timed out after %s s, correlation id %s",
                routing_key,
                self.timeout,
                correlation_id,
            )
            raise RpcTimeout(f"{routing_key} did not reply within {self.timeout} s") from None
        finally:
            self._pending.pop(correlation_id, None)
            _discard(reply)

        return self._unpack_reply(routing_key, correlation_id, body)

    async def _require_running(self, service: str, routing_key: str) -> None:
        """Raise ServiceStopped when the service's queue exists without a consumer.

        Such a request would wait in the queue until it expires, and the
        caller would wait for its timeout. A missing queue or a failed check
        lets the request go out, and the mandatory publish then fails if no
        queue is bound.
        """
        state = await self._service_state(service)
        if state is _ServiceState.STOPPED:
            queue_name = SERVICE_QUEUE_TEMPLATE.format(service)
            raise ServiceStopped(
                f"{service} is not running: its queue {queue_name} has no consumer, "
                f"cannot call {routing_key}"
            )

    async def _service_state(self, service: str) -> _ServiceState:
        """Return the cached state of the service, checking it again once expired."""
        loop = asyncio.get_running_loop()
        cached = self._service_states.get(service)
        if cached is not None and loop.time() < cached[1]:
            return cached[0]

        async with self._check_lock:
            # Concurrent calls wait here while the first one checks, and
            # then find its result in the cache.
            cached = self._service_states.get(service)
            if cached is not None and loop.time() < cached[1]:
                return cached[0]

            state = await self._check_service(service, cached[0] if cached else None)
            if state is _ServiceState.RUNNING:
                lifetime = RUNNING_CACHE_SECONDS
            else:
                lifetime = NOT_RUNNING_CACHE_SECONDS
            self._service_states[service] = (state, loop.time() + lifetime)
            return state

    async def _check_service(self, service: str, previous: _ServiceState | None) -> _ServiceState:
        """Declare the service's queue passively and log when its state changed."""
        queue_name = SERVICE_QUEUE_TEMPLATE.format(service)
        try:
            channel = await self._open_check_channel()
            queue = await channel.declare_queue(queue_name, passive=True)
        except ChannelNotFoundEntity:
            # The broker also closed the check channel. The next check opens
            # another one, and the publishing channel is not affected.
            state = _ServiceState.NO_QUEUE
            if state is not previous:
                _log.info(
                    "Service %s has never run on this virtual host: queue %s does not exist",
                    service,
                    queue_name,
                )
            return state
        except CONNECTION_EXCEPTIONS as error:
            state = _ServiceState.CHECK_FAILED
            if state is not previous:
                _log.warning(
                    "Checking whether service %s is running failed, "
                    "so its calls are published unchecked: %r",
                    service,
                    error,
                )
            return state

        consumers = queue.declaration_result.consumer_count
        if consumers > 0:
            state = _ServiceState.RUNNING
            if state is not previous:
                _log.info(
                    "Service %s is running, consumers on queue %s: %s",
                    service,
                    queue_name,
                    consumers,
                )
        else:
            state = _ServiceState.STOPPED
            if state is not previous:
                _log.info(
                    "Service %s is not running: queue %s has no consumer, "
                    "so calls to it fail at once until one appears",
                    service,
                    queue_name,
                )
        return state

    async def _open_check_channel(self) -> AbstractChannel:
        """Return the channel for passive declares, opening a new one if it is closed.

        It is a plain channel, not a robust one. aio-pika 10.2 reopens a
        robust channel that the broker closed in the background, and a
        declare sent before that fails with ChannelInvalidStateError.
        """
        if self._check_channel is None or self._check_channel.is_closed:
            channel = aio_pika.Channel(self._connection, publisher_confirms=False)
            await channel.initialize()
            self._check_channel = channel
        return self._check_channel

    async def _publish(
        self, routing_key: str, correlation_id: str, args: tuple, kwargs: dict
    ) -> None:
        message = aio_pika.Message(
            json.dumps({"args": list(args), "kwargs": kwargs}).encode(),
            content_type="application/json",
            content_encoding="utf-8",
            correlation_id=correlation_id,
            reply_to=self.reply_queue_name,
            # The broker drops a request that no service consumed within the
            # timeout, because the caller has stopped waiting for it by then.
            expiration=self.timeout,
        )

        # The channel uses publisher confirms and raises PublishError for a
        # returned message. RabbitMQ sends basic.return before basic.ack for
        # an unroutable mandatory message, so the publish fails here at once.
        try:
            await self._exchange.publish(message, routing_key=routing_key, mandatory=True)
        except PublishError:
            _log.warning(
                "RPC %s was returned unroutable, no service consumes it, correlation id %s",
                routing_key,
                correlation_id,
            )
            raise UnknownService(f"no service consumes {routing_key}") from None
        except DeliveryError as error:
            raise RpcUnavailable(f"the broker rejected the request to {routing_key}") from error
        except asyncio.CancelledError:
            raise
        except CONNECTION_EXCEPTIONS as error:
            _log.warning(
                "RPC %s could not be published, correlation id %s: %s",
                routing_key,
                correlation_id,
                error,
            )
            raise RpcUnavailable(f"could not publish the request to {routing_key}") from error

    def _unpack_reply(self, routing_key: str, correlation_id: str, body: bytes) -> Any:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None

        if not isinstance(payload, dict) or "error" not in payload:
            _log.error("RPC %s got a malformed reply, correlation id %s", routing_key, correlation_id)
            raise MalformedReply(f"{routing_key} sent a reply that is not a Nameko RPC reply")

        if payload["error"] is not None:
            raise RemoteError.from_reply(payload["error"])
        return payload.get("result")

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        reply = self._pending.get(message.correlation_id)
        if reply is None or reply.done():
            # A reply that arrives after its call timed out or was cancelled.
            _log.info("Dropped a reply for no pending call, correlation id %s", message.correlation_id)
            return
        reply.set_result(message.body)

    def _fail_pending(self, error: RpcError) -> None:
        for reply in self._pending.values():
            if not reply.done():
                reply.set_exception(error)

    async def _connect_until_up(self) -> None:
        """Try to connect every `reconnect_interval` seconds until a connection is up."""
        attempt = 0
        while not self._closed:
            attempt += 1
            try:
                async with asyncio.timeout(self._connect_timeout):
                    await self._open()
            except Exception as error:
                # Any failure here must lead to another attempt, because this
                # task is the only one that connects. Errors other than
                # connection errors are unexpected, so they get a traceback.
                await self._discard_connection()
                expected = isinstance(error, (TimeoutError, *CONNECTION_EXCEPTIONS))
                if attempt % FAILED_ATTEMPTS_PER_WARNING == 1 or not expected:
                    level = logging.WARNING
                else:
                    level = logging.DEBUG
                _log.log(
                    level,
                    "Connecting to the message broker failed (attempt %s), retrying every %s s: %r",
                    attempt,
                    self._reconnect_interval,
                    error,
                    exc_info=not expected,
                )
            else:
                self._connected = True
                _log.info(
                    "Connected to the message broker as %s, reply queue %s",
                    self.connection_name,
                    self.reply_queue_name,
                )
                return
            finally:
                self._first_attempt_done.set()

            await asyncio.sleep(self._reconnect_interval)

    async def _open(self) -> None:
        self._connection = await aio_pika.connect_robust(
            self._amqp_uri,
            reconnect_interval=self._reconnect_interval,
            client_properties={"connection_name": self.connection_name},
        )
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        self._exchange = await channel.declare_exchange(
            RPC_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
        )

        # The robust channel declares this queue, its binding and its
        # consumer again after a reconnection, under the same name.
        queue = await channel.declare_queue(
            self.reply_queue_name, exclusive=True, auto_delete=True
        )
        await queue.bind(self._exchange, routing_key=self.reply_queue_name)
        await queue.consume(self._on_reply, no_ack=True)

        self._connection.close_callbacks.add(self._on_connection_lost)
        self._connection.reconnect_callbacks.add(self._on_reconnected)

    async def _discard_connection(self) -> None:
        connection, self._connection = self._connection, None
        self._exchange = None
        self._check_channel = None
        if connection is not None:
            await asyncio.gather(connection.close(), return_exceptions=True)

    def _on_connection_lost(self, _connection: Any, error: BaseException | None) -> None:
        if self._closed:
            return

        # aio-pika calls this after each failed reconnection attempt too, so
        # only the loss of a working connection is a warning.
        level = logging.WARNING if self._connected else logging.DEBUG
        self._connected = False
        lost = [reply for reply in self._pending.values() if not reply.done()]
        _log.log(
            level,
            "Lost the AMQP connection %s, failing %s pending calls: %r",
            self.connection_name,
            len(lost),
            error,
        )
        self._fail_pending(RpcUnavailable("the connection to the message broker was lost"))

    def _on_reconnected(self, _connection: Any) -> None:
        self._connected = True
        _log.info("Reconnected to the message broker as %s", self.connection_name)


def _discard(reply: asyncio.Future) -> None:
    """Cancel a reply future that nobody awaits any more, or consume its error.

    When publishing fails, the connection loss handler may already have set
    an exception on the future. Reading it keeps asyncio from logging
    "Future exception was never retrieved".
    """
    if not reply.done():
        reply.cancel()
    elif not reply.cancelled():
        reply.exception()
