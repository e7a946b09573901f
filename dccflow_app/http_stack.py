"""The HTTP transport's moving parts inside the worker process (``DCCFLOW_DCC_TRANSPORT=http``).

Two FastAPI apps are served by uvicorn on loopback, in the worker's own event loop:

* the DCC User Interface (``dccsim.http_api``) on ``DCCFLOW_DCC_HTTP_PORT``, which the User side reaches only
  through ``activities.http_transport.HttpTransport``;
* the Users' receiving endpoint (``activities.http_transport.create_user_receiver_app``) on
  ``DCCFLOW_USER_HTTP_PORT``, which the DCC reaches only through ``dccsim.endpoints.HttpDelivery``: each
  User ID's URL is registered with the DCC when the endpoint starts.

Port 0 picks a free port (tests); the URLs are then known once the servers are up.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from activities.http_transport import RECEIVE_PATH, HttpTransport, create_user_receiver_app
from activities.inbox import UserInbox
from dccflow.parties import USERS
from dccsim.boxed_api import add_boxed_services
from dccsim.endpoints import HttpDelivery, UserEndpointRegistry
from dccsim.http_api import SimClock, create_dcc_app
from dccsim.service import DccService


def base_url(host: str, port: int) -> str:
    """The URL clients use for a server bound to ``host`` (a wildcard bind is reached on loopback)."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _listening_socket(host: str, port: int) -> socket.socket:
    """Bound here, not by uvicorn, so that 'address in use' is an OSError rather than uvicorn's SystemExit.

    The protocol is given explicitly (IPPROTO_TCP): asyncio only sets TCP_NODELAY on accepted connections whose
    socket says TCP, and without it a response written in two parts (headers, body) waits ~40 ms for the
    client's delayed ACK (Nagle)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class _EmbeddedServer(uvicorn.Server):
    """uvicorn that leaves signal handling to the host process (which stops it explicitly)."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


class LoopbackServer:
    """One ASGI app served by uvicorn in the running event loop, on a socket bound before it starts."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self.host = host
        self.requested_port = port
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task | None = None
        self._socket: socket.socket | None = None
        self._port: int | None = None
        self._served = 0

    @property
    def port(self) -> int:
        """The bound port (the real one when 0 was asked for)."""
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def url(self) -> str:
        return base_url(self.host, self.port)

    @property
    def requests_served(self) -> int:
        return self._server.server_state.total_requests if self._server is not None else self._served

    async def start(self, timeout: float = 10.0) -> None:
        self._socket = sock = _listening_socket(self.host, self.requested_port)
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_config=None, log_level="warning", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=5)
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name=f"uvicorn:{self._port}")
        try:
            async with asyncio.timeout(timeout):
                while not self._server.started:
                    if self._task.done():
                        self._task.result()  # raises what stopped it
                        raise RuntimeError(f"HTTP server on {self.url} stopped while starting")
                    await asyncio.sleep(0.01)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish (uvicorn's graceful shutdown), close the socket."""
        if self._server is None or self._task is None:
            if self._socket is not None:
                self._socket.close()
            return
        server, task = self._server, self._task
        server.should_exit = True
        try:
            await asyncio.wait_for(task, timeout=10)
        except TimeoutError:  # pragma: no cover - uvicorn has its own graceful-shutdown timeout
            task.cancel()
        finally:
            self._served = server.server_state.total_requests
            if self._socket is not None:
                self._socket.close()  # uvicorn closes it too; twice is harmless
            self._server = self._task = self._socket = None


class HttpInterfaces:
    """Both sides of the DCC User Interface over HTTP. ``async with`` starts and stops the servers."""

    def __init__(self, *, engine: Engine, dcc: DccService, inbox: UserInbox, host: str, dcc_port: int,
                 user_port: int):
        self.registry = UserEndpointRegistry(engine)
        self.delivery = HttpDelivery(self.registry)
        sim_clock = SimClock()  # its key, in memory only, is shared by this stack's sender and its DCC alone
        dcc_app = create_dcc_app(dcc, sim_clock=sim_clock)
        add_boxed_services(dcc_app)  # DCC Boxed's serviceD / serviceS / serviceT, on the same pipeline
        self.dcc_server = LoopbackServer(dcc_app, host, dcc_port)
        self.user_server = LoopbackServer(create_user_receiver_app(inbox), host, user_port)
        # the real port is known once started
        self.transport = HttpTransport(base_url(host, dcc_port), sim_clock=sim_clock)

    async def __aenter__(self) -> HttpInterfaces:
        await self.dcc_server.start()
        try:
            await self.user_server.start()
        except BaseException:
            await self.dcc_server.stop()
            raise
        self.transport.base_url = self.dcc_server.url
        for user_id in USERS:  # each User tells the DCC where it receives
            self.registry.register(user_id, self.user_server.url + RECEIVE_PATH.format(user_id=user_id))
        return self

    async def __aexit__(self, *exc) -> None:
        await self.transport.aclose()
        await self.delivery.aclose()
        await self.user_server.stop()
        await self.dcc_server.stop()
