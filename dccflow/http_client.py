"""An httpx client created on first use and closed by its owner: shared by both ends of the HTTP transport."""

from __future__ import annotations

import sys

import httpx

try:
    import sniffio  # noqa: F401 - httpcore asks for it
except ImportError:  # httpcore tries ``import sniffio`` at every lock set-up (several per request), each time a
    sys.modules.setdefault("sniffio", None)  # search of sys.path when it is absent: make that fail at once


class LazyHttpClient:
    def __init__(self, *, timeout: float = 30.0, client: httpx.AsyncClient | None = None):
        self.timeout = timeout
        self._client = client
        self._own_client = client is None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._own_client:
            await self._client.aclose()
            self._client = None
