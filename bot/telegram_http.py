"""How the bot speaks HTTP to Telegram: python-telegram-bot's documented extension point for
another HTTP library (`telegram.request.BaseRequest`) implemented on aiohttp's client, for every
call the bot makes, getUpdates included.

Replies never wait for one another: every Telegram call that is slow for one person holds its
own connection, so on a busy evening the pool keeps dozens of them. httpcore (PTB's default,
under httpx) walks its whole list of connections, for every connection, on every request and
every response (a quadratic scan, the largest single cost under load in bench/profiles);
aiohttp's pool hands out and takes back a connection in constant time and parses responses in
C. httpx itself cost about a tenth of the bot's CPU under bench/concurrency.py's load (building
and parsing URLs and headers for each call), so the calls go to aiohttp directly rather than
through httpx over an aiohttp transport; aiohttp is already the webhook's server.

A proxy named in the environment (HTTPS_PROXY and the rest, as PTB's default client reads them)
is used, with the credentials in its URL. Requests are what PTB's own HTTPXRequest sends (the
same form fields, multipart with files, the same User-Agent) and errors keep PTB's meaning: a
timeout is TimedOut, any other failure of the connection NetworkError (both retried alike by the
dispatcher). aiohttp has no write timeout: connecting and reading stay bounded, sending an upload
is not (the bot's uploads are small: calendars, CSV files, charts).
"""

from __future__ import annotations

import urllib.parse
import urllib.request

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot import scheduling

CONNECTIONS = 256  # python-telegram-bot's own default for the bot's calls
CONNECT_TIMEOUT = 5.0  # seconds; PTB's and httpx's default
READ_TIMEOUT = 5.0  # PTB's default; getUpdates adds its long-polling timeout to it
KEEP_ALIVE = 5.0  # seconds an idle connection is kept: httpx's default, as before
# PTB passes a value left at its default as an instance of this class (private in PTB: reached
# through the public BaseRequest.DEFAULT_NONE).
_Default = type(BaseRequest.DEFAULT_NONE)


class AiohttpRequest(BaseRequest):
    """PTB's requests over one aiohttp session, opened in the running event loop when PTB
    initializes the bot and closed at its shutdown (PTB may initialize it again later: a new
    session is opened then, since a closed one cannot be reopened)."""

    __slots__ = ("_connect_timeout", "_connections", "_proxies", "_read_timeout", "_session", "_shut_down")

    def __init__(
        self,
        *,
        connections: int = CONNECTIONS,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self._connections = connections
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None
        self._shut_down = False
        self._proxies: dict[tuple[str, str | None], tuple[str | None, str | None]] = {}

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        self._shut_down = False
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=KEEP_ALIVE)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        self._shut_down = True
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._shut_down:
            # As PTB's own HTTPXRequest: nothing is sent between shutdown and the next initialize.
            raise RuntimeError("This AiohttpRequest is not initialized!")
        if self._session is None:  # used before PTB initialized it (PTB's own request allows that too)
            await self.initialize()
        assert self._session is not None
        # A value PTB leaves at its default is ours; None means no limit, as with httpx.
        read = self._read_timeout if isinstance(read_timeout, _Default) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, _Default) else connect_timeout
        pool = connect if isinstance(pool_timeout, _Default) else pool_timeout
        # aiohttp counts the wait for a pooled connection and the connecting in one timeout
        # (`connect`); the connecting alone in `sock_connect`.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        address = urllib.parse.urlsplit(url)
        origin = (address.scheme, address.hostname)
        if origin not in self._proxies:
            self._proxies[origin] = environment_proxy(*origin)
        proxy, authorization = self._proxies[origin]
        # The proxy's credentials: in the CONNECT that opens the tunnel to an https address, in
        # the request itself to an http one (aiohttp's own placement for each).
        credentials = {"Proxy-Authorization": authorization} if authorization else None
        tunnelled = address.scheme == "https"
        data, content_type = _body(request_data)
        headers = {} if tunnelled or credentials is None else dict(credentials)
        if content_type is not None:
            headers["Content-Type"] = content_type
        try:
            async with self._session.request(
                method,
                url,
                data=data,
                timeout=timeout,
                allow_redirects=False,
                proxy=proxy,
                proxy_headers=credentials if tunnelled else None,
                headers=headers or None,
            ) as response:
                status, body = response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error
        if url.endswith("/getUpdates"):
            # The updates just received are as old as now, and so is the next poll, which PTB's
            # Updater sends from this same task: it goes out before the work of those that
            # arrive after them (bot.scheduling), not behind it.
            scheduling.arrived()
        return status, body


def environment_proxy(scheme: str, host: str | None) -> tuple[str | None, str | None]:
    """The proxy the environment names for `scheme://host` (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY,
    NO_PROXY, read by the standard library as PTB's default client reads them): some hosts reach
    Telegram only through one. Read once per address, not on every call (aiohttp's own
    `trust_env` looks it up in a thread for each request); credentials in the proxy's URL are
    sent as its Proxy-Authorization (the proxy URL and that header's value are returned)."""
    if host is None or urllib.request.proxy_bypass(host):
        return None, None
    proxies = urllib.request.getproxies()
    named = proxies.get(scheme) or proxies.get("all")
    if not named:
        return None, None
    proxy = urllib.parse.urlsplit(named)
    if proxy.username is None:
        return named, None
    proxy_host = f"[{proxy.hostname}]" if ":" in (proxy.hostname or "") else proxy.hostname or ""
    plain = proxy._replace(netloc=proxy_host + (f":{proxy.port}" if proxy.port else "")).geturl()
    login, password = urllib.parse.unquote(proxy.username), urllib.parse.unquote(proxy.password or "")
    return plain, aiohttp.encode_basic_auth(login, password)


FORM = "application/x-www-form-urlencoded"


def _body(request_data: RequestData | None) -> tuple[aiohttp.FormData | bytes | None, str | None]:
    """Form fields as PTB sends them (each value JSON where it is not a plain string), and
    multipart with the files when there are any; with its content type where aiohttp's own
    would be wrong. The fields alone are encoded here, as aiohttp's FormData would encode them:
    FormData builds a multipart writer (and a random boundary) for every request before it
    finds that no file is attached."""
    if request_data is None:
        return None, None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return urllib.parse.urlencode(fields).encode(), FORM
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None


def telegram_request(connections: int = CONNECTIONS) -> AiohttpRequest:
    """The request object for the bot's calls (sendMessage and the rest)."""
    return AiohttpRequest(connections=connections)


def updates_request() -> AiohttpRequest:
    """getUpdates' own: one long poll at a time, so one connection."""
    return AiohttpRequest(connections=1)
