"""The bot's HTTP to Telegram (bot/telegram_http.py: PTB's BaseRequest on aiohttp's client):
calls, uploads, long polls and errors mean what they meant with PTB's own httpx client, and the
pool opens again when PTB initializes the bot again."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.telegram_http import telegram_request, updates_request
from tests.fakebot.processes import SlowFakeBotAPI, free_port

ANNA = 7001


@pytest.fixture
async def api():
    server = SlowFakeBotAPI(reply_delay=1.0)
    await server.start()
    server.meet(ANNA)
    yield server
    await server.stop()


def bot_for(url: str, token: str = "123456:TEST-TOKEN") -> Bot:
    return Bot(token, base_url=f"{url}/bot", request=telegram_request())


async def test_messages_documents_and_refusals_go_through_aiohttp(api):
    async with bot_for(api.url) as bot:
        sent = await bot.send_message(ANNA, "Ciao Anna")
        await bot.send_document(ANNA, document=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", filename="demo.ics")
        with pytest.raises(BadRequest):
            await bot.send_message(ANNA, "x" * 4097)
    assert sent.text == "Ciao Anna"
    assert [event.kind for event in api.chats[ANNA]] == ["message", "document"]
    assert api.chats[ANNA][0].text == "Ciao Anna"
    assert api.chats[ANNA][1].filename == "demo.ics"
    assert api.chats[ANNA][1].document == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"


async def test_the_pool_opens_again_when_ptb_initializes_the_bot_again(api):
    bot = bot_for(api.url)
    async with bot:
        await bot.send_message(ANNA, "one")
    async with bot:  # shut down, then initialized again: PTB builds a new client on the same request
        await bot.send_message(ANNA, "two")
    assert [event.text for event in api.chats[ANNA]] == ["one", "two"]


async def test_nothing_is_sent_between_a_shutdown_and_the_next_initialize(api):
    """As with PTB's own client: a call after the bot shut down fails (and opens no connection
    that nobody would close)."""
    bot = bot_for(api.url)
    async with bot:
        await bot.send_message(ANNA, "one")
    with pytest.raises(NetworkError):
        await bot.send_message(ANNA, "after the shutdown")
    assert [event.text for event in api.chats[ANNA]] == ["one"]


async def test_a_long_poll_waits_past_the_read_timeout_as_telegram_holds_it(api):
    """PTB adds getUpdates' long-polling timeout to the read timeout: an empty poll that Telegram
    holds for its whole timeout is an empty list, not a timeout."""
    bot = Bot("123456:TEST-TOKEN", base_url=f"{api.url}/bot", get_updates_request=updates_request())
    async with bot:
        assert await bot.get_updates(timeout=1, read_timeout=0.5) == ()
        await api.push(api.user_message({"id": ANNA, "is_bot": False, "first_name": "Anna"}, "/start"))
        (update,) = await bot.get_updates(timeout=1, read_timeout=0.5)
    assert update.message.text == "/start"


async def test_a_late_answer_is_timed_out_as_before(api):
    api.slow.add(ANNA)
    async with bot_for(api.url) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(ANNA, "late", read_timeout=0.2)


async def test_nobody_listening_is_a_network_error_not_a_crash():
    bot = bot_for(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(NetworkError):
        await asyncio.wait_for(bot.get_me(), 10)
    await bot.shutdown()


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
async def proxy(monkeypatch):
    """An HTTP proxy that answers getMe itself, recording what it was asked and with what."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    seen: list[tuple[str, str | None]] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append((str(request.url), request.headers.get("Proxy-Authorization")))
        me = {"id": 1, "is_bot": True, "first_name": "Via", "username": "via_bot"}
        return web.json_response({"ok": True, "result": me})

    async with serving(answer) as port:
        yield port, seen


@contextlib.asynccontextmanager
async def serving(answer) -> AsyncIterator[int]:
    """An HTTP server on a free local port whose every request `answer` answers; its port."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port
    finally:
        await runner.cleanup()


async def test_the_proxy_the_environment_names_is_used_with_its_credentials(proxy, monkeypatch):
    """Some hosts reach Telegram only through a proxy named in HTTP(S)_PROXY, which PTB's own
    client honours: so does ours (here Telegram's address does not even resolve)."""
    port, seen = proxy
    monkeypatch.setenv("http_proxy", f"http://anna:p%40ss@127.0.0.1:{port}")
    async with Bot("123456:TEST-TOKEN", base_url="http://telegram.invalid/bot", request=telegram_request()) as bot:
        assert bot.username == "via_bot"
    (url, authorization), *_ = seen
    assert url.startswith("http://telegram.invalid/bot123456:TEST-TOKEN/getMe")
    assert authorization == "Basic " + base64.b64encode(b"anna:p@ss").decode()


async def test_an_address_in_no_proxy_is_reached_directly(proxy, monkeypatch):
    port, seen = proxy
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("no_proxy", "telegram.invalid")
    bot = Bot("123456:TEST-TOKEN", base_url="http://telegram.invalid/bot", request=telegram_request())
    with pytest.raises(NetworkError):
        await asyncio.wait_for(bot.get_me(), 10)
    await bot.request.shutdown()
    assert seen == []


async def test_a_form_is_what_ptbs_own_client_sends():
    """Fields without a file go as the form PTB's own httpx client sends (encoded here, without
    aiohttp's FormData): same content type, same fields, the text and the keyboard intact."""
    received: list[tuple[str, dict[str, str]]] = []

    async def answer(request: web.Request) -> web.Response:
        if request.path.endswith("/getMe"):
            return web.json_response({"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "Bot"}})
        received.append((request.content_type, dict(await request.post())))
        message = {"message_id": 1, "date": 0, "chat": {"id": ANNA, "type": "private"}, "text": "ok"}
        return web.json_response({"ok": True, "result": message})

    text = "Caffè & tè = 10% + «più» 😀\nriga due"
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Sì & no", callback_data="demo:view:42")]])
    async with serving(answer) as port:
        for request in (HTTPXRequest(), telegram_request()):
            async with Bot("123456:TEST-TOKEN", base_url=f"http://127.0.0.1:{port}/bot", request=request) as bot:
                await bot.send_message(ANNA, text, reply_markup=markup)
    (theirs_type, theirs), (ours_type, ours) = received
    assert ours_type == theirs_type == "application/x-www-form-urlencoded"
    assert ours == theirs
    assert ours["text"] == text
    assert json.loads(ours["reply_markup"]) == markup.to_dict()
