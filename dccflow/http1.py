"""A lean HTTP/1.1 client for POSTing to one ``http://`` origin over kept-alive connections (the User side's
``HttpTransport``; issue #18, target 2).

A general client (``httpx``/``httpcore``) spends, per request, more Python than the DCC spends on its HTTP side:
URL and header models, a connection pool with its locks and an async backend, the pure-Python ``h11`` parser. For
one origin and small bodies this client writes the request in one ``transport.write`` and parses the reply with
``httptools`` (llhttp, as uvicorn does on the server's side) in an ``asyncio.Protocol``. Each concurrent request
has its own connection, kept for the next request when the server keeps it alive (HTTP/1.1, no pipelining).

Faults raise ``HttpFault`` (no connection, a reset, a timeout, an unreadable reply). A connection taken from the
idle ones that the server has closed meanwhile (its keep-alive timeout) is replaced and the request sent once more
when nothing at all came back on it; the DUIS requests sent this way are safe to send again (the same signed bytes
get the reply they got the first time: the DCC's anti-replay and retransmission rules).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import httptools

__all__ = ["HttpFault", "KeepAliveClient", "Response"]


class HttpFault(Exception):
    """The request got no complete HTTP reply: could not connect, the connection broke, a timeout, a reply that
    is not HTTP/1.1."""


class Headers(dict[str, str]):
    """Reply headers by lower-case name (the last value of a repeated header)."""

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())


class Response:
    """What ``HttpTransport.interpret`` reads of a reply (the same names as ``httpx.Response``)."""

    __slots__ = ("status_code", "headers", "content")

    def __init__(self, status_code: int, headers: Headers, content: bytes):
        self.status_code, self.headers, self.content = status_code, headers, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._waiter: asyncio.Future[Response] | None = None
        self._parser: httptools.HttpResponseParser | None = None
        self._headers = Headers()
        self._body: list[bytes] = []
        #: bytes came back for the request in progress (a reused connection that got none may be retried)
        self.answered = False

    # -- asyncio.Protocol ------------------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.answered = True
        if self._parser is None:
            self.close()  # nothing was asked: a server speaking out of turn
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpFault(f"an unreadable HTTP reply: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(HttpFault(f"the connection closed before the reply was complete ({exc or 'closed'})"))

    # -- httptools callbacks ---------------------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        parser, waiter = self._parser, self._waiter
        assert parser is not None
        response = Response(parser.get_status_code(), self._headers, b"".join(self._body))
        if not parser.should_keep_alive():
            self.close()
        self._parser = None
        if waiter is not None and not waiter.done():
            waiter.set_result(response)

    # -- the client's side -----------------------------------------------------------------------------
    async def exchange(self, request: bytes) -> Response:
        assert self.transport is not None
        self._headers, self._body, self.answered = Headers(), [], False
        self._parser = httptools.HttpResponseParser(self)
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self._waiter

    def _fail(self, fault: HttpFault) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(fault)
        self._parser = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class KeepAliveClient:
    """POST to ``base_url`` (``http://host:port``) over kept-alive connections; ``timeout`` in seconds covers
    connecting and the whole exchange."""

    def __init__(self, base_url: str, *, timeout: float = 30.0):
        #: the ``base_url`` this client was made for
        self.origin = base_url
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"KeepAliveClient speaks plain http:// to one origin, not {base_url!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self._host_header = parts.netloc
        self._idle: list[_Connection] = []

    async def post(self, path: str, content: bytes, headers: dict[str, str]) -> Response:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (f"POST {path} HTTP/1.1\r\nHost: {self._host_header}\r\nContent-Length: {len(content)}\r\n"
                   f"{head}\r\n").encode("latin-1") + content
        for attempt in (1, 2):
            conn, reused = self._take()
            try:
                async with asyncio.timeout(self.timeout):
                    if conn is None:
                        conn = await self._connect()
                    response = await conn.exchange(request)
            except HttpFault:
                if conn is not None:
                    conn.close()
                if reused and attempt == 1 and conn is not None and not conn.answered:
                    continue  # the server had closed the idle connection: once more on a new one
                raise
            except TimeoutError as exc:
                if conn is not None:
                    conn.close()
                raise HttpFault(f"no reply within {self.timeout} s") from exc
            except BaseException:  # cancelled, …: the connection is in an unknown state
                if conn is not None:
                    conn.close()
                raise
            if not conn.closed:
                self._idle.append(conn)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _take(self) -> tuple[_Connection | None, bool]:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn, True
        return None, False

    async def _connect(self) -> _Connection:
        try:
            _transport, conn = await asyncio.get_running_loop().create_connection(_Connection, self.host, self.port)
        except OSError as exc:
            raise HttpFault(f"could not connect to {self.host}:{self.port}: {exc}") from exc
        return conn

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
