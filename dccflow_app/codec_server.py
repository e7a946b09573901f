"""The codec endpoint the Temporal Web UI calls to show encrypted payloads decoded (``dccflow_app.codec``).

The UI POSTs ``{"payloads": [...]}`` (Temporal's JSON form of ``Payloads``) to ``<endpoint>/decode`` from the
user's browser and shows what comes back; ``/encode`` does the reverse (used by the UI to send signals). The
endpoint holds the codec key, so it listens on loopback only and answers CORS only for the Web UI's origin.
``dccflow up`` serves it on the UI port + 1 and starts the UI with ``--ui-codec-endpoint`` pointing at it;
``python -m dccflow_app.codec_cli serve --data-dir D --port P`` serves it for a Temporal server of your own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable

from fastapi import FastAPI, Request, Response
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from dccflow.config import ConfigurationError
from dccflow_app.codec import SecretsCodec, load_key
from dccflow_app.http_stack import LoopbackServer

_CORS_HEADERS = "content-type,x-namespace,authorization"


def codec_app(codec: SecretsCodec, ui_origins: str | Iterable[str]) -> FastAPI:
    """``ui_origins``: the Web UI's origin(s) (``http://127.0.0.1:8233``…), the only pages granted CORS."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    allowed = {ui_origins} if isinstance(ui_origins, str) else set(ui_origins)

    def cors(response: Response, request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = _CORS_HEADERS
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Vary"] = "Origin"
        return response

    async def apply(request: Request, decode: bool) -> Response:
        try:
            payloads = json_format.Parse(await request.body(), Payloads())
        except json_format.ParseError as exc:
            return cors(Response(f"not a Payloads JSON object: {exc}", status_code=400, media_type="text/plain"),
                        request)
        try:
            out = await (codec.decode(payloads.payloads) if decode else codec.encode(payloads.payloads))
        except ConfigurationError as exc:
            return cors(Response(str(exc), status_code=400, media_type="text/plain"), request)
        body = json_format.MessageToJson(Payloads(payloads=out))
        return cors(Response(body, media_type="application/json"), request)

    @app.options("/{path:path}")
    async def preflight(request: Request) -> Response:
        return cors(Response(status_code=204), request)

    @app.post("/decode")
    async def decode(request: Request) -> Response:
        return await apply(request, decode=True)

    @app.post("/encode")
    async def encode(request: Request) -> Response:
        return await apply(request, decode=False)

    return app


@contextlib.asynccontextmanager
async def codec_server(key: bytes, port: int, ui_origin: str | Iterable[str],
                       host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve the codec endpoint while the block runs; yields its URL."""
    server = LoopbackServer(codec_app(SecretsCodec(key), ui_origin), host=host, port=port)
    await server.start()
    try:
        yield server.url
    finally:
        await server.stop()


async def serve_forever(key: bytes, port: int, ui_origin: str) -> None:  # pragma: no cover - a command line
    async with codec_server(key, port, ui_origin) as url:
        print(f"codec endpoint {url} for the Web UI at {ui_origin} (Ctrl-C to stop)")
        await asyncio.Event().wait()


async def start_codec_endpoint(data_dir, ui_port: int, host: str = "127.0.0.1") -> LoopbackServer:
    """``dccflow up``: the codec endpoint on ``ui_port + 1`` with the stack's key, for the UI on ``ui_port``
    (opened as 127.0.0.1 or localhost); the caller stops it (``await server.stop()``)."""
    key = load_key(data_dir, create=True)
    origins = [f"http://{h}:{ui_port}" for h in dict.fromkeys((host, "127.0.0.1", "localhost"))]
    server = LoopbackServer(codec_app(SecretsCodec(key), origins), host=host, port=ui_port + 1)
    await server.start()
    return server
