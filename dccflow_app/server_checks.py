"""Checks on the local ports a Temporal server of ``dccflow up`` binds (``dccflow_app.preflight``, which
re-exports them): :func:`check_ports_free` before it starts, :func:`check_server_is_ours` after. And the error
every preflight check raises, :class:`ServerProblem`."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterable
from pathlib import Path


class ServerProblem(RuntimeError):
    """The Temporal server cannot be used as asked; the message says why, in one line."""



def check_ports_free(ports: Iterable[tuple[str, int]], host: str = "127.0.0.1") -> None:
    """Each ``(what, port)`` can be bound on ``host`` now, and no two of them are the same port (port 0: any free
    port, not checked)."""
    ports = list(ports)
    named: dict[int, str] = {}
    for what, port in ports:
        if port and port in named:
            raise ServerProblem(f"{named[port]} and {what} are both port {port}: each needs a port of its own")
        named.setdefault(port, what)
    for what, port in ports:
        if not port:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind: a TIME_WAIT port is free
            try:
                s.bind((host, port))
            except (OSError, OverflowError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                raise ServerProblem(f"port {port} on {host} ({what}) is in use or not available: {reason}; "
                                    f"stop what holds it or choose another port") from None


def _listening_inodes(port: int) -> set[str] | None:
    """Inodes of the sockets listening on TCP ``port`` (Linux ``/proc/net``); None where that cannot be read."""
    found: set[str] = set()
    readable = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        readable = True
        for row in rows:
            fields = row.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add(fields[9])
    return found if readable else None


def _children_listening(port: int) -> list[int] | None:
    """This process's child processes holding a socket that listens on ``port``; None where that cannot be told."""
    inodes = _listening_inodes(port)
    if inodes is None:
        return None
    me, owners = os.getpid(), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if ppid != me:
                continue
            fds = stat.parent / "fd"
            names = os.listdir(fds)
        except (OSError, ValueError, IndexError):
            continue
        links = set()
        for fd in names:  # one at a time: a busy server opens and closes files meanwhile
            with contextlib.suppress(OSError):
                links.add(os.readlink(fds / fd))
        if any(f"socket:[{inode}]" in links for inode in inodes):
            owners.append(int(stat.parent.name))
    return owners


def check_server_is_ours(port: int, what: str = "Temporal frontend (gRPC)") -> None:
    """The server answering on ``port`` is a child process this process started: never attach workers to a server
    another command started (a second ``dccflow up`` whose own server died on 'address already in use')."""
    owners = _children_listening(port)
    if owners is not None and not owners:
        raise ServerProblem(f"port {port} on 127.0.0.1 ({what}) is served by another process, not by the Temporal "
                            f"server this command started (it did not start: port in use?)")
