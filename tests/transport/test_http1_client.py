"""``dccflow.http1.KeepAliveClient``, the User side's lean HTTP/1.1 client: the reply ``httpx`` reads, connections
kept alive and reused, a connection the server closed while idle replaced, faults as ``HttpFault``."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from dccflow.http1 import HttpFault, KeepAliveClient
from dccflow_app.http_stack import LoopbackServer


def _echo_app() -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> Response:
        body = await request.body()
        return Response(content=body[::-1], status_code=201, media_type="application/xml",
                        headers={"X-Dccflow-Reason": request.headers.get("x-note", "")})

    return app


async def test_replies_read_as_httpx_reads_them_over_one_kept_alive_connection():
    server = LoopbackServer(_echo_app())
    await server.start()
    client = KeepAliveClient(server.url, timeout=10)
    try:
        body = b"<a>" + b"x" * 200_000 + b"</a>"  # several reads on both ends
        ours = [await client.post("/echo", body, {"Content-Type": "application/xml", "X-Note": f"n{i}"})
                for i in range(3)]
        async with httpx.AsyncClient() as http:
            theirs = await http.post(server.url + "/echo", content=body,
                                     headers={"Content-Type": "application/xml", "X-Note": "n2"})
        assert [r.status_code for r in ours] == [theirs.status_code] * 3 == [201] * 3
        assert ours[2].content == theirs.content == body[::-1]
        assert ours[2].headers["x-dccflow-reason"] == theirs.headers["x-dccflow-reason"] == "n2"
        assert ours[0].headers.get("X-Dccflow-Reason") == "n0" and "content-type" in ours[0].headers
        assert len(client._idle) == 1  # one connection, kept for the next request
    finally:
        await client.aclose()
        await server.stop()


async def test_a_connection_the_server_closed_while_idle_is_replaced_and_the_request_sent_again():
    """The server answers the first request of a connection and drops the connection at the next one without a
    word (as when its keep-alive timeout and the client's next request cross): sent again on a new connection."""
    received: list[bytes] = []

    async def read_request(reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(
            b"content-length")))
        return await reader.readexactly(length)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await read_request(reader))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        await read_request(reader)  # the next request on this connection: dropped unanswered
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = KeepAliveClient(f"http://127.0.0.1:{port}", timeout=10)
    try:
        first = await client.post("/", b"one", {})
        second = await client.post("/", b"two", {})
        assert (first.content, second.content, received) == (b"ok", b"ok", [b"one", b"two"])
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


async def test_faults_are_http_faults():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(HttpFault, match="could not connect"):
        await KeepAliveClient(f"http://127.0.0.1:{port}", timeout=5).post("/", b"x", {})

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)  # never answers

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()

    for handler, match in ((silent, "no reply within"), (garbage, "unreadable HTTP reply")):
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        client = KeepAliveClient(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", timeout=0.2)
        try:
            with pytest.raises(HttpFault, match=match):
                await client.post("/", b"x", {})
        finally:
            await client.aclose()
            server.close()
            await server.wait_closed()
    with pytest.raises(ValueError):
        KeepAliveClient("https://dcc.example")
