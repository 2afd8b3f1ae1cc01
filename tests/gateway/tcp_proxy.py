"""A loopback TCP proxy that a test can stop and start to cut the broker off.

Stopping the proxy closes every proxied connection, which a client sees as a
broker that went away, while RabbitMQ itself keeps running for other users.
"""

import select
import socket
import threading


CHUNK_BYTES = 65536
POLL_SECONDS = 0.05


class TcpProxy:
    """Forward connections from 127.0.0.1:`port` to `target` in threads."""

    def __init__(self, port: int, target: tuple[str, int]):
        self.port = port
        self.target = target
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stopping.clear()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen()
        self._spawn(self._accept_loop)

    def stop(self) -> None:
        """Stop listening and close every open connection, both sides."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            ready, _, _ = select.select([self._listener], [], [], POLL_SECONDS)
            if not ready:
                continue

            client, _ = self._listener.accept()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue

            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            self._spawn(self._pump, client, upstream)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        try:
            while not self._stopping.is_set():
                ready, _, _ = select.select(list(peers), [], [], POLL_SECONDS)
                for source in ready:
                    data = source.recv(CHUNK_BYTES)
                    if not data:
                        return
                    peers[source].sendall(data)
        except OSError:
            return
        finally:
            # When one side ends, end the other, as a direct connection would.
            client.close()
            upstream.close()
