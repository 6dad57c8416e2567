"""STUN Binding requests at a paced rate from many loopback source addresses; count answers.

Requests leave from ``sources`` sockets bound to 127.0.0.2, 127.0.0.3, ... (the whole of
127/8 is local on Linux), so a per-source flood guard sees a crowd of clients rather than
one. A request counts as answered when a Binding success with its transaction id returns
before the end of the run plus a short grace period.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import time
from dataclasses import dataclass

COOKIE = 0x2112A442
BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101
GRACE = 0.5


@dataclass
class StunRun:
    offered_per_s: float
    sent: int
    answered: int
    seconds: float

    @property
    def answered_per_s(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    @property
    def loss(self) -> float:
        return 1 - self.answered / self.sent if self.sent else 0.0


def _open_sources(count: int) -> list[socket.socket]:
    sockets = []
    for index in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((f"127.0.0.{2 + index % 250}", 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def measure(port: int, rate: float, seconds: float, sources: int = 200) -> StunRun:
    """Offer ``rate`` requests/s for ``seconds`` to 127.0.0.1:``port``."""
    sockets = _open_sources(sources)
    poller = select.epoll()
    for sock in sockets:
        poller.register(sock.fileno(), select.EPOLLIN)
    by_fd = {sock.fileno(): sock for sock in sockets}
    header = struct.Struct("!HHI12s")
    target = ("127.0.0.1", port)
    sent = answered = 0
    start = time.perf_counter()
    end = start + seconds
    try:
        while True:
            now = time.perf_counter()
            if now < end:
                due = min(int((now - start) * rate) + 1, int(rate * seconds)) - sent
                for _ in range(max(0, min(due, 256))):
                    sock = sockets[sent % sources]
                    with_id = header.pack(BINDING_REQUEST, 0, COOKIE, os.urandom(12))
                    with contextlib.suppress(BlockingIOError, ConnectionRefusedError):
                        sock.sendto(with_id, target)
                    sent += 1
            elif now > end + GRACE:
                break
            for fd, _ in poller.poll(0.0005):
                sock = by_fd[fd]
                while True:
                    try:
                        data = sock.recv(2048)
                    except (BlockingIOError, ConnectionRefusedError):
                        break
                    if len(data) >= 20 and struct.unpack_from("!H", data)[0] == BINDING_SUCCESS:
                        answered += 1
    finally:
        poller.close()
        for sock in sockets:
            sock.close()
    return StunRun(rate, sent, answered, seconds)


def wait_until_answering(port: int, timeout: float = 10.0) -> bool:
    """Poll with single Binding requests until one is answered (the server is up)."""
    deadline = time.perf_counter() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.05)
        while time.perf_counter() < deadline:
            request = struct.pack("!HHI12s", BINDING_REQUEST, 0, COOKIE, os.urandom(12))
            sock.sendto(request, ("127.0.0.1", port))
            try:
                data = sock.recv(2048)
            except (TimeoutError, ConnectionRefusedError):
                continue
            if len(data) >= 20 and struct.unpack_from("!H", data)[0] == BINDING_SUCCESS:
                return True
    return False
