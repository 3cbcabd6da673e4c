"""A Redis stand-in: a real TCP server on a loopback port that speaks enough of Redis's
protocol (RESP) for the rate limiter, as it is and as it was (INCRBY and EXPIRE in a MULTI,
or EVALSHA of its counting script), and holds back each answer that counts `delay` s."""

import hashlib
import socket
import threading
import time
from types import TracebackType

Command = list[bytes]
COUNTING = {b"INCR", b"INCRBY", b"EVALSHA"}


def commands_in(buffer: bytes) -> tuple[list[Command], bytes]:
    """The whole commands at the head of `buffer` (arrays of bulk strings), and the rest."""
    commands = []
    while buffer.startswith(b"*") and b"\r\n" in buffer:
        head, rest = buffer.split(b"\r\n", 1)
        args: Command = []
        for _ in range(int(head[1:])):
            if b"\r\n" not in rest:
                return commands, buffer
            size, after = rest.split(b"\r\n", 1)
            length = int(size[1:])
            if len(after) < length + 2:
                return commands, buffer
            args.append(after[:length])
            rest = after[length + 2 :]
        commands.append(args)
        buffer = rest
    return commands, buffer


class RedisStandIn:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.counts: dict[bytes, int] = {}
        self.asked = threading.Event()  # set when a count is first asked for
        self.connected = 0  # connections open now
        self.hung_up = threading.Event()  # set when a client closes one
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self._server.getsockname()[1]}/0"

    def __enter__(self) -> "RedisStandIn":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        buffer, queued = b"", None
        with self._lock:
            self.connected += 1
        with connection:
            while data := connection.recv(65536):
                commands, buffer = commands_in(buffer + data)
                replies, counted = [], False
                for command in commands:
                    name = command[0].upper()
                    counted |= name in COUNTING
                    if name == b"MULTI":
                        replies.append(b"+OK\r\n")
                        queued = []
                    elif name == b"EXEC" and queued is not None:
                        replies.append(b"*%d\r\n" % len(queued) + b"".join(queued))
                        queued = None
                    elif queued is not None:
                        queued.append(self._reply(command))
                        replies.append(b"+QUEUED\r\n")
                    else:
                        replies.append(self._reply(command))
                if counted:
                    self.asked.set()
                    time.sleep(self.delay)
                connection.sendall(b"".join(replies))
        with self._lock:
            self.connected -= 1
        self.hung_up.set()

    def _reply(self, command: Command) -> bytes:
        name = command[0].upper()
        if name in COUNTING:  # the script counts its one key, KEYS[1], by 1
            key = command[3] if name == b"EVALSHA" else command[1]
            step = int(command[2]) if name == b"INCRBY" else 1
            with self._lock:
                self.counts[key] = self.counts.get(key, 0) + step
                return b":%d\r\n" % self.counts[key]
        if name == b"EXPIRE":
            return b":1\r\n"
        if name == b"SCRIPT":  # LOAD: its SHA-1, as EVALSHA names it
            sha = hashlib.sha1(command[2], usedforsecurity=False).hexdigest().encode()
            return b"$%d\r\n%s\r\n" % (len(sha), sha)
        if name == b"HELLO":  # redis-py asks for RESP3 as it connects: a map, {proto: 3}
            return b"%1\r\n$5\r\nproto\r\n:3\r\n"
        if name in (b"CLIENT", b"SELECT"):  # what else it may say as it connects
            return b"+OK\r\n"
        return b"-ERR unknown command '%s'\r\n" % name
