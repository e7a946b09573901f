"""Free TCP ports on the loopback for a test's servers (a dev server's frontend and Web UI, a DCC server…)."""

from __future__ import annotations

import socket
from contextlib import ExitStack


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports nothing listens on now: each socket is held until all are picked, so two picks are
    never the same port (picked one after another, a port given back can be handed out again at once)."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            s = stack.enter_context(socket.socket())
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
        return ports


def free_port() -> int:
    return free_ports(1)[0]
