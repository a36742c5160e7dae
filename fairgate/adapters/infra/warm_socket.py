"""The socket between `fairgate run` and a warm worker (`fairgate warm`): where it lives, and its messages.

The client passes its stdin, stdout and stderr (SCM_RIGHTS), so the run writes straight to the user's
terminal or pipe, then its argv, working directory and environment as length-prefixed JSON. The worker
answers one JSON line when it takes the run (with its process id, so that Ctrl+C can be forwarded) or
declines it (saying why), and one more with the exit code when the run ends.
"""

from __future__ import annotations

import json
import os
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

SOCKET = ".fairgate/worker.sock"
STANDARD_STREAMS = (0, 1, 2)
_SIZE = struct.Struct(">Q")


def address(root: Path) -> str:
    """The socket's path as this process can bind or connect to it (Unix sockets take at most 107 bytes)."""
    full = str(root / SOCKET)
    return full if len(full) < 100 else os.path.relpath(full)


def connect(root: Path) -> socket.socket | None:
    """A connection to the project's worker, or None when none listens there."""
    if not (root / SOCKET).exists():
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(address(root))
    except OSError:  # a socket file left by a worker that was killed
        client.close()
        return None
    return client


def send_request(connection: socket.socket, request: dict) -> None:
    socket.send_fds(connection, [b"F"], list(STANDARD_STREAMS))
    body = json.dumps(request).encode()
    connection.sendall(_SIZE.pack(len(body)) + body)


def receive_request(connection: socket.socket) -> tuple[dict, list[int]] | None:
    """The request and the client's three streams, or None for a connection that sent nothing (a probe)."""
    marker, fds, _, _ = socket.recv_fds(connection, 1, len(STANDARD_STREAMS))
    if not marker:
        return None
    if len(fds) != len(STANDARD_STREAMS):
        for fd in fds:
            os.close(fd)
        return None
    try:
        (size,) = _SIZE.unpack(_exactly(connection, _SIZE.size))
        return json.loads(_exactly(connection, size)), fds
    except (ConnectionError, ValueError):
        for fd in fds:
            os.close(fd)
        return None


def _exactly(connection: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = connection.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("the client went away")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def send_line(connection: socket.socket, message: dict) -> None:
    connection.sendall(json.dumps(message).encode() + b"\n")


def replies(connection: socket.socket) -> Iterator[dict]:
    with connection.makefile("rb") as lines:
        for line in lines:
            yield json.loads(line)


def same_user(connection: socket.socket) -> bool:
    """True when the peer runs as this process's user (the socket file is private too; this is the check)."""
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", credentials)
    return uid == os.getuid()
