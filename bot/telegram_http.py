"""How the bot speaks HTTP to Telegram: python-telegram-bot's HTTPXRequest over aiohttp's
connection pool (the httpx-aiohttp transport) instead of httpcore's.

Replies never wait for one another: every Telegram call that is slow for one person holds its
own connection, so on a busy evening the pool keeps dozens of them. httpcore walks its whole
list of connections, for every connection, on every request and every response (a quadratic
scan, the largest single cost under load in bench/profiles), while aiohttp's pool hands out and
takes back a connection in constant time and parses responses in C. Measured on the order flow:
CPU per update 7.6 -> 7.2 ms; under bench/concurrency.py's load the gain is larger (README).
aiohttp is already the webhook's server. Errors keep PTB's meaning: the transport turns
aiohttp's into httpx's, and PTB turns those into TimedOut and NetworkError as before (a dropped
connection now reads as TimedOut rather than NetworkError; the dispatcher treats both alike).
aiohttp has no write timeout: connecting and reading stay bounded, sending an upload is not
(the bot's uploads are small: calendars, CSV files, charts).
"""

from __future__ import annotations

import httpx
from httpx_aiohttp import AiohttpTransport
from telegram.request import HTTPXRequest

CONNECTIONS = 256  # python-telegram-bot's own default for the bot's calls
CONNECT_TIMEOUT = 5.0  # seconds; PTB's and httpx's default


class _AiohttpPool(httpx.AsyncBaseTransport):
    """An aiohttp pool opened at the first call in the running event loop and dropped when
    closed: PTB builds its HTTP client again when an application is initialized again, and a
    closed aiohttp session cannot be reopened."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._transport: AiohttpTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._transport is None:
            self._transport = AiohttpTransport(limits=self._limits)
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            await transport.aclose()


def telegram_request(connections: int = CONNECTIONS) -> HTTPXRequest:
    """The request object for the bot's calls (sendMessage and the rest; getUpdates keeps its own)."""
    # The pool's size is the transport's: httpx ignores its own pool settings (PTB's
    # connection_pool_size) for a transport it is given, and aiohttp takes only the connection
    # limit and the keep-alive expiry (httpx's default, 5 s) from these limits.
    limits = httpx.Limits(max_connections=connections)
    # aiohttp counts the wait for a pooled connection and the connecting itself in one timeout,
    # which the transport takes from the pool timeout: PTB's 1 s would leave a slow TLS handshake
    # less time than httpcore gave it (its 5 s connect timeout), so the pool timeout is that too.
    return HTTPXRequest(
        pool_timeout=CONNECT_TIMEOUT,
        connect_timeout=CONNECT_TIMEOUT,
        httpx_kwargs={"transport": _AiohttpPool(limits)},
    )
